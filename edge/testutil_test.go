package edge

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx/httpxtest"
	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/gpubroker/gpubroker/edge/ops"
	"github.com/gpubroker/gpubroker/edge/ratelimit"
	"github.com/gpubroker/gpubroker/edge/search"
	"github.com/gpubroker/gpubroker/workers/client"
	"github.com/gpubroker/gpubroker/workers/client/clienttest"
)

// fataler is what test helpers need of *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatal(...any)
}

// newTestServer is the core with the search and operational routes over a
// fake source, as a cell assembles them; cfg sets the core's own options.
// Unless cfg says otherwise, the free plan's limit is out of the way.
func newTestServer(t fataler, cfg Config) *Server {
	t.Helper()
	src := clienttest.NewSource(9, 1)
	set, health := metrics.NewSet(), client.NewHealthBook(clienttest.Providers)
	sv, err := search.New(search.Config{Providers: clienttest.Providers, Source: src, Health: health, Metrics: set})
	if err != nil {
		t.Fatal(err)
	}
	o := ops.New(ops.Config{Cell: "test", Providers: clienttest.Providers, Source: src, Health: health, Cache: sv, Metrics: set})
	cfg.Routes = append(append(cfg.Routes, sv.Routes()...), o.Routes()...)
	if cfg.PlanLimits == nil {
		cfg.PlanLimits = map[string]int{"free": 1 << 30}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Metrics = set
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newLimitedServer uses a real in-process limiter on a fake clock.
func newLimitedServer(t fataler, clock func() time.Time, limits map[string]int, keys ...identity.APIKey) *Server {
	t.Helper()
	return newTestServer(t, Config{PlanLimits: limits, Limiter: ratelimit.New(ratelimit.Config{Now: clock}),
		Identity: identity.New(identity.Config{APIKeys: keys})})
}

// do runs one request through the handler without a network.
func do(s *Server, method, uri string, body []byte) *fasthttp.Response {
	return httpxtest.Do(s.handle, httpxtest.Request{Method: method, URI: uri, Body: body})
}

func doAs(s *Server, uri, apiKey string) *fasthttp.Response {
	h := map[string]string{}
	if apiKey != "" {
		h["X-Api-Key"] = apiKey
	}
	return httpxtest.Do(s.handle, httpxtest.Request{URI: uri, Header: h})
}

type errBody = httpxtest.ErrBody

func decode(t *testing.T, r *fasthttp.Response, v any) { t.Helper(); httpxtest.Decode(t, r, v) }
