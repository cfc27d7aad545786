package adapters

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/shared"
)

// keyStore is a credentials.Store whose provider key (or error) the test
// changes between fetches.
type keyStore struct {
	credentials.Store // only Provider is used by bound adapters
	mu                sync.Mutex
	key               shared.Secret
	err               error
}

func (k *keyStore) Provider(context.Context, string) (shared.Secret, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.key, k.err
}

func (k *keyStore) set(key shared.Secret, err error) {
	k.mu.Lock()
	k.key, k.err = key, err
	k.mu.Unlock()
}

// A key rotated in the store is used on the next fetch.
func TestBindPicksUpRotatedKeys(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	srv := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Write([]byte(`{"data":{}}`))
	})}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(l)
	defer srv.Close()
	store := &keyStore{key: shared.NewSecret("key-one-1234")}
	ad, _ := Bind("lambda", Config{BaseURL: "http://" + l.Addr().String()}, store)
	ad.Fetch(context.Background())
	store.set(shared.NewSecret("key-two-5678"), nil)
	ad.Fetch(context.Background())
	if len(seen) != 2 || seen[0] != "Bearer key-one-1234" || seen[1] != "Bearer key-two-5678" {
		t.Fatalf("%v", seen)
	}
}

// A store down past its grace period fails the bound adapter with its own
// kind, naming when the outage began (credentials' tests cover the store
// side against a real OpenBao).
func TestBindStoreUnavailable(t *testing.T) {
	downAt := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	store := &keyStore{err: &credentials.UnavailableError{Since: downAt, Path: "gpubroker/providers/lambda",
		CachedAt: downAt.Add(-time.Minute), MaxStale: time.Hour, Err: context.DeadlineExceeded}}
	ad, err := Bind("lambda", Config{BaseURL: "http://127.0.0.1:1"}, store)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ad.Fetch(context.Background())
	want := "lambda: credentials_unavailable: vault unreachable since " + downAt.Format(time.RFC3339)
	if KindOf(err) != shared.ErrKindCredentialsUnavailable || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("adapter error: %v, want prefix %q", err, want)
	}
}
