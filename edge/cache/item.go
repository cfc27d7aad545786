package cache

import (
	"context"
	"time"
)

// Codec turns a value into the bytes kept in L1 and back.
type Codec[V any] interface {
	Encode(V) ([]byte, error)
	Decode([]byte) (V, error)
}

// Item is a cached value with its freshness: it is served as fresh before
// FreshUntil and kept, for use when a load fails, until StaleUntil.
type Item[V any] struct {
	Value      V
	FetchedAt  time.Time
	FreshUntil time.Time
	StaleUntil time.Time
	// Delta is how long the load that produced Value took; XFetch scales
	// its early-refresh window by it.
	Delta time.Duration
}

// fresh reports whether it may be served as fresh at now.
func (it Item[V]) fresh(now time.Time) bool { return now.Before(it.FreshUntil) }

// usable reports whether it may still be served at now, at least as stale.
func (it Item[V]) usable(now time.Time) bool { return now.Before(it.StaleUntil) }

// Source says which step of a lookup answered it.
type Source int

// The zero Source means nothing was returned (an error with no stale item).
const (
	FromL2 Source = iota + 1
	FromL1
	FromLoad
	FromStale
)

func (s Source) String() string {
	switch s {
	case FromL2:
		return "l2"
	case FromL1:
		return "l1"
	case FromLoad:
		return "load"
	case FromStale:
		return "stale"
	default:
		return "none"
	}
}

// Loader produces the current value of a key. It runs detached from the
// caller that triggered it, under Config.LoadTimeout.
type Loader[V any] func(ctx context.Context) (V, error)
