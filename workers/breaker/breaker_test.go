package breaker_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/workers/breaker"
)

// harness runs the steps of one transition table case.
type harness struct {
	t     *testing.T
	b     *breaker.Breaker
	clock *fakeClock
	held  map[string]func(bool)
}

type step func(h *harness)

func admit(h *harness) func(bool) {
	h.t.Helper()
	done, err := allow(h.b)
	if err != nil {
		h.t.Fatalf("Allow rejected in state %s: %v", h.b.State(), err)
	}
	return done
}

// calls makes n admitted calls that finish at once with the given outcome.
func calls(n int, success bool) step {
	return func(h *harness) {
		h.t.Helper()
		for range n {
			admit(h)(success)
		}
	}
}

func succeed(n int) step { return calls(n, true) }
func fail(n int) step    { return calls(n, false) }

// hold makes an admitted call that finishes later, by finish(name).
func hold(name string) step {
	return func(h *harness) {
		h.t.Helper()
		h.held[name] = admit(h)
	}
}

func finish(name string, success bool) step {
	return func(h *harness) { h.held[name](success) }
}

func advance(d time.Duration) step {
	return func(h *harness) { h.clock.Advance(d) }
}

// rejected asserts that the next n calls are rejected with ErrOpen.
func rejected(n int) step {
	return func(h *harness) {
		h.t.Helper()
		for range n {
			done, err := allow(h.b)
			if !errors.Is(err, breaker.ErrOpen) || done != nil {
				h.t.Fatalf("Allow in state %s = (done set: %v, %v), want ErrOpen", h.b.State(), done != nil, err)
			}
		}
	}
}

// expect asserts State() at this point of the steps.
func expect(s breaker.State) step {
	return func(h *harness) {
		h.t.Helper()
		if got := h.b.State(); got != s {
			h.t.Fatalf("State() = %s, want %s", got, s)
		}
	}
}

// trip opens a fresh breaker with ten failures.
var trip = fail(10)

// probe moves a tripped breaker to half-open.
var probe = advance(30 * time.Second)

