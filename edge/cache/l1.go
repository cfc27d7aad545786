package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// ErrMiss is returned by L1.Get for an absent key.
var ErrMiss = errors.New("cache: l1 miss")

// L1 is the shared byte store behind L2. Values carry their own freshness
// header (see envelope.go), so any L1 gives every edge the same expiry.
type L1 interface {
	// Get returns the stored bytes, ErrMiss when there are none, or
	// another error when the store is unreachable.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores val for ttl.
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
}

// l1Health wraps L1 with a circuit: after a failure L1 is skipped for a
// backoff, then one call probes it, and a success closes the circuit.
type l1Health struct {
	l1      L1
	timeout time.Duration
	backoff time.Duration
	healthy atomic.Bool
	retryAt atomic.Int64 // unix nanoseconds
}

func newL1Health(l1 L1, timeout, backoff time.Duration) *l1Health {
	h := &l1Health{l1: l1, timeout: timeout, backoff: backoff}
	h.healthy.Store(l1 != nil)
	return h
}

// usable reports whether to call L1 now; while it is down, only the first
// caller after each backoff gets true, so one request probes it.
func (h *l1Health) usable(now time.Time) bool {
	if h.l1 == nil {
		return false
	}
	if h.healthy.Load() {
		return true
	}
	at := h.retryAt.Load()
	if now.UnixNano() < at {
		return false
	}
	return h.retryAt.CompareAndSwap(at, now.Add(h.backoff).UnixNano())
}

func (h *l1Health) result(now time.Time, err error) {
	if err == nil || errors.Is(err, ErrMiss) {
		h.healthy.Store(true)
		return
	}
	h.retryAt.Store(now.Add(h.backoff).UnixNano())
	h.healthy.Store(false)
}

func (h *l1Health) get(ctx context.Context, now time.Time, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	b, err := h.l1.Get(ctx, key)
	h.result(now, err)
	return b, err
}

func (h *l1Health) set(ctx context.Context, now time.Time, key string, val []byte, ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	err := h.l1.Set(ctx, key, val, ttl)
	h.result(now, err)
	return err
}
