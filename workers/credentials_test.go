package workers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/breaker"
)

// downStore is a credential store whose Vault has been unreachable past the
// cached fallback; only Provider is used by bound adapters.
type downStore struct {
	credentials.Store
	since time.Time
	calls atomic.Int64
}

func (s *downStore) Provider(context.Context, string) (shared.Secret, error) {
	s.calls.Add(1)
	return shared.Secret{}, &credentials.UnavailableError{Since: s.since, Path: "gpubroker/providers/lambda",
		CachedAt: s.since.Add(-time.Minute), MaxStale: time.Hour, Err: errors.New("dial tcp 127.0.0.1:8200: connection refused")}
}

// A provider whose credential cannot be read is reported with that reason
// in the status that heartbeats and /health carry, but the breaker does not
// count it: the provider is fine, our secret store is not. Whatever state
// the breaker is in, a credentials failure must neither open nor close it,
// nor hold a half-open trial slot.
func TestCredentialsUnavailableDoesNotTripBreaker(t *testing.T) {
	since := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name        string
		openFirst   bool // trip the breaker with real upstream failures first
		wantBreaker string
	}{
		{name: "closed stays closed", wantBreaker: "closed"},
		// Half-open trials that fail for want of a credential neither reopen
		// nor close it: they give their slot back, and the provider's own
		// trial outcomes decide once it can be called again.
		{name: "half-open stays half-open", openFirst: true, wantBreaker: "half_open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc := testnats.Conn(t)
			store := &downStore{since: since}
			ad, err := adapters.Bind("lambda", adapters.Config{BaseURL: "http://127.0.0.1:1"}, store)
			if err != nil {
				t.Fatal(err)
			}
			var upstreamDown atomic.Bool
			upstreamDown.Store(tt.openFirst)
			now := time.Now()
			var clock atomic.Int64
			clock.Store(now.UnixNano())
			w, err := New(Config{Cell: "t", Adapter: &switchAdapter{Adapter: ad, down: &upstreamDown}, Conn: nc,
				Breaker: breaker.Config{OpenFor: time.Minute, Now: func() time.Time { return time.Unix(0, clock.Load()) }},
				Logger:  slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			fetchN := func(n int) {
				for range n {
					if _, err := w.fetch(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tt.openFirst {
				fetchN(10)
				if st := w.Status(); st.Breaker != "open" {
					t.Fatalf("setup: breaker %s after 10 upstream failures", st.Breaker)
				}
				upstreamDown.Store(false)
				clock.Add(int64(2 * time.Minute)) // past OpenFor: half-open
			}
			before := store.calls.Load()
			fetchN(30)
			if store.calls.Load()-before != 30 {
				t.Fatalf("store asked %d times for 30 fetches: the breaker rejected calls", store.calls.Load()-before)
			}
			st := w.Status()
			wantErr := "the provider key store has been unreachable since 2026-11-23T09:30:00Z" // the public reason: no Vault path
			if st.Breaker != tt.wantBreaker || st.LastErrorKind != shared.ErrKindCredentialsUnavailable ||
				!strings.HasPrefix(st.LastError, wantErr) || st.LastErrorAt.IsZero() {
				t.Fatalf("status breaker=%s kind=%s err=%q, want breaker %s and kind %s with %q",
					st.Breaker, st.LastErrorKind, st.LastError, tt.wantBreaker, shared.ErrKindCredentialsUnavailable, wantErr)
			}
		})
	}
}

// switchAdapter fails as the upstream provider while down is set, else
// defers to the wrapped adapter.
type switchAdapter struct {
	adapters.Adapter
	down *atomic.Bool
}

func (s *switchAdapter) Fetch(ctx context.Context) ([]shared.Offer, error) {
	if s.down.Load() {
		return nil, &adapters.Error{Provider: s.Name(), Kind: shared.ErrKindUpstream, Err: errors.New("HTTP 502")}
	}
	return s.Adapter.Fetch(ctx)
}
