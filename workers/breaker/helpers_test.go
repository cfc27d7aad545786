package breaker_test

import (
	"sync"
	"time"

	"github.com/gpubroker/gpubroker/workers/breaker"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fakeClock is the injectable clock of every test: time moves only when a
// test says so.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: epoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// recorder collects OnTransition calls as "from->to".
type recorder struct {
	mu  sync.Mutex
	got []string
}

func (r *recorder) record(from, to breaker.State) {
	r.mu.Lock()
	r.got = append(r.got, from.String()+"->"+to.String())
	r.mu.Unlock()
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

// newDefault returns a breaker with every tunable left at its default.
func newDefault(clock *fakeClock, rec *recorder) *breaker.Breaker {
	return breaker.New(breaker.Config{Now: clock.Now, OnTransition: rec.record})
}

// allow is Allow with the outcome reported as success or failure, the only
// outcomes most tests need.
func allow(b *breaker.Breaker) (func(success bool), error) {
	done, err := b.Allow()
	if err != nil {
		return nil, err
	}
	return func(success bool) { done(breaker.OutcomeOf(success)) }, nil
}
