package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// Reservations come in batches, a denial is remembered until a permit frees,
// and a second edge sees the budget the first one used.
func TestRedisBatchesAndRemembersDenials(t *testing.T) {
	client := testRedis(t)
	calls := &countEvals{}
	client.AddHook(calls)
	cfg := Config{
		Redis: client, KeyPrefix: testPrefix(t),
		Window: 10 * time.Second, Lease: 5 * time.Second, BatchDivisor: 5,
	}
	a, b := New(cfg), New(cfg)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	const limit = 10 // batches of 2

	for i := range limit {
		d := a.Allow(ctx, "client", limit)
		if !d.Allowed || d.Remaining != limit-1-i || d.RetryAfter != 0 ||
			d.Reset <= 0 || d.Reset > cfg.Window+cfg.Lease {
			t.Fatalf("request %d: %+v", i, d)
		}
	}
	if got := calls.n.Load(); got != limit/2 {
		t.Fatalf("%d Redis calls for %d requests in batches of 2", got, limit)
	}
	// The edge's own ledger is full: it denies without asking Redis.
	if d := a.Allow(ctx, "client", limit); d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > cfg.Window {
		t.Fatalf("request past the limit: %+v", d)
	}
	if got := calls.n.Load(); got != limit/2 {
		t.Fatalf("%d Redis calls, want %d", got, limit/2)
	}
	// The second edge asks Redis once, then remembers the denial.
	for i := range 10 {
		d := b.Allow(ctx, "client", limit)
		if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > cfg.Window+cfg.Lease || d.Remaining != 0 {
			t.Fatalf("second edge, request %d past the shared limit: %+v", i, d)
		}
	}
	if got := calls.n.Load(); got != limit/2+1 {
		t.Fatalf("%d Redis calls, want %d: a denial must be remembered", got, limit/2+1)
	}
	if d := b.Allow(ctx, "someone else", limit); !d.Allowed {
		t.Fatalf("another key denied: %+v", d)
	}

	key := a.keys.lookup("client").redisKey
	if n := client.ZCard(ctx, key).Val(); n != limit/2 {
		t.Errorf("%d reservations in Redis, want %d", n, limit/2)
	}
	if ttl := client.PTTL(ctx, key).Val(); ttl <= 0 || ttl > cfg.Window+cfg.Lease+time.Second {
		t.Errorf("Redis key TTL %v", ttl)
	}
	if !a.RedisHealthy() || !b.RedisHealthy() {
		t.Error("unhealthy with Redis up")
	}
}

// Permits already leased are used without Redis and without allocating.
func TestLeasedPermitsDoNotAllocate(t *testing.T) {
	client := testRedis(t)
	clock := newFakeClock() // frozen: the lease never runs out
	l := New(Config{Redis: client, KeyPrefix: testPrefix(t), Now: clock.Now, BatchDivisor: 1})
	defer l.Close()
	ctx := context.Background()
	const limit = 1 << 30
	if !l.Allow(ctx, "k", limit).Allowed {
		t.Fatal("first request denied")
	}
	calls := &countEvals{}
	client.AddHook(calls)
	if n := testing.AllocsPerRun(1000, func() { l.Allow(ctx, "k", limit) }); n != 0 {
		t.Errorf("Allow allocates %v times per call on leased permits", n)
	}
	if n := calls.n.Load(); n != 0 {
		t.Errorf("%d Redis calls with permits leased", n)
	}
}

// Two edges, many goroutines each, one key: no window of W ever holds more
// than the limit, and most of the budget is used.
func TestTwoEdgesNeverOverAdmit(t *testing.T) {
	for _, limit := range []int{10, 200} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			t.Parallel()
			const (
				edges   = 2
				workers = 8
				run     = 2200 * time.Millisecond
				window  = time.Second
			)
			prefix := testPrefix(t)
			var errs errorLog
			limiters := make([]*Limiter, edges)
			for i := range limiters {
				limiters[i] = New(Config{
					Redis: testRedis(t), KeyPrefix: prefix, Window: window,
					RedisTimeout: time.Second, OnRedisError: errs.add,
				})
				defer limiters[i].Close()
			}
			admitted := hammer(limiters, workers, limit, run, 20*time.Millisecond)
			if e := errs.all(); len(e) > 0 {
				t.Fatalf("Redis errors during the run, so some admissions were local: %v", e)
			}
			if got := maxInWindow(admitted, window); got > limit {
				t.Errorf("%d admissions in one window of %v, limit %d", got, window, limit)
			}
			if want := int(float64(limit) * run.Seconds() / window.Seconds() / 2); len(admitted) < want {
				t.Errorf("%d admissions in %v, want at least %d (half the budget)", len(admitted), run, want)
			}
			t.Logf("limit %d: %d admissions in %v", limit, len(admitted), run)
		})
	}
}
