package ratelimit

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// Property 7 against a real Redis, over random configurations: any number
// of edges sharing one budget, any limit and batch size, random arrival
// times — no window of W ever holds more than the limit's admissions.
// Windows are short (100 ms) so 100 cases take seconds.
func TestSharedBudgetNeverOverAdmitsProperty(t *testing.T) {
	rdb := testRedis(t)
	prefix := testPrefix(t)
	var n int
	rapid.Check(t, func(rt *rapid.T) {
		n++
		var (
			limit    = rapid.IntRange(1, 60).Draw(rt, "limit")
			edges    = rapid.IntRange(2, 3).Draw(rt, "edges")
			workers  = rapid.IntRange(1, 4).Draw(rt, "workers_per_edge")
			divisor  = rapid.IntRange(1, 20).Draw(rt, "batch_divisor")
			maxPause = time.Duration(rapid.Int64Range(0, int64(3*time.Millisecond)).Draw(rt, "max_pause"))
		)
		const (
			window = 100 * time.Millisecond
			run    = 250 * time.Millisecond
		)
		var errs errorLog
		limiters := make([]*Limiter, edges)
		for i := range limiters {
			limiters[i] = New(Config{Redis: rdb, KeyPrefix: fmt.Sprintf("%s%d:", prefix, n), Window: window,
				Lease: 20 * time.Millisecond, BatchDivisor: divisor, RedisTimeout: time.Second, OnRedisError: errs.add})
			defer limiters[i].Close()
		}
		admitted := hammer(limiters, workers, limit, run, maxPause)
		if e := errs.all(); len(e) > 0 {
			rt.Fatalf("Redis errors during the run, so some admissions were local: %v", e)
		}
		if got := maxInWindow(admitted, window); got > limit {
			rt.Fatalf("%d admissions in one window of %v across %d edges, limit %d", got, window, edges, limit)
		}
	})
}
