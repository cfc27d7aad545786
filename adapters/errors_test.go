package adapters

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// Error() names the provider, the kind and the status once each, however
// the cause was composed.
func TestErrorSaysEachPartOnce(t *testing.T) {
	inner := &Error{Provider: "aws", Kind: shared.ErrKindUpstream, Status: 500, Err: errors.New("https://h/p: unexpected status: \"boom\"")}
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"plain", &Error{Provider: "aws", Kind: shared.ErrKindUpstream, Status: 500, Err: errors.New("x")},
			"aws: upstream (HTTP 500): x"},
		{"no status", &Error{Provider: "lambda", Kind: shared.ErrKindAuth, Err: errors.New("no API key configured")},
			"lambda: auth: no API key configured"},
		{"no cause", &Error{Provider: "fake", Kind: shared.ErrKindTimeout}, "fake: timeout"},
		{"cause named after the provider", &Error{Provider: "vastai", Kind: shared.ErrKindUpstream, Err: errors.New("vastai: 3 offers but none")},
			"vastai: upstream: 3 offers but none"},
		{"same error wrapped again", &Error{Provider: "aws", Kind: shared.ErrKindUpstream, Err: inner},
			"aws: upstream (HTTP 500): https://h/p: unexpected status: \"boom\""},
		{"wrapped through errorf", errorf("aws", shared.ErrKindUpstream, "%w", inner),
			"aws: upstream (HTTP 500): https://h/p: unexpected status: \"boom\""},
		{"wrapped again with the same status", &Error{Provider: "aws", Kind: shared.ErrKindUpstream, Status: 500, Err: inner},
			"aws: upstream (HTTP 500): https://h/p: unexpected status: \"boom\""},
		{"inner without status, outer with", &Error{Provider: "aws", Kind: shared.ErrKindUpstream, Status: 502,
			Err: &Error{Provider: "aws", Kind: shared.ErrKindUpstream, Err: errors.New("x")}},
			"aws: upstream (HTTP 502): x"},
		{"another kind around it", &Error{Provider: "aws", Kind: shared.ErrKindInternal, Err: inner},
			"aws: internal: upstream (HTTP 500): https://h/p: unexpected status: \"boom\""},
		{"another provider's error", &Error{Provider: "cell", Kind: shared.ErrKindUpstream, Err: inner},
			"cell: upstream: aws: upstream (HTTP 500): https://h/p: unexpected status: \"boom\""},
		{"a kind word that is not a prefix", &Error{Provider: "aws", Kind: shared.ErrKindUpstream, Err: errors.New("upstream: x")},
			"aws: upstream: upstream: x"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

func TestErrorReason(t *testing.T) {
	body := errors.New(`https://api.example.com/v1/x?key=k: unexpected status: "secret body"`)
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: shared.ErrKindTimeout, Err: context.DeadlineExceeded}, "no answer from the provider within the fetch timeout"},
		{&Error{Kind: shared.ErrKindRateLimited, Status: 429, Err: body}, "the provider rate limited us (HTTP 429)"},
		{&Error{Kind: shared.ErrKindRateLimited, Err: body}, "the provider rate limited us"},
		{&Error{Kind: shared.ErrKindUpstream, Status: 500, Err: body}, "the provider answered HTTP 500"},
		{&Error{Kind: shared.ErrKindUpstream, Status: 404, Err: body}, "the provider answered HTTP 404"},
		{&Error{Kind: shared.ErrKindUpstream, Err: body}, "the provider's answer could not be read"},
		{&Error{Kind: shared.ErrKindUpstream, Err: body, reason: reasonUnreachable}, "the provider could not be reached"},
		{&Error{Kind: shared.ErrKindAuth, Status: 401, Err: body}, "the provider refused our credentials (HTTP 401)"},
		{&Error{Kind: shared.ErrKindAuth, Status: 403, Err: body}, "the provider refused our credentials (HTTP 403)"},
		{&Error{Kind: shared.ErrKindAuth, Err: body}, "our credentials for the provider could not be used"},
		{&Error{Kind: shared.ErrKindAuth, Err: body, reason: reasonNoKey}, "no API key configured"},
		{&Error{Kind: shared.ErrKindInternal, Err: body}, "internal error"},
		{&Error{Kind: shared.ErrKindCredentialsUnavailable, Err: body}, "the provider key store is unavailable"},
		{&Error{Kind: shared.ErrKindCircuitOpen, Err: body}, "circuit open: the provider failed repeatedly and is not called for a while"},
		{&Error{Kind: shared.ErrKindOverloaded, Err: body}, "too many requests for this provider are already waiting"},
		{&Error{Kind: "something new", Err: body}, "internal error"},
	}
	for _, tt := range tests {
		tt.err.Provider = "aws"
		if got := tt.err.Reason(); got != tt.want {
			t.Errorf("%s/%d: got %q, want %q", tt.err.Kind, tt.err.Status, got, tt.want)
		}
	}
}

