package accounts

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gpubroker/gpubroker/edge/ratelimit"
)

// Login throttling defaults: failures allowed per LoginWindow.
const (
	LoginWindow          = 15 * time.Minute
	DefaultAccountLimit  = 5
	DefaultIPLimit       = 30
	LoginLimiterPrefix   = "gpubroker:loginfail:"
	defaultLockoutKeys   = 100_000
	minLockedRetry       = time.Second
	lockoutRecordTimeout = 100 * time.Millisecond
)

// NewLoginLimiter returns the limiter that counts failed sign-ins: a
// 15-minute window, shared through rdb when it is not nil, under its own
// key prefix so it never mixes with request rate limits.
func NewLoginLimiter(rdb redis.UniversalClient, now func() time.Time) *ratelimit.Limiter {
	return ratelimit.New(ratelimit.Config{Redis: rdb, KeyPrefix: LoginLimiterPrefix, Window: LoginWindow, Now: now})
}

// Lockout gates credential checks on the failures counted against their
// subjects (an account, a client IP).
//
// The limiter counts failures only: Allow is called once per failed check,
// with the subject's limit. The limiter has no "peek", so the gate keeps,
// per subject, what the last failure taught it: the failures still allowed
// (Decision.Remaining) and when the oldest counted failure leaves the window
// (Decision.Reset). A check starts only while the checks already in flight
// stay below that allowance; at zero the caller gets a LockedError with
// Retry-After and no password is hashed. Once the learned reset time has
// passed, one more check may run (at least one failure has left the window)
// and its outcome refreshes the knowledge. A subject never seen (or
// forgotten under memory pressure) is allowed its full limit.
//
// Guarantee with one edge (an in-process limiter): in-flight checks never
// exceed the failures still allowed, so at most limit checks per subject
// fail in any window, the (limit+1)-th attempt is refused before hashing,
// and a success changes no counter. With N edges sharing Redis, failures are
// counted once for all of them, but an edge learns of a lockout from its own
// next failure, so each edge may run up to limit checks (plus one per
// counted failure leaving the window) beyond the shared count before it
// refuses: a bounded, per-edge cost, never an unbounded one.
type Lockout struct {
	lim     *ratelimit.Limiter
	own     bool
	now     func() time.Time
	maxKeys int

	mu    sync.Mutex
	gates map[string]*gate
}

type gate struct {
	inflight  int
	remaining int       // failures still allowed when last learned; -1: unknown
	freeAt    time.Time // when remaining grows again
	seen      time.Time
}

// Subject is one counter a check is gated on.
type Subject struct {
	Key   string // e.g. "acct:<email>", "ip:<addr>"
	Limit int
}

// NewLockout gates on lim (made by NewLoginLimiter); nil makes an
// in-process limiter, which Close stops.
func NewLockout(lim *ratelimit.Limiter, now func() time.Time) *Lockout {
	if now == nil {
		now = time.Now
	}
	l := &Lockout{lim: lim, now: now, maxKeys: defaultLockoutKeys, gates: map[string]*gate{}}
	if lim == nil {
		l.lim, l.own = NewLoginLimiter(nil, now), true
	}
	return l
}

// Close stops the limiter the Lockout made itself.
func (l *Lockout) Close() {
	if l.own {
		l.lim.Close()
	}
}

// Attempt is one admitted credential check; call Fail or Done exactly once.
type Attempt struct {
	l        *Lockout
	subjects []Subject
}

// Begin admits a check against every subject, or returns a *LockedError
// when any of them has no failures left.
func (l *Lockout) Begin(subjects ...Subject) (*Attempt, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, s := range subjects {
		g := l.gates[s.Key]
		if g == nil {
			continue
		}
		allow := s.Limit
		if g.remaining >= 0 {
			allow = g.remaining
			if !now.Before(g.freeAt) {
				allow = max(allow, 1)
			}
		}
		if g.inflight < allow {
			continue
		}
		w := minLockedRetry
		if allow == 0 {
			w = max(g.freeAt.Sub(now), minLockedRetry)
		}
		wait = max(wait, w)
	}
	if wait > 0 {
		return nil, &LockedError{RetryAfter: wait}
	}
	for _, s := range subjects {
		l.gate(s.Key, now).inflight++
	}
	return &Attempt{l: l, subjects: subjects}, nil
}

// gate returns the key's gate, creating it; the caller holds l.mu.
func (l *Lockout) gate(key string, now time.Time) *gate {
	g := l.gates[key]
	if g == nil {
		if len(l.gates) >= l.maxKeys {
			l.shed(now)
		}
		g = &gate{remaining: -1}
		l.gates[key] = g
	}
	g.seen = now
	return g
}

// shed drops idle gates: first those untouched for a whole window (their
// failures have left it), then, under a flood of new keys, any idle one.
func (l *Lockout) shed(now time.Time) {
	for k, g := range l.gates {
		if g.inflight == 0 && now.Sub(g.seen) >= LoginWindow {
			delete(l.gates, k)
		}
	}
	for k, g := range l.gates {
		if len(l.gates) < l.maxKeys {
			return
		}
		if g.inflight == 0 {
			delete(l.gates, k)
		}
	}
}

// Fail records a failed check against every subject and ends the attempt.
func (a *Attempt) Fail(ctx context.Context) {
	l := a.l
	type learned struct {
		remaining int
		reset     time.Duration
	}
	got := make([]learned, len(a.subjects))
	// Limiter calls may wait on Redis (bounded by its own timeout); they run
	// outside l.mu so other subjects' checks are not held up.
	rctx, cancel := context.WithTimeout(ctx, lockoutRecordTimeout)
	defer cancel()
	for i, s := range a.subjects {
		d := l.lim.Allow(rctx, s.Key, s.Limit)
		got[i] = learned{d.Remaining, max(d.Reset, d.RetryAfter)}
		if !d.Allowed {
			got[i].remaining = 0
		}
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, s := range a.subjects {
		g := l.gate(s.Key, now)
		g.inflight--
		g.remaining, g.freeAt = got[i].remaining, now.Add(got[i].reset)
	}
}

// Done ends a successful (or abandoned) attempt; no counter changes.
func (a *Attempt) Done() {
	l := a.l
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range a.subjects {
		g := l.gates[s.Key]
		if g == nil {
			continue
		}
		g.inflight--
		if g.inflight == 0 && g.remaining < 0 {
			delete(l.gates, s.Key) // nothing learned: keep no state
		}
	}
}
