package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/gpubroker/gpubroker/shared/store"
)

// CreateServiceAccount creates a service account owned by p with scopes.
// Its id (the service_id of token requests) is generated; name is p's own
// label, unique among p's accounts only, so a conflict never reveals
// another tenant's. The secret is returned once; only its argon2id hash is
// kept.
func (s *Service) CreateServiceAccount(ctx context.Context, p Principal, name string, scopes []string) (store.ServiceAccount, string, error) {
	if err := p.user(); err != nil {
		return store.ServiceAccount{}, "", err
	}
	if err := validServiceID("name", name); err != nil {
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
	id, err := newID()
	if err != nil {
		return store.ServiceAccount{}, "", err
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
	a := store.ServiceAccount{ID: id, Name: name, OwnerID: owner.ID, SecretHash: phc, Scopes: scopes, Plan: owner.Plan,
		CreatedAt: s.cfg.Now().UTC()}
	if err := s.st.CreateServiceAccount(ctx, a); err != nil {
		return store.ServiceAccount{}, "", fmt.Errorf("accounts: creating service account: %w", err)
	}
	a.SecretHash = ""
	return a, secret, nil
}

// ListServiceAccounts lists p's service accounts, never their secrets.
func (s *Service) ListServiceAccounts(ctx context.Context, p Principal) ([]store.ServiceAccount, error) {
	if err := p.user(); err != nil {
		return nil, err
	}
	list, err := s.st.ListServiceAccounts(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("accounts: listing service accounts: %w", err)
	}
	for i := range list {
		list[i].SecretHash = ""
	}
	return list, nil
}

// DeleteServiceAccount removes one of p's service accounts; another
// tenant's id is ErrNotFound. Its tokens stop working at once on this edge
// and within the ServiceAuth cache time on the others.
func (s *Service) DeleteServiceAccount(ctx context.Context, p Principal, id string) error {
	if err := p.user(); err != nil {
		return err
	}
	if err := s.st.DeleteServiceAccount(ctx, p.UserID, id); err != nil {
		return fmt.Errorf("accounts: deleting service account: %w", err)
	}
	s.services.Forget(id)
	return nil
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
	// The plan in the token is informational: every use takes the owner's
	// current plan (ServiceAuth).
	tok, err := s.iss.IssueService(a.ID, a.OwnerID, owner.Plan, a.Scopes)
	a.SecretHash, a.Plan = "", owner.Plan
	return tok, a, err
}
