package breaker

import (
	"errors"
	"strconv"
)

// State is the position of a breaker in its state machine. The zero value
// is Closed, the state a new breaker starts in.
type State int

const (
	// Closed admits every call and watches the failure ratio.
	Closed State = iota
	// HalfOpen admits a few trial calls to probe the provider.
	HalfOpen
	// Open rejects every call until its open period has elapsed.
	Open
)

// String returns the name used in logs, metrics and health pages.
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case HalfOpen:
		return "half_open"
	case Open:
		return "open"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// ErrOpen matches (errors.Is) every rejection by [Breaker.Allow].
var ErrOpen = errors.New("circuit breaker open")
