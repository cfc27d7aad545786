package search

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/gpubroker/gpubroker/edge/cache"
	"github.com/gpubroker/gpubroker/workers/client"
)

// searchMetrics caches metric handles so the request path does not format
// metric names on every call.
type searchMetrics struct {
	set         *metrics.Set
	respHits    *metrics.Counter
	respMisses  *metrics.Counter
	cacheEvents []*metrics.Counter // indexed by cache.EventKind
}

func newSearchMetrics(set *metrics.Set) *searchMetrics {
	m := &searchMetrics{
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

func (m *searchMetrics) responseCache(hit bool) {
	if hit {
		m.respHits.Inc()
	} else {
		m.respMisses.Inc()
	}
}

// cacheEvent counts the offer cache's events by kind.
func (m *searchMetrics) cacheEvent(e cache.Event) {
	if k := int(e.Kind); k > 0 && k < len(m.cacheEvents) {
		m.cacheEvents[k].Inc()
	}
}

func (m *searchMetrics) providerFetch(provider string, took time.Duration, err error) {
	m.set.GetOrCreatePrometheusHistogram(fmt.Sprintf(`gpubroker_provider_fetch_duration_seconds{provider=%q}`, provider)).Update(took.Seconds())
	if err != nil {
		kind := "error"
		if fe, ok := err.(*client.FetchError); ok {
			kind = fe.Kind
		}
		m.set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_provider_errors_total{provider=%q,kind=%q}`, provider, kind)).Inc()
	}
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
