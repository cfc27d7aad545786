package breaker_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/workers/breaker"
)

// propCall is one admitted call as both the breaker and the model see it.
type propCall struct {
	done     func(bool)
	period   int
	finished bool
}

// TestPropertyMatchesModel drives the breaker and the reference model with
// the same random operations and compares them after every step.
func TestPropertyMatchesModel(t *testing.T) {
	seen := map[string]int{}
	rapid.Check(t, func(t *rapid.T) {
		clock, rec := newClock(), &recorder{}
		b := newDefault(clock, rec)
		m := &model{}
		var outstanding, finished []*propCall

		steps := rapid.IntRange(20, 400).Draw(t, "steps")
		for i := range steps {
			switch op := rapid.IntRange(0, 9).Draw(t, "op"); {
			case op <= 3: // Allow
				done, err := allow(b)
				admitted, period := m.allow()
				if (err == nil) != admitted {
					t.Fatalf("step %d: Allow err = %v, model admits: %v", i, err, admitted)
				}
				if err != nil && !errors.Is(err, breaker.ErrOpen) {
					t.Fatalf("step %d: rejection %v does not match ErrOpen", i, err)
				}
				if admitted {
					outstanding = append(outstanding, &propCall{done: done, period: period})
				}
			case op <= 6: // complete an outstanding call
				if len(outstanding) == 0 {
					continue
				}
				k := rapid.IntRange(0, len(outstanding)-1).Draw(t, "call")
				success := rapid.Bool().Draw(t, "success")
				c := outstanding[k]
				outstanding = slices.Delete(outstanding, k, k+1)
				c.done(success)
				m.done(c.period, success)
				c.finished = true
				finished = append(finished, c)
			case op == 7: // report a finished call again: must change nothing
				if len(finished) == 0 {
					continue
				}
				c := finished[rapid.IntRange(0, len(finished)-1).Draw(t, "again")]
				c.done(rapid.Bool().Draw(t, "success"))
			default: // advance the clock
				d := time.Duration(rapid.IntRange(0, 40).Draw(t, "seconds")) * time.Second
				clock.Advance(d)
				m.now += d
			}

			if got, want := b.State(), m.currentState(); got != want {
				t.Fatalf("step %d: State() = %s, model %s", i, got, want)
			}
			s := b.Snapshot()
			calls, failures := m.window()
			if s.State != m.currentState() || s.WindowCalls != calls || s.WindowFailures != failures || s.Rejections != m.rejections {
				t.Fatalf("step %d: snapshot %+v, model state %s window %d/%d rejections %d",
					i, s, m.currentState(), calls, failures, m.rejections)
			}
			if got := rec.list(); !slices.Equal(got, m.transitions) {
				t.Fatalf("step %d: transitions %v, model %v", i, got, m.transitions)
			}
		}
		for _, tr := range m.transitions {
			seen[tr]++
		}
	})
	t.Logf("transitions seen: %v", seen)
	// Guards against a vacuous property: the random walks must have
	// exercised every edge of the state machine.
	for _, tr := range []string{"closed->open", "open->half_open", "half_open->closed", "half_open->open"} {
		if seen[tr] == 0 {
			t.Errorf("no test case went through %s: %v", tr, seen)
		}
	}
}
