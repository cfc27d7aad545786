package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/webhooks"
)

// Scope is what a service token needs (accounts.ScopeJobsRun).
const Scope = "jobs:run"

// Config holds the jobs; a nil one answers 503 (its part of the cell does
// not run in this process).
type Config struct {
	Warm    func(ctx context.Context) any
	Probe   func(ctx context.Context) any
	Sync    func(ctx context.Context) (any, error)
	Deliver func(ctx context.Context, req events.WebhookRequest, attempt int) (webhooks.Attempted, error)
	// DeadLetter stores a request after its last attempt.
	DeadLetter func(ctx context.Context, req events.WebhookRequest, last webhooks.Attempted) error
	// Timeout bounds one run (default 2 minutes): jobs outlast the
	// edge's request timeout.
	Timeout time.Duration
	Logger  *slog.Logger
}

// Jobs serves the job routes.
type Jobs struct {
	cfg    Config
	log    *slog.Logger
	mu     sync.Mutex
	flight map[string]*run
	runs   map[string]RunStatus
}

// run is one job run shared by the calls that arrive while it goes on.
type run struct {
	done   chan struct{}
	result any
	err    error
}

// New makes the feature.
func New(cfg Config) *Jobs {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Jobs{cfg: cfg, log: cfg.Logger.With("component", "jobs"), flight: map[string]*run{}, runs: map[string]RunStatus{}}
}

// Routes are the job endpoints.
func (j *Jobs) Routes() []httpx.Route {
	route := func(name string, h func(*httpx.Request)) httpx.Route {
		return httpx.Route{Method: "POST", Path: "/api/v2/jobs/" + name, Name: "job_" + name, Scope: Scope, Handler: j.serviceOnly(h)}
	}
	return []httpx.Route{
		route(CacheWarm, j.shared(CacheWarm)),
		route(ProviderHealth, j.shared(ProviderHealth)),
		route(DataSync, j.shared(DataSync)),
		route("webhook_delivery", j.delivery),
		route("webhook_dead", j.dead),
	}
}

// The jobs without a body.
const (
	CacheWarm      = "cache_warm"
	ProviderHealth = "provider_health"
	DataSync       = "data_sync"
)

func (j *Jobs) job(name string) func(context.Context) (any, error) {
	switch name {
	case CacheWarm:
		if j.cfg.Warm != nil {
			return func(ctx context.Context) (any, error) { return j.cfg.Warm(ctx), nil }
		}
	case ProviderHealth:
		if j.cfg.Probe != nil {
			return func(ctx context.Context) (any, error) { return j.cfg.Probe(ctx), nil }
		}
	case DataSync:
		if j.cfg.Sync != nil {
			return j.cfg.Sync
		}
	}
	return nil
}

var errUnavailable = errors.New("this job does not run in this process")

// unavailable answers 503 job_unavailable with why.
func unavailable(rc *httpx.Request, why string) {
	httpx.WriteError(rc.RequestCtx, &httpx.Error{Status: fasthttp.StatusServiceUnavailable, Code: "job_unavailable", Message: why})
}

// serviceOnly refuses callers other than service tokens (admission has
// checked a service token's scope; users pass it).
func (j *Jobs) serviceOnly(h func(*httpx.Request)) func(*httpx.Request) {
	return func(rc *httpx.Request) {
		if rc.Identity.Kind != httpx.Service {
			rc.Response.Header.Set("WWW-Authenticate", `Bearer realm="gpubroker", error="insufficient_scope", scope="`+Scope+`"`)
			httpx.WriteError(rc.RequestCtx, &httpx.Error{Status: fasthttp.StatusForbidden, Code: httpx.CodeInsufficientScope,
				Message: "jobs are run by service tokens with the " + Scope + " scope"})
			return
		}
		if err := httpx.CheckQuery(rc); err != nil {
			httpx.WriteError(rc.RequestCtx, err)
			return
		}
		h(rc)
	}
}

// Run runs job name, or joins the run under way, and returns its result:
// for the routes and the embedded schedules alike.
func (j *Jobs) Run(name string) (any, error) {
	job := j.job(name)
	if job == nil {
		return nil, errUnavailable
	}
	j.mu.Lock()
	r := j.flight[name]
	if r == nil {
		r = &run{done: make(chan struct{})}
		j.flight[name] = r
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), j.cfg.Timeout)
			defer cancel()
			start := time.Now()
			r.result, r.err = job(ctx)
			j.log.Info("job ran", "job", name, "took", time.Since(start).String(), "err", r.err)
			j.mu.Lock()
			delete(j.flight, name)
			j.record(name, start, r.err)
			j.mu.Unlock()
			close(r.done)
		}()
	}
	j.mu.Unlock()
	<-r.done
	return r.result, r.err
}

