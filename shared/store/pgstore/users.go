package pgstore

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/gpubroker/gpubroker/shared/store"
)

const userColumns = "id, email, password_hash, plan, created_at, disabled"

// CreateUser stores u with its email lower-cased; an empty ID gets a new
// UUID. A taken email (in any case) or id is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if u.ID == "" {
		u.ID = store.NewID()
	}
	_, err := s.pool.Exec(ctx,
		"INSERT INTO users ("+userColumns+") VALUES ($1, $2, $3, $4, $5, $6)",
		u.ID, strings.ToLower(u.Email), u.PasswordHash, u.Plan, orNow(u.CreatedAt), u.Disabled)
	return wrap("create user", err)
}

// UserByEmail finds a user by email, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx,
		"SELECT "+userColumns+" FROM users WHERE lower(email) = lower($1)", strings.ToLower(email)))
	return u, wrap("user by email", err)
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id))
	return u, wrap("user by id", err)
}

func scanUser(row pgx.Row) (store.User, error) {
	var u store.User
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Plan, &u.CreatedAt, &u.Disabled); err != nil {
		return store.User{}, err
	}
	u.CreatedAt = u.CreatedAt.UTC()
	return u, nil
}
