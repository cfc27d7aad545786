package cache

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// redisProcess is a redis-server owned by one test, so the test can stop
// and restart it.
type redisProcess struct {
	t    *testing.T
	path string
	port int
	cmd  *exec.Cmd
}

func newRedisProcess(t *testing.T) *redisProcess {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		testenv.Need(t, "redis-server is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	p := &redisProcess{t: t, path: path, port: port}
	t.Cleanup(p.stop)
	return p
}

func (p *redisProcess) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

func (p *redisProcess) start(client *redis.Client) {
	p.t.Helper()
	p.cmd = exec.Command(p.path, "--port", strconv.Itoa(p.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", p.t.TempDir())
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start redis-server: %v", err)
	}
	var err error
	for range 500 {
		if err = client.Ping(context.Background()).Err(); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.t.Fatalf("redis-server on %s did not answer: %v", p.addr(), err)
}

func (p *redisProcess) stop() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.cmd = nil
}

// Redis dies mid-run: Gets keep working from L2 and loads with no error
// and L1Healthy turns false; Redis comes back: after the backoff L1 is
// probed, used again, and serves another edge.
func TestRedisStopAndRestart(t *testing.T) {
	srv := newRedisProcess(t)
	client := redis.NewClient(&redis.Options{Addr: srv.addr()})
	t.Cleanup(func() { client.Close() })
	srv.start(client)

	clk := newFakeClock()
	const backoff = time.Second
	cfg := Config{L1: NewRedisL1(client, "t:"), L1Timeout: time.Second, L1Backoff: backoff, Now: clk.Now, Rand: neverEarly}
	c := New[int](cfg, intCodec{})
	ctx := context.Background()
	get := func(key string, want Source) {
		t.Helper()
		if _, src, err := c.Get(ctx, key, pricingTTL, staleFor, constLoad(1)); err != nil || src != want {
			t.Fatalf("Get(%s): %s, %v; want %s and no error", key, src, err, want)
		}
	}

	get("a", FromLoad)
	if !c.L1Healthy() || client.Exists(ctx, "t:a").Val() != 1 {
		t.Fatal("L1 not used while Redis is up")
	}

	srv.stop()
	get("b", FromLoad)
	if c.L1Healthy() {
		t.Fatal("L1Healthy with Redis stopped")
	}
	get("a", FromL2)
	get("c", FromLoad)

	srv.start(client)
	// The pool may hold connections from before the restart; a probe that
	// hits one fails and waits for the next backoff, so allow a few.
	key := ""
	for i := 0; i < 20 && !c.L1Healthy(); i++ {
		clk.Advance(backoff)
		key = fmt.Sprint("d", i)
		get(key, FromLoad)
	}
	if !c.L1Healthy() || client.Exists(ctx, "t:"+key).Val() != 1 {
		t.Fatalf("L1 not used again after Redis restarted (healthy %t)", c.L1Healthy())
	}
	other := New[int](cfg, intCodec{})
	if _, src, err := other.Get(ctx, key, pricingTTL, staleFor, constLoad(2)); err != nil || src != FromL1 {
		t.Fatalf("other edge: %s, %v; want an L1 hit", src, err)
	}
}
