package embedded

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/gpubroker/gpubroker/shared/store"
)

const apiKeyColumns = "k.id, k.user_id, k.name, k.prefix, k.hash, k.created_at, k.last_used_at, k.revoked_at"

// CreateAPIKey stores k (an empty ID gets a new UUID). A taken hash or id
// is ErrConflict, an unknown user ErrNotFound.
func (s *Store) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	if len(k.Hash) == 0 {
		return errors.New("embedded: create api key: empty hash")
	}
	if k.ID == "" {
		k.ID = store.NewID()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_keys (id, user_id, name, prefix, hash, created_at, last_used_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.UserID, k.Name, k.Prefix, k.Hash, orNow(k.CreatedAt).UnixMicro(), nullMicros(k.LastUsedAt), nullMicros(k.RevokedAt))
	return wrap("create api key", err)
}

// APIKeyByHash finds an active key and its owner; a revoked key is
// ErrNotFound. The owner is returned even when disabled: that is the
// caller's decision.
func (s *Store) APIKeyByHash(ctx context.Context, hash []byte) (store.APIKey, store.User, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+apiKeyColumns+`, u.id, u.email, u.password_hash, u.plan, u.created_at, u.disabled
		FROM api_keys k JOIN users u ON u.id = k.user_id
		WHERE k.hash = ? AND k.revoked_at IS NULL`, hash)
	var (
		u       store.User
		created int64
	)
	k, err := scanAPIKey(row, &u.ID, &u.Email, &u.PasswordHash, &u.Plan, &created, &u.Disabled)
	if err != nil {
		return store.APIKey{}, store.User{}, wrap("api key by hash", err)
	}
	u.CreatedAt = fromMicros(created)
	return k, u, nil
}

// scanAPIKey scans apiKeyColumns followed by extra destinations.
func scanAPIKey(row scanner, extra ...any) (store.APIKey, error) {
	var (
		k         store.APIKey
		created   int64
		used, rev sql.NullInt64
	)
	dest := append([]any{&k.ID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &created, &used, &rev}, extra...)
	if err := row.Scan(dest...); err != nil {
		return store.APIKey{}, err
	}
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMicros(created), fromNullMicros(used), fromNullMicros(rev)
	return k, nil
}

// ListAPIKeys returns all of a user's keys, revoked ones included, oldest
// first.
func (s *Store) ListAPIKeys(ctx context.Context, userID string) ([]store.APIKey, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+apiKeyColumns+" FROM api_keys k WHERE k.user_id = ? ORDER BY k.created_at, k.id", userID)
	if err != nil {
		return nil, wrap("list api keys", err)
	}
	keys, err := collect(rows, func(r scanner) (store.APIKey, error) { return scanAPIKey(r) })
	return keys, wrap("list api keys", err)
}

// RevokeAPIKey revokes one of userID's keys; revoking twice keeps the
// first revocation time. Another user's key is ErrNotFound.
func (s *Store) RevokeAPIKey(ctx context.Context, userID, id string) error {
	res, err := s.db.ExecContext(ctx,
		"UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND user_id = ?",
		time.Now().UnixMicro(), id, userID)
	return affected("revoke api key", res, err)
}

// TouchAPIKey records a use of a key; the recorded time never moves back.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	// SQLite's two-argument max() is NULL when either is, hence coalesce.
	res, err := s.db.ExecContext(ctx,
		"UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, ?1), ?1) WHERE id = ?2", at.UnixMicro(), id)
	return affected("touch api key", res, err)
}

const refreshColumns = "id, user_id, family_id, hash, created_at, expires_at, revoked_at, replaced_by"

// execer is what the database and a transaction share.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// CreateRefreshToken stores t (an empty ID gets a new UUID).
func (s *Store) CreateRefreshToken(ctx context.Context, t store.RefreshToken) error {
	return insertRefresh(ctx, s.db, t)
}

func insertRefresh(ctx context.Context, db execer, t store.RefreshToken) error {
	if len(t.Hash) == 0 {
		return errors.New("embedded: create refresh token: empty hash")
	}
	if t.ID == "" {
		t.ID = store.NewID()
	}
	_, err := db.ExecContext(ctx, "INSERT INTO refresh_tokens ("+refreshColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		t.ID, t.UserID, t.FamilyID, t.Hash, orNow(t.CreatedAt).UnixMicro(), nullMicros(t.ExpiresAt), nullMicros(t.RevokedAt), t.ReplacedBy)
	return wrap("create refresh token", err)
}

