package bridge

import (
	"fmt"
	"sync"

	"github.com/VictoriaMetrics/metrics"
)

type bridgeMetrics struct {
	set       *metrics.Set
	counters  sync.Map           // counterKey -> *metrics.Counter; read per record, so no formatting on the hot path
	latency   *metrics.Histogram // handed to the producer -> Kafka ack
	delivery  *metrics.Histogram // stored in the stream -> Kafka ack
	otherCell *metrics.Counter
	rewinds   *metrics.Counter
}

func newBridgeMetrics(set *metrics.Set) *bridgeMetrics {
	return &bridgeMetrics{set: set,
		latency:   set.GetOrCreateHistogram("gpubroker_bridge_produce_seconds"),
		delivery:  set.GetOrCreateHistogram("gpubroker_bridge_delivery_seconds"),
		otherCell: set.GetOrCreateCounter("gpubroker_bridge_other_cell_total"),
		rewinds:   set.GetOrCreateCounter("gpubroker_bridge_rewinds_total"),
	}
}

type counterKey struct{ name, label, value string }

func (m *bridgeMetrics) counter(name, label, value string) *metrics.Counter {
	key := counterKey{name, label, value}
	if c, ok := m.counters.Load(key); ok {
		return c.(*metrics.Counter)
	}
	c, _ := m.counters.LoadOrStore(key, m.set.GetOrCreateCounter(fmt.Sprintf("%s{%s=%q}", name, label, value)))
	return c.(*metrics.Counter)
}

// Records Kafka acknowledged, by topic.
func (m *bridgeMetrics) produced(topic string) *metrics.Counter {
	return m.counter("gpubroker_bridge_produced_total", "topic", topic)
}

// Records Kafka refused (each is sent again), by topic.
func (m *bridgeMetrics) failed(topic string) *metrics.Counter {
	return m.counter("gpubroker_bridge_produce_failed_total", "topic", topic)
}

// Stream messages acknowledged after delivery, by kind.
func (m *bridgeMetrics) forwarded(typ string) *metrics.Counter {
	return m.counter("gpubroker_bridge_forwarded_total", "type", typ)
}

// Inbound records read, by topic.
func (m *bridgeMetrics) consumed(topic string) *metrics.Counter {
	return m.counter("gpubroker_bridge_consumed_total", "topic", topic)
}

// Inbound records stored in the stream, by topic.
func (m *bridgeMetrics) delivered(topic string) *metrics.Counter {
	return m.counter("gpubroker_bridge_delivered_total", "topic", topic)
}

// Records Kafka acknowledged on a dead-letter topic.
func (m *bridgeMetrics) dlq(topic string) *metrics.Counter {
	return m.counter("gpubroker_bridge_dlq_total", "topic", topic)
}
