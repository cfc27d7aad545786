package breaker_test

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/workers/breaker"
)

// parallel runs f(0..n-1) on n goroutines released at the same moment.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

// checkSnapshot asserts what must hold in every snapshot, whatever the
// interleaving.
func checkSnapshot(t *testing.T, s breaker.Snapshot) {
	if s.WindowFailures < 0 || s.WindowFailures > s.WindowCalls || s.WindowCalls > 10 {
		t.Errorf("window %d failures of %d calls", s.WindowFailures, s.WindowCalls)
	}
	if s.State == breaker.Open {
		if s.OpenedAt.IsZero() || !s.RetryAt.Equal(s.OpenedAt.Add(30*time.Second)) {
			t.Errorf("open with OpenedAt %v RetryAt %v", s.OpenedAt, s.RetryAt)
		}
	} else if !s.OpenedAt.IsZero() || !s.RetryAt.IsZero() {
		t.Errorf("%s with OpenedAt %v RetryAt %v", s.State, s.OpenedAt, s.RetryAt)
	}
}

// Many goroutines asking a half-open breaker at once get exactly 3 trials,
// in every half-open period.
func TestConcurrentHalfOpenTrialLimit(t *testing.T) {
	const goroutines = 32
	clock := newClock()
	b := newDefault(clock, &recorder{})
	for round := range 50 {
		parallel(goroutines, func(int) {
			if done, err := allow(b); err == nil {
				done(false)
			}
		})
		if s := b.State(); s != breaker.Open {
			t.Fatalf("round %d: %s after %d concurrent failures, want open", round, s, goroutines)
		}
		clock.Advance(30 * time.Second)

		var mu sync.Mutex
		var trials []func(bool)
		parallel(goroutines, func(int) {
			done, err := allow(b)
			if err != nil {
				if !errors.Is(err, breaker.ErrOpen) {
					t.Errorf("rejection %v does not match ErrOpen", err)
				}
				return
			}
			mu.Lock()
			trials = append(trials, done)
			mu.Unlock()
		})
		if len(trials) != 3 {
			t.Fatalf("round %d: %d trials admitted, want 3", round, len(trials))
		}

		// The trials finish while everybody keeps asking; odd rounds have
		// one failed trial, which must win over the two successes.
		failRound := round%2 == 1
		parallel(goroutines, func(i int) {
			if i < len(trials) {
				trials[i](!(failRound && i == 0))
				return
			}
			if done, err := allow(b); err == nil {
				done(true)
			}
		})
		want := breaker.Closed
		if failRound {
			want = breaker.Open
		}
		if s := b.State(); s != want {
			t.Fatalf("round %d: %s after the trials, want %s", round, s, want)
		}
		checkSnapshot(t, b.Snapshot())
	}
}

// Random concurrent use: no race, no panic, consistent snapshots, and
// transitions reported as one valid chain in the order they happened.
func TestConcurrentHammer(t *testing.T) {
	const (
		goroutines = 16
		ops        = 2000
	)
	clock := newClock()
	var (
		b     *breaker.Breaker
		mu    sync.Mutex
		chain []breaker.State
		edges = map[[2]breaker.State]int{}
	)
	chain = append(chain, breaker.Closed)
	b = breaker.New(breaker.Config{Now: clock.Now, OnTransition: func(from, to breaker.State) {
		b.State() // the callback may use the breaker while others do
		mu.Lock()
		defer mu.Unlock()
		if last := chain[len(chain)-1]; from != last {
			t.Errorf("transition %s->%s reported after one ending in %s", from, to, last)
		}
		chain = append(chain, to)
		edges[[2]breaker.State{from, to}]++
	}})

	parallel(goroutines, func(g int) {
		rng := rand.New(rand.NewPCG(uint64(g), 1))
		var held []func(bool)
		var lastRejections uint64
		for range ops {
			switch r := rng.IntN(10); {
			case r < 6:
				done, err := allow(b)
				if err != nil {
					if !errors.Is(err, breaker.ErrOpen) {
						t.Errorf("rejection %v does not match ErrOpen", err)
					}
					continue
				}
				if rng.IntN(2) == 0 {
					held = append(held, done)
					continue
				}
				success := rng.IntN(3) != 0
				// Reported twice at once: must count once and not race.
				parallel(2, func(int) { done(success) })
			case r < 8:
				if len(held) > 0 {
					k := rng.IntN(len(held))
					held[k](rng.IntN(3) != 0)
					held = append(held[:k], held[k+1:]...)
				}
			case r == 8:
				clock.Advance(time.Duration(rng.IntN(41)) * time.Second)
			default:
				s := b.Snapshot()
				checkSnapshot(t, s)
				if s.Rejections < lastRejections {
					t.Errorf("Rejections went back from %d to %d", lastRejections, s.Rejections)
				}
				lastRejections = s.Rejections
			}
		}
		for _, done := range held {
			done(true)
		}
	})

	mu.Lock()
	defer mu.Unlock()
	valid := map[[2]breaker.State]bool{
		{breaker.Closed, breaker.Open}:     true,
		{breaker.Open, breaker.HalfOpen}:   true,
		{breaker.HalfOpen, breaker.Closed}: true,
		{breaker.HalfOpen, breaker.Open}:   true,
	}
	for e, n := range edges {
		if !valid[e] {
			t.Errorf("invalid transition %s->%s seen %d times", e[0], e[1], n)
		}
	}
	for e := range valid {
		if edges[e] == 0 {
			t.Errorf("the hammer never went through %s->%s: %v", e[0], e[1], edges)
		}
	}
	// Every change has been delivered once all callers returned.
	last := chain[len(chain)-1]
	if s := b.State(); s != last && !(last == breaker.Open && s == breaker.HalfOpen) {
		t.Errorf("State() = %s but the last reported transition went to %s", s, last)
	}
}
