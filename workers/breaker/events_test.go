package breaker_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/workers/breaker"
)

func tripped(t *testing.T, b *breaker.Breaker) {
	t.Helper()
	for range 10 {
		done, err := allow(b)
		if err != nil {
			t.Fatal(err)
		}
		done(false)
	}
}

// The callback runs outside the lock, so it may use the breaker; a change it
// causes is reported after it returns, never nested inside it.
func TestOnTransitionMayUseBreaker(t *testing.T) {
	clock := newClock()
	var (
		b      *breaker.Breaker
		got    []string
		depth  int
		nested bool
	)
	b = breaker.New(breaker.Config{Now: clock.Now, OnTransition: func(from, to breaker.State) {
		depth++
		defer func() { depth-- }()
		nested = nested || depth > 1
		got = append(got, from.String()+"->"+to.String()+" seen "+b.State().String()+" "+b.Snapshot().State.String())
		if to == breaker.HalfOpen {
			done, err := allow(b)
			if err != nil {
				t.Errorf("trial from the callback rejected: %v", err)
				return
			}
			done(false)
		}
	}})
	tripped(t, b)
	clock.Advance(30 * time.Second)
	done, err := allow(b)
	if err != nil {
		t.Fatal(err)
	}
	done(true) // stale: the callback's failed trial reopened the breaker
	want := []string{
		"closed->open seen open open",
		"open->half_open seen half_open half_open",
		"half_open->open seen open open",
	}
	if !slices.Equal(got, want) {
		t.Errorf("callbacks = %q, want %q", got, want)
	}
	if nested {
		t.Error("a callback ran inside another")
	}
	if s := b.State(); s != breaker.Open {
		t.Errorf("State() = %s, want open", s)
	}
}

func TestOnTransitionPanicDoesNotSilenceLaterChanges(t *testing.T) {
	clock, rec := newClock(), &recorder{}
	first := true
	b := breaker.New(breaker.Config{Now: clock.Now, OnTransition: func(from, to breaker.State) {
		rec.record(from, to)
		if first {
			first = false
			panic("callback bug")
		}
	}})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the callback's panic was swallowed")
			}
		}()
		tripped(t, b)
	}()
	clock.Advance(30 * time.Second)
	if _, err := b.Allow(); err != nil {
		t.Fatal(err)
	}
	want := []string{"closed->open", "open->half_open"}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Errorf("transitions = %v, want %v", got, want)
	}
}
