package breaker

import (
	"fmt"
	"sync"
	"time"
)

// Breaker is a circuit breaker for one provider. It is safe for concurrent
// use; create it with [New].
type Breaker struct {
	cfg      Config
	tripAt   int // failures in a full window that open the breaker
	mu       sync.Mutex
	state    State
	gen      uint64 // bumped on every transition; see doc.go
	window   window
	openedAt time.Time
	trials   int // trial calls admitted in this half-open period
	passed   int // of which succeeded
	rejected uint64
	events   events // has its own lock, see events.go
}

// Snapshot is a consistent view of a breaker for health pages and metrics.
type Snapshot struct {
	State          State
	WindowCalls    int // outcomes in the window, kept until the breaker closes again
	WindowFailures int
	OpenedAt       time.Time // zero unless State is Open
	RetryAt        time.Time // when Open ends; zero unless State is Open
	Rejections     uint64    // calls rejected since New
}

// New returns a closed breaker; see [Config] for the defaults.
func New(cfg Config) *Breaker {
	cfg = cfg.withDefaults()
	return &Breaker{
		cfg:    cfg,
		tripAt: tripFailures(cfg.Window, cfg.FailureRatio),
		window: newWindow(cfg.Window),
		events: events{notify: cfg.OnTransition},
	}
}

// Outcome is what became of a call the breaker admitted.
type Outcome uint8

const (
	Failed    Outcome = iota // the provider failed the call
	Succeeded                // the provider answered
	// NotAttempted: the provider was never called (e.g. our own secret
	// store was down). It counts neither way; a half-open trial slot it
	// held is given back.
	NotAttempted
)

// OutcomeOf maps a call's success to its Outcome.
func OutcomeOf(success bool) Outcome {
	if success {
		return Succeeded
	}
	return Failed
}

// Allow asks to make one upstream call. When err is nil the caller makes the
// call and then reports its outcome by calling done exactly once; further
// calls of done are ignored. When the breaker rejects the call, err matches
// [ErrOpen] and no upstream call must be made.
func (b *Breaker) Allow() (done func(Outcome), err error) {
	b.mu.Lock()
	done, err = b.allowLocked()
	b.mu.Unlock()
	b.events.deliver()
	return done, err
}

func (b *Breaker) allowLocked() (func(Outcome), error) {
	now := b.cfg.Now()
	if b.state == Open && !now.Before(b.retryAt()) {
		b.transition(HalfOpen, now)
	}
	switch b.state {
	case Open:
		b.rejected++
		return nil, fmt.Errorf("%w: retry in %s", ErrOpen, b.retryAt().Sub(now))
	case HalfOpen:
		if b.trials >= b.cfg.HalfOpenTrials {
			b.rejected++
			return nil, fmt.Errorf("%w: half-open, %d trial calls in flight", ErrOpen, b.trials-b.passed)
		}
		b.trials++
	}
	return b.doneFunc(b.gen), nil
}

// doneFunc reports the outcome of a call admitted in generation gen.
func (b *Breaker) doneFunc(gen uint64) func(Outcome) {
	reported := false // guarded by b.mu
	return func(o Outcome) {
		b.mu.Lock()
		if !reported && gen == b.gen {
			b.record(o)
		}
		reported = true
		b.mu.Unlock()
		b.events.deliver()
	}
}

// record applies the outcome of a call of the current generation. No call is
// ever admitted while Open, so only Closed and HalfOpen see outcomes.
func (b *Breaker) record(o Outcome) {
	if o == NotAttempted {
		if b.state == HalfOpen {
			b.trials--
		}
		return
	}
	success := o == Succeeded
	switch b.state {
	case Closed:
		b.window.add(!success)
		if b.window.full() && b.window.failures >= b.tripAt {
			b.transition(Open, b.cfg.Now())
		}
	case HalfOpen:
		if !success {
			b.transition(Open, b.cfg.Now())
			return
		}
		b.passed++
		if b.passed >= b.cfg.HalfOpenTrials {
			b.transition(Closed, time.Time{})
		}
	}
}

// transition moves to state to; now is only used when opening.
func (b *Breaker) transition(to State, now time.Time) {
	from := b.state
	b.state = to
	b.gen++
	switch to {
	case Open:
		b.openedAt = now
	case HalfOpen:
		b.trials, b.passed = 0, 0
	case Closed:
		b.window.reset()
	}
	b.events.add(from, to)
}

func (b *Breaker) retryAt() time.Time {
	return b.openedAt.Add(b.cfg.OpenFor)
}

// current is the state as callers should see it: an open breaker whose open
// period has elapsed is half-open even before the Allow that moves it.
func (b *Breaker) current(now time.Time) State {
	if b.state == Open && !now.Before(b.retryAt()) {
		return HalfOpen
	}
	return b.state
}

// State reports the current state.
func (b *Breaker) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.current(b.cfg.Now())
}

// Snapshot reports the state and counters, all taken at the same instant.
func (b *Breaker) Snapshot() Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := Snapshot{
		State:          b.current(b.cfg.Now()),
		WindowCalls:    b.window.calls,
		WindowFailures: b.window.failures,
		Rejections:     b.rejected,
	}
	if s.State == Open {
		s.OpenedAt, s.RetryAt = b.openedAt, b.retryAt()
	}
	return s
}
