package edge

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/shared"
)

func (s *Server) handleList(rc *requestCtx) {
	key := responseKey(rc)
	if s.serveCached(rc, key) {
		return
	}
	q, err := parseListParams(rc.QueryArgs())
	if err != nil {
		writeError(rc.RequestCtx, err)
		return
	}
	s.answerSearch(rc, key, []Query{q}, false)
}

func (s *Server) handleQuery(rc *requestCtx) {
	key := responseKey(rc)
	if s.serveCached(rc, key) {
		return
	}
	q, err := parseQueryBody(rc.PostBody())
	if err != nil {
		writeError(rc.RequestCtx, err)
		return
	}
	s.answerSearch(rc, key, []Query{q}, false)
}

func (s *Server) handleBulk(rc *requestCtx) {
	key := responseKey(rc)
	if s.serveCached(rc, key) {
		return
	}
	qs, err := parseBulkBody(rc.PostBody())
	if err != nil {
		writeError(rc.RequestCtx, err)
		return
	}
	s.answerSearch(rc, key, qs, true)
}

// answerSearch gathers the providers the queries need once and answers
// every query from that one view.
func (s *Server) answerSearch(rc *requestCtx, key string, qs []Query, bulk bool) {
	providers, perr := s.providersFor(qs)
	if perr != nil {
		writeError(rc.RequestCtx, perr)
		return
	}
	v, ok := s.gatherAdmitted(rc, providers)
	if !ok {
		return
	}
	pages := make([]pageResult, len(qs))
	for i := range qs {
		items, total, next := v.search(&qs[i])
		pages[i] = pageResult{items: items, total: total, perPage: qs[i].PerPage, sort: qs[i].Sort.name, next: next}
	}
	body := encodeSearch(pages, v, bulk, time.Now())
	s.storeResponse(key, fasthttp.StatusOK, body, v)
	writeBody(rc.RequestCtx, fasthttp.StatusOK, body)
}

// gatherAdmitted runs a gather inside the bounded waiting room: when more
// than MaxWaiting requests already wait on providers, it answers 503 with
// Retry-After instead of queueing without bound. It also answers 503/504
// itself when no provider produced any data, fresh or stale.
func (s *Server) gatherAdmitted(rc *requestCtx, providers []string) (*view, bool) {
	select {
	case s.waiting <- struct{}{}:
		defer func() { <-s.waiting }()
	default:
		rc.Response.Header.Set("Retry-After", "1")
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusServiceUnavailable, Code: codeOverloaded,
			Message: "too many requests are waiting on providers; retry shortly"})
		return nil, false
	}
	ctx, cancel := s.deadline(rc)
	defer cancel()
	v := s.gather(ctx, providers, rc.ids)
	if len(v.snaps) > 0 {
		if len(v.warnings) > 0 {
			// Some provider failed: look again soon rather than at TTL.
			if retry := s.now().Add(s.retryStale); v.freshUntil.After(retry) {
				v.freshUntil = retry
			}
		}
		return v, true
	}
	status, code := fasthttp.StatusServiceUnavailable, codeProviderUnavailable
	if v.timeouts > 0 {
		status, code = fasthttp.StatusGatewayTimeout, codeTimeout
	}
	msgs := make([]string, 0, len(v.warnings))
	for _, w := range v.warnings {
		msgs = append(msgs, w.Provider+": "+w.Code)
	}
	rc.Response.Header.Set("Retry-After", "5")
	writeError(rc.RequestCtx, &apiError{Status: status, Code: code,
		Message: "no provider data available, fresh or cached (" + strings.Join(msgs, "; ") + ")"})
	return nil, false
}

