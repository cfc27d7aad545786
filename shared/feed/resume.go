package feed

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"
)

// parked is a closed subscriber kept for its owner to resume.
type parked struct {
	owner, provider string
	channels        []Channel
	sentSeq         uint64
	until           time.Time
}

// ErrNoResume is a resume token that is unknown, expired, used already or
// someone else's.
var ErrNoResume = errors.New("feed: resume token unknown or expired")

// Token makes a resume token: 128 random bits.
func Token() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Park closes s and keeps its channels and position under token for
// Config.ResumeFor, for Resume.
func (s *Subscriber) Park(token string) {
	h := s.hub
	sent := s.SentSeq()
	h.mu.Lock()
	defer h.mu.Unlock()
	s.closeLocked()
	now := h.cfg.Now()
	for t, p := range h.parked { // expired ones go as new ones come
		if now.After(p.until) {
			delete(h.parked, t)
		}
	}
	h.parked[token] = parked{owner: s.opts.Owner, provider: s.opts.Provider, channels: s.channels,
		sentSeq: sent, until: now.Add(h.cfg.ResumeFor)}
}

// Resume makes a new subscriber with the channels parked under token, for
// the same owner and provider restriction, and replays what it missed:
// the retained updates after the newest the old subscriber handed out, or
// after *lastSeen when the client says what it last received. A token
// resumes once. complete is as SubscribeFrom's.
func (h *Hub) Resume(token, owner, provider string, lastSeen *uint64) (s *Subscriber, complete bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.parked[token]
	if !ok || p.owner != owner || p.provider != provider || h.cfg.Now().After(p.until) {
		return nil, false, ErrNoResume
	}
	delete(h.parked, token)
	after := p.sentSeq
	if lastSeen != nil {
		after = *lastSeen
	}
	s = h.subscribeLocked(Options{Owner: owner, Provider: provider})
	for _, c := range p.channels {
		s.addLocked(c)
	}
	return s, s.replayLocked(after), nil
}

// Parked is how many subscribers wait to be resumed.
func (h *Hub) Parked() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.parked)
}
