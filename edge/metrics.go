package edge

import (
	"fmt"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// edgeMetrics caches metric handles so the request path does not format
// metric names on every call.
type edgeMetrics struct {
	set      *metrics.Set
	counters sync.Map // requestLabels -> *metrics.Counter
	hists    sync.Map // route -> *metrics.PrometheusHistogram
	streams  sync.Map // route -> *streamMetrics
}

type requestLabels struct {
	route, method string
	status        int
}

func newEdgeMetrics(set *metrics.Set) *edgeMetrics { return &edgeMetrics{set: set} }

// request counts one answer and, when took > 0, its duration.
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