// RunStatus is what this process last saw of one job.
type RunStatus struct {
	LastSuccess time.Time `json:"last_success,omitzero"`
	LastFailure time.Time `json:"last_failure,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

// record notes a run's outcome; j.mu is held.
func (j *Jobs) record(name string, at time.Time, err error) {
	st := j.runs[name]
	if err == nil {
		st.LastSuccess = at.UTC()
	} else {
		st.LastFailure, st.LastError = at.UTC(), err.Error()
	}
	j.runs[name] = st
}

// Status is every job's last runs in this process (through the routes or
// the embedded schedules).
func (j *Jobs) Status() map[string]RunStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make(map[string]RunStatus, len(j.runs))
	for k, v := range j.runs {
		out[k] = v
	}
	return out
}

// shared answers a job route with its (shared) run.
func (j *Jobs) shared(name string) func(*httpx.Request) {
	return func(rc *httpx.Request) {
		result, err := j.Run(name)
		switch {
		case errors.Is(err, errUnavailable):
			unavailable(rc, err.Error())
		case err != nil:
			httpx.WriteJSON(rc.RequestCtx, fasthttp.StatusBadGateway, map[string]any{"job": name, "error": err.Error(), "result": result})
		default:
			httpx.WriteJSON(rc.RequestCtx, fasthttp.StatusOK, map[string]any{"job": name, "result": result})
		}
	}
}

// deliveryBody is a webhook_delivery or webhook_dead call: the
// webhook_request event as the stream (and Kafka's gpubroker.webhooks)
// carries it, the attempt's number, and for webhook_dead the last
// attempt's outcome.
type deliveryBody struct {
	Request json.RawMessage `json:"request"`
	Attempt int             `json:"attempt"`
	Status  int             `json:"status"`
	Error   string          `json:"error"`
}

func (j *Jobs) request(rc *httpx.Request) (events.WebhookRequest, deliveryBody, bool) {
	var b deliveryBody
	if !httpx.DecodeBody(rc, &b) {
		return events.WebhookRequest{}, b, false
	}
	var req events.WebhookRequest
	if err := json.Unmarshal(b.Request, &req); err != nil || req.Type != events.TypeWebhookRequest || req.EventID == "" ||
		req.WebhookID == "" || len(req.Body) == 0 {
		httpx.WriteError(rc.RequestCtx, httpx.BadParam("request", "must be a webhook_request event (event_id, webhook_id, body)"))
		return req, b, false
	}
	if b.Attempt < 1 || b.Attempt > 1000 {
		httpx.WriteError(rc.RequestCtx, httpx.BadParam("attempt", "must be the attempt's number, 1 to 1000"))
		return req, b, false
	}
	return req, b, true
}

// delivery makes one attempt: 200 when the request is done (delivered,
// or nothing to deliver to), 502 when it failed and should be tried
// again, 503 when it could not be attempted; the body is the attempt.
func (j *Jobs) delivery(rc *httpx.Request) {
	if j.cfg.Deliver == nil {
		unavailable(rc, errUnavailable.Error())
		return
	}
	req, b, ok := j.request(rc)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), j.cfg.Timeout)
	defer cancel()
	start := time.Now()
	a, err := j.cfg.Deliver(ctx, req, b.Attempt)
	j.mu.Lock()
	switch {
	case err != nil:
		j.record("webhook_delivery", start, err)
	case a.Retry:
		j.record("webhook_delivery", start, errors.New(a.Outcome+": "+a.Error))
	default:
		j.record("webhook_delivery", start, nil)
	}
	j.mu.Unlock()
	switch {
	case err != nil:
		unavailable(rc, err.Error())
	case a.Outcome == webhooks.OutcomeStoreUnavailable:
		httpx.WriteJSON(rc.RequestCtx, fasthttp.StatusServiceUnavailable, a)
	case a.Retry:
		httpx.WriteJSON(rc.RequestCtx, fasthttp.StatusBadGateway, a)
	default:
		httpx.WriteJSON(rc.RequestCtx, fasthttp.StatusOK, a)
	}
}

// dead stores a request's dead letter after its last attempt.
func (j *Jobs) dead(rc *httpx.Request) {
	if j.cfg.DeadLetter == nil {
		unavailable(rc, errUnavailable.Error())
		return
	}
	req, b, ok := j.request(rc)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), j.cfg.Timeout)
	defer cancel()
	last := webhooks.Attempted{Outcome: webhooks.OutcomeFailed, Attempt: b.Attempt, Status: b.Status, Error: b.Error}
	if err := j.cfg.DeadLetter(ctx, req, last); err != nil {
		unavailable(rc, err.Error())
		return
	}
	httpx.WriteJSON(rc.RequestCtx, fasthttp.StatusOK, map[string]any{"dead_lettered": req.EventID})
}
