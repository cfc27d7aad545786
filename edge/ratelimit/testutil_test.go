package ratelimit

import (
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testRedis connects to the Redis of GPUBROKER_TEST_REDIS_URL, with the
// script already loaded so that every reservation is one EVALSHA.
func testRedis(t testing.TB) *redis.Client {
	t.Helper()
	url := os.Getenv("GPUBROKER_TEST_REDIS_URL")
	if url == "" {
		testenv.Need(t, "GPUBROKER_TEST_REDIS_URL is not set")
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse GPUBROKER_TEST_REDIS_URL: %v", err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	if err := reserveScript.Load(context.Background(), c).Err(); err != nil {
		t.Fatalf("load script into %s: %v", url, err)
	}
	return c
}

// testPrefix is a KeyPrefix no other test run uses.
func testPrefix(t testing.TB) string {
	return fmt.Sprintf("gpubroker:test:ratelimit:%s:%s:", t.Name(), rand.Text()[:8])
}

// countEvals is a go-redis hook counting script calls.
type countEvals struct{ n atomic.Int64 }

func (h *countEvals) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countEvals) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if n := cmd.Name(); n == "evalsha" || n == "eval" {
			h.n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (h *countEvals) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// freePort returns a loopback TCP port nothing listens on.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

// redisServer runs a redis-server of its own on a loopback port, to be
// stopped and restarted by the test.
type redisServer struct {
	t    testing.TB
	bin  string
	port int
	cmd  *exec.Cmd
}

func newRedisServer(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		testenv.Need(t, "redis-server is not installed")
	}
	s := &redisServer{t: t, bin: bin, port: freePort(t)}
	t.Cleanup(s.kill)
	s.start()
	return s
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// start runs the server and waits until it answers PING.
func (s *redisServer) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.t.TempDir(), "--loglevel", "warning")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server on %s: %v", s.addr(), err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1})
	defer func() { _ = c.Close() }()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c.Ping(context.Background()).Err() == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on %s did not answer PING within 10s", s.addr())
		}
	}
}

// kill stops the server at once, as a crash would.
func (s *redisServer) kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// maxInWindow returns the largest number of the sorted times that fall in one
// interval [t, t+w) starting at one of them.
func maxInWindow(times []time.Duration, w time.Duration) int {
	best, j := 0, 0
	for i := range times {
		for j < len(times) && times[j] < times[i]+w {
			j++
		}
		best = max(best, j-i)
	}
	return best
}

// hammer runs workers goroutines per limiter, each asking for key "shared"
// until run has passed, pausing a random time below maxPause before every
// ask, and returns the sorted times (since the start) of the admissions.
func hammer(limiters []*Limiter, workers, limit int, run, maxPause time.Duration) []time.Duration {
	var (
		mu       sync.Mutex
		admitted []time.Duration
		wg       sync.WaitGroup
	)
	start := time.Now()
	for _, l := range limiters {
		for range workers {
			wg.Go(func() {
				for time.Since(start) < run {
					if maxPause > 0 {
						time.Sleep(mrand.N(maxPause))
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
	slices.Sort(admitted)
	return admitted
}
