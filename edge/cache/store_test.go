package cache

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func strLen(s string) int64 { return int64(len(s)) }

// keys lists a one-shard store's keys from most to least recently used.
func keys[V any](s *Store[V]) []string {
	sh := &s.shards[0]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var out []string
	for e := sh.root.next; e != &sh.root; e = e.next {
		out = append(out, e.key)
	}
	return out
}

func TestStoreLRUOrder(t *testing.T) {
	tests := []struct {
		name string
		ops  []string // "s:k" sets k, "g:k" gets k, "d:k" deletes k
		want []string // most recent first
	}{
		{"fills in order", []string{"s:a", "s:b", "s:c"}, []string{"c", "b", "a"}},
		{"evicts least recent", []string{"s:a", "s:b", "s:c", "s:d"}, []string{"d", "c", "b"}},
		{"get refreshes", []string{"s:a", "s:b", "s:c", "g:a", "s:d"}, []string{"d", "a", "c"}},
		{"set refreshes", []string{"s:a", "s:b", "s:c", "s:a", "s:d"}, []string{"d", "a", "c"}},
		{"get of missing changes nothing", []string{"s:a", "s:b", "g:z"}, []string{"b", "a"}},
		{"empty key counts as an entry", []string{"s:", "s:a", "s:b", "s:c"}, []string{"c", "b", "a"}},
		{"delete frees room", []string{"s:a", "s:b", "s:c", "d:b", "s:d"}, []string{"d", "c", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStore[string](3, 0, 1, nil)
			for _, op := range tt.ops {
				switch k := op[2:]; op[0] {
				case 's':
					s.Set(k, k, time.Time{})
				case 'g':
					s.Get(k)
				case 'd':
					s.Delete(k)
				}
			}
			if got := keys(s); !slices.Equal(got, tt.want) || s.Len() != len(tt.want) {
				t.Fatalf("keys %v (Len %d), want %v", got, s.Len(), tt.want)
			}
		})
	}
}

func TestStoreEntriesBound(t *testing.T) {
	for _, shards := range []int{1, 7, 64} {
		t.Run(fmt.Sprint(shards, " shards"), func(t *testing.T) {
			const limit = 1000
			s := NewStore[int](limit, 0, shards, nil)
			for i := range 20 * limit {
				k := fmt.Sprint("key", i)
				s.Set(k, i, time.Time{})
				if s.Len() > limit {
					t.Fatalf("Len %d > %d after %d sets", s.Len(), limit, i+1)
				}
				if v, ok := s.Get(k); !ok || v != i {
					t.Fatalf("just-set %s missing", k)
				}
			}
		})
	}
}

func TestStoreBytesBound(t *testing.T) {
	const maxBytes = 4096
	s := NewStore[string](0, maxBytes, 4, strLen)
	for i := range 2000 {
		s.Set(fmt.Sprint("k", i), string(make([]byte, i%97)), time.Time{})
		if s.Bytes() > maxBytes {
			t.Fatalf("Bytes %d > %d after %d sets", s.Bytes(), maxBytes, i+1)
		}
	}
	var sum int64
	for i := range s.shards {
		for k, e := range s.shards[i].m {
			sum += int64(len(k)) + int64(len(e.val))
		}
	}
	if sum != s.Bytes() {
		t.Fatalf("Bytes %d, entries add up to %d", s.Bytes(), sum)
	}
}

func TestStoreRejectsOversizedValue(t *testing.T) {
	s := NewStore[string](0, 100, 1, strLen)
	s.Set("k", "small", time.Time{})
	if s.Set("k", string(make([]byte, 200)), time.Time{}) {
		t.Fatal("oversized value stored")
	}
	// The older value must not outlive a newer write that did not fit.
	if _, ok := s.Get("k"); ok || s.Len() != 0 || s.Bytes() != 0 {
		t.Fatalf("old value kept: Len %d, Bytes %d", s.Len(), s.Bytes())
	}
}

