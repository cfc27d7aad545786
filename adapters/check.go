package adapters

import (
	"context"

	"github.com/gpubroker/gpubroker/credentials"
)

// CheckUser tries the credential owner stored for a provider with one
// fetch, through an adapter built for that key alone. The error is the
// store's (credentials.ErrNotFound, credentials.ErrUnavailable) or the
// adapter's; nil means the provider accepted the key and answered.
func CheckUser(ctx context.Context, store credentials.Store, provider string, base Config, owner string) error {
	key, err := store.User(ctx, owner, provider)
	if err != nil {
		return err
	}
	base.APIKey = key
	ad, err := New(provider, base)
	if err != nil {
		return err
	}
	_, err = ad.Fetch(ctx)
	return err
}
