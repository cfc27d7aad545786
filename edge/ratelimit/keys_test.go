package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// size is the number of keys held.
func (t *keyTable) size() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

func TestMaxKeysCapsTheTable(t *testing.T) {
	// The cap is split evenly across the shards, so a table far from full
	// keeps every key, and a full one holds the shards' caps summed.
	tests := []struct{ maxKeys, keys, want int }{
		{1, 10, 1},
		{3, 10, 2}, // 2 shards of 1
		{64, 1000, 64},
		{1000, 100, 100},
		{1000, 5000, 960}, // 64 shards of 15
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.maxKeys), func(t *testing.T) {
			clock := newFakeClock()
			l := New(Config{Now: clock.Now, MaxKeys: tt.maxKeys})
			defer l.Close()
			for i := range tt.keys {
				l.Allow(context.Background(), "k"+strconv.Itoa(i), 10)
			}
			if got := l.keys.size(); got != tt.want {
				t.Fatalf("%d keys held, want %d (cap %d)", got, tt.want, tt.maxKeys)
			}
		})
	}
}

// A key evicted while its usage is inside the window comes back with that
// usage: it cannot start over.
func TestEvictedKeyKeepsItsUsage(t *testing.T) {
	clock := newFakeClock()
	l := New(Config{Now: clock.Now, MaxKeys: 1})
	defer l.Close()
	ctx := context.Background()
	for range 5 {
		if !l.Allow(ctx, "a", 5).Allowed {
			t.Fatal("a denied before its limit")
		}
	}
	clock.Advance(100 * time.Millisecond)
	l.Allow(ctx, "b", 5) // evicts a
	if d := l.Allow(ctx, "a", 5); d.Allowed {
		t.Fatalf("a admitted again after eviction: %+v", d)
	}
	clock.Advance(900 * time.Millisecond) // a's admissions leave the window
	if d := l.Allow(ctx, "a", 5); !d.Allowed {
		t.Fatalf("a denied once its usage left the window: %+v", d)
	}
}

func TestSweepDropsIdleKeysOnly(t *testing.T) {
	clock := newFakeClock()
	l := New(Config{Now: clock.Now})
	defer l.Close()
	ctx := context.Background()
	for i := range 100 {
		l.Allow(ctx, "idle"+strconv.Itoa(i), 10)
	}
	clock.Advance(1500 * time.Millisecond)
	l.Allow(ctx, "busy", 10)
	clock.Advance(600 * time.Millisecond)
	l.keys.sweep(l.now())
	if got := l.keys.size(); got != 1 {
		t.Fatalf("%d keys after the sweep, want 1", got)
	}
	if d := l.Allow(ctx, "idle0", 1); !d.Allowed {
		t.Fatalf("swept key denied: %+v", d)
	}
}

// The local fast path allocates nothing.
func TestAllowDoesNotAllocate(t *testing.T) {
	clock := newFakeClock()
	l := New(Config{Now: clock.Now})
	defer l.Close()
	ctx := context.Background()
	l.Allow(ctx, "k", 1<<30)
	if n := testing.AllocsPerRun(1000, func() { l.Allow(ctx, "k", 1<<30) }); n != 0 {
		t.Fatalf("Allow allocates %v times per call", n)
	}
}
