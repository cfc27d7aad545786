package breaker_test

import (
	"time"

	"github.com/gpubroker/gpubroker/workers/breaker"
)

// model is the reference the property test holds the breaker to. It is
// written from the requirements, deliberately naively and independently of
// the implementation: it keeps every outcome since the last close and slices
// off the last ten, uses the default numbers literally, and tells calls of
// different periods apart by a period number.
type model struct {
	now         time.Duration // since the start of the test
	state       breaker.State
	outcomes    []bool // every outcome recorded since the breaker last closed; true = failure
	openedAt    time.Duration
	trials      int // admitted in this half-open period
	successes   int // of those trials
	period      int // changes whenever the state changes
	rejections  uint64
	transitions []string
}

func (m *model) move(to breaker.State) {
	m.transitions = append(m.transitions, m.state.String()+"->"+to.String())
	m.state = to
	m.period++
	if to == breaker.Open {
		m.openedAt = m.now
	}
	if to == breaker.HalfOpen {
		m.trials = 0
		m.successes = 0
	}
	if to == breaker.Closed {
		m.outcomes = nil
	}
}

// currentState is what State() must say.
func (m *model) currentState() breaker.State {
	if m.state == breaker.Open && m.now >= m.openedAt+30*time.Second {
		return breaker.HalfOpen
	}
	return m.state
}

// allow returns whether a call is admitted and the period it belongs to.
func (m *model) allow() (admitted bool, period int) {
	if m.currentState() != m.state {
		m.move(breaker.HalfOpen)
	}
	if m.state == breaker.Open || (m.state == breaker.HalfOpen && m.trials == 3) {
		m.rejections++
		return false, 0
	}
	if m.state == breaker.HalfOpen {
		m.trials++
	}
	return true, m.period
}

// done reports the first outcome of a call admitted in period.
func (m *model) done(period int, success bool) {
	if period != m.period {
		return
	}
	if m.state == breaker.Closed {
		m.outcomes = append(m.outcomes, !success)
		calls, failures := m.window()
		if calls == 10 && failures >= 5 {
			m.move(breaker.Open)
		}
		return
	}
	if !success {
		m.move(breaker.Open)
		return
	}
	m.successes++
	if m.successes == 3 {
		m.move(breaker.Closed)
	}
}

// window counts the last ten outcomes.
func (m *model) window() (calls, failures int) {
	last := m.outcomes
	if len(last) > 10 {
		last = last[len(last)-10:]
	}
	for _, failed := range last {
		if failed {
			failures++
		}
	}
	return len(last), failures
}
