package adapters

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gpubroker/gpubroker/shared"
)

// Every scheme puts the key where the provider documents it, as spelled,
// without touching a header map the caller reuses; a provider that needs a
// key is not called without one.
func TestProviderSendsTheKey(t *testing.T) {
	type seen struct{ header, query string }
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- seen{header: r.Header.Get("Authorization") + r.Header.Get("Api_key"), query: r.URL.RawQuery}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	tests := []struct {
		name     string
		scheme   keyScheme
		needsKey bool
		key      string
		want     seen
	}{
		{"bearer", bearer, true, "k1", seen{header: "Bearer k1", query: "page=2"}},
		{"prefixed header", keyScheme{header: "Authorization", prefix: "Token "}, true, "k2", seen{header: "Token k2", query: "page=2"}},
		{"header as documented", keyScheme{header: "api_key"}, true, "k3", seen{header: "k3", query: "page=2"}},
		{"query", keyScheme{query: "key"}, true, "k4", seen{query: "key=k4&page=2"}},
		{"optional, none configured", bearer, false, "", seen{query: "page=2"}},
		{"keyless API", keyScheme{}, false, "k5", seen{query: "page=2"}},
	}
	for _, tt := range tests {
		p := newProvider(Info{Name: "test", NeedsKey: tt.needsKey, sendKey: tt.scheme}, Config{BaseURL: srv.URL + "/", APIKey: shared.NewSecret(tt.key)})
		reused := http.Header{"Accept": {"application/json"}}
		if err := p.send(context.Background(), call{method: http.MethodGet, url: p.base + "/x?page=2", header: reused}, &struct{}{}); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if s := <-got; s != tt.want {
			t.Errorf("%s: sent %+v, want %+v", tt.name, s, tt.want)
		}
		if len(reused) != 1 {
			t.Errorf("%s: the caller's header map now holds %v", tt.name, reused)
		}
	}
	p := newProvider(Info{Name: "test", NeedsKey: true, sendKey: bearer}, Config{BaseURL: srv.URL})
	err := p.get(context.Background(), "/x", &struct{}{})
	if KindOf(err) != shared.ErrKindAuth || Reason(err) != "no API key configured" || err.Error() != "test: auth: no API key configured" {
		t.Fatalf("no key: %v (%s)", err, Reason(err))
	}
	select {
	case s := <-got:
		t.Fatalf("called without a key: %+v", s)
	default:
	}
}
