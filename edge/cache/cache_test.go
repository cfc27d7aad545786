package cache

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func constLoad(v int) Loader[int] {
	return func(context.Context) (int, error) { return v, nil }
}

func TestGetRejectsBadArguments(t *testing.T) {
	c := New[int](Config{}, intCodec{})
	tests := []struct {
		name     string
		ttl      time.Duration
		staleFor time.Duration
		load     Loader[int]
	}{
		{"nil loader", time.Minute, 0, nil},
		{"zero ttl", 0, 0, constLoad(1)},
		{"negative ttl", -time.Second, 0, constLoad(1)},
		{"negative staleFor", time.Minute, -time.Second, constLoad(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, src, err := c.Get(context.Background(), "k", tt.ttl, tt.staleFor, tt.load); !errors.Is(err, errBadArgs) || src != 0 {
				t.Fatalf("got %s, %v; want errBadArgs", src, err)
			}
		})
	}
}

// After a failed load, Gets within FailureBackoff answer at once with the
// stale item (or just the error) and do not load; after it they load again.
func TestFailureBackoff(t *testing.T) {
	for _, withStale := range []bool{true, false} {
		t.Run(fmt.Sprint("stale=", withStale), func(t *testing.T) {
			clk := newFakeClock()
			c := New[int](Config{Now: clk.Now, Rand: neverEarly}, intCodec{})
			ctx := context.Background()
			if withStale {
				c.Get(ctx, "k", pricingTTL, staleFor, constLoad(1))
				clk.Advance(pricingTTL)
			}
			load := &counter{fail: errUpstream}
			wantSrc, wantVal := Source(0), 0
			if withStale {
				wantSrc, wantVal = FromStale, 1
			}
			for i, step := range []time.Duration{0, time.Second, DefaultFailureBackoff - time.Second - 1} {
				clk.Advance(step)
				it, src, err := c.Get(ctx, "k", pricingTTL, staleFor, load.load)
				if !errors.Is(err, errUpstream) || src != wantSrc || it.Value != wantVal || load.n() != 1 {
					t.Fatalf("Get %d: %v from %s, %v after %d loads; want %d from %s after 1 load", i, it, src, err, load.n(), wantVal, wantSrc)
				}
			}
			clk.Advance(1)
			load.fail = nil
			if it, src, err := c.Get(ctx, "k", pricingTTL, staleFor, load.load); err != nil || src != FromLoad || it.Value != 2 {
				t.Fatalf("after the backoff: %v from %s, %v; want a new load", it, src, err)
			}
		})
	}
}

