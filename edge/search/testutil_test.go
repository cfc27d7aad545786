package search

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge"
	"github.com/gpubroker/gpubroker/edge/httpx/httpxtest"
	"github.com/gpubroker/gpubroker/edge/ops"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/client"
	"github.com/gpubroker/gpubroker/workers/client/clienttest"
)

// testServer is the search behind a real edge core (admission, routing,
// metrics), with the operational routes beside it.
type testServer struct {
	*Service
	edge *edge.Server
}

func (s *testServer) handle(ctx *fasthttp.RequestCtx) { s.edge.Handler()(ctx) }

var (
	testProviders = clienttest.Providers
	newFakeSource = clienttest.NewSource
	randomOffer   = clienttest.RandomOffer
	testTags      = clienttest.Tags
)

type fakeSource = clienttest.Source

// fataler is what test helpers need of *testing.T, *testing.B and *rapid.T.
type fataler interface {
	Helper()
	Fatal(...any)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestServer(t fataler, src client.Source) *testServer {
	t.Helper()
	return newServer(t, Config{Providers: testProviders, Source: src}, edge.Config{RequestTimeout: 2 * time.Second})
}

// newServer builds the search from cfg and an edge core from core; unit
// tests make many anonymous requests, so unless core says otherwise the
// free plan's limit is out of their way (rate limits have their own tests).
func newServer(t fataler, cfg Config, core edge.Config) *testServer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLog()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	if cfg.Health == nil {
		cfg.Health = client.NewHealthBook(cfg.Providers)
	}
	if cfg.ProviderTimeout == 0 && core.RequestTimeout > 0 {
		cfg.ProviderTimeout = core.RequestTimeout * 9 / 10
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := ops.New(ops.Config{Cell: "test", Providers: cfg.Providers, Source: cfg.Source, Health: cfg.Health, Cache: s, Metrics: cfg.Metrics})
	core.Routes = append(s.Routes(), o.Routes()...)
	if core.PlanLimits == nil {
		core.PlanLimits = map[string]int{"free": 1 << 30}
	}
	core.Logger, core.Metrics = cfg.Logger, cfg.Metrics
	srv, err := edge.New(core)
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Service: s, edge: srv}
}

// do runs one request through the handler without a network.
func do(s *testServer, method, uri string, body []byte) *fasthttp.Response {
	return httpxtest.Do(s.edge.Handler(), httpxtest.Request{Method: method, URI: uri, Body: body})
}

type errBody = httpxtest.ErrBody

func decode(t *testing.T, r *fasthttp.Response, v any) { t.Helper(); httpxtest.Decode(t, r, v) }

// Decoding shapes of the JSON answers, for assertions.
type pageJSON struct {
	Items      []*shared.Offer `json:"items"`
	Total      int             `json:"total"`
	PerPage    int             `json:"per_page"`
	Sort       string          `json:"sort"`
	NextCursor *string         `json:"next_cursor"`
}

type searchResponse struct {
	pageJSON
	Warnings    []Warning        `json:"warnings"`
	Sources     []providerResult `json:"sources"`
	GeneratedAt time.Time        `json:"generated_at"`
}

type bulkResponse struct {
	Results  []pageJSON       `json:"results"`
	Warnings []Warning        `json:"warnings"`
	Sources  []providerResult `json:"sources"`
}
