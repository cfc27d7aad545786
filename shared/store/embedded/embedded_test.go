package embedded

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/store/storetest"
)

func openTemp(t *testing.T) store.Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, openTemp)
}

// TestReopen checks that what was committed survives Close and Open, and
// that reopening a migrated database applies nothing twice.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "dir?with%odd#chars")
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.CreateUser(ctx, store.User{ID: "u1", Email: "Ann@Example.com", Plan: "pro"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAlert(ctx, store.Alert{ID: "a1", UserID: "u1", GPUType: "H100", MaxPrice: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer func() { _ = s.Close() }()
	u, err := s.UserByEmail(ctx, "ann@example.com")
	if err != nil || u.ID != "u1" || u.Plan != "pro" {
		t.Fatalf("after reopen UserByEmail = %+v, %v", u, err)
	}
	alerts, err := s.ListAlerts(ctx, "u1")
	if err != nil || len(alerts) != 1 || alerts[0].ID != "a1" {
		t.Fatalf("after reopen ListAlerts = %+v, %v", alerts, err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != len(ms) {
		t.Fatalf("schema_migrations holds %d rows (%v), want %d", n, err, len(ms))
	}
}

// TestConcurrentOpen opens one directory from several stores at once, as
// two processes sharing a data directory would: each migration is
// recorded once and every store works.
func TestConcurrentOpen(t *testing.T) {
	dir := t.TempDir()
	const n = 4
	errs := make(chan error, n)
	stores := make(chan *Store, n)
	for range n {
		go func() {
			s, err := Open(dir)
			errs <- err
			stores <- s
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatalf("Open: %v", err)
		}
		s := <-stores
		t.Cleanup(func() { _ = s.Close() })
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
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