func TestLoaderPanicBecomesError(t *testing.T) {
	c := New[int](Config{}, intCodec{})
	_, src, err := c.Get(context.Background(), "k", time.Minute, 0, func(context.Context) (int, error) { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "panicked: boom") || src != 0 {
		t.Fatalf("got %s, %v; want the panic as an error", src, err)
	}
}

type ctxKey struct{}

// Loads run under LoadTimeout, not the caller's deadline, and keep the
// caller's context values (trace ids).
func TestLoadContext(t *testing.T) {
	c := New[int](Config{LoadTimeout: time.Millisecond}, intCodec{})
	ctx := context.WithValue(context.Background(), ctxKey{}, "trace-1")
	var seen any
	_, _, err := c.Get(ctx, "k", time.Minute, 0, func(ctx context.Context) (int, error) {
		seen = ctx.Value(ctxKey{})
		<-ctx.Done()
		return 0, ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) || seen != "trace-1" {
		t.Fatalf("err %v, value %v; want DeadlineExceeded and trace-1", err, seen)
	}
}

// A Get that starts a call just after another call stored a fresh item
// gets that item from L2 instead of loading again.
func TestCallRechecksL2(t *testing.T) {
	c := New[int](Config{Rand: neverEarly}, intCodec{})
	ctx := context.Background()
	c.Get(ctx, "k", time.Minute, 0, constLoad(1))
	cl, isNew, _ := c.flights.join("k", time.Now())
	if !isNew {
		t.Fatal("no new call")
	}
	load := &counter{}
	c.run(ctx, "k", time.Minute, 0, load.load, time.Time{}, cl)
	if cl.err != nil || cl.src != FromL2 || cl.item.Value != 1 || load.n() != 0 {
		t.Fatalf("call: %v from %s, %v, %d loads; want 1 from L2 without a load", cl.item, cl.src, cl.err, load.n())
	}
}

func TestSet(t *testing.T) {
	clk := newFakeClock()
	be := newFakeBackend(clk)
	c := New[int](Config{L1: be.view(nil), Now: clk.Now, Rand: neverEarly}, intCodec{})
	now := clk.Now()
	tests := []struct {
		name    string
		item    Item[int]
		wantErr bool
		stored  bool
	}{
		{"fresh item", Item[int]{Value: 7, FetchedAt: now, FreshUntil: now.Add(time.Minute), StaleUntil: now.Add(2 * time.Minute)}, false, true},
		{"zero FetchedAt means now", Item[int]{Value: 8, FreshUntil: now.Add(time.Minute), StaleUntil: now.Add(time.Minute)}, false, true},
		{"already dead is dropped", Item[int]{Value: 9, FetchedAt: now.Add(-time.Hour), FreshUntil: now.Add(-time.Minute), StaleUntil: now}, false, false},
		{"fresh beyond stale", Item[int]{Value: 10, FreshUntil: now.Add(time.Hour), StaleUntil: now.Add(time.Minute)}, true, false},
		{"negative delta", Item[int]{Value: 11, FreshUntil: now.Add(time.Minute), StaleUntil: now.Add(time.Minute), Delta: -1}, true, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprint("k", i)
			err := c.Set(context.Background(), key, tt.item)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Set: %v, want error %t", err, tt.wantErr)
			}
			l2, inL2 := c.Peek(key)
			l1, inL1 := be.item(key)
			if inL2 != tt.stored || inL1 != tt.stored {
				t.Fatalf("in L2 %t, in L1 %t; want %t", inL2, inL1, tt.stored)
			}
			if tt.stored && (l2.Value != tt.item.Value || !sameItem(l1, l2) || l2.FetchedAt.IsZero()) {
				t.Fatalf("L2 %v, L1 %v; want %v in both", l2, l1, tt.item)
			}
			if tt.stored {
				if it, src, err := c.Get(context.Background(), key, time.Minute, 0, constLoad(-1)); err != nil || src != FromL2 || it.Value != tt.item.Value {
					t.Fatalf("Get after Set: %v from %s, %v", it, src, err)
				}
			}
		})
	}
}

// L1 down: Gets succeed from loads and L2, L1Healthy turns false, L1 is
// left alone during the backoff and probed after it, and used again when
// it is back.
func TestL1DownThenRecovers(t *testing.T) {
	clk := newFakeClock()
	be := newFakeBackend(clk)
	log := &recorder{}
	c := New[int](Config{L1: be.view(log), Now: clk.Now, Rand: neverEarly}, intCodec{})
	ctx := context.Background()
	steps := []struct {
		name    string
		up      bool
		advance time.Duration
		key     string
		wantSrc Source
		wantL1  []string
		healthy bool
	}{
		{"up: miss, load, write", true, 0, "a", FromLoad, []string{"l1get:miss", "l1set:ok"}, true},
		{"down: get fails, load, no write", false, 0, "b", FromLoad, []string{"l1get:down"}, false},
		{"down: L2 still serves", false, 0, "a", FromL2, nil, false},
		{"within backoff: L1 skipped", false, DefaultL1Backoff / 2, "c", FromLoad, nil, false},
		{"back up but within backoff: skipped", true, 0, "d", FromLoad, nil, false},
		{"after backoff: probe succeeds, write", true, DefaultL1Backoff, "e", FromLoad, []string{"l1get:miss", "l1set:ok"}, true},
	}
	for _, s := range steps {
		be.setUp(s.up)
		clk.Advance(s.advance)
		log.take()
		_, src, err := c.Get(ctx, s.key, pricingTTL, staleFor, constLoad(1))
		calls := log.take()
		if err != nil || src != s.wantSrc || !slices.Equal(calls, s.wantL1) || c.L1Healthy() != s.healthy {
			t.Fatalf("%s: got %s, %v, L1 calls %v, healthy %t", s.name, src, err, calls, c.L1Healthy())
		}
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": false, "d": false, "e": true} {
		if _, ok := be.item(key); ok != want {
			t.Errorf("%s in L1: %t, want %t", key, ok, want)
		}
	}
}

