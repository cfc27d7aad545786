package cache

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestXFetchDecision(t *testing.T) {
	expiry := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		gap   time.Duration // expiry − now
		delta time.Duration
		beta  float64
		r     float64
		want  bool
	}{
		{"r=1 never early", time.Nanosecond, time.Hour, 1, 1, false},
		{"no load time never early", time.Nanosecond, 0, 1, 0.01, false},
		{"window covers gap", 5 * time.Second, 10 * time.Second, 1, 0.5, true},    // 10s·ln2 = 6.9s
		{"window short of gap", 7 * time.Second, 10 * time.Second, 1, 0.5, false}, // 6.9s < 7s
		{"beta widens window", 7 * time.Second, 10 * time.Second, 2, 0.5, true},   // 13.9s
		{"r=0 is clamped, not -Inf", 10 * time.Minute, time.Second, 1, 0, true},   // ln → −744
		{"r=0 window is finite", time.Hour, time.Second, 1, 0, false},
		{"r>1 is clamped to 1", time.Nanosecond, time.Hour, 1, 2, false},
		{"NaN r refreshes rather than never", time.Second, time.Second, 1, math.NaN(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := xfetch(expiry.Add(-tt.gap), expiry, tt.delta, tt.beta, tt.r); got != tt.want {
				t.Fatalf("xfetch = %t, want %t", got, tt.want)
			}
		})
	}
}

// The chance of an early refresh at time g before expiry is exp(−g/(Δβ)):
// checked on the Cache's own decision (its Beta and Rand) with a seeded
// Rand, at gaps shrinking towards expiry, so it must also rise.
func TestXFetchProbabilityRisesTowardsExpiry(t *testing.T) {
	const n = 20_000
	const delta = 10 * time.Second
	for _, beta := range []float64{1, 2} {
		rng := rand.New(rand.NewPCG(1, 2))
		c := New[int](Config{Beta: beta, Rand: func() float64 { return 1 - rng.Float64() }}, intCodec{})
		expiry := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		it := Item[int]{FreshUntil: expiry, Delta: delta}
		prev := -1.0
		for _, gap := range []time.Duration{60 * time.Second, 30 * time.Second, 15 * time.Second, 8 * time.Second, 4 * time.Second, time.Second, 100 * time.Millisecond} {
			hits := 0
			for range n {
				if c.refreshDue(expiry.Add(-gap), it) {
					hits++
				}
			}
			p := float64(hits) / n
			want := math.Exp(-gap.Seconds() / (delta.Seconds() * beta))
			// Five standard deviations of a binomial proportion, plus a
			// floor for p near 0 or 1.
			tol := 5*math.Sqrt(want*(1-want)/n) + 0.002
			if math.Abs(p-want) > tol {
				t.Errorf("beta %g, %s before expiry: refresh rate %.4f, want %.4f ± %.4f", beta, gap, p, want, tol)
			}
			if p < prev {
				t.Errorf("beta %g, %s before expiry: rate %.4f fell from %.4f", beta, gap, p, prev)
			}
			prev = p
		}
	}
}

// An early refresh runs in the background: the caller gets the current
// value at once, a second caller does not start another load, and once it
// finishes the next Get sees the new value.
func TestEarlyRefreshInBackground(t *testing.T) {
	clk := newFakeClock()
	r := 1.0
	loaded := make(chan struct{}, 1)
	c := New[int](Config{Now: clk.Now, Rand: func() float64 { return r }, OnEvent: func(e Event) {
		if e.Kind == EventLoadOK {
			loaded <- struct{}{}
		}
	}}, intCodec{})
	ctx := context.Background()
	first, _, err := c.Get(ctx, "k", pricingTTL, staleFor, func(context.Context) (int, error) {
		clk.Advance(10 * time.Second) // the load takes Δ = 10 s
		return 1, nil
	})
	<-loaded
	if err != nil || first.Delta != 10*time.Second {
		t.Fatalf("first load: %v, %v; want Δ = 10s", first, err)
	}
	failLoad := func(context.Context) (int, error) {
		t.Error("unexpected load")
		return 0, errUpstream
	}

	// 5 s before expiry with r = 1 the window −Δ·ln r is empty.
	clk.Set(first.FreshUntil.Add(-5 * time.Second))
	if it, src, _ := c.Get(ctx, "k", pricingTTL, staleFor, failLoad); src != FromL2 || it.Value != 1 {
		t.Fatalf("got %v from %s", it, src)
	}

	// With r = 0.5 the window is 10 s·ln 2 ≈ 6.9 s ≥ 5 s: refresh early.
	r = 0.5
	started, release := make(chan struct{}), make(chan struct{})
	loads := 0
	refresh := func(context.Context) (int, error) {
		loads++
		close(started)
		<-release
		return 2, nil
	}
	// The loader blocks until released, so returning proves it runs in
	// the background.
	if it, src, err := c.Get(ctx, "k", pricingTTL, staleFor, refresh); src != FromL2 || it.Value != 1 || err != nil {
		t.Fatalf("during refresh: %v from %s, %v; want the current value", it, src, err)
	}
	<-started
	if it, src, _ := c.Get(ctx, "k", pricingTTL, staleFor, refresh); src != FromL2 || it.Value != 1 {
		t.Fatalf("second caller during refresh: %v from %s", it, src)
	}
	close(release)
	<-loaded
	r = 1
	it, src, err := c.Get(ctx, "k", pricingTTL, staleFor, failLoad)
	if src != FromL2 || it.Value != 2 || err != nil {
		t.Fatalf("after refresh: %v from %s, %v; want 2 from L2", it, src, err)
	}
	if loads != 1 {
		t.Fatalf("%d refresh loads, want 1", loads)
	}
}

// An early refresh and a normal load of the same key share one call.
func TestEarlyRefreshSharedWithLoad(t *testing.T) {
	clk := newFakeClock()
	c := New[int](Config{Now: clk.Now, Rand: func() float64 { return 0.01 }}, intCodec{})
	ctx := context.Background()
	first, _, _ := c.Get(ctx, "k", pricingTTL, staleFor, func(context.Context) (int, error) {
		clk.Advance(time.Second)
		return 1, nil
	})
	clk.Set(first.FreshUntil.Add(-time.Second))
	started, release := make(chan struct{}), make(chan struct{})
	loads := 0
	load := func(context.Context) (int, error) {
		loads++
		close(started)
		<-release
		return 2, nil
	}
	if _, src, _ := c.Get(ctx, "k", pricingTTL, staleFor, load); src != FromL2 {
		t.Fatalf("early refresh caller got %s", src)
	}
	<-started
	clk.Set(first.FreshUntil) // expired: this Get must wait for the refresh
	done := make(chan Item[int])
	go func() {
		it, _, _ := c.Get(ctx, "k", pricingTTL, staleFor, load)
		done <- it
	}()
	close(release)
	if it := <-done; it.Value != 2 || loads != 1 {
		t.Fatalf("got %v after %d loads; want 2 after 1", it, loads)
	}
}
