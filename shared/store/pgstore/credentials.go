package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gpubroker/gpubroker/shared/store"
)

const apiKeyColumns = "k.id, k.user_id, k.name, k.prefix, k.hash, k.created_at, k.last_used_at, k.revoked_at"

// CreateAPIKey stores k (an empty ID gets a new UUID). A taken hash or id
// is ErrConflict, an unknown user ErrNotFound.
func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	if len(k.Hash) == 0 {
		return errors.New("pgstore: create api key: empty hash")
	}
	if k.ID == "" {
		k.ID = store.NewID()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (id, user_id, name, prefix, hash, created_at, last_used_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.UserID, k.Name, k.Prefix, k.Hash, orNow(k.CreatedAt), nullTime(k.LastUsedAt), nullTime(k.RevokedAt))
	return wrap("create api key", err)
}

// APIKeyByHash finds an active key and its owner; a revoked key is
// ErrNotFound. The owner is returned even when disabled: that is the
// caller's decision.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (store.APIKey, store.User, error) {
	row := s.pool.QueryRow(ctx, "SELECT "+apiKeyColumns+`, u.id, u.email, u.password_hash, u.plan, u.created_at, u.disabled
		FROM api_keys k JOIN users u ON u.id = k.user_id
		WHERE k.hash = $1 AND k.revoked_at IS NULL`, hash)
	var (
		k    store.APIKey
		u    store.User
		used *time.Time
		rev  *time.Time
	)
	err := row.Scan(&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &k.CreatedAt, &used, &rev,
		&u.ID, &u.Email, &u.PasswordHash, &u.Plan, &u.CreatedAt, &u.Disabled)
	if err != nil {
		return store.APIKey{}, store.User{}, wrap("api key by hash", err)
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = k.CreatedAt.UTC(), fromNull(used), fromNull(rev)
	u.CreatedAt = u.CreatedAt.UTC()
	return k, u, nil
}

// ListAPIKeys returns all of a user's keys, revoked ones included, oldest
// first.
func (s *Store) ListAPIKeys(ctx context.Context, userID string) ([]store.APIKey, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+apiKeyColumns+" FROM api_keys k WHERE k.user_id = $1 ORDER BY k.created_at, k.id", userID)
	if err != nil {
		return nil, wrap("list api keys", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.APIKey, error) {
		var (
			k         store.APIKey
			used, rev *time.Time
		)
		if err := row.Scan(&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &k.CreatedAt, &used, &rev); err != nil {
			return store.APIKey{}, err
		}
		k.CreatedAt, k.LastUsedAt, k.RevokedAt = k.CreatedAt.UTC(), fromNull(used), fromNull(rev)
		return k, nil
	})
	return keys, wrap("list api keys", err)
}

// RevokeAPIKey revokes one of userID's keys; revoking twice keeps the
// first revocation time. Another user's key is ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, userID, id string) error {
	tag, err := s.pool.Exec(ctx,
		"UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND user_id = $2",
		id, userID, time.Now())
	return affected("revoke api key", tag, err)
}

// TouchAPIKey records a use of a key; the recorded time never moves back.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, "UPDATE api_keys SET last_used_at = GREATEST(last_used_at, $2) WHERE id = $1", id, at)
	return affected("touch api key", tag, err)
}

const refreshColumns = "id, user_id, family_id, hash, created_at, expires_at, revoked_at, replaced_by"

// CreateRefreshToken stores t (an empty ID gets a new UUID).
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	return insertRefresh(ctx, s.pool, t)
}

// execer is what the pool and a transaction share.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

func insertRefresh(ctx context.Context, db execer, t store.RefreshToken) error {
	if len(t.Hash) == 0 {
		return errors.New("pgstore: create refresh token: empty hash")
	}
	if t.ID == "" {
		t.ID = store.NewID()
	}
	_, err := db.Exec(ctx, "INSERT INTO refresh_tokens ("+refreshColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		t.ID, t.UserID, t.FamilyID, t.Hash, orNow(t.CreatedAt), nullTime(t.ExpiresAt), nullTime(t.RevokedAt), t.ReplacedBy)
	return wrap("create refresh token", err)
}

