package accounts

import (
	"errors"
	"time"

	"github.com/gpubroker/gpubroker/shared/store"
)

// Errors the service returns; the edge maps each to one HTTP status.
var (
	// ErrInvalidCredentials: wrong email, password, service id or secret
	// (401). Which one is never said.
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrInvalidToken: a refresh token that is unknown, expired or revoked (401).
	ErrInvalidToken = errors.New("invalid or expired refresh token")
	// ErrNoUser: the caller is authenticated, but no user account stands
	// behind its credential (a configured API key, a deleted user) (403).
	ErrNoUser = errors.New("this endpoint needs a user account")
	// ErrNotFound: no such resource for this user (404), whoever else owns it.
	ErrNotFound = store.ErrNotFound
	// ErrConflict: the email or service id is taken (409).
	ErrConflict = store.ErrConflict
	// ErrBusy: too many password checks are running; retry shortly (503).
	ErrBusy = errors.New("too many concurrent sign-ins; retry shortly")
	// ErrUnknownKey: an API key that is malformed, unknown or revoked.
	ErrUnknownKey = errors.New("unknown API key")
)

// FieldError is invalid input (400), naming the offending field.
type FieldError struct {
	Field   string
	Message string
	// Suggestions are known values close to one that names nothing.
	Suggestions []string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldErr(field, msg string) error { return &FieldError{Field: field, Message: msg} }

// ErrOffersUnavailable: an offer a request names could not be looked up,
// because no provider data is available (503).
var ErrOffersUnavailable = errors.New("offers cannot be looked up right now; retry shortly")

// ForbiddenError: authenticated, but not allowed (403): a plan feature or a
// scope the service token lacks.
type ForbiddenError struct{ Reason string }

func (e *ForbiddenError) Error() string { return e.Reason }

// LockedError: too many failed sign-ins (429); retry after RetryAfter.
type LockedError struct{ RetryAfter time.Duration }

func (e *LockedError) Error() string { return "too many failed sign-in attempts; retry later" }
