package ratelimit

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// errorLog collects what OnRedisError is told.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (e *errorLog) add(err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

func (e *errorLog) all() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.errs...)
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// With Redis unreachable, requests are served by the local limiter, Redis is
// left alone for the backoff, and then probed once.
func TestUnreachableRedisFallsBackAndProbesAfterBackoff(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(freePort(t)), MaxRetries: -1})
	defer func() { _ = client.Close() }()
	calls := &countEvals{}
	client.AddHook(calls)
	clock := newFakeClock()
	var log errorLog
	l := New(Config{Redis: client, Now: clock.Now, OnRedisError: log.add})
	defer l.Close()
	ctx := context.Background()

	if !l.RedisHealthy() {
		t.Fatal("unhealthy before any call")
	}
	for i := range 3 {
		if d := l.Allow(ctx, "k", 3); !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("request %d with Redis down: %+v", i, d)
		}
	}
	if d := l.Allow(ctx, "k", 3); d.Allowed || d.RetryAfter <= 0 {
		t.Fatalf("local limit not applied with Redis down: %+v", d)
	}
	if l.RedisHealthy() {
		t.Fatal("healthy after a failed call")
	}
	eventually(t, "the first Redis call", func() bool { return calls.n.Load() >= 1 })
	if got := calls.n.Load(); got != 1 {
		t.Fatalf("%d Redis calls during the backoff, want 1", got)
	}
	if errs := log.all(); len(errs) != 1 {
		t.Fatalf("OnRedisError called %d times, want 1: %v", len(errs), errs)
	}

	clock.Advance(DefaultRedisBackoff)
	if d := l.Allow(ctx, "other", 3); !d.Allowed {
		t.Fatalf("probe request denied: %+v", d)
	}
	l.Allow(ctx, "third", 3)
	eventually(t, "the probe", func() bool { return calls.n.Load() >= 2 })
	if got := calls.n.Load(); got != 2 {
		t.Fatalf("%d Redis calls after the backoff, want 2 (one probe)", got)
	}
	if errs := log.all(); len(errs) != 2 {
		t.Fatalf("OnRedisError called %d times, want 2: %v", len(errs), errs)
	}
}

// A Redis that accepts connections but never answers costs each request at
// most RedisTimeout, however long the client itself would wait.
func TestHangingRedisTimesOutToLocal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	var open atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			open.Add(1)
			conns.Go(func() { // read and never answer, until the client hangs up
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			})
		}
	}()
	client := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), MaxRetries: -1, ReadTimeout: time.Minute})
	t.Cleanup(func() {
		_ = client.Close()
		_ = ln.Close()
		conns.Wait()
	})
	var log errorLog
	l := New(Config{Redis: client, RedisTimeout: 20 * time.Millisecond, OnRedisError: log.add})
	defer l.Close()

	d := l.Allow(context.Background(), "k", 5)
	if !d.Allowed || d.Remaining != 4 {
		t.Fatalf("request with Redis hanging: %+v", d)
	}
	if l.RedisHealthy() {
		t.Fatal("healthy after a call that timed out")
	}
	errs := log.all()
	if len(errs) != 1 || !errors.Is(errs[0], context.DeadlineExceeded) {
		t.Fatalf("OnRedisError got %v, want one deadline error", errs)
	}
	eventually(t, "a connection to the fake Redis", func() bool { return open.Load() > 0 })
}
