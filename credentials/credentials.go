// Package credentials supplies provider API keys: the gateway's own key for
// each provider, and enterprise users' keys for their integrations. In
// production they live in Vault (or OpenBao) KV v2; the embedded default
// reads them from the environment. Keys travel as shared.Secret, which never
// prints its value.
package credentials

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// Store is where credentials live.
type Store interface {
	// Provider returns the gateway's credential for a provider, or
	// ErrNotFound when none is configured.
	Provider(ctx context.Context, provider string) (shared.Secret, error)
	// User returns an enterprise user's credential for a provider.
	User(ctx context.Context, user, provider string) (shared.Secret, error)
	// PutUser stores (or replaces) a user's credential for a provider.
	PutUser(ctx context.Context, user, provider string, key shared.Secret) (Integration, error)
	// ListUser lists a user's integrations, keys masked.
	ListUser(ctx context.Context, user string) ([]Integration, error)
	// DeleteUser removes a user's credential for a provider.
	DeleteUser(ctx context.Context, user, provider string) error
	// Healthy reports whether the backing store answers (always true for
	// the environment store).
	Healthy() bool
}

// Integration is what a user may see of a stored credential.
type Integration struct {
	Provider  string    `json:"provider"`
	Masked    string    `json:"api_key_masked"` // e.g. "****cdef"
	UpdatedAt time.Time `json:"updated_at"`
}

var (
	// ErrNotFound: no credential is stored there.
	ErrNotFound = errors.New("no provider key stored")
	// ErrUnavailable: the store cannot be reached and no usable cached
	// copy remains.
	ErrUnavailable = errors.New("provider key store unavailable")
)

// UnavailableError says why a credential could not be read. It matches
// ErrUnavailable with errors.Is.
type UnavailableError struct {
	Since    time.Time // first failed call of the current outage
	Path     string
	CachedAt time.Time // last successful read; zero when none was cached
	MaxStale time.Duration
	Err      error // the store's own error
}

func (e *UnavailableError) Error() string {
	since := e.Since.UTC().Format(time.RFC3339)
	if e.CachedAt.IsZero() {
		return fmt.Sprintf("vault unreachable since %s and no cached credential for %s: %v", since, e.Path, e.Err)
	}
	return fmt.Sprintf("vault unreachable since %s and the cached credential for %s is older than %v (read at %s): %v",
		since, e.Path, e.MaxStale, e.CachedAt.UTC().Format(time.RFC3339), e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnavailable) hold.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Paths under the KV v2 mount, relative to the configured prefix.
func providerPath(prefix, provider string) string { return prefix + "/providers/" + provider }

func userPath(prefix, user, provider string) string {
	return prefix + "/users/" + user + "/providers/" + provider
}

func userDir(prefix, user string) string { return prefix + "/users/" + user + "/providers" }
