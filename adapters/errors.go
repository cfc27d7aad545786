package adapters

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// Error is what adapters return: the provider, a kind from the shared wire
// protocol (timeout, rate_limited, upstream, auth, internal), and the cause.
// Messages never contain credentials: adapters put keys only in headers or
// query values that are stripped from URLs before they reach an error.
type Error struct {
	Provider   string
	Kind       string
	Status     int           // upstream HTTP status, when there was one
	RetryAfter time.Duration // from a 429's Retry-After, when given
	Err        error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s: %s (HTTP %d): %v", e.Provider, e.Kind, e.Status, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Provider, e.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf classifies any error returned by an adapter.
func KindOf(err error) string {
	var ae *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return ae.Kind
	case errors.Is(err, context.DeadlineExceeded):
		return shared.ErrKindTimeout
	default:
		return shared.ErrKindInternal
	}
}

func errorf(provider, kind string, format string, args ...any) *Error {
	return &Error{Provider: provider, Kind: kind, Err: fmt.Errorf(format, args...)}
}
