package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/store/storetest"
)

// databaseURL is the server the integration tests use; without one they
// skip, unless GPUBROKER_REQUIRE_SERVICES=1 makes that a failure.
func databaseURL(t *testing.T) string {
	t.Helper()
	return testenv.DatabaseURL(t)
}

// freshSchema creates an empty schema that is dropped after the test and
// returns a URL whose connections use it, so every test starts from an
// unmigrated database and tests can run in parallel.
func freshSchema(t *testing.T) string {
	t.Helper()
	base := databaseURL(t)
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "storetest_" + hex.EncodeToString(b[:])
	admin := func(sql string) {
		t.Helper()
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connecting to %s: %v", base, err)
		}
		defer func() { _ = conn.Close(ctx) }()
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	admin("CREATE SCHEMA " + schema)
	t.Cleanup(func() { admin("DROP SCHEMA " + schema + " CASCADE") })
	return withSearchPath(t, base, schema)
}

// withSearchPath adds a search_path runtime parameter to a URL or DSN.
func withSearchPath(t *testing.T, dsn, schema string) string {
	t.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parsing GPUBROKER_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openFresh(t *testing.T) store.Store {
	t.Helper()
	s, err := Open(context.Background(), freshSchema(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore(t *testing.T) {
	databaseURL(t)
	storetest.Run(t, openFresh)
}

// TestConcurrentOpenMigratesOnce starts several stores on one empty schema
// at once, as a fleet of edges does: every Open succeeds and each
// migration is recorded exactly once (applying one twice would fail on
// its CREATE TABLE, recording it twice on the primary key).
func TestConcurrentOpenMigratesOnce(t *testing.T) {
	dsn := freshSchema(t)
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	migrations, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var count, distinct int
	if err := stores[0].pool.QueryRow(context.Background(),
		"SELECT count(*), count(DISTINCT version) FROM schema_migrations").Scan(&count, &distinct); err != nil {
		t.Fatal(err)
	}
	if count != len(migrations) || distinct != len(migrations) {
		t.Fatalf("schema_migrations holds %d rows (%d versions), want %d", count, distinct, len(migrations))
	}
	// A later start finds nothing to do.
	again, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("reopening a migrated schema: %v", err)
	}
	_ = again.Close()
}

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.Version != i+1 || m.SQL == "" {
			t.Fatalf("migration %d = %d %q: versions must run 1, 2, ... without gaps", i, m.Version, m.Name)
		}
	}
}

func TestNewID(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 100 {
		id := store.NewID()
		if !v4.MatchString(id) || seen[id] {
			t.Fatalf("store.NewID() = %q: not a fresh RFC 4122 v4 UUID", id)
		}
		seen[id] = true
	}
}
