package credentials

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// Env is the embedded default: provider keys come from the environment (or
// a file the operator exported into it) and users' integrations are kept
// in memory for the life of the process. Production uses Vault.
type Env struct {
	providers map[string]shared.Secret
	mu        sync.Mutex
	users     map[string]map[string]stored
	now       func() time.Time
}

type stored struct {
	key     shared.Secret
	updated time.Time
}

// NewEnv serves the given provider keys.
func NewEnv(providerKeys map[string]shared.Secret) *Env {
	return &Env{providers: providerKeys, users: map[string]map[string]stored{}, now: time.Now}
}

// Provider returns the configured key.
func (e *Env) Provider(_ context.Context, provider string) (shared.Secret, error) {
	if k, ok := e.providers[provider]; ok && !k.IsZero() {
		return k, nil
	}
	return shared.Secret{}, ErrNotFound
}

// User returns a user's stored key.
func (e *Env) User(_ context.Context, user, provider string) (shared.Secret, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.users[user][provider]; ok {
		return s.key, nil
	}
	return shared.Secret{}, ErrNotFound
}

// PutUser stores a user's key.
func (e *Env) PutUser(_ context.Context, user, provider string, key shared.Secret) (Integration, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.users[user] == nil {
		e.users[user] = map[string]stored{}
	}
	s := stored{key: key, updated: e.now().UTC()}
	e.users[user][provider] = s
	return Integration{Provider: provider, Masked: key.Mask(), UpdatedAt: s.updated}, nil
}

// ListUser lists a user's integrations.
func (e *Env) ListUser(_ context.Context, user string) ([]Integration, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []Integration{}
	for p, s := range e.users[user] {
		out = append(out, Integration{Provider: p, Masked: s.key.Mask(), UpdatedAt: s.updated})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out, nil
}

// DeleteUser removes a user's key.
func (e *Env) DeleteUser(_ context.Context, user, provider string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.users[user][provider]; !ok {
		return ErrNotFound
	}
	delete(e.users[user], provider)
	return nil
}

// Healthy is always true: the environment cannot go down.
func (e *Env) Healthy() bool { return true }