func TestReasonOfAnyError(t *testing.T) {
	ae := &Error{Provider: "aws", Kind: shared.ErrKindUpstream, Status: 503, Err: errors.New("https://x/y")}
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	<-ctx.Done()
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{ae, "the provider answered HTTP 503"},
		{fmt.Errorf("fetch: %w", ae), "the provider answered HTTP 503"},
		{ctx.Err(), "no answer from the provider within the fetch timeout"},
		{fmt.Errorf("waiting: %w", context.DeadlineExceeded), "no answer from the provider within the fetch timeout"},
		{errors.New("open /etc/secret: permission denied"), "internal error"},
	}
	for _, tt := range tests {
		if got := Reason(tt.err); got != tt.want {
			t.Errorf("Reason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// Errors built by the real client keep URLs, paths, query strings and the
// provider's body in Error() for logs, and out of Reason().
func TestReasonLeaksNothingFromTheClient(t *testing.T) {
	const body = "stack trace at /srv/internal/handler.go line 42"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			time.Sleep(200 * time.Millisecond)
			return
		case "/garbage":
			_, _ = io.WriteString(w, "<html>"+body+"</html>")
			return
		case "/429":
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		status := map[string]int{"/500": 500, "/401": 401, "/403": 403, "/404": 404}[r.URL.Path]
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + closed.Addr().String() + "/gone"
	_ = closed.Close()

	cl := newClient("test", Config{})
	tests := []struct {
		url     string
		timeout time.Duration
		want    string
	}{
		{srv.URL + "/500?key=k", 0, "the provider answered HTTP 500"},
		{srv.URL + "/404?key=k", 0, "the provider answered HTTP 404"},
		{srv.URL + "/401?key=k", 0, "the provider refused our credentials (HTTP 401)"},
		{srv.URL + "/403?key=k", 0, "the provider refused our credentials (HTTP 403)"},
		{srv.URL + "/garbage?key=k", 0, "the provider's answer could not be read"},
		{srv.URL + "/429?key=k", 0, "the provider rate limited us (HTTP 429)"},
		{srv.URL + "/slow?key=k", 50 * time.Millisecond, "no answer from the provider within the fetch timeout"},
		{deadURL + "?key=k", 0, "the provider could not be reached"},
	}
	for _, tt := range tests {
		ctx := context.Background()
		if tt.timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, tt.timeout)
			defer cancel()
		}
		err := cl.doJSON(ctx, call{method: http.MethodGet, url: tt.url}, &struct{}{})
		if err == nil {
			t.Fatalf("%s: no error", tt.url)
		}
		reason := Reason(err)
		if reason != tt.want {
			t.Errorf("%s: reason %q, want %q (error: %v)", tt.url, reason, tt.want, err)
		}
		for _, leak := range []string{"http", "://", "/", "?", "key=", "127.0.0.1", "stack trace", "handler.go", "html"} {
			if strings.Contains(reason, leak) {
				t.Errorf("%s: reason %q contains %q", tt.url, reason, leak)
			}
		}
		if !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("%s: the detailed message lost the URL: %v", tt.url, err)
		}
	}
}
