package breaker

import (
	"math"
	"time"
)

const (
	defaultWindow         = 10
	defaultFailureRatio   = 0.5
	defaultOpenFor        = 30 * time.Second
	defaultHalfOpenTrials = 3

	// maxWindow bounds the ring buffer so a misconfigured size cannot
	// exhaust memory or make the allocation panic.
	maxWindow = 1 << 16
)

// Config tunes a [Breaker]. The zero value of every field, and any value
// outside the field's valid range, means its default; New has no error to
// report, so a bad setting degrades to the documented behaviour instead.
type Config struct {
	// Window is the number of most recent calls judged while closed
	// (default 10, at most 65536).
	Window int
	// FailureRatio in (0, 1] is the share of failures in a full window that
	// opens the breaker (default 0.5).
	FailureRatio float64
	// OpenFor is how long the breaker stays open before probing (default 30s).
	OpenFor time.Duration
	// HalfOpenTrials is how many trial calls a half-open breaker admits, and
	// how many must succeed to close it (default 3).
	HalfOpenTrials int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// OnTransition, if set, is told of every state change. It is called
	// outside the breaker's lock, one call at a time and in the order the
	// changes happened, possibly on another goroutine than the Allow or done
	// that caused the change. It may use the breaker; a panic in it reaches
	// the caller of the Allow or done that was delivering.
	OnTransition func(from, to State)
}

// withDefaults returns c with every unset or invalid field replaced.
func (c Config) withDefaults() Config {
	if c.Window <= 0 {
		c.Window = defaultWindow
	}
	c.Window = min(c.Window, maxWindow)
	if !(c.FailureRatio > 0 && c.FailureRatio <= 1) { // also catches NaN
		c.FailureRatio = defaultFailureRatio
	}
	if c.OpenFor <= 0 {
		c.OpenFor = defaultOpenFor
	}
	if c.HalfOpenTrials <= 0 {
		c.HalfOpenTrials = defaultHalfOpenTrials
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// tripFailures is the smallest failure count k with k/window >= ratio. It is
// found with the same division the ratio is defined by, because ratio*window
// can round above the exact product (0.3*10 > 3) and never trip at 3 of 10.
func tripFailures(window int, ratio float64) int {
	w := float64(window)
	k := int(math.Ceil(ratio * w))
	for k > 1 && float64(k-1)/w >= ratio {
		k--
	}
	for k < window && float64(k)/w < ratio {
		k++
	}
	return k
}