// RefreshTokenByHash finds a token whatever its state: the caller needs
// revoked ones to detect reuse.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash []byte) (store.RefreshToken, error) {
	var (
		t                store.RefreshToken
		expires, revoked *time.Time
	)
	err := s.pool.QueryRow(ctx, "SELECT "+refreshColumns+" FROM refresh_tokens WHERE hash = $1", hash).
		Scan(&t.ID, &t.UserID, &t.FamilyID, &t.Hash, &t.CreatedAt, &expires, &revoked, &t.ReplacedBy)
	if err != nil {
		return store.RefreshToken{}, wrap("refresh token by hash", err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = t.CreatedAt.UTC(), fromNull(expires), fromNull(revoked)
	return t, nil
}

// RotateRefreshToken revokes oldID as replaced by next and stores next, in
// one transaction. The revoking UPDATE only matches a live token and takes
// its row lock, so of two concurrent rotations of the same token exactly
// one succeeds; the other re-reads the revoked row and gets ErrNotFound.
func (s *Store) RotateRefreshToken(ctx context.Context, oldID string, next store.RefreshToken, at time.Time) error {
	if next.ID == "" {
		next.ID = store.NewID()
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE refresh_tokens SET revoked_at = $2, replaced_by = $3
			WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`, oldID, at, next.ID)
		if err := affected("rotate refresh token", tag, err); err != nil {
			return err
		}
		return insertRefresh(ctx, tx, next)
	})
}

// RevokeRefreshFamily revokes every live token of a family (reuse
// detection); already revoked ones keep their time.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time) error {
	_, err := s.pool.Exec(ctx, "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL", familyID, at)
	return wrap("revoke refresh family", err)
}

// CreateServiceAccount stores a; a name the owner already uses (or a taken
// id) is ErrConflict, an unknown owner ErrNotFound. An empty name is the id,
// as for the accounts created before names existed.
func (s *Store) CreateServiceAccount(ctx context.Context, a store.ServiceAccount) error {
	if a.ID == "" {
		return errors.New("pgstore: create service account: empty id")
	}
	if a.Name == "" {
		a.Name = a.ID
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO service_accounts (id, name, owner_id, secret_hash, scopes, plan, created_at, disabled)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		a.ID, a.Name, a.OwnerID, a.SecretHash, orEmpty(a.Scopes), a.Plan, orNow(a.CreatedAt), a.Disabled)
	return wrap("create service account", err)
}

// ServiceAccountByID finds a service account by its service id.
func (s *Store) ServiceAccountByID(ctx context.Context, id string) (store.ServiceAccount, error) {
	var a store.ServiceAccount
	err := s.pool.QueryRow(ctx, `SELECT id, name, owner_id, secret_hash, scopes, plan, created_at, disabled
		FROM service_accounts WHERE id = $1`, id).
		Scan(&a.ID, &a.Name, &a.OwnerID, &a.SecretHash, &a.Scopes, &a.Plan, &a.CreatedAt, &a.Disabled)
	if err != nil {
		return store.ServiceAccount{}, wrap("service account by id", err)
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return a, nil
}

// ListServiceAccounts returns ownerID's accounts, oldest first; the secret
// hashes are not read.
func (s *Store) ListServiceAccounts(ctx context.Context, ownerID string) ([]store.ServiceAccount, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, owner_id, scopes, plan, created_at, disabled
		FROM service_accounts WHERE owner_id = $1 ORDER BY created_at, id`, ownerID)
	if err != nil {
		return nil, wrap("list service accounts", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.ServiceAccount, error) {
		var a store.ServiceAccount
		if err := row.Scan(&a.ID, &a.Name, &a.OwnerID, &a.Scopes, &a.Plan, &a.CreatedAt, &a.Disabled); err != nil {
			return store.ServiceAccount{}, err
		}
		a.CreatedAt = a.CreatedAt.UTC()
		return a, nil
	})
	return list, wrap("list service accounts", err)
}

// DeleteServiceAccount removes one of ownerID's accounts; another owner's
// is ErrNotFound.
func (s *Store) DeleteServiceAccount(ctx context.Context, ownerID, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM service_accounts WHERE id = $1 AND owner_id = $2", id, ownerID)
	return affected("delete service account", tag, err)
}
