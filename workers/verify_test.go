package workers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared"
)

// A credential check answers with a verdict for every kind of outcome and
// never touches the breaker, which guards the gateway's own key.
func TestCredentialCheck(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status string
	}{
		{"accepted", nil, shared.VerifyVerified},
		{"refused", &adapters.Error{Provider: "fake", Kind: shared.ErrKindAuth, Err: errors.New("HTTP 401")}, shared.VerifyRejected},
		{"provider down", &adapters.Error{Provider: "fake", Kind: shared.ErrKindUpstream, Err: errors.New("HTTP 502")}, shared.VerifyUnverified},
		{"not visible", credentials.ErrNotFound, shared.VerifyUnverified},
		{"store down", credentials.ErrUnavailable, shared.VerifyUnverified},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nc := testnats.Conn(t)
			var gotOwner string
			w, err := New(Config{Cell: "t", Adapter: &fakeAdapter{n: 1}, Conn: nc, ProbeInterval: time.Hour,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Verify: func(_ context.Context, owner string) error { gotOwner = owner; return tc.err }})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = w.Stop(context.Background()) })
			msg, err := nc.Request(shared.VerifySubject("t", "fake"), []byte(`{"owner":"user-7"}`), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			var r shared.VerifyResult
			if err := json.Unmarshal(msg.Data, &r); err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.status || r.Message == "" || r.CheckedAt.IsZero() || gotOwner != "user-7" {
				t.Fatalf("result %+v for owner %q, want status %s", r, gotOwner, tc.status)
			}
			if st := w.Status(); st.Breaker != "closed" || st.LastError != "" {
				t.Fatalf("a credential check changed the provider's status: %+v", st)
			}
		})
	}
}

func TestCredentialCheckMalformed(t *testing.T) {
	nc := testnats.Conn(t)
	w, err := New(Config{Cell: "t", Adapter: &fakeAdapter{n: 1}, Conn: nc, ProbeInterval: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Verify: func(context.Context, string) error { t.Error("checked a malformed request"); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Stop(context.Background()) })
	for _, body := range []string{``, `{}`, `{"owner":""}`, `[1]`} {
		msg, err := nc.Request(shared.VerifySubject("t", "fake"), []byte(body), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var r shared.VerifyResult
		if err := json.Unmarshal(msg.Data, &r); err != nil || r.Status != shared.VerifyUnverified {
			t.Fatalf("%q: %s", body, msg.Data)
		}
	}
}