func TestTransitions(t *testing.T) {
	const (
		c2o = "closed->open"
		o2h = "open->half_open"
		h2c = "half_open->closed"
		h2o = "half_open->open"
	)
	tests := []struct {
		name        string
		steps       []step
		state       breaker.State
		calls       int
		failures    int
		rejections  uint64
		openedAt    time.Duration // since epoch; checked only when open
		transitions []string
	}{
		{
			name:  "fewer than 10 outcomes never trip",
			steps: []step{fail(9)},
			state: breaker.Closed, calls: 9, failures: 9,
		},
		{
			name:  "4 failures of 10 stay closed",
			steps: []step{succeed(6), fail(4)},
			state: breaker.Closed, calls: 10, failures: 4,
		},
		{
			name:  "5 failures of 10 trip",
			steps: []step{succeed(5), advance(time.Second), fail(5)},
			state: breaker.Open, calls: 10, failures: 5, openedAt: time.Second,
			transitions: []string{c2o},
		},
		{
			// Cumulative counters would judge 5 of 15 here.
			name:  "only the last 10 outcomes count",
			steps: []step{succeed(10), fail(4), expect(breaker.Closed), fail(1)},
			state: breaker.Open, calls: 10, failures: 5,
			transitions: []string{c2o},
		},
		{
			name:  "old failures leave the window",
			steps: []step{fail(4), succeed(10), fail(4)},
			state: breaker.Closed, calls: 10, failures: 4,
		},
		{
			name:  "open rejects until 30s have passed",
			steps: []step{trip, advance(30*time.Second - time.Nanosecond), rejected(3)},
			state: breaker.Open, calls: 10, failures: 10, rejections: 3,
			transitions: []string{c2o},
		},
		{
			name:  "State reports half-open at 30s before any Allow",
			steps: []step{trip, probe},
			state: breaker.HalfOpen, calls: 10, failures: 10,
			transitions: []string{c2o},
		},
		{
			name:  "first Allow at 30s moves to half-open",
			steps: []step{trip, probe, hold("a")},
			state: breaker.HalfOpen, calls: 10, failures: 10,
			transitions: []string{c2o, o2h},
		},
		{
			name:  "first Allow long after 30s moves to half-open",
			steps: []step{trip, advance(time.Hour), hold("a")},
			state: breaker.HalfOpen, calls: 10, failures: 10,
			transitions: []string{c2o, o2h},
		},
		{
			name:  "half-open admits 3 trials and rejects the rest",
			steps: []step{trip, probe, hold("a"), hold("b"), hold("c"), rejected(2)},
			state: breaker.HalfOpen, calls: 10, failures: 10, rejections: 2,
			transitions: []string{c2o, o2h},
		},
		{
			name: "half-open admits 3 trials in total, not at once",
			steps: []step{trip, probe, hold("a"), hold("b"), hold("c"),
				finish("a", true), finish("b", true), advance(time.Minute), rejected(1)},
			state: breaker.HalfOpen, calls: 10, failures: 10, rejections: 1,
			transitions: []string{c2o, o2h},
		},
		{
			name:        "3 successful trials close with an empty window",
			steps:       []step{trip, probe, succeed(3)},
			state:       breaker.Closed,
			transitions: []string{c2o, o2h, h2c},
		},
		{
			name:  "a reclosed breaker needs a full window again",
			steps: []step{trip, probe, succeed(3), fail(9), expect(breaker.Closed), fail(1)},
			state: breaker.Open, calls: 10, failures: 10, openedAt: 30 * time.Second,
			transitions: []string{c2o, o2h, h2c, c2o},
		},
		{
			name: "a failed trial reopens for a full 30s from the failure",
			steps: []step{trip, probe, hold("a"), hold("b"), advance(5 * time.Second),
				finish("a", true), finish("b", false), advance(30*time.Second - time.Nanosecond), rejected(1)},
			state: breaker.Open, calls: 10, failures: 10, rejections: 1, openedAt: 35 * time.Second,
			transitions: []string{c2o, o2h, h2o},
		},
		{
			name:        "a reopened breaker probes again after 30s",
			steps:       []step{trip, probe, fail(1), probe, succeed(3)},
			state:       breaker.Closed,
			transitions: []string{c2o, o2h, h2o, o2h, h2c},
		},
		{
			name:  "a call admitted while closed is ignored once open",
			steps: []step{hold("slow"), trip, finish("slow", true), probe, fail(1)},
			state: breaker.Open, calls: 10, failures: 10, openedAt: 30 * time.Second,
			transitions: []string{c2o, o2h, h2o},
		},
		{
			name:        "a call admitted while closed is ignored in the next closed period",
			steps:       []step{hold("slow"), trip, probe, succeed(3), finish("slow", false)},
			state:       breaker.Closed,
			transitions: []string{c2o, o2h, h2c},
		},
		{
			name: "a stale trial failure does not reopen",
			steps: []step{trip, probe, hold("a"), hold("b"), finish("a", false),
				probe, hold("c"), finish("b", false), hold("d")},
			state: breaker.HalfOpen, calls: 10, failures: 10,
			transitions: []string{c2o, o2h, h2o, o2h},
		},
		{
			name: "a stale trial does not count towards closing",
			steps: []step{trip, probe, hold("a"), hold("b"), finish("a", false),
				probe, hold("c"), hold("d"), finish("b", true), finish("c", true), finish("d", true)},
			state: breaker.HalfOpen, calls: 10, failures: 10,
			transitions: []string{c2o, o2h, h2o, o2h},
		},
		{
			name:  "done twice counts once",
			steps: []step{hold("a"), finish("a", false), finish("a", false), finish("a", true)},
			state: breaker.Closed, calls: 1, failures: 1,
		},
		{
			name: "a trial reported twice counts once",
			steps: []step{trip, probe, hold("a"), finish("a", true), finish("a", true), finish("a", true),
				expect(breaker.HalfOpen), succeed(2)},
			state:       breaker.Closed,
			transitions: []string{c2o, o2h, h2c},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock, rec := newClock(), &recorder{}
			h := &harness{t: t, b: newDefault(clock, rec), clock: clock, held: map[string]func(bool){}}
			for _, s := range tt.steps {
				s(h)
			}
			got := h.b.Snapshot()
			if got.State != tt.state || h.b.State() != tt.state {
				t.Errorf("state: Snapshot %s, State() %s, want %s", got.State, h.b.State(), tt.state)
			}
			if got.WindowCalls != tt.calls || got.WindowFailures != tt.failures {
				t.Errorf("window = %d calls %d failures, want %d, %d", got.WindowCalls, got.WindowFailures, tt.calls, tt.failures)
			}
			if got.Rejections != tt.rejections {
				t.Errorf("Rejections = %d, want %d", got.Rejections, tt.rejections)
			}
			var wantOpened, wantRetry time.Time
			if tt.state == breaker.Open {
				wantOpened = epoch.Add(tt.openedAt)
				wantRetry = wantOpened.Add(30 * time.Second)
			}
			if !got.OpenedAt.Equal(wantOpened) || !got.RetryAt.Equal(wantRetry) {
				t.Errorf("OpenedAt, RetryAt = %v, %v, want %v, %v", got.OpenedAt, got.RetryAt, wantOpened, wantRetry)
			}
			if trs := rec.list(); !slices.Equal(trs, tt.transitions) {
				t.Errorf("transitions = %v, want %v", trs, tt.transitions)
			}
		})
	}
}

