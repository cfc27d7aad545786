package adapters

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/shared"
)

// bound is an adapter whose key is looked up in a Store on every fetch, so
// a key rotated in Vault is used on the next call, and an unreachable Vault
// past its grace period fails the provider with shared.ErrKindCredentialsUnavailable and the
// time the outage began.
type bound struct {
	name  string
	base  Config
	store credentials.Store
	mu    sync.Mutex
	key   string
	cur   Adapter
}

// Bind returns the named provider's adapter with its key from store.
// base.APIKey, when set, is used only if the store has no key for it.
func Bind(name string, base Config, store credentials.Store) (Adapter, error) {
	if _, ok := Lookup(name); !ok {
		return nil, fmt.Errorf("unknown provider %q", name)
	}
	return &bound{name: name, base: base, store: store}, nil
}

func (b *bound) Name() string { return b.name }

func (b *bound) Fetch(ctx context.Context) ([]shared.Offer, error) {
	key, err := b.store.Provider(ctx, b.name)
	switch {
	case errors.Is(err, credentials.ErrNotFound):
		key = b.base.APIKey
	case errors.Is(err, credentials.ErrUnavailable):
		return nil, &Error{Provider: b.name, Kind: shared.ErrKindCredentialsUnavailable, Err: err}
	case err != nil:
		return nil, &Error{Provider: b.name, Kind: shared.ErrKindAuth, Err: err}
	}
	ad, err := b.adapter(key)
	if err != nil {
		return nil, err
	}
	return ad.Fetch(ctx)
}

// adapter rebuilds the provider's adapter when its key changed.
func (b *bound) adapter(key shared.Secret) (Adapter, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur != nil && key.Reveal() == b.key {
		return b.cur, nil
	}
	cfg := b.base
	cfg.APIKey = key
	ad, err := New(b.name, cfg)
	if err != nil {
		return nil, err
	}
	b.cur, b.key = ad, key.Reveal()
	return ad, nil
}
