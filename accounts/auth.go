package accounts

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/gpubroker/gpubroker/shared/store"
)

// DefaultPlan is the plan of a new user.
const DefaultPlan = "free"

// TokenPair is what a sign-in or a refresh returns.
type TokenPair struct {
	Access       Token
	RefreshToken string
}

// Register creates a user on the free plan. The returned user carries no
// password hash.
func (s *Service) Register(ctx context.Context, email, password string) (store.User, error) {
	email, err := normalizeEmail("email", email)
	if err != nil {
		return store.User{}, err
	}
	if err := validPassword("password", password); err != nil {
		return store.User{}, err
	}
	var phc string
	err = s.hashing(ctx, func() (err error) {
		phc, err = HashPassword(s.cfg.Hash, password)
		return err
	})
	if err != nil {
		return store.User{}, err
	}
	id, err := newID()
	if err != nil {
		return store.User{}, err
	}
	u := store.User{ID: id, Email: email, PasswordHash: phc, Plan: DefaultPlan, CreatedAt: s.cfg.Now().UTC()}
	if err := s.st.CreateUser(ctx, u); err != nil {
		return store.User{}, fmt.Errorf("accounts: registering: %w", err)
	}
	u.PasswordHash = ""
	return u, nil
}

// Login checks an email and password, gated by the failed-login counters of
// the account and of clientIP, and starts a new refresh-token family.
func (s *Service) Login(ctx context.Context, email, password, clientIP string) (TokenPair, error) {
	email, err := normalizeEmail("email", email)
	if err != nil {
		return TokenPair{}, err
	}
	if password == "" {
		return TokenPair{}, fieldErr("password", "is required")
	}
	if utf8.RuneCountInString(password) > MaxPasswordLen {
		return TokenPair{}, fieldErr("password", "must be at most 1024 characters")
	}
	att, err := s.lock.Begin(Subject{"acct:" + email, s.cfg.AccountLimit}, Subject{"ip:" + clientIP, s.cfg.IPLimit})
	if err != nil {
		return TokenPair{}, err
	}
	u, err := s.st.UserByEmail(ctx, email)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		att.Done()
		return TokenPair{}, fmt.Errorf("accounts: looking up user: %w", err)
	}
	phc := u.PasswordHash
	if !known {
		phc = s.dummyHash // same work as a real check: timing does not reveal accounts
	}
	ok, err := s.verify(ctx, phc, password)
	if err != nil {
		att.Done()
		return TokenPair{}, err
	}
	if !ok || !known || u.Disabled {
		att.Fail(ctx)
		return TokenPair{}, ErrInvalidCredentials
	}
	att.Done()
	family, err := newID()
	if err != nil {
		return TokenPair{}, err
	}
	return s.issuePair(ctx, u, family, "")
}

// verify checks a secret against a stored hash in a hashing slot.
func (s *Service) verify(ctx context.Context, phc, secret string) (bool, error) {
	var ok bool
	err := s.hashing(ctx, func() error {
		var err error
		ok, err = VerifyPassword(phc, secret)
		if err != nil {
			s.log.Error("stored credential hash is malformed", "err", err)
			ok = false // a corrupt row never matches; it is not the caller's fault either
		}
		return nil
	})
	return ok, err
}

// issuePair signs an access token for u and stores the next refresh token
// of family: a fresh one, or the successor of oldID.
func (s *Service) issuePair(ctx context.Context, u store.User, family, oldID string) (TokenPair, error) {
	access, err := s.iss.IssueAccess(u.ID, u.Plan)
	if err != nil {
		return TokenPair{}, err
	}
	secret, err := newSecret(refreshTokenPrefix)
	if err != nil {
		return TokenPair{}, err
	}
	id, err := newID()
	if err != nil {
		return TokenPair{}, err
	}
	now := s.cfg.Now().UTC()
	rt := store.RefreshToken{ID: id, UserID: u.ID, FamilyID: family, Hash: HashKey([]byte(secret)),
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTTL)}
	if oldID == "" {
		err = s.st.CreateRefreshToken(ctx, rt)
	} else {
		err = s.st.RotateRefreshToken(ctx, oldID, rt, now)
	}
	if err != nil {
		return TokenPair{}, fmt.Errorf("accounts: storing refresh token: %w", err)
	}
	return TokenPair{Access: access, RefreshToken: secret}, nil
}

// Refresh exchanges a refresh token for a new pair, revoking it. A token
// that was already used (or loses a race to be used) revokes its whole
// family: whoever holds a copy, the thief or the user, must sign in again.
func (s *Service) Refresh(ctx context.Context, token string) (TokenPair, error) {
	rt, err := s.refreshToken(ctx, token)
	if err != nil {
		return TokenPair{}, err
	}
	now := s.cfg.Now()
	if !rt.RevokedAt.IsZero() {
		s.log.Warn("refresh token reused; revoking its family", "user_id", rt.UserID, "family_id", rt.FamilyID)
		return TokenPair{}, s.revokeFamily(ctx, rt.FamilyID)
	}
	if !now.Before(rt.ExpiresAt) {
		return TokenPair{}, ErrInvalidToken
	}
	u, err := s.st.UserByID(ctx, rt.UserID)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && u.Disabled:
		return TokenPair{}, s.revokeFamily(ctx, rt.FamilyID)
	case err != nil:
		return TokenPair{}, fmt.Errorf("accounts: looking up user: %w", err)
	}
	pair, err := s.issuePair(ctx, u, rt.FamilyID, rt.ID)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Warn("refresh token used concurrently; revoking its family", "user_id", rt.UserID, "family_id", rt.FamilyID)
		return TokenPair{}, s.revokeFamily(ctx, rt.FamilyID)
	}
	return pair, err
}

// Logout revokes the family of a refresh token: every token it led to.
func (s *Service) Logout(ctx context.Context, token string) error {
	rt, err := s.refreshToken(ctx, token)
	if err != nil {
		return err
	}
	if err := s.st.RevokeRefreshFamily(ctx, rt.FamilyID, s.cfg.Now().UTC()); err != nil {
		return fmt.Errorf("accounts: revoking refresh tokens: %w", err)
	}
	return nil
}

// refreshToken finds a presented refresh token, revoked or not.
func (s *Service) refreshToken(ctx context.Context, token string) (store.RefreshToken, error) {
	if token == "" {
		return store.RefreshToken{}, fieldErr("refresh_token", "is required")
	}
	if !wellFormed([]byte(token), refreshTokenPrefix) {
		return store.RefreshToken{}, ErrInvalidToken
	}
	rt, err := s.st.RefreshTokenByHash(ctx, HashKey([]byte(token)))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.RefreshToken{}, ErrInvalidToken
	case err != nil:
		return store.RefreshToken{}, fmt.Errorf("accounts: looking up refresh token: %w", err)
	}
	return rt, nil
}

// revokeFamily revokes a family and reports the token invalid.
func (s *Service) revokeFamily(ctx context.Context, family string) error {
	if err := s.st.RevokeRefreshFamily(ctx, family, s.cfg.Now().UTC()); err != nil {
		return fmt.Errorf("accounts: revoking refresh tokens: %w", err)
	}
	return ErrInvalidToken
}
