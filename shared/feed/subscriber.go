package feed

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Options describe a subscriber.
type Options struct {
	// Owner is who the subscriber serves (a user id, or the identity's
	// rate-limit key); Send reaches a user's subscribers, and only the
	// owner can resume a parked subscriber.
	Owner string
	// Provider, when set, restricts every channel to that provider's
	// updates (/ws/providers/{provider}/).
	Provider string
	// Filter, when set, is offered every update (not only those on the
	// subscriber's channels) and decides; for SSE's AND-ed filters.
	Filter func(*Update) bool
}

// ErrSlow ends a subscriber whose queue stayed full for Config.SlowAfter.
var ErrSlow = errors.New("feed: subscriber too slow; its queue stayed full")

// ErrClosed is Next after Close.
var ErrClosed = errors.New("feed: subscriber closed")

// Subscriber is one client's view of the hub: its channels and its queue
// of updates not yet written.
type Subscriber struct {
	hub  *Hub
	opts Options

	// Guarded by hub.mu.
	channels []Channel
	lastSeq  uint64 // the newest update queued, so two channels queue it once

	mu        sync.Mutex
	queue     []*Update // ring, grown up to QueueSize as needed
	limit     int       // QueueSize
	qstart, n int
	dropped   int       // since the last Next
	fullSince time.Time // zero while the queue has room
	slow      bool
	closed    bool
	sentSeq   uint64 // the newest sequence handed out by Next
	signal    chan struct{}
}

// Subscribe adds a subscriber with no channels yet.
func (h *Hub) Subscribe(opts Options) *Subscriber {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.subscribeLocked(opts)
}

// SubscribeFrom adds a subscriber on channels and, in the same step (so
// nothing published meanwhile comes before or twice), queues the retained
// updates after seq that they take. complete is false when some updates
// after seq are no longer retained.
func (h *Hub) SubscribeFrom(opts Options, channels []Channel, after uint64) (s *Subscriber, complete bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s = h.subscribeLocked(opts)
	for _, c := range channels {
		s.addLocked(c)
	}
	return s, s.replayLocked(after)
}

func (h *Hub) subscribeLocked(opts Options) *Subscriber {
	// The queue starts small: most subscribers keep up and never hold more
	// than a few updates, and 10,000 of them each holding QueueSize slots
	// would cost tens of megabytes.
	s := &Subscriber{hub: h, opts: opts, queue: make([]*Update, min(initialQueue, h.cfg.QueueSize)),
		limit: h.cfg.QueueSize, signal: make(chan struct{}, 1)}
	h.subs++
	if opts.Filter != nil {
		h.filtered[s] = struct{}{}
	}
	if opts.Owner != "" {
		m := h.owners[opts.Owner]
		if m == nil {
			m = map[*Subscriber]struct{}{}
			h.owners[opts.Owner] = m
		}
		m[s] = struct{}{}
	}
	return s
}

// wants applies the subscriber's provider restriction and filter.
func (s *Subscriber) wants(u *Update) bool {
	if s.opts.Provider != "" && u.Provider != s.opts.Provider {
		return false
	}
	return s.opts.Filter == nil || s.opts.Filter(u)
}

// Add subscribes to c; false when already subscribed to it.
func (s *Subscriber) Add(c Channel) bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.addLocked(c)
}

func (s *Subscriber) addLocked(c Channel) bool {
	if s.closedLocked() || slices.ContainsFunc(s.channels, func(x Channel) bool { return x.Name == c.Name }) {
		return false
	}
	s.channels = append(s.channels, c)
	s.hub.addKeysLocked(s, c.Keys)
	return true
}

// Remove unsubscribes from the channel named name; false when not
// subscribed to it.
func (s *Subscriber) Remove(name string) bool {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	i := slices.IndexFunc(s.channels, func(x Channel) bool { return x.Name == name })
	if i < 0 {
		return false
	}
	h.removeKeysLocked(s, s.channels[i].Keys)
	s.channels = slices.Delete(s.channels, i, i+1)
	return true
}

// Channels are the names subscribed to, in subscription order.
func (s *Subscriber) Channels() []string {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	out := make([]string, len(s.channels))
	for i, c := range s.channels {
		out[i] = c.Name
	}
	return out
}

