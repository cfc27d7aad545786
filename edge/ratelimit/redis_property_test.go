package ratelimit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
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
		var (
			mu       sync.Mutex
			admitted []time.Duration
			wg       sync.WaitGroup
			errs     errorLog
		)
		start := time.Now()
		for range edges {
			l := New(Config{Redis: rdb, KeyPrefix: fmt.Sprintf("%s%d:", prefix, n), Window: window,
				Lease: 20 * time.Millisecond, BatchDivisor: divisor, RedisTimeout: time.Second, OnRedisError: errs.add})
			defer l.Close()
			for range workers {
				wg.Go(func() {
					for time.Since(start) < run {
						if maxPause > 0 {
							time.Sleep(rand.N(maxPause))
						}
						if l.Allow(context.Background(), "shared", limit).Allowed {
							at := time.Since(start)
							mu.Lock()
							admitted = append(admitted, at)
							mu.Unlock()
						}
					}
				})
			}
		}
		wg.Wait()
		if e := errs.all(); len(e) > 0 {
			rt.Fatalf("Redis errors during the run, so some admissions were local: %v", e)
		}
		slices.Sort(admitted)
		if got := maxInWindow(admitted, window); got > limit {
			rt.Fatalf("%d admissions in one window of %v across %d edges, limit %d", got, window, edges, limit)
		}
	})
}
