package adapters

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// The client retries 429s: honouring Retry-After (seconds or HTTP-date),
// re-sending the body, and giving up after maxAttempts with a rate-limited
// error. Waits are kept at zero so the test does not depend on timing.
func TestClientRetriesRateLimits(t *testing.T) {
	past := time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat)
	tests := []struct {
		name         string
		retryAfter   string
		limited      int // 429s before a 200
		ctxTimeout   time.Duration
		wantCalls    int
		wantKind     string // "" for success
		wantRetryMin time.Duration
	}{
		{name: "429 then 200", retryAfter: "0", limited: 1, wantCalls: 2},
		{name: "Retry-After as HTTP-date", retryAfter: past, limited: 2, wantCalls: 3},
		{name: "no Retry-After backs off", retryAfter: "", limited: 1, wantCalls: 2},
		{name: "last attempt succeeds", retryAfter: "0", limited: maxAttempts - 1, wantCalls: maxAttempts},
		{name: "gives up after the attempt limit", retryAfter: "0", limited: 100, wantCalls: maxAttempts,
			wantKind: shared.ErrKindRateLimited},
		// A wait that would outlast the caller's deadline is not started.
		{name: "wait beyond the deadline", retryAfter: "20", limited: 100, ctxTimeout: 10 * time.Second, wantCalls: 1,
			wantKind: shared.ErrKindRateLimited, wantRetryMin: 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := calls.Add(1)
				if b, _ := io.ReadAll(r.Body); string(b) != `{"q":1}` {
					t.Errorf("attempt %d sent body %q", n, b)
				}
				if int(n) <= tt.limited {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					w.WriteHeader(http.StatusTooManyRequests)
					return
				}
				_, _ = io.WriteString(w, `{"ok":true}`)
			}))
			defer srv.Close()
			ctx := context.Background()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			var out struct{ OK bool }
			err := newClient("test", Config{}).doJSON(ctx, call{method: "POST", url: srv.URL + "/x?key=secret", body: []byte(`{"q":1}`)}, &out)
			if got := int(calls.Load()); got != tt.wantCalls {
				t.Errorf("%d calls, want %d", got, tt.wantCalls)
			}
			if tt.wantKind == "" {
				if err != nil || !out.OK {
					t.Fatalf("err %v, out %+v", err, out)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Kind != tt.wantKind || ae.Status != http.StatusTooManyRequests {
				t.Fatalf("err %v, want kind %s with HTTP 429", err, tt.wantKind)
			}
			if ae.RetryAfter < tt.wantRetryMin {
				t.Errorf("RetryAfter %v, want >= %v", ae.RetryAfter, tt.wantRetryMin)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks the query string: %v", err)
			}
		})
	}
}

// retryAfter reads both header forms and caps the wait at 30 s.
func TestRetryAfter(t *testing.T) {
	future := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	soon := time.Now().Add(10 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		header   string
		attempt  int
		min, max time.Duration
	}{
		{"0", 1, 0, 0},
		{"7", 1, 7 * time.Second, 7 * time.Second},
		{"3600", 1, 30 * time.Second, 30 * time.Second},
		{future, 1, 30 * time.Second, 30 * time.Second},
		{soon, 1, 8 * time.Second, 10 * time.Second},
		{"Mon, 01 Jan 2001 00:00:00 GMT", 1, 0, 0},
		// Absent or garbage: exponential backoff from 250 ms with jitter.
		{"", 1, 125 * time.Millisecond, 250 * time.Millisecond},
		{"soon", 3, 500 * time.Millisecond, time.Second},
		{"-5", 2, 250 * time.Millisecond, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		for range 20 { // jitter
			if got := retryAfter(tt.header, tt.attempt); got < tt.min || got > tt.max {
				t.Errorf("retryAfter(%q, %d) = %v, want in [%v, %v]", tt.header, tt.attempt, got, tt.min, tt.max)
			}
		}
	}
}

// Cancelling the caller while the client waits out a Retry-After ends the
// call at once as a timeout instead of sleeping the full 30 s.
func TestClientRateLimitWaitCancelled(t *testing.T) {
	served := make(chan struct{}, 1)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
		w.(http.Flusher).Flush()
		served <- struct{}{}
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-served; cancel() }()
	errc := make(chan error, 1)
	go func() {
		errc <- newClient("test", Config{}).doJSON(ctx, call{method: "GET", url: srv.URL}, &struct{}{})
	}()
	select {
	case err := <-errc:
		if KindOf(err) != shared.ErrKindTimeout || !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want a timeout wrapping context.Canceled", err)
		}
	case <-time.After(15 * time.Second): // a hang guard, well under the 30 s wait
		t.Fatal("the client kept waiting after its context was cancelled")
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls after cancel, want 1", n)
	}
}
