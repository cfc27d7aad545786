package ratelimit

import (
	"context"
	"crypto/rand"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter admits or denies requests per key; see the package documentation.
// It is safe for concurrent use.
type Limiter struct {
	cfg   Config
	epoch time.Time
	keys  *keyTable

	window int64 // nanoseconds, as every time below unless named otherwise
	width  int64 // ledger bucket width: W/100
	lease  int64
	guard  int64 // part of the lease kept back for clock rate differences

	windowMicros int64
	leaseMicros  int64
	ttlMillis    int64

	id        string // prefix of this limiter's reservation ids
	seq       atomic.Uint64
	healthy   atomic.Bool
	downUntil atomic.Int64

	stop      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
}

// New returns a Limiter and starts its background sweeping of idle keys;
// Close stops it.
func New(cfg Config) *Limiter {
	cfg = cfg.withDefaults()
	l := &Limiter{
		cfg:          cfg,
		epoch:        cfg.Now(),
		window:       int64(cfg.Window),
		width:        max(int64(cfg.Window)/100, 1),
		lease:        int64(cfg.Lease),
		guard:        int64(cfg.Lease) / 10,
		windowMicros: ceilDiv(int64(cfg.Window), int64(time.Microsecond)),
		leaseMicros:  ceilDiv(int64(cfg.Lease), int64(time.Microsecond)),
		ttlMillis:    ceilDiv(int64(cfg.Window+cfg.Lease+time.Second), int64(time.Millisecond)),
		id:           rand.Text()[:13] + ".",
		stop:         make(chan struct{}),
		stopped:      make(chan struct{}),
	}
	redisKeys := ""
	if cfg.Redis != nil {
		redisKeys = cfg.KeyPrefix
		l.healthy.Store(true)
	}
	l.keys = newKeyTable(cfg.MaxKeys, l.window, l.width, redisKeys, l.now)
	go l.sweepLoop()
	return l
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// now is the limiter's clock: nanoseconds since New.
func (l *Limiter) now() int64 { return int64(l.cfg.Now().Sub(l.epoch)) }

// Allow decides whether the request of key, whose plan admits limit requests
// per window, is admitted. It never returns an error and never waits longer
// than RedisTimeout; ctx only lends its values to the Redis call. A limit
// below 1 admits nothing.
func (l *Limiter) Allow(ctx context.Context, key string, limit int) Decision {
	if limit <= 0 {
		return deny(0, l.window)
	}
	var deadline time.Time // bound on this request's waiting, set when it first waits
	for {
		e := l.keys.lookup(key)
		e.mu.Lock()
		if e.dead {
			e.mu.Unlock()
			continue
		}
		now := e.clock(l.now())
		d, f := l.decide(ctx, e, int64(limit), now)
		e.mu.Unlock()
		l.keys.touch(e, now)
		if f == nil {
			return d
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(l.cfg.RedisTimeout)
		}
		if !l.await(f, deadline) {
			return deny(int64(limit), max(int64(time.Until(f.deadline)), int64(time.Millisecond)))
		}
	}
}

// decide judges one request at now, holding e.mu. It returns the decision, or
// the reservation to wait for before deciding again.
func (l *Limiter) decide(ctx context.Context, e *entry, limit, now int64) (Decision, *flight) {
	e.led.expire(now, l.window)
	// The edge's own ledger caps it at the limit whatever Redis says, so that
	// no window mixing Redis-backed and local admissions exceeds the limit on
	// one edge.
	if e.led.count(now, l.window) >= limit {
		return deny(limit, e.led.reset(now, l.window)), nil
	}
	if l.cfg.Redis == nil {
		return l.admitLocal(e, limit, now), nil
	}
	if e.permits > 0 && now < e.leaseEnd {
		e.permits--
		e.led.add(now, l.width)
		reset := e.freeAt - now
		if reset <= 0 {
			reset = e.led.reset(now, l.window)
		}
		return allow(limit, min(limit-e.led.count(now, l.window), e.othersFree+e.permits), reset), nil
	}
	if now < e.denyUntil {
		return deny(limit, e.denyUntil-now), nil
	}
	if !l.healthy.Load() && (e.flight != nil || !l.tryProbe(now)) {
		return l.admitLocal(e, limit, now), nil
	}
	if e.flight == nil {
		l.launch(ctx, e, limit, now)
	}
	return Decision{}, e.flight
}

// admitLocal admits a request on the edge's own ledger alone.
func (l *Limiter) admitLocal(e *entry, limit, now int64) Decision {
	e.led.add(now, l.width)
	return allow(limit, limit-e.led.count(now, l.window), e.led.reset(now, l.window))
}

// RedisHealthy reports whether Redis is configured and its last call
// succeeded in time.
func (l *Limiter) RedisHealthy() bool {
	return l.cfg.Redis != nil && l.healthy.Load()
}

// Shared reports whether the limiter was configured with Redis, whether or
// not Redis is reachable right now.
func (l *Limiter) Shared() bool { return l.cfg.Redis != nil }

// Close stops the background sweeping. Allow keeps working after it.
func (l *Limiter) Close() {
	l.closeOnce.Do(func() {
		close(l.stop)
		<-l.stopped
	})
}

// sweepLoop drops idle keys every two windows (at most ten times a second).
func (l *Limiter) sweepLoop() {
	defer close(l.stopped)
	t := time.NewTicker(max(2*l.cfg.Window, 100*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.keys.sweep(l.now())
		}
	}
}
