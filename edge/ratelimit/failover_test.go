package ratelimit

import (
	"context"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is stopped, killed and restarted under two edges: requests keep being
// answered quickly and without errors, each edge falls back to its own local
// limit, and once Redis is back the edges share one budget again.
func TestRedisOutagesFallBackAndRecover(t *testing.T) {
	srv := newRedisServer(t)
	var errs errorLog
	cfg := Config{
		KeyPrefix: testPrefix(t), Window: 5 * time.Second,
		RedisBackoff: 200 * time.Millisecond, OnRedisError: errs.add,
	}
	edges := make([]*Limiter, 2)
	for i := range edges {
		c := redis.NewClient(&redis.Options{Addr: srv.addr()})
		t.Cleanup(func() { _ = c.Close() })
		ecfg := cfg
		ecfg.Redis = c
		edges[i] = New(ecfg)
		defer edges[i].Close()
	}
	a, b := edges[0], edges[1]
	ctx := context.Background()
	const limit = 5

	// shared checks on a fresh key that the edges share one budget in Redis.
	shared := func(key string) {
		t.Helper()
		for i := range limit {
			if d := a.Allow(ctx, key, limit); !d.Allowed {
				t.Fatalf("%s: request %d denied: %+v", key, i, d)
			}
		}
		if d := b.Allow(ctx, key, limit); d.Allowed {
			t.Fatalf("%s: the second edge admitted past the shared limit: %+v", key, d)
		}
		if !a.RedisHealthy() || !b.RedisHealthy() {
			t.Fatalf("%s: unhealthy with Redis up", key)
		}
	}
	// local checks on a fresh key that each edge answers quickly on its own
	// limit, and knows Redis is down.
	local := func(key string) {
		t.Helper()
		for _, l := range edges {
			for i := range limit + 1 {
				begin := time.Now()
				d := l.Allow(ctx, key, limit)
				if took := time.Since(begin); took > DefaultRedisTimeout+250*time.Millisecond {
					t.Fatalf("%s: request %d took %v with Redis down", key, i, took)
				}
				if d.Allowed != (i < limit) {
					t.Fatalf("%s: request %d: %+v, want the local limit of %d", key, i, d, limit)
				}
			}
			if l.RedisHealthy() {
				t.Fatalf("%s: healthy with Redis down", key)
			}
		}
	}
	// recovered waits until both edges have probed Redis successfully.
	recovered := func(phase string) {
		t.Helper()
		n := 0
		eventually(t, phase+": both edges using Redis again", func() bool {
			n++
			for _, l := range edges {
				l.Allow(ctx, phase+"-probe-"+strconv.Itoa(n), limit)
			}
			return a.RedisHealthy() && b.RedisHealthy()
		})
	}

	shared("before")

	if err := srv.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("stop redis-server: %v", err)
	}
	local("while-hung")
	if err := srv.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("resume redis-server: %v", err)
	}
	recovered("resumed")
	shared("after-hang")

	srv.kill()
	local("while-dead")
	srv.start()
	recovered("restarted")
	shared("after-restart")

	if len(errs.all()) < 4 {
		t.Errorf("OnRedisError told of %d failures, want one per edge and outage at least", len(errs.all()))
	}
}
