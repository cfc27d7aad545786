package eventbus

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/VictoriaMetrics/metrics"
)

type busMetrics struct {
	set        *metrics.Set
	mu         sync.Mutex
	byType     map[string]*metrics.Counter
	duplicates *metrics.Counter
	retries    *metrics.Counter
	lost       *metrics.Counter
	bytes      atomic.Uint64
	msgs       atomic.Uint64
	maxBytes   atomic.Uint64
}

func newBusMetrics(set *metrics.Set) *busMetrics {
	m := &busMetrics{set: set, byType: map[string]*metrics.Counter{},
		duplicates: set.GetOrCreateCounter("gpubroker_events_duplicates_total"),
		retries:    set.GetOrCreateCounter("gpubroker_events_publish_retries_total"),
		lost:       set.GetOrCreateCounter("gpubroker_events_lost_total"),
	}
	set.GetOrCreateGauge("gpubroker_events_stream_bytes", func() float64 { return float64(m.bytes.Load()) })
	set.GetOrCreateGauge("gpubroker_events_stream_messages", func() float64 { return float64(m.msgs.Load()) })
	set.GetOrCreateGauge("gpubroker_events_stream_max_bytes", func() float64 { return float64(m.maxBytes.Load()) })
	return m
}

func (m *busMetrics) published(typ string) *metrics.Counter {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.byType[typ]
	if !ok {
		c = m.set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_events_published_total{type=%q}`, typ))
		m.byType[typ] = c
	}
	return c
}

func (m *busMetrics) store(st Stats) {
	m.bytes.Store(st.Bytes)
	m.msgs.Store(st.Messages)
	m.maxBytes.Store(st.MaxBytes)
}
