package embedded

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"github.com/gpubroker/gpubroker/shared/store/internal/migrations"
	"time"
)

// The versions and their meaning match pgstore's migrations one for one.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration = migrations.Migration

func loadMigrations() ([]migration, error) { return migrations.Load(migrationFiles, "embedded") }

// migrate applies the pending migrations in one transaction. It begins
// IMMEDIATE (see the DSN), so two processes opening the same directory
// take turns and the second finds every version recorded; a failed
// migration rolls back completely.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("embedded: migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("embedded: migrate: creating schema_migrations: %w", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("embedded: migrate: reading applied versions: %w", err)
	}
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			_ = rows.Close()
			return fmt.Errorf("embedded: migrate: reading applied versions: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("embedded: migrate: reading applied versions: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("embedded: migrate: reading applied versions: %w", err)
	}
	for _, m := range ms {
		if applied[m.Version] {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("embedded: migrate: applying %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.Version, m.Name, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("embedded: migrate: recording %s: %w", m.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("embedded: migrate: commit: %w", err)
	}
	return nil
}
