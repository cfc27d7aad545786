package edge

import (
	"fmt"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/gpubroker/gpubroker/edge/cache"
)

// edgeMetrics caches metric handles so the request path does not format
// metric names on every call.
type edgeMetrics struct {
	set         *metrics.Set
	counters    sync.Map // requestLabels -> *metrics.Counter
	hists       sync.Map // route -> *metrics.PrometheusHistogram
	respHits    *metrics.Counter
	respMisses  *metrics.Counter
	cacheEvents []*metrics.Counter // indexed by cache.EventKind
}

type requestLabels struct {
	route, method string
	status        int
}

func newEdgeMetrics(set *metrics.Set) *edgeMetrics {
	m := &edgeMetrics{
		set:        set,
		respHits:   set.GetOrCreateCounter(`gpubroker_response_cache_total{result="hit"}`),
		respMisses: set.GetOrCreateCounter(`gpubroker_response_cache_total{result="miss"}`),
	}
	m.cacheEvents = make([]*metrics.Counter, cache.EventCodecError+1)
	for k := cache.EventL2Hit; k <= cache.EventCodecError; k++ {
		m.cacheEvents[k] = set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_cache_events_total{event=%q}`, k.String()))
	}
	return m
}

func (m *edgeMetrics) request(route, method string, status int, took time.Duration) {
	switch method {
	case "GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS":
	default:
		method = "OTHER" // bounded label set whatever clients send
	}
	l := requestLabels{route, method, status}
	c, ok := m.counters.Load(l)
	if !ok {
		c, _ = m.counters.LoadOrStore(l, m.set.GetOrCreateCounter(fmt.Sprintf(
			`gpubroker_http_requests_total{route=%q,method=%q,status="%d"}`, route, method, status)))
	}
	c.(*metrics.Counter).Inc()
	if took > 0 {
		h, ok := m.hists.Load(route)
		if !ok {
			h, _ = m.hists.LoadOrStore(route, m.set.GetOrCreatePrometheusHistogram(fmt.Sprintf(
				`gpubroker_http_request_duration_seconds{route=%q}`, route)))
		}
		h.(*metrics.PrometheusHistogram).Update(took.Seconds())
	}
}

func (m *edgeMetrics) responseCache(hit bool) {
	if hit {
		m.respHits.Inc()
	} else {
		m.respMisses.Inc()
	}
}

// cacheEvent counts the offer cache's events by kind.
func (m *edgeMetrics) cacheEvent(e cache.Event) {
	if k := int(e.Kind); k > 0 && k < len(m.cacheEvents) {
		m.cacheEvents[k].Inc()
	}
}

func (m *edgeMetrics) providerFetch(provider string, took time.Duration, err error) {
	m.set.GetOrCreatePrometheusHistogram(fmt.Sprintf(`gpubroker_provider_fetch_duration_seconds{provider=%q}`, provider)).Update(took.Seconds())
	if err != nil {
		kind := "error"
		if fe, ok := err.(*FetchError); ok {
			kind = fe.Kind
		}
		m.set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_provider_errors_total{provider=%q,kind=%q}`, provider, kind)).Inc()
	}
}
