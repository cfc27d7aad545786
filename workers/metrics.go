package workers

import (
	"fmt"

	"github.com/VictoriaMetrics/metrics"

	"github.com/gpubroker/gpubroker/workers/breaker"
)

type workerMetrics struct {
	set           *metrics.Set
	provider      string
	fetchDuration *metrics.PrometheusHistogram
	offers        *metrics.Gauge
	invalidOffers *metrics.Counter
	unknownGPUs   *metrics.Counter
	priceChanges  *metrics.Counter
	// superseded counts fetches whose events were not derived on their
	// own: a newer fetch replaced them before the observer loop reached
	// them, or another replica had recorded a later one.
	superseded *metrics.Counter
	rejections *metrics.Counter
	// requestsPerFetch shows single-flight at work: how many requests
	// each upstream fetch answered.
	requestsPerFetch *metrics.Histogram
}

func newWorkerMetrics(set *metrics.Set, provider string, br *breaker.Breaker) *workerMetrics {
	l := fmt.Sprintf(`{provider=%q}`, provider)
	// The breaker state as a number (0 closed, 1 half-open, 2 open) so it
	// can be graphed and alerted on.
	set.GetOrCreateGauge("gpubroker_breaker_state"+l, func() float64 { return float64(br.State()) })
	return &workerMetrics{
		set:              set,
		provider:         provider,
		fetchDuration:    set.GetOrCreatePrometheusHistogram("gpubroker_worker_fetch_duration_seconds" + l),
		offers:           set.GetOrCreateGauge("gpubroker_worker_offers"+l, nil),
		invalidOffers:    set.GetOrCreateCounter("gpubroker_worker_invalid_offers_total" + l),
		unknownGPUs:      set.GetOrCreateCounter("gpubroker_unknown_gpu_offers_total" + l),
		priceChanges:     set.GetOrCreateCounter("gpubroker_price_changes_total" + l),
		superseded:       set.GetOrCreateCounter("gpubroker_worker_observations_superseded_total" + l),
		rejections:       set.GetOrCreateCounter("gpubroker_breaker_rejections_total" + l),
		requestsPerFetch: set.GetOrCreateHistogram("gpubroker_worker_requests_per_fetch" + l),
	}
}

func (m *workerMetrics) requests(result string) *metrics.Counter {
	return m.set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_worker_requests_total{provider=%q,result=%q}`, m.provider, result))
}

func (m *workerMetrics) fetchErrors(kind string) *metrics.Counter {
	return m.set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_worker_fetch_errors_total{provider=%q,kind=%q}`, m.provider, kind))
}

func (m *workerMetrics) transition(from, to breaker.State) {
	m.set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_breaker_transitions_total{provider=%q,from=%q,to=%q}`,
		m.provider, from.String(), to.String())).Inc()
}

func (m *workerMetrics) verifications(status string) *metrics.Counter {
	return m.set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_credential_checks_total{provider=%q,status=%q}`, m.provider, status))
}
