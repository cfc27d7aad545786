package cache

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// stampede primes key "k", lets it expire, then has n goroutines Get it at
// once with a loader that blocks until every goroutine has missed L2. It
// returns the results and how many times the blocking loader ran.
func stampede(t interface {
	Helper()
	Fatal(...any)
}, n int, loadErr error, pastExpiry time.Duration) ([]Item[int], []Source, []error, int64) {
	t.Helper()
	clk := newFakeClock()
	var misses atomic.Int64
	c := New[int](Config{L1: newFakeBackend(clk).view(nil), Now: clk.Now, Rand: neverEarly, OnEvent: func(e Event) {
		if e.Kind == EventL2Miss {
			misses.Add(1)
		}
	}}, intCodec{})
	ctx := context.Background()
	if _, _, err := c.Get(ctx, "k", pricingTTL, staleFor, func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	clk.Advance(pricingTTL + pastExpiry)
	misses.Store(0)

	release := make(chan struct{})
	var loads atomic.Int64
	load := func(context.Context) (int, error) {
		loads.Add(1)
		<-release
		return 2, loadErr
	}
	items, srcs, errs := make([]Item[int], n), make([]Source, n), make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			items[i], srcs[i], errs[i] = c.Get(ctx, "k", pricingTTL, staleFor, load)
		})
	}
	close(start)
	// Hold the load until all have missed L2, so they pile onto it.
	for misses.Load() < int64(n) {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	return items, srcs, errs, loads.Load()
}

// Property 3: 1,000 concurrent Gets of an expired key cause one load, and
// all get its result.
func TestStampedeOneLoad(t *testing.T) {
	items, srcs, errs, loads := stampede(t, 1000, nil, 0)
	if loads != 1 {
		t.Fatalf("%d loads, want 1", loads)
	}
	for i := range items {
		// A Get that missed L2 just as the load finished re-checks L2 and
		// answers from it, without loading.
		if errs[i] != nil || items[i].Value != 2 || (srcs[i] != FromLoad && srcs[i] != FromL2) {
			t.Fatalf("caller %d: %v from %s, %v", i, items[i], srcs[i], errs[i])
		}
	}
}

// Property 3 over random stampedes: any number of concurrent Gets (up to
// 1,000, often exactly 1,000) of a key expired by any amount within its
// stale period cost exactly one load.
func TestPropertyStampedeOneLoad(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.OneOf(rapid.Just(1000), rapid.IntRange(2, 1000)).Draw(t, "callers")
		past := time.Duration(rapid.Int64Range(0, int64(staleFor-time.Second)).Draw(t, "past_expiry"))
		_, _, errs, loads := stampede(t, n, nil, past)
		if loads != 1 {
			t.Fatalf("%d callers, key expired %v ago: %d loads, want 1", n, past, loads)
		}
		for i, err := range errs {
			if err != nil {
				t.Fatalf("caller %d: %v", i, err)
			}
		}
	})
}

// With the one load failing, every caller gets the stale value and the
// error, and the failure backoff keeps late callers from loading again.
func TestStampedeFailedLoadServesStale(t *testing.T) {
	items, srcs, errs, loads := stampede(t, 1000, errUpstream, 0)
	if loads != 1 {
		t.Fatalf("%d loads, want 1", loads)
	}
	for i := range items {
		if !errors.Is(errs[i], errUpstream) || items[i].Value != 1 || srcs[i] != FromStale {
			t.Fatalf("caller %d: %v from %s, %v; want stale 1 with the load error", i, items[i], srcs[i], errs[i])
		}
	}
}

// A caller that gives up while waiting gets its ctx error and the stale
// item at once; the load is not cancelled and serves the others.
func TestWaiterCancelDoesNotCancelLoad(t *testing.T) {
	clk := newFakeClock()
	c := New[int](Config{Now: clk.Now, Rand: neverEarly}, intCodec{})
	ctx := context.Background()
	if _, _, err := c.Get(ctx, "k", pricingTTL, staleFor, func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	clk.Advance(pricingTTL)

	started, release := make(chan struct{}), make(chan struct{})
	loadErr := make(chan error, 1)
	load := func(ctx context.Context) (int, error) {
		close(started)
		<-release
		loadErr <- ctx.Err()
		return 2, nil
	}
	type result struct {
		it  Item[int]
		src Source
		err error
	}
	patient := make(chan result, 1)
	go func() {
		it, src, err := c.Get(ctx, "k", pricingTTL, staleFor, load)
		patient <- result{it, src, err}
	}()
	<-started

	impatient, cancel := context.WithCancel(ctx)
	cancel()
	it, src, err := c.Get(impatient, "k", pricingTTL, staleFor, load)
	if !errors.Is(err, context.Canceled) || src != FromStale || it.Value != 1 {
		t.Fatalf("cancelled caller: %v from %s, %v; want stale 1 with context.Canceled", it, src, err)
	}
	close(release)
	if err := <-loadErr; err != nil {
		t.Fatalf("load saw ctx error %v", err)
	}
	if r := <-patient; r.err != nil || r.src != FromLoad || r.it.Value != 2 {
		t.Fatalf("patient caller: %v from %s, %v", r.it, r.src, r.err)
	}
}

// A waiter whose ctx ends while the load runs gets ctx's error; with no
// stale item it gets nothing else.
func TestWaiterDeadlineWithoutStale(t *testing.T) {
	c := New[int](Config{}, intCodec{})
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	load := func(context.Context) (int, error) {
		cancel()
		<-release
		return 1, nil
	}
	it, src, err := c.Get(ctx, "k", time.Minute, 0, load)
	if !errors.Is(err, context.Canceled) || src != 0 || it.Value != 0 {
		t.Fatalf("got %v from %s, %v; want nothing and context.Canceled", it, src, err)
	}
}
