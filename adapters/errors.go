package adapters

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/shared"
)

// Error is what adapters return: the provider, a kind from the shared wire
// protocol (timeout, rate_limited, upstream, auth, internal), and the cause.
// Messages never contain credentials: adapters put keys only in headers or
// query values that are stripped from URLs before they reach an error.
//
// Error() is the detailed message for logs; it may name URLs and quote the
// provider's body. Reason() is what may travel to API callers.
type Error struct {
	Provider   string
	Kind       string
	Status     int           // upstream HTTP status, when there was one
	RetryAfter time.Duration // from a 429's Retry-After, when given
	Err        error

	// reason, when set, is a more precise public reason than Kind and
	// Status give (no key configured, provider unreachable); only this
	// package knows those cases, so only it sets one.
	reason string
}

func (e *Error) Error() string {
	head := e.Kind
	if e.Status != 0 {
		head = fmt.Sprintf("%s (HTTP %d)", e.Kind, e.Status)
	}
	if e.Err == nil {
		return e.Provider + ": " + head
	}
	// The cause may already say who failed, and how: a parse error reads
	// "lambda: 3 instance types …", and this provider's *Error wrapped
	// again reads "aws: upstream (HTTP 500): …". Each part is said once.
	cause := e.Err.Error()
	if rest, named := strings.CutPrefix(cause, e.Provider+": "); named {
		cause = rest
		if rest, ok := strings.CutPrefix(cause, e.Kind); ok {
			switch {
			case strings.HasPrefix(rest, ": "):
				cause = rest[2:]
			case strings.HasPrefix(rest, " (HTTP ") && (e.Status == 0 || strings.HasPrefix(rest, fmt.Sprintf(" (HTTP %d)", e.Status))):
				return e.Provider + ": " + cause // the inner error has the status too
			}
		}
	}
	return e.Provider + ": " + head + ": " + cause
}

func (e *Error) Unwrap() error { return e.Err }

// Public reasons. They are fixed phrases, so that no URL, query string,
// key or upstream body can reach an API caller through them.
const (
	reasonTimeout     = "no answer from the provider within the fetch timeout"
	reasonNoKey       = "no API key configured"
	reasonUnreachable = "the provider could not be reached"
	reasonInternal    = "internal error"
)

// Reason is a short, stable description of what went wrong, fit for API
// callers: one per kind, with the upstream status where there is one.
func (e *Error) Reason() string {
	if e.reason != "" {
		return e.reason
	}
	switch e.Kind {
	case shared.ErrKindTimeout:
		return reasonTimeout
	case shared.ErrKindRateLimited:
		if e.Status != 0 {
			return fmt.Sprintf("the provider rate limited us (HTTP %d)", e.Status)
		}
		return "the provider rate limited us"
	case shared.ErrKindAuth:
		if e.Status != 0 {
			return fmt.Sprintf("the provider refused our credentials (HTTP %d)", e.Status)
		}
		return "our credentials for the provider could not be used"
	case shared.ErrKindUpstream:
		if e.Status != 0 {
			return fmt.Sprintf("the provider answered HTTP %d", e.Status)
		}
		// Without a status the answer arrived but was not what the
		// provider documents: undecodable, or without a usable entry.
		return "the provider's answer could not be read"
	case shared.ErrKindCredentialsUnavailable:
		// When the outage began is worth saying; where the key lives is not.
		var ue *credentials.UnavailableError
		if errors.As(e.Err, &ue) && !ue.Since.IsZero() {
			return "the provider key store has been unreachable since " + ue.Since.UTC().Format(time.RFC3339)
		}
		return "the provider key store is unavailable"
	case shared.ErrKindCircuitOpen:
		return "circuit open: the provider failed repeatedly and is not called for a while"
	case shared.ErrKindOverloaded:
		return "too many requests for this provider are already waiting"
	}
	return reasonInternal
}

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

// Reason is the public reason of any error, as KindOf classifies it: an
// *Error's own, the timeout's for a deadline, and "internal error" for
// anything else, whose text is not ours to show.
func Reason(err error) string {
	var ae *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return ae.Reason()
	case errors.Is(err, context.DeadlineExceeded):
		return reasonTimeout
	default:
		return reasonInternal
	}
}

func errorf(provider, kind string, format string, args ...any) *Error {
	return &Error{Provider: provider, Kind: kind, Err: fmt.Errorf(format, args...)}
}
