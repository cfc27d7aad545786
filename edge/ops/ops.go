// Package ops serves the operational endpoints of the edge: /health (and
// /api/v2/providers/health) with every provider's status, breaker, weight,
// latency, last error and replicas, /metrics in Prometheus text, and the
// OpenAPI document with its rendered page. Probes and scrapes have a budget
// of their own per client address (httpx.Route.Ops).
package ops

import (
	"bytes"
	"context"
	_ "embed"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/edge/ratelimit"
	"github.com/gpubroker/gpubroker/workers/client"
)

// CacheState is what /health shows of the offer cache (the search's).
type CacheState interface {
	// L1State is none (no Redis), ok or down.
	L1State() string
	// CachedAt is when a provider's cached offers were fetched and until
	// when they are fresh.
	CachedAt(provider string) (fetchedAt, freshUntil time.Time, ok bool)
}

// Config configures the operational endpoints.
type Config struct {
	Cell      string
	Providers []string
	Source    client.Source      // NATS reachability and worker replicas
	Health    *client.HealthBook // what this process observed of each provider
	Cache     CacheState         // nil: no offer cache
	Limiter   *ratelimit.Limiter // nil: a local limiter
	Metrics   *metrics.Set
	// Events reports the event backbone; nil leaves it out of /health.
	Events func(context.Context) EventsView
	// Jobs reports who schedules the cell's jobs and their last runs in
	// this process; nil leaves it out.
	Jobs func(context.Context) JobsView
}

// JobsView is /health's jobs section (docs/jobs.md).
type JobsView struct {
	// Orchestrator is "embedded" or "airflow".
	Orchestrator string `json:"orchestrator"`
	// Runs are the last runs this process made, by job.
	Runs map[string]JobRunView `json:"runs"`
	// Airflow is what Airflow's API says, where GPUBROKER_AIRFLOW_URL is
	// set.
	Airflow *AirflowView `json:"airflow,omitempty"`
}

// AirflowView is Airflow's health (its components: metadatabase,
// scheduler, triggerer, dag_processor) and each DAG's last success.
type AirflowView struct {
	Reachable   bool                 `json:"reachable"`
	Components  map[string]string    `json:"components,omitempty"`
	LastSuccess map[string]time.Time `json:"last_success,omitempty"`
	Error       string               `json:"error,omitempty"`
}

// JobRunView is one job's last runs.
type JobRunView struct {
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastFailure time.Time `json:"last_failure,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

// Service answers the operational routes.
type Service struct{ cfg Config }

// New builds the operational endpoints.
func New(cfg Config) *Service {
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	if cfg.Health == nil {
		cfg.Health = client.NewHealthBook(cfg.Providers)
	}
	return &Service{cfg: cfg}
}

// Routes are the operational endpoints.
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{
		{Method: "GET", Path: "/health", Name: "health", Ops: true, Handler: s.handleHealth},
		{Method: "GET", Path: "/api/v2/providers/health", Name: "health", Ops: true, Handler: s.handleHealth},
		{Method: "GET", Path: "/metrics", Name: "metrics", Ops: true, Handler: s.handleMetrics},
		{Method: "GET", Path: "/api/v2/openapi.json", Name: "openapi", Handler: s.handleOpenAPI},
		{Method: "GET", Path: "/api/v2/docs", Name: "docs", Handler: s.handleDocs},
	}
}

func (s *Service) handleMetrics(rc *httpx.Request) {
	if err := httpx.CheckQuery(rc); err != nil {
		httpx.WriteError(rc.RequestCtx, err)
		return
	}
	var b bytes.Buffer
	s.cfg.Metrics.WritePrometheus(&b)
	metrics.WriteProcessMetrics(&b)
	rc.Response.Header.SetContentType("text/plain; version=0.0.4; charset=utf-8")
	rc.SetBody(b.Bytes())
}

// The OpenAPI document is written by hand next to the code it describes;
// a test in cells holds it to the assembled route table.
//
//go:embed openapi.json
var OpenAPI []byte

//go:embed docs.html
var docsPage []byte

func (s *Service) handleOpenAPI(rc *httpx.Request) {
	if err := httpx.CheckQuery(rc); err != nil {
		httpx.WriteError(rc.RequestCtx, err)
		return
	}
	rc.Response.Header.SetContentType("application/json")
	rc.Response.Header.Set("Cache-Control", "public, max-age=300")
	rc.SetBody(OpenAPI)
}

func (s *Service) handleDocs(rc *httpx.Request) {
	if err := httpx.CheckQuery(rc); err != nil {
		httpx.WriteError(rc.RequestCtx, err)
		return
	}
	rc.Response.Header.SetContentType("text/html; charset=utf-8")
	rc.Response.Header.Set("Cache-Control", "public, max-age=300")
	rc.Response.Header.Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'")
	rc.SetBody(docsPage)
}