func TestConfigOverrides(t *testing.T) {
	clock, rec := newClock(), &recorder{}
	b := breaker.New(breaker.Config{
		Window: 4, FailureRatio: 0.75, OpenFor: time.Minute, HalfOpenTrials: 1,
		Now: clock.Now, OnTransition: rec.record,
	})
	h := &harness{t: t, b: b, clock: clock, held: map[string]func(bool){}}
	for _, s := range []step{
		succeed(1), fail(2), expect(breaker.Closed), // 2 of 3: window not full
		fail(1), expect(breaker.Open), // 3 of 4 = 0.75
		advance(59 * time.Second), rejected(1),
		advance(time.Second), hold("trial"), rejected(1), // one trial only
		finish("trial", true), expect(breaker.Closed),
	} {
		s(h)
	}
	want := []string{"closed->open", "open->half_open", "half_open->closed"}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Errorf("transitions = %v, want %v", got, want)
	}
}

func TestRejectionError(t *testing.T) {
	clock := newClock()
	b := newDefault(clock, &recorder{})
	for range 10 {
		done, err := allow(b)
		if err != nil {
			t.Fatal(err)
		}
		done(false)
	}
	clock.Advance(10 * time.Second)
	_, err := b.Allow()
	if !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("err = %v, want ErrOpen", err)
	}
	if want := "circuit breaker open: retry in 20s"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

func TestStateString(t *testing.T) {
	tests := []struct {
		s    breaker.State
		want string
	}{
		{breaker.Closed, "closed"},
		{breaker.HalfOpen, "half_open"},
		{breaker.Open, "open"},
		{breaker.State(7), "State(7)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("State(%d).String() = %q, want %q", int(tt.s), got, tt.want)
		}
	}
}

// A call that never reached the provider counts neither way: it does not
// fill the window while closed, and while half-open it gives its trial slot
// back instead of closing or reopening the breaker.
func TestNotAttemptedCountsNeitherWay(t *testing.T) {
	clock := newClock()
	b := newDefault(clock, &recorder{})
	for range 20 {
		done, err := b.Allow()
		if err != nil {
			t.Fatal(err)
		}
		done(breaker.NotAttempted)
	}
	if s := b.Snapshot(); s.State != breaker.Closed || s.WindowCalls != 0 {
		t.Fatalf("after 20 unattempted calls: %+v", s)
	}
	for range 10 {
		done, _ := allow(b)
		done(false)
	}
	clock.Advance(30 * time.Second)
	for round := range 5 { // far more than the 3 trial slots, one at a time
		done, err := b.Allow()
		if err != nil {
			t.Fatalf("round %d: trial slot not given back: %v", round, err)
		}
		done(breaker.NotAttempted)
		if s := b.State(); s != breaker.HalfOpen {
			t.Fatalf("round %d: state %v, want half-open", round, s)
		}
	}
}
