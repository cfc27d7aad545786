package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/redis/go-redis/v9"
)

// testRedis connects to GPUBROKER_TEST_REDIS_URL; without it the test is
// skipped, or fails when GPUBROKER_REQUIRE_SERVICES=1.
func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	url := os.Getenv("GPUBROKER_TEST_REDIS_URL")
	if url == "" {
		testenv.Need(t, "GPUBROKER_TEST_REDIS_URL is not set")
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("GPUBROKER_TEST_REDIS_URL: %v", err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { client.Close() })
	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	return client
}

// testPrefix keeps concurrent runs against one Redis apart.
func testPrefix(t *testing.T) string {
	return fmt.Sprintf("gpubroker-test:%s:%d:", t.Name(), time.Now().UnixNano())
}

func TestRedisL1(t *testing.T) {
	client := testRedis(t)
	ctx := context.Background()
	prefix := testPrefix(t)
	l1 := NewRedisL1(client, prefix)
	t.Cleanup(func() { client.Del(ctx, prefix+"k") })

	if _, err := l1.Get(ctx, "k"); !errors.Is(err, ErrMiss) {
		t.Fatalf("Get of absent key: %v, want ErrMiss", err)
	}
	if err := l1.Set(ctx, "k", []byte{0, 1, 2}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if b, err := l1.Get(ctx, "k"); err != nil || string(b) != "\x00\x01\x02" {
		t.Fatalf("Get: %q, %v", b, err)
	}
	if ttl := client.PTTL(ctx, prefix+"k").Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("key TTL %s, want (0, 1m]", ttl)
	}
	if _, err := NewRedisL1(nil, "").Get(ctx, "k"); err == nil {
		t.Fatal("nil client: no error")
	}
}

// Two edges sharing Redis: one's load is the other's L1 hit, with the
// same freshness, and the Redis key lives until the stale horizon.
func TestRedisTwoEdgesShareL1(t *testing.T) {
	client := testRedis(t)
	ctx := context.Background()
	prefix := testPrefix(t)
	t.Cleanup(func() { client.Del(ctx, prefix+"offers:h100") })
	edgeA := New[int](Config{L1: NewRedisL1(client, prefix), L1Timeout: time.Second}, intCodec{})
	edgeB := New[int](Config{L1: NewRedisL1(client, prefix), L1Timeout: time.Second}, intCodec{})

	a, src, err := edgeA.Get(ctx, "offers:h100", pricingTTL, staleFor, func(context.Context) (int, error) {
		time.Sleep(time.Millisecond) // a measurable load time for Delta
		return 42, nil
	})
	if err != nil || src != FromLoad {
		t.Fatalf("edge A: %s, %v", src, err)
	}
	loadB := &counter{}
	b, src, err := edgeB.Get(ctx, "offers:h100", pricingTTL, staleFor, loadB.load)
	if err != nil || src != FromL1 || loadB.n() != 0 {
		t.Fatalf("edge B: %s, %v after %d loads; want an L1 hit", src, err, loadB.n())
	}
	if b.Value != 42 || !b.FreshUntil.Equal(a.FreshUntil) || !b.StaleUntil.Equal(a.StaleUntil) ||
		!b.FetchedAt.Equal(a.FetchedAt) || b.Delta != a.Delta || a.Delta <= 0 {
		t.Fatalf("edge B item %+v, edge A item %+v", b, a)
	}
	if _, src, _ := edgeB.Get(ctx, "offers:h100", pricingTTL, staleFor, loadB.load); src != FromL2 {
		t.Fatalf("edge B second Get from %s, want L2", src)
	}
	ttl := client.PTTL(ctx, prefix+"offers:h100").Val()
	if limit := time.Until(a.StaleUntil); ttl <= 0 || ttl > limit+time.Second {
		t.Fatalf("Redis TTL %s, want about StaleUntil − now = %s", ttl, limit)
	}
}