// providersFor is the set of providers the queries can match: all of them,
// unless every query names providers. Naming a provider the cell does not
// serve is a client error.
func (s *Server) providersFor(qs []Query) ([]string, *apiError) {
	want := map[string]bool{}
	for i, q := range qs {
		if len(q.Providers) == 0 {
			return s.cfg.Providers, nil
		}
		for _, p := range q.Providers {
			if !slices.Contains(s.cfg.Providers, p) {
				field := "provider"
				if len(qs) > 1 {
					field = "queries[" + strconv.Itoa(i) + "].provider"
				}
				return nil, badParam(field, "unknown provider "+p+"; this cell serves "+strings.Join(s.cfg.Providers, ", "))
			}
			want[p] = true
		}
	}
	out := make([]string, 0, len(want))
	for _, p := range s.cfg.Providers {
		if want[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *Server) handleOffer(rc *requestCtx) {
	id := strings.TrimPrefix(string(rc.Path()), pathOfferID)
	provider, ok := shared.ProviderOfOfferID(id)
	if !ok || !slices.Contains(s.cfg.Providers, provider) {
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusNotFound, Code: codeNotFound, Message: "no offer with id " + id})
		return
	}
	key := responseKey(rc)
	if s.serveCached(rc, key) {
		return
	}
	v, ok := s.gatherAdmitted(rc, []string{provider})
	if !ok {
		return
	}
	h, found := v.lookup(id)
	if !found {
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusNotFound, Code: codeNotFound, Message: "no offer with id " + id})
		return
	}
	s.storeResponse(key, fasthttp.StatusOK, h.json, v)
	writeBody(rc.RequestCtx, fasthttp.StatusOK, h.json)
}

type providerHealthView struct {
	providerHealth
	Breaker   string          `json:"breaker"` // closed | half_open | open | unknown
	Weight    float64         `json:"weight"`
	Replicas  []ReplicaStatus `json:"replicas"`
	FetchedAt time.Time       `json:"cached_fetched_at,omitzero"`
	FreshTill time.Time       `json:"cached_fresh_until,omitzero"`
}

type healthResponse struct {
	Status        string               `json:"status"` // ok | degraded | unavailable
	Cell          string               `json:"cell"`
	Time          time.Time            `json:"time"`
	NATSConnected bool                 `json:"nats_connected"`
	CacheL1       string               `json:"cache_l1"`     // none | ok | down
	RateLimiter   string               `json:"rate_limiter"` // local | redis | redis_down (local fallback)
	Providers     []providerHealthView `json:"providers"`
}

func (s *Server) handleHealth(rc *requestCtx) {
	h := healthResponse{Status: "ok", Cell: s.cfg.Cell, Time: time.Now().UTC(), NATSConnected: s.cfg.Source.Healthy(),
		CacheL1: "none", RateLimiter: "local"}
	if s.offers != nil && s.cfg.Cache.L1 != nil {
		h.CacheL1 = "ok"
		if !s.offers.L1Healthy() {
			h.CacheL1 = "down"
		}
	}
	if s.cfg.Limiter.Shared() {
		h.RateLimiter = "redis"
		if !s.cfg.Limiter.RedisHealthy() {
			h.RateLimiter = "redis_down"
		}
	}
	for _, ph := range s.health.snapshot(s.cfg.Providers) {
		pv := providerHealthView{providerHealth: ph, Replicas: s.cfg.Source.Replicas(ph.Name)}
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
		if s.offers != nil {
			if it, ok := s.offers.Peek(offersKey(ph.Name)); ok {
				pv.FetchedAt, pv.FreshTill = it.FetchedAt, it.FreshUntil
			}
		}
		if pv.Status == "unhealthy" {
			h.Status = "degraded"
		}
		h.Providers = append(h.Providers, pv)
	}
	status := fasthttp.StatusOK
	if !h.NATSConnected {
		h.Status, status = "unavailable", fasthttp.StatusServiceUnavailable
	}
	writeJSON(rc.RequestCtx, status, h)
}

// aggregateReplicas summarizes a provider's replicas: the best breaker
// state any replica is in, and the largest weight (the provider is as
// reachable as its best replica). No heartbeats yet: unknown, weight 1.
func aggregateReplicas(rs []ReplicaStatus) (string, float64) {
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

func (s *Server) handleMetrics(rc *requestCtx) {
	var b bytes.Buffer
	s.cfg.Metrics.WritePrometheus(&b)
	metrics.WriteProcessMetrics(&b)
	rc.Response.Header.SetContentType("text/plain; version=0.0.4; charset=utf-8")
	rc.SetBody(b.Bytes())
}

func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(ctx, &apiError{Status: fasthttp.StatusInternalServerError, Code: codeInternal, Message: "encoding response"})
		return
	}
	writeBody(ctx, status, b)
}
