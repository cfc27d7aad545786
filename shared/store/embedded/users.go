package embedded

import (
	"context"
	"strings"

	"github.com/gpubroker/gpubroker/shared/store"
)

const userColumns = "id, email, password_hash, plan, created_at, disabled"

// CreateUser stores u with its email lower-cased; an empty ID gets a new
// UUID. A taken email (in any case) or id is ErrConflict.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	if u.ID == "" {
		u.ID = store.NewID()
	}
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO users ("+userColumns+") VALUES (?, ?, ?, ?, ?, ?)",
		u.ID, strings.ToLower(u.Email), u.PasswordHash, u.Plan, orNow(u.CreatedAt).UnixMicro(), u.Disabled)
	return wrap("create user", err)
}

// UserByEmail finds a user by email, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (store.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx,
		"SELECT "+userColumns+" FROM users WHERE lower(email) = lower(?)", strings.ToLower(email)))
	return u, wrap("user by email", err)
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id string) (store.User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", id))
	return u, wrap("user by id", err)
}

func scanUser(row scanner) (store.User, error) {
	var (
		u       store.User
		created int64
	)
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Plan, &created, &u.Disabled); err != nil {
		return store.User{}, err
	}
	u.CreatedAt = fromMicros(created)
	return u, nil
}
