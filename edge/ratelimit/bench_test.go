package ratelimit

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// benchKeys spreads parallel benchmark goroutines over this many keys.
const benchKeys = 1024

var benchKeyNames = func() []string {
	k := make([]string, benchKeys)
	for i := range k {
		k[i] = "203.0.113." + strconv.Itoa(i)
	}
	return k
}()

// runParallel calls Allow from every benchmark goroutine, each on its own
// sequence of keys, and fails if a request is denied.
func runParallel(b *testing.B, l *Limiter, limit int) {
	var next atomic.Int64
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1))
		for pb.Next() {
			if !l.Allow(ctx, benchKeyNames[i%benchKeys], limit).Allowed {
				b.Error("request denied")
				return
			}
			i += 7
		}
	})
}

// BenchmarkAllowFastPath measures requests that need no Redis call: the
// local limiter alone, and permits already leased from Redis (a frozen clock
// keeps the lease alive).
func BenchmarkAllowFastPath(b *testing.B) {
	b.Run("local", func(b *testing.B) {
		clock := newFakeClock()
		l := New(Config{Now: clock.Now})
		defer l.Close()
		runParallel(b, l, 1<<30)
	})
	b.Run("leased", func(b *testing.B) {
		clock := newFakeClock()
		l := New(Config{Redis: testRedis(b), KeyPrefix: testPrefix(b), Now: clock.Now, BatchDivisor: 1})
		defer l.Close()
		for _, k := range benchKeyNames {
			l.Allow(context.Background(), k, 1<<30)
		}
		runParallel(b, l, 1<<30)
	})
}

// BenchmarkAllowRedis measures requests that each reserve one permit in Redis
// (batches of one). The short window keeps the sorted sets small.
func BenchmarkAllowRedis(b *testing.B) {
	l := New(Config{
		Redis: testRedis(b), KeyPrefix: testPrefix(b),
		Window: time.Millisecond, Lease: time.Millisecond, BatchDivisor: 1 << 30,
	})
	defer l.Close()
	runParallel(b, l, 1<<30)
}
