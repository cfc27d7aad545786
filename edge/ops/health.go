package ops

import (
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/workers/client"
)

type providerHealthView struct {
	client.ProviderHealth
	Breaker string `json:"breaker"` // closed | half_open | open | unknown
	// Reason says why an unhealthy provider is unhealthy, including why its
	// breaker may still be closed.
	Reason    string                 `json:"reason,omitempty"`
	Weight    float64                `json:"weight"`
	Replicas  []client.ReplicaStatus `json:"replicas"`
	FetchedAt time.Time              `json:"cached_fetched_at,omitzero"`
	FreshTill time.Time              `json:"cached_fresh_until,omitzero"`
}

type healthResponse struct {
	Status        string               `json:"status"` // ok | degraded | unavailable
	Cell          string               `json:"cell"`
	Time          time.Time            `json:"time"`
	NATSConnected bool                 `json:"nats_connected"`
	CacheL1       string               `json:"cache_l1"`     // none | ok | down
	RateLimiter   string               `json:"rate_limiter"` // local | redis | redis_down (local fallback)
	Providers     []providerHealthView `json:"providers"`
	Events        *EventsView          `json:"events,omitempty"`
	Jobs          *JobsView            `json:"jobs,omitempty"`
}

func (s *Service) handleHealth(rc *httpx.Request) {
	if err := httpx.CheckQuery(rc); err != nil {
		httpx.WriteError(rc.RequestCtx, err)
		return
	}
	h := healthResponse{Status: "ok", Cell: s.cfg.Cell, Time: time.Now().UTC(), NATSConnected: s.cfg.Source.Healthy(),
		CacheL1: "none", RateLimiter: "local"}
	if s.cfg.Cache != nil {
		h.CacheL1 = s.cfg.Cache.L1State()
	}
	if l := s.cfg.Limiter; l != nil && l.Shared() {
		h.RateLimiter = "redis"
		if !l.RedisHealthy() {
			h.RateLimiter = "redis_down"
		}
	}
	h.Providers = s.providerViews()
	for _, pv := range h.Providers {
		if pv.Status == "unhealthy" {
			h.Status = "degraded"
		}
	}
	if s.cfg.Events != nil {
		ctx, cancel := rc.Context()
		ev := s.cfg.Events(ctx)
		cancel()
		flinkDown := ev.Analytics != nil && ev.Analytics.Flink != nil && ev.Analytics.Flink.Running == 0
		if !ev.Stream.OK || (ev.Kafka != nil && !ev.Kafka.Reachable && ev.Kafka.Role != "standby") || flinkDown {
			h.Status = "degraded"
		}
		h.Events = &ev
	}
	if s.cfg.Jobs != nil {
		ctx, cancel := rc.Context()
		j := s.cfg.Jobs(ctx)
		cancel()
		if a := j.Airflow; a != nil && (!a.Reachable || a.Components["scheduler"] != "healthy" || a.Components["triggerer"] != "healthy") {
			h.Status = "degraded"
		}
		h.Jobs = &j
	}
	status := fasthttp.StatusOK
	if !h.NATSConnected {
		h.Status, status = "unavailable", fasthttp.StatusServiceUnavailable
	}
	httpx.WriteJSON(rc.RequestCtx, status, h)
}

// unhealthyReason explains an unhealthy provider: an open breaker, or the
// last failure seen (by this process's fetches, else the workers' probes),
// and, when the breaker is still closed, why that is not a contradiction.
func unhealthyReason(pv providerHealthView) string {
	if pv.Breaker == "open" {
		return "every worker replica's circuit breaker is open after repeated failures"
	}
	kind, msg := pv.LastErrorKind, pv.LastError
	if kind == "" {
		for _, r := range pv.Replicas {
			if r.LastErrorAt.After(r.LastSuccess) {
				kind, msg = r.LastErrorKind, r.LastError
				break
			}
		}
	}
	why := "the last fetch failed"
	if kind != "" {
		why += " (" + kind + ")"
	}
	if msg != "" {
		why += ": " + msg
	}
	switch pv.Breaker {
	case "closed":
		why += "; the breaker stays closed until half of the last 10 calls fail"
	case "half_open":
		why += "; the breaker is half-open, trying the provider again"
	}
	return why
}

// aggregateReplicas summarizes a provider's replicas: the best breaker
// state any replica is in, and the largest weight (the provider is as
// reachable as its best replica). No heartbeats yet: unknown, weight 1.
func aggregateReplicas(rs []client.ReplicaStatus) (string, float64) {
	if len(rs) == 0 {
		return "unknown", 1
	}
	rank := map[string]int{"closed": 3, "half_open": 2, "open": 1}
	best, w := "open", 0.0
	for _, r := range rs {
		if rank[r.Breaker] > rank[best] {
			best = r.Breaker
		}
		w = max(w, r.Weight)
	}
	return best, w
}

// providerViews is every provider's health as /health shows it.
func (s *Service) providerViews() []providerHealthView {
	var out []providerHealthView
	for _, ph := range s.cfg.Health.Snapshot(s.cfg.Providers) {
		pv := providerHealthView{ProviderHealth: ph, Replicas: s.cfg.Source.Replicas(ph.Name)}
		pv.Breaker, pv.Weight = aggregateReplicas(pv.Replicas)
		if pv.Status == "unknown" {
			// This edge has not fetched yet: go by the workers' probes.
			for _, r := range pv.Replicas {
				switch {
				case !r.LastSuccess.IsZero() && r.LastSuccess.After(r.LastErrorAt):
					pv.Status = "healthy"
				case !r.LastErrorAt.IsZero() && pv.Status == "unknown":
					pv.Status = "unhealthy"
				}
			}
		}
		if pv.Breaker == "open" {
			pv.Status = "unhealthy"
		}
		if s.cfg.Cache != nil {
			if fetched, fresh, ok := s.cfg.Cache.CachedAt(ph.Name); ok {
				pv.FetchedAt, pv.FreshTill = fetched, fresh
			}
		}
		if pv.Status == "unhealthy" {
			pv.Reason = unhealthyReason(pv)
		}
		out = append(out, pv)
	}
	return out
}

// Summary is a provider's health in brief, for push clients.
type Summary struct {
	Name      string
	Healthy   bool
	Weight    float64
	LatencyMS int64
}

// Summaries is every provider's health in brief, as /health judges it.
func (s *Service) Summaries() []Summary {
	views := s.providerViews()
	out := make([]Summary, len(views))
	for i, pv := range views {
		out[i] = Summary{Name: pv.Name, Healthy: pv.Status == "healthy", Weight: pv.Weight, LatencyMS: pv.LatencyMS}
	}
	return out
}
