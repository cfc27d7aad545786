package accounts

import (
	"context"
	"fmt"
	"strings"

	"github.com/gpubroker/gpubroker/shared/store"
)

// CreateAPIKey makes a key for p. The key is returned once; only its
// SHA-256 and its first characters (to tell keys apart) are kept.
func (s *Service) CreateAPIKey(ctx context.Context, p Principal, name string) (store.APIKey, string, error) {
	if err := p.user(); err != nil {
		return store.APIKey{}, "", err
	}
	if err := validLabel("name", name); err != nil {
		return store.APIKey{}, "", err
	}
	key, err := newSecret(APIKeyPrefix)
	if err != nil {
		return store.APIKey{}, "", err
	}
	id, err := newID()
	if err != nil {
		return store.APIKey{}, "", err
	}
	k := store.APIKey{ID: id, UserID: p.UserID, Name: strings.TrimSpace(name), Prefix: key[:keyPrefixShown],
		Hash: HashKey([]byte(key)), CreatedAt: s.cfg.Now().UTC()}
	if err := s.st.CreateAPIKey(ctx, k); err != nil {
		return store.APIKey{}, "", fmt.Errorf("accounts: creating API key: %w", err)
	}
	k.Hash = nil
	return k, key, nil
}

// ListAPIKeys lists p's keys, revoked ones included, without their hashes.
func (s *Service) ListAPIKeys(ctx context.Context, p Principal) ([]store.APIKey, error) {
	if err := p.user(); err != nil {
		return nil, err
	}
	keys, err := s.st.ListAPIKeys(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("accounts: listing API keys: %w", err)
	}
	for i := range keys {
		keys[i].Hash = nil
	}
	return keys, nil
}

// RevokeAPIKey revokes one of p's keys; another user's key is ErrNotFound.
// This edge stops accepting the key at once, others within the KeyAuth
// positive-cache time.
func (s *Service) RevokeAPIKey(ctx context.Context, p Principal, id string) error {
	if err := p.user(); err != nil {
		return err
	}
	if err := s.st.RevokeAPIKey(ctx, p.UserID, id); err != nil {
		return fmt.Errorf("accounts: revoking API key: %w", err)
	}
	s.keys.Forget(id)
	return nil
}