func TestStoreExpiry(t *testing.T) {
	clk := newFakeClock()
	var evicted []string
	s := NewStore[string](3, 0, 1, nil, WithClock(clk.Now), WithEvictHook(func(k string) { evicted = append(evicted, k) }))
	t0 := clk.Now()
	s.Set("short", "v", t0.Add(time.Second))
	s.Set("b", "v", time.Time{})
	s.Set("c", "v", t0.Add(time.Hour))

	if _, ok := s.Get("short"); !ok {
		t.Fatal("entry missing before expiry")
	}
	clk.Advance(time.Second)
	// "short" is now the most recently used but dead: a new entry evicts
	// it rather than the least recently used "b".
	s.Set("d", "v", time.Time{})
	if got := keys(s); !slices.Equal(got, []string{"d", "c", "b"}) {
		t.Fatalf("keys %v, want the expired entry evicted first", got)
	}
	if !slices.Equal(evicted, []string{"short"}) {
		t.Fatalf("evict hook saw %v", evicted)
	}
	clk.Advance(time.Hour)
	if _, ok := s.Get("c"); ok || s.Len() != 2 {
		t.Fatalf("expired entry served or kept (Len %d)", s.Len())
	}
}

func TestNewStoreOddArguments(t *testing.T) {
	tests := []struct {
		name       string
		maxEntries int
		maxBytes   int64
		shards     int
		wantShards int
	}{
		{"defaults", 0, 0, 0, DefaultShards},
		{"fewer entries than shards", 3, 0, 64, 3},
		{"fewer bytes than shards", 0, 5, 64, 5},
		{"negative bounds mean none", -1, -1, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStore[string](tt.maxEntries, tt.maxBytes, tt.shards, nil)
			if len(s.shards) != tt.wantShards {
				t.Fatalf("%d shards, want %d", len(s.shards), tt.wantShards)
			}
			for i := range 100 {
				s.Set(fmt.Sprint(i), "", time.Time{})
			}
			if tt.maxEntries > 0 && s.Len() > tt.maxEntries {
				t.Fatalf("Len %d > %d", s.Len(), tt.maxEntries)
			}
		})
	}
}

func TestStoreConcurrent(t *testing.T) {
	const limit = 500
	s := NewStore[string](limit, 1<<14, 8, strLen)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 5000 {
				k := fmt.Sprint((g*7919 + i*31) % 2000)
				switch i % 4 {
				case 0, 1:
					s.Set(k, k, time.Time{})
				case 2:
					s.Get(k)
				default:
					s.Delete(k)
				}
			}
		})
	}
	wg.Wait()
	n := 0
	for i := range s.shards {
		n += len(s.shards[i].m)
	}
	if s.Len() != n || s.Len() > limit || s.Bytes() > 1<<14 {
		t.Fatalf("Len %d, maps hold %d, Bytes %d", s.Len(), n, s.Bytes())
	}
}

// A one-shard Store without expiry behaves exactly like a reference LRU.
func TestPropertyStoreIsLRU(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		capacity := rapid.IntRange(1, 8).Draw(rt, "capacity")
		s := NewStore[int](capacity, 0, 1, nil)
		var ref []string // most recent first
		vals := map[string]int{}
		touch := func(k string) {
			ref = slices.DeleteFunc(ref, func(x string) bool { return x == k })
			ref = slices.Insert(ref, 0, k)
		}
		for i := range rapid.IntRange(1, 100).Draw(rt, "ops") {
			k := rapid.SampledFrom([]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}).Draw(rt, "key")
			switch rapid.IntRange(0, 2).Draw(rt, "op") {
			case 0:
				s.Set(k, i, time.Time{})
				vals[k] = i
				touch(k)
				if len(ref) > capacity {
					delete(vals, ref[capacity])
					ref = ref[:capacity]
				}
			case 1:
				v, ok := s.Get(k)
				want, wantOK := vals[k]
				if ok != wantOK || v != want {
					rt.Fatalf("Get(%s) = %d, %t; want %d, %t", k, v, ok, want, wantOK)
				}
				if ok {
					touch(k)
				}
			default:
				if s.Delete(k) != slices.Contains(ref, k) {
					rt.Fatalf("Delete(%s) disagrees with the model", k)
				}
				ref = slices.DeleteFunc(ref, func(x string) bool { return x == k })
				delete(vals, k)
			}
			if got := keys(s); !slices.Equal(got, ref) {
				rt.Fatalf("order %v, want %v", got, ref)
			}
		}
	})
}
