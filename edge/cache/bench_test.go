package cache

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func benchKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprint("offers:provider-", i%37, ":gpu-", i)
	}
	return keys
}

// BenchmarkGetL2Hit is the hot path: many goroutines reading fresh keys.
func BenchmarkGetL2Hit(b *testing.B) {
	c := New[int](Config{}, intCodec{})
	keys := benchKeys(1024)
	ctx := context.Background()
	for _, k := range keys {
		if _, _, err := c.Get(ctx, k, time.Hour, 0, constLoad(1)); err != nil {
			b.Fatal(err)
		}
	}
	miss := func(context.Context) (int, error) { return 0, errUpstream }
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, src, _ := c.Get(ctx, keys[i&1023], time.Hour, 0, miss); src != FromL2 {
				b.Fatalf("source %s", src)
			}
			i++
		}
	})
}

// BenchmarkStoreSet inserts new keys into a full store, so every Set also
// evicts. The cost per op stays flat as capacity grows a thousandfold:
// get, set and evict are O(1).
func BenchmarkStoreSet(b *testing.B) {
	for _, capacity := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprint("capacity=", capacity), func(b *testing.B) {
			s := NewStore[int](capacity, 0, DefaultShards, nil)
			keys := benchKeys(2 * capacity)
			for i := range capacity {
				s.Set(keys[i], i, time.Time{})
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				s.Set(keys[i%len(keys)], i, time.Time{})
			}
		})
	}
}

func BenchmarkStoreGet(b *testing.B) {
	for _, capacity := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprint("capacity=", capacity), func(b *testing.B) {
			s := NewStore[int](capacity, 0, DefaultShards, nil)
			keys := benchKeys(capacity)
			for i, k := range keys {
				s.Set(k, i, time.Time{})
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					s.Get(keys[i%len(keys)])
					i += 7
				}
			})
		})
	}
}