// Count is how many channels are subscribed.
func (s *Subscriber) Count() int {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return len(s.channels)
}

// replayLocked queues the retained updates after seq that the
// subscriber's channels (or filter) take and reports whether that is all
// of them.
func (s *Subscriber) replayLocked(after uint64) (complete bool) {
	h := s.hub
	now := h.cfg.Now()
	keys := map[string]bool{}
	for _, c := range s.channels {
		for _, k := range c.Keys {
			keys[k] = true
		}
	}
	return h.ring.after(after, func(u *Update) {
		if u.Owner != "" {
			if u.Owner == s.opts.Owner {
				s.lastSeq = u.Seq
				s.enqueue(u, now)
			}
			return
		}
		if s.opts.Filter == nil && !slices.ContainsFunc(u.Keys, func(k string) bool { return keys[k] }) || !s.wants(u) {
			return
		}
		s.lastSeq = u.Seq
		s.enqueue(u, now)
	})
}

// enqueue adds u, dropping the oldest queued update when full. Called with
// hub.mu held.
func (s *Subscriber) enqueue(u *Update, now time.Time) {
	s.mu.Lock()
	if s.closed || s.slow {
		s.mu.Unlock()
		return
	}
	if s.n == len(s.queue) && len(s.queue) < s.limit {
		s.grow()
	}
	size := len(s.queue)
	if s.n == size {
		s.queue[s.qstart] = nil
		s.qstart = (s.qstart + 1) % size
		s.n--
		s.dropped++
		s.hub.m.dropped.Inc()
		if s.fullSince.IsZero() {
			s.fullSince = now
		} else if now.Sub(s.fullSince) >= s.hub.cfg.SlowAfter {
			s.slow = true
			s.hub.m.slow.Inc()
		}
	}
	s.queue[(s.qstart+s.n)%size] = u
	s.n++
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// initialQueue is a new subscriber's queue size.
const initialQueue = 16

// grow doubles the queue (up to its limit), keeping the order.
func (s *Subscriber) grow() {
	q := make([]*Update, min(2*len(s.queue), s.limit))
	for i := range s.n {
		q[i] = s.queue[(s.qstart+i)%len(s.queue)]
	}
	s.queue, s.qstart = q, 0
}

// Next waits for queued updates and returns them, oldest first, with how
// many were dropped since the last call because the queue was full. It
// returns ErrSlow (with the drops not yet reported) once the queue stayed
// full too long, ErrClosed after
// Close, or ctx's error.
func (s *Subscriber) Next(ctx context.Context, buf []*Update) ([]*Update, int, error) {
	for {
		s.mu.Lock()
		switch {
		case s.closed:
			s.mu.Unlock()
			return buf, 0, ErrClosed
		case s.slow:
			dropped := s.dropped
			s.dropped = 0
			s.mu.Unlock()
			return buf, dropped, ErrSlow // what was dropped, for a last notice
		case s.n > 0:
			for s.n > 0 {
				u := s.queue[s.qstart]
				s.queue[s.qstart] = nil
				s.qstart = (s.qstart + 1) % len(s.queue)
				s.n--
				buf = append(buf, u)
				if u.Seq > s.sentSeq {
					s.sentSeq = u.Seq
				}
			}
			dropped := s.dropped
			s.dropped, s.fullSince = 0, time.Time{}
			s.mu.Unlock()
			return buf, dropped, nil
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return buf, 0, ctx.Err()
		case <-s.signal:
		}
	}
}

// SentSeq is the newest sequence Next has handed out.
func (s *Subscriber) SentSeq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentSeq
}

// Close removes the subscriber from the hub; a waiting Next returns
// ErrClosed. Closing twice does nothing.
func (s *Subscriber) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	s.closeLocked()
}

func (s *Subscriber) closedLocked() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Subscriber) closeLocked() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	h := s.hub
	for _, c := range s.channels {
		h.removeKeysLocked(s, c.Keys)
	}
	delete(h.filtered, s)
	if m := h.owners[s.opts.Owner]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(h.owners, s.opts.Owner)
		}
	}
	h.subs--
	select {
	case s.signal <- struct{}{}:
	default:
	}
}
