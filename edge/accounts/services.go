package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/gpubroker/gpubroker/shared/store"
)

// CreateServiceAccount creates a service account owned by p with scopes,
// on p's plan. The secret is returned once; only its argon2id hash is kept.
func (s *Service) CreateServiceAccount(ctx context.Context, p Principal, serviceID string, scopes []string) (store.ServiceAccount, string, error) {
	if err := p.user(); err != nil {
		return store.ServiceAccount{}, "", err
	}
	if err := validServiceID("service_id", serviceID); err != nil {
		return store.ServiceAccount{}, "", err
	}
	scopes, err := validScopes("scopes", scopes)
	if err != nil {
		return store.ServiceAccount{}, "", err
	}
	owner, err := s.st.UserByID(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.ServiceAccount{}, "", ErrNoUser
	}
	if err != nil {
		return store.ServiceAccount{}, "", fmt.Errorf("accounts: looking up user: %w", err)
	}
	secret, err := newSecret(serviceSecretPrefix)
	if err != nil {
		return store.ServiceAccount{}, "", err
	}
	var phc string
	err = s.hashing(ctx, func() (err error) {
		phc, err = HashPassword(s.cfg.Hash, secret)
		return err
	})
	if err != nil {
		return store.ServiceAccount{}, "", err
	}
	a := store.ServiceAccount{ID: serviceID, OwnerID: owner.ID, SecretHash: phc, Scopes: scopes, Plan: owner.Plan,
		CreatedAt: s.cfg.Now().UTC()}
	if err := s.st.CreateServiceAccount(ctx, a); err != nil {
		return store.ServiceAccount{}, "", fmt.Errorf("accounts: creating service account: %w", err)
	}
	a.SecretHash = ""
	return a, secret, nil
}

// validScopes requires at least one known scope and drops repeats.
func validScopes(field string, scopes []string) ([]string, error) {
	if len(scopes) == 0 {
		return nil, fieldErr(field, "must list at least one scope")
	}
	if len(scopes) > len(Scopes) {
		return nil, fieldErr(field, "lists more scopes than exist")
	}
	out := make([]string, 0, len(scopes))
	for i, sc := range scopes {
		if !slices.Contains(Scopes, sc) {
			f := field + "[" + strconv.Itoa(i) + "]"
			return nil, fieldErr(f, "unknown scope; use one of "+joinQuoted(Scopes))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// ServiceToken checks a service account's secret, gated like a login (per
// service id and per client IP), and signs a long-lived service token.
func (s *Service) ServiceToken(ctx context.Context, serviceID, secret, clientIP string) (Token, store.ServiceAccount, error) {
	if err := validServiceID("service_id", serviceID); err != nil {
		return Token{}, store.ServiceAccount{}, err
	}
	if secret == "" {
		return Token{}, store.ServiceAccount{}, fieldErr("secret", "is required")
	}
	if !wellFormed([]byte(secret), serviceSecretPrefix) {
		// Cannot match any account: refuse without spending a hash on it.
		return Token{}, store.ServiceAccount{}, ErrInvalidCredentials
	}
	att, err := s.lock.Begin(Subject{"svc:" + serviceID, s.cfg.AccountLimit}, Subject{"ip:" + clientIP, s.cfg.IPLimit})
	if err != nil {
		return Token{}, store.ServiceAccount{}, err
	}
	a, err := s.st.ServiceAccountByID(ctx, serviceID)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		att.Done()
		return Token{}, store.ServiceAccount{}, fmt.Errorf("accounts: looking up service account: %w", err)
	}
	phc := a.SecretHash
	if !known {
		phc = s.dummyHash
	}
	ok, err := s.verify(ctx, phc, secret)
	if err != nil {
		att.Done()
		return Token{}, store.ServiceAccount{}, err
	}
	if !ok || !known || a.Disabled {
		att.Fail(ctx)
		return Token{}, store.ServiceAccount{}, ErrInvalidCredentials
	}
	att.Done()
	owner, err := s.st.UserByID(ctx, a.OwnerID)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && owner.Disabled:
		return Token{}, store.ServiceAccount{}, ErrInvalidCredentials
	case err != nil:
		return Token{}, store.ServiceAccount{}, fmt.Errorf("accounts: looking up owner: %w", err)
	}
	tok, err := s.iss.IssueService(a.ID, a.OwnerID, a.Plan, a.Scopes)
	a.SecretHash = ""
	return tok, a, err
}
