package cache

import (
	"math"
	"time"
)

// xfetch is the XFetch test (Vattani, Chierichetti, Lowenstein, VLDB 2015):
// recompute early iff now − Δ·β·ln(r) ≥ expiry, with r uniform in (0,1].
// −ln(r) is exponentially distributed, so the chance of an early refresh at
// a time g before expiry is exp(−g/(Δ·β)): negligible far from expiry,
// rising to 1 at it, and scaled by how long a load takes.
func xfetch(now, expiry time.Time, delta time.Duration, beta, r float64) bool {
	switch {
	case r <= 0 || math.IsNaN(r):
		r = math.SmallestNonzeroFloat64
	case r > 1:
		r = 1
	}
	window := -float64(delta) * beta * math.Log(r)
	return window >= float64(expiry.Sub(now))
}
