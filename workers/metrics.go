package workers

import (
	"fmt"

	"github.com/VictoriaMetrics/metrics"
)

type workerMetrics struct {
	set           *metrics.Set
	provider      string
	fetchDuration *metrics.PrometheusHistogram
	offers        *metrics.Gauge
	invalidOffers *metrics.Counter
	unknownGPUs   *metrics.Counter
	priceChanges  *metrics.Counter
}

func newWorkerMetrics(set *metrics.Set, provider string) *workerMetrics {
	l := fmt.Sprintf(`{provider=%q}`, provider)
	return &workerMetrics{
		set:           set,
		provider:      provider,
		fetchDuration: set.GetOrCreatePrometheusHistogram("gpubroker_worker_fetch_duration_seconds" + l),
		offers:        set.GetOrCreateGauge("gpubroker_worker_offers"+l, nil),
		invalidOffers: set.GetOrCreateCounter("gpubroker_worker_invalid_offers_total" + l),
		unknownGPUs:   set.GetOrCreateCounter("gpubroker_unknown_gpu_offers_total" + l),
		priceChanges:  set.GetOrCreateCounter("gpubroker_price_changes_total" + l),
	}
}

func (m *workerMetrics) requests(result string) *metrics.Counter {
	return m.set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_worker_requests_total{provider=%q,result=%q}`, m.provider, result))
}

func (m *workerMetrics) fetchErrors(kind string) *metrics.Counter {
	return m.set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_worker_fetch_errors_total{provider=%q,kind=%q}`, m.provider, kind))
}