// RefreshTokenByHash finds a token whatever its state: the caller needs
// revoked ones to detect reuse.
func (s *Store) RefreshTokenByHash(ctx context.Context, hash []byte) (store.RefreshToken, error) {
	var (
		t                store.RefreshToken
		created          int64
		expires, revoked sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, "SELECT "+refreshColumns+" FROM refresh_tokens WHERE hash = ?", hash).
		Scan(&t.ID, &t.UserID, &t.FamilyID, &t.Hash, &created, &expires, &revoked, &t.ReplacedBy)
	if err != nil {
		return store.RefreshToken{}, wrap("refresh token by hash", err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromMicros(created), fromNullMicros(expires), fromNullMicros(revoked)
	return t, nil
}

// RotateRefreshToken revokes oldID as replaced by next and stores next, in
// one transaction. The transaction holds SQLite's single write lock from
// its start, so of two concurrent rotations of the same token exactly one
// finds it live; the other gets ErrNotFound.
func (s *Store) RotateRefreshToken(ctx context.Context, oldID string, next store.RefreshToken, at time.Time) error {
	if next.ID == "" {
		next.ID = store.NewID()
	}
	return s.inTx(ctx, "rotate refresh token", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = ?2, replaced_by = ?3
			WHERE id = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)`, oldID, at.UnixMicro(), next.ID)
		if err := affected("rotate refresh token", res, err); err != nil {
			return err
		}
		return insertRefresh(ctx, tx, next)
	})
}

// RevokeRefreshFamily revokes every live token of a family (reuse
// detection); already revoked ones keep their time.
func (s *Store) RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL", at.UnixMicro(), familyID)
	return wrap("revoke refresh family", err)
}

// CreateServiceAccount stores a; a name the owner already uses (or a taken
// id) is ErrConflict, an unknown owner ErrNotFound. An empty name is the id,
// as for the accounts created before names existed.
func (s *Store) CreateServiceAccount(ctx context.Context, a store.ServiceAccount) error {
	if a.ID == "" {
		return errors.New("embedded: create service account: empty id")
	}
	if a.Name == "" {
		a.Name = a.ID
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO service_accounts (id, name, owner_id, secret_hash, scopes, plan, created_at, disabled)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Name, a.OwnerID, a.SecretHash, encodeList(a.Scopes), a.Plan, orNow(a.CreatedAt).UnixMicro(), a.Disabled)
	return wrap("create service account", err)
}

// ServiceAccountByID finds a service account by its service id.
func (s *Store) ServiceAccountByID(ctx context.Context, id string) (store.ServiceAccount, error) {
	a, err := scanServiceAccount(s.db.QueryRowContext(ctx, `SELECT id, name, owner_id, secret_hash, scopes, plan, created_at, disabled
		FROM service_accounts WHERE id = ?`, id), true)
	return a, wrap("service account by id", err)
}

// ListServiceAccounts returns ownerID's accounts, oldest first; the secret
// hashes are not read.
func (s *Store) ListServiceAccounts(ctx context.Context, ownerID string) ([]store.ServiceAccount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, owner_id, scopes, plan, created_at, disabled
		FROM service_accounts WHERE owner_id = ? ORDER BY created_at, id`, ownerID)
	if err != nil {
		return nil, wrap("list service accounts", err)
	}
	list, err := collect(rows, func(r scanner) (store.ServiceAccount, error) { return scanServiceAccount(r, false) })
	return list, wrap("list service accounts", err)
}

// DeleteServiceAccount removes one of ownerID's accounts; another owner's
// is ErrNotFound.
func (s *Store) DeleteServiceAccount(ctx context.Context, ownerID, id string) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM service_accounts WHERE id = ? AND owner_id = ?", id, ownerID)
	return affected("delete service account", res, err)
}

// scanServiceAccount reads one row, with the secret hash column when
// withSecret.
func scanServiceAccount(r scanner, withSecret bool) (store.ServiceAccount, error) {
	var (
		a       store.ServiceAccount
		scopes  string
		created int64
	)
	dest := []any{&a.ID, &a.Name, &a.OwnerID, &scopes, &a.Plan, &created, &a.Disabled}
	if withSecret {
		dest = []any{&a.ID, &a.Name, &a.OwnerID, &a.SecretHash, &scopes, &a.Plan, &created, &a.Disabled}
	}
	if err := r.Scan(dest...); err != nil {
		return store.ServiceAccount{}, err
	}
	var err error
	if a.Scopes, err = decodeList(scopes); err != nil {
		return store.ServiceAccount{}, err
	}
	a.CreatedAt = fromMicros(created)
	return a, nil
}
