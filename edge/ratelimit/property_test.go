package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// Whatever the arrivals, keys, evictions and sweeps, no key ever has more than
// limit admissions in any window [a, a+W).
func TestLocalLimiterNeverOverAdmitsProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		limit := rapid.IntRange(1, 200).Draw(rt, "limit")
		window := time.Duration(rapid.SampledFrom([]int{250, 1000, 3000}).Draw(rt, "windowMs")) * time.Millisecond
		nkeys := rapid.IntRange(1, 5).Draw(rt, "keys")
		clock := newFakeClock()
		l := New(Config{Window: window, Now: clock.Now, MaxKeys: rapid.IntRange(1, 6).Draw(rt, "maxKeys")})
		defer l.Close()

		start := clock.Now()
		admitted := make([][]time.Duration, nkeys)
		mean := window / time.Duration(limit)
		for i, n := 0, rapid.IntRange(1, 1500).Draw(rt, "arrivals"); i < n; i++ {
			switch rapid.IntRange(0, 9).Draw(rt, "gapKind") {
			case 0: // same instant
			case 1:
				clock.Advance(time.Duration(rapid.Int64Range(0, int64(2*window)).Draw(rt, "longGap")))
			default:
				clock.Advance(time.Duration(rapid.Int64Range(0, int64(2*mean)).Draw(rt, "gap")))
			}
			if rapid.IntRange(0, 99).Draw(rt, "sweep") == 0 {
				l.keys.sweep(l.now())
			}
			k := rapid.IntRange(0, nkeys-1).Draw(rt, "key")
			if l.Allow(context.Background(), "key-"+strconv.Itoa(k), limit).Allowed {
				admitted[k] = append(admitted[k], clock.Now().Sub(start))
			}
		}
		for k, times := range admitted {
			if got := maxInWindow(times, window); got > limit {
				rt.Fatalf("key %d: %d admissions in one window of %v, limit %d", k, got, window, limit)
			}
		}
	})
}

// Arrivals spaced more than W/limit apart are all admitted.
func TestLocalLimiterAdmitsSpacedArrivalsProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		limit := rapid.IntRange(1, 200).Draw(rt, "limit")
		window := time.Duration(rapid.SampledFrom([]int{250, 1000, 3000}).Draw(rt, "windowMs")) * time.Millisecond
		clock := newFakeClock()
		l := New(Config{Window: window, Now: clock.Now})
		defer l.Close()

		// Gaps barely above W/limit keep the window as full as allowed.
		minGap := int64(window)/int64(limit) + 1
		jitter := max(1, minGap/int64(4*limit))
		for i, n := 0, rapid.IntRange(1, 5*limit).Draw(rt, "arrivals"); i < n; i++ {
			d := l.Allow(context.Background(), "k", limit)
			if !d.Allowed {
				rt.Fatalf("arrival %d denied (limit %d, window %v): %+v", i, limit, window, d)
			}
			clock.Advance(time.Duration(minGap + rapid.Int64Range(0, jitter).Draw(rt, "jitter")))
		}
	})
}