// When the load fails and L2 has nothing, the newest stale copy in L1
// (another edge's) is served, and kept in L2.
func TestStaleFromL1(t *testing.T) {
	clk := newFakeClock()
	be := newFakeBackend(clk)
	peer := New[int](Config{L1: be.view(nil), Now: clk.Now}, intCodec{})
	mine := New[int](Config{L1: be.view(nil), Now: clk.Now}, intCodec{})
	ctx := context.Background()
	peer.Get(ctx, "k", pricingTTL, staleFor, constLoad(5))
	clk.Advance(pricingTTL + time.Second)
	it, src, err := mine.Get(ctx, "k", pricingTTL, staleFor, func(context.Context) (int, error) { return 0, errUpstream })
	if !errors.Is(err, errUpstream) || src != FromStale || it.Value != 5 {
		t.Fatalf("got %v from %s, %v; want 5 stale", it, src, err)
	}
	if p, ok := mine.Peek("k"); !ok || p.Value != 5 {
		t.Fatalf("Peek = %v, %t", p, ok)
	}
}

// An undecodable L1 value is a codec error and a miss, not a failure.
func TestCorruptL1ValueIsMiss(t *testing.T) {
	clk := newFakeClock()
	be := newFakeBackend(clk)
	var codecErrs int
	c := New[int](Config{L1: be.view(nil), Now: clk.Now, OnEvent: func(e Event) {
		if e.Kind == EventCodecError {
			codecErrs++
		}
	}}, intCodec{})
	be.view(nil).Set(context.Background(), "k", []byte("garbage"), time.Hour)
	it, src, err := c.Get(context.Background(), "k", time.Minute, 0, constLoad(3))
	if err != nil || src != FromLoad || it.Value != 3 || codecErrs != 1 || !c.L1Healthy() {
		t.Fatalf("got %v from %s, %v, %d codec errors, healthy %t", it, src, err, codecErrs, c.L1Healthy())
	}
}

func TestNilCodecRunsOnL2(t *testing.T) {
	clk := newFakeClock()
	be := newFakeBackend(clk)
	c := New[int](Config{L1: be.view(nil), Now: clk.Now}, nil)
	if _, src, err := c.Get(context.Background(), "k", time.Minute, 0, constLoad(1)); err != nil || src != FromLoad {
		t.Fatalf("got %s, %v", src, err)
	}
	if _, inL1 := be.item("k"); inL1 || c.L1Healthy() || c.Len() != 1 {
		t.Fatalf("L1 used without a codec, or L2 empty")
	}
}

// L2's byte bound counts the encoded value; evictions are reported.
func TestCacheBoundsAndEvictionEvents(t *testing.T) {
	var evictions []string
	c := New[int](Config{MaxEntries: 2, Shards: 1, OnEvent: func(e Event) {
		if e.Kind == EventEviction {
			evictions = append(evictions, e.Key)
		}
	}}, intCodec{})
	for _, k := range []string{"a", "b", "c"} {
		c.Get(context.Background(), k, time.Minute, 0, constLoad(12345))
	}
	if c.Len() != 2 || !slices.Equal(evictions, []string{"a"}) {
		t.Fatalf("Len %d, evictions %v", c.Len(), evictions)
	}
	if got := c.store.Bytes(); got != 2*(5+1) {
		t.Fatalf("Bytes %d, want 2 × (5 encoded + 1 key)", got)
	}
}

// Failures of keys never asked for again do not pile up.
func TestFailuresAreSwept(t *testing.T) {
	clk := newFakeClock()
	c := New[int](Config{Now: clk.Now}, intCodec{})
	fail := func(context.Context) (int, error) { return 0, errUpstream }
	for round := range 10 {
		for i := range 100 {
			c.Get(context.Background(), fmt.Sprint(round, "/", i), time.Minute, 0, fail)
		}
		clk.Advance(DefaultFailureBackoff)
	}
	c.flights.mu.Lock()
	n := len(c.flights.fails)
	c.flights.mu.Unlock()
	if n > 2*100+minSweep {
		t.Fatalf("%d failures remembered", n)
	}
}

func TestNames(t *testing.T) {
	if FromStale.String() != "stale" || Source(0).String() != "none" ||
		EventEarlyRefresh.String() != "early_refresh" || EventKind(0).String() != "unknown" || EventKind(99).String() != "unknown" {
		t.Fatal("names")
	}
	for k := EventL2Hit; k <= EventCodecError; k++ {
		if k.String() == "unknown" || k.String() == "" {
			t.Fatalf("event %d has no name", k)
		}
	}
}

func TestNilContextIsBackground(t *testing.T) {
	c := New[int](Config{}, intCodec{})
	var ctx context.Context
	if err := c.Set(ctx, "a", Item[int]{Value: 1, FreshUntil: time.Now().Add(time.Minute), StaleUntil: time.Now().Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if it, src, err := c.Get(ctx, "b", time.Minute, 0, constLoad(2)); err != nil || src != FromLoad || it.Value != 2 {
		t.Fatalf("got %v from %s, %v", it, src, err)
	}
}
