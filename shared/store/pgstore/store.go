// Package pgstore implements store.Store on PostgreSQL through a pgx
// connection pool.
//
// Queries go through pgx's default statement cache
// (QueryExecModeCacheStatement): each connection prepares a statement the
// first time it runs it and reuses the prepared form afterwards, so the hot
// queries (API key lookup, offer upsert) are parsed and planned once per
// connection without explicit Prepare calls. Behind a transaction-pooling
// PgBouncer, add default_query_exec_mode=exec to the URL instead.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gpubroker/gpubroker/shared/store"
)

// Store is a PostgreSQL-backed store.Store; it is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to databaseURL (a postgres:// URL or DSN; pgx pool options
// such as pool_max_conns apply) and brings the schema up to date before
// returning. Any number of processes may Open the same database at once:
// the migrations are applied exactly once.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("pgstore: parsing database URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: connecting: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("pgstore: ping: %w", err)
	}
	return nil
}

// Close waits for borrowed connections to return and closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// PostgreSQL error codes the store translates.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// wrap turns driver errors into the store's sentinels: a unique violation
// is ErrConflict, a missing row or a missing referenced user ErrNotFound.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgstore: %s: %w", op, store.ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case codeUniqueViolation:
			return fmt.Errorf("pgstore: %s: %w", op, store.ErrConflict)
		case codeForeignKeyViolation:
			return fmt.Errorf("pgstore: %s: %w", op, store.ErrNotFound)
		}
	}
	return fmt.Errorf("pgstore: %s: %w", op, err)
}

// affected maps "no row changed" to ErrNotFound.
func affected(op string, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: %s: %w", op, store.ErrNotFound)
	}
	return nil
}

// orNow fills a zero creation time from the clock.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// nullTime stores the zero time as NULL, which is how "never" is kept.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromNull is nullTime's inverse; times come back in UTC.
func fromNull(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// orEmpty keeps text[] columns NOT NULL: pgx sends a nil slice as NULL.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
