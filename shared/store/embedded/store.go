// Package embedded implements store.Store on a pure-Go SQLite database
// (modernc.org/sqlite) kept in one directory, so the one-command demo
// persists users and price history without any external service.
//
// The database runs in WAL mode (readers never wait for the writer), with
// foreign keys on and a busy timeout so writers from several connections
// or processes queue instead of failing. Every explicit transaction starts
// with BEGIN IMMEDIATE: it takes the write lock up front, so a transaction
// that reads before it writes can never fail halfway with SQLITE_BUSY.
package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gpubroker/gpubroker/shared/store"
)

// FileName is the database file Open keeps in its directory (next to it
// SQLite keeps the -wal and -shm files).
const FileName = "gpubroker.db"

// Store is an SQLite-backed store.Store; it is safe for concurrent use.
type Store struct {
	db *sql.DB
}

var _ store.Store = (*Store)(nil)

// Open opens (creating when needed) dir/gpubroker.db and brings its schema
// up to date.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: creating %s: %w", dir, err)
	}
	path, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("embedded: resolving %s: %w", dir, err)
	}
	// A file: URI with an escaped path, so a '?' or '%' in the directory
	// name cannot be mistaken for the parameters.
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_journal_mode=WAL&_busy_timeout=10000&_foreign_keys=1&_synchronous=NORMAL&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("embedded: opening %s: %w", path, err)
	}
	if err := migrateWhenFree(db); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

// migrateWhenFree runs migrate, retrying while another process holds the
// database: the busy timeout does not cover a connection's first
// PRAGMA journal_mode=WAL racing another opener's, which SQLite answers
// with SQLITE_BUSY at once.
func migrateWhenFree(db *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := migrate(context.Background(), db)
		var sqlErr *sqlite.Error
		if err == nil || !errors.As(err, &sqlErr) || sqlErr.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		time.Sleep(wait)
	}
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("embedded: ping: %w", err)
	}
	return nil
}

// Close closes the database; everything committed is on disk.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("embedded: close: %w", err)
	}
	return nil
}

// wrap turns driver errors into the store's sentinels: a unique or
// primary-key violation is ErrConflict, a missing row or a missing
// referenced user ErrNotFound.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("embedded: %s: %w", op, store.ErrNotFound)
	}
	var sqlErr *sqlite.Error
	if errors.As(err, &sqlErr) {
		switch sqlErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("embedded: %s: %w", op, store.ErrConflict)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("embedded: %s: %w", op, store.ErrNotFound)
		}
	}
	return fmt.Errorf("embedded: %s: %w", op, err)
}

// affected maps "no row changed" to ErrNotFound.
func affected(op string, res sql.Result, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return fmt.Errorf("embedded: %s: %w", op, store.ErrNotFound)
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

// Times are stored as microseconds since the epoch (t.UnixMicro()), the
// precision PostgreSQL keeps, so both stores return the same instants.

// nullMicros stores the zero time as NULL, which is how "never" is kept.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromMicros is micros' inverse, in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// fromNullMicros is nullMicros' inverse.
func fromNullMicros(us sql.NullInt64) time.Time {
	if !us.Valid {
		return time.Time{}
	}
	return fromMicros(us.Int64)
}

// encodeList stores a text list as a JSON array ("[]" for none).
func encodeList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

// decodeList is encodeList's inverse.
func decodeList(s string) ([]string, error) {
	l := []string{}
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return nil, fmt.Errorf("decoding list %q: %w", s, err)
	}
	return l, nil
}

// inTx runs fn in a transaction (BEGIN IMMEDIATE), committing when it
// returns nil.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return wrap(op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return wrap(op, tx.Commit())
}

// scanner is what *sql.Row and *sql.Rows share.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row with fn and closes rows; an empty result is an
// empty, non-nil slice.
func collect[T any](rows *sql.Rows, fn func(scanner) (T, error)) ([]T, error) {
	defer func() { _ = rows.Close() }()
	out := []T{}
	for rows.Next() {
		v, err := fn(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
