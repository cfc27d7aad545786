package cache

import (
	"math/rand/v2"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxEntries     = 100_000
	DefaultMaxBytes       = 256 << 20
	DefaultShards         = 64
	DefaultBeta           = 1.0
	DefaultLoadTimeout    = 4500 * time.Millisecond
	DefaultL1Timeout      = 50 * time.Millisecond
	DefaultL1Backoff      = time.Second
	DefaultFailureBackoff = 2 * time.Second
)

// Config tunes a Cache. Zero fields take the defaults above.
type Config struct {
	// L1 is the shared tier; nil runs on L2 only.
	L1 L1
	// MaxEntries and MaxBytes bound L2; MaxBytes < 0 means no byte bound.
	// Bytes are approximate: encoded value length plus key length.
	MaxEntries int
	MaxBytes   int64
	Shards     int
	// Beta scales XFetch's early-refresh window; > 1 refreshes earlier,
	// < 0 disables early refresh.
	Beta float64
	// LoadTimeout bounds a load, which runs detached from any one caller's
	// context so that a caller giving up does not fail the others.
	LoadTimeout time.Duration
	// L1Timeout bounds each Redis call; a slow L1 counts as down.
	L1Timeout time.Duration
	// L1Backoff is how long L1 is skipped after it fails; < 0 retries on
	// every call.
	L1Backoff time.Duration
	// FailureBackoff: after a failed load, Gets of that key within this
	// period start no new load but get the stale item (or the error) at
	// once, so a down provider is not hammered; < 0 disables it.
	FailureBackoff time.Duration
	// Now and Rand are injectable for tests; Rand must be uniform in (0,1].
	Now  func() time.Time
	Rand func() float64
	// OnEvent is called synchronously for each Event; it must be cheap,
	// safe for concurrent use, and must not call back into the Cache.
	OnEvent func(Event)
}

func (c Config) withDefaults() Config {
	if c.MaxEntries <= 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	switch {
	case c.MaxBytes == 0:
		c.MaxBytes = DefaultMaxBytes
	case c.MaxBytes < 0:
		c.MaxBytes = 0
	}
	if c.Shards <= 0 {
		c.Shards = DefaultShards
	}
	switch {
	case c.Beta == 0:
		c.Beta = DefaultBeta
	case c.Beta < 0:
		c.Beta = 0
	}
	if c.LoadTimeout <= 0 {
		c.LoadTimeout = DefaultLoadTimeout
	}
	if c.L1Timeout <= 0 {
		c.L1Timeout = DefaultL1Timeout
	}
	c.L1Backoff = orDefault(c.L1Backoff, DefaultL1Backoff)
	c.FailureBackoff = orDefault(c.FailureBackoff, DefaultFailureBackoff)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		// rand.Float64 is in [0,1); XFetch needs (0,1] so that ln never
		// sees 0.
		c.Rand = func() float64 { return 1 - rand.Float64() }
	}
	return c
}

// orDefault maps 0 to def and a negative duration to "none".
func orDefault(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}
