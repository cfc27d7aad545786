package ops

import "time"

// EventsView is the event backbone as /health shows it: the cell's
// JetStream stream and, where this process runs the bridge, Kafka.
type EventsView struct {
	Stream StreamView `json:"stream"`
	// Kafka is absent when this process runs no bridge.
	Kafka *KafkaView `json:"kafka,omitempty"`
	// Analytics says where the cell's stream analytics run.
	Analytics *AnalyticsView `json:"analytics,omitempty"`
}

// AnalyticsView is the stream analytics (docs/analytics.md): "embedded"
// (the cell's Go detectors; Role and LastResult where this process runs
// them) or "flink" (the Flink jobs, their results through the bridge).
type AnalyticsView struct {
	Mode string `json:"mode"`
	Role string `json:"role,omitempty"`
	// LastResult is when this process last stored or pushed a result.
	LastResult time.Time `json:"last_result,omitzero"`
	// Flink is the Flink cluster's view, where GPUBROKER_FLINK_REST_URL
	// is set.
	Flink *FlinkView `json:"flink,omitempty"`
}

// FlinkView is what the Flink REST API says of the jobs.
type FlinkView struct {
	Reachable bool     `json:"reachable"`
	Running   int      `json:"jobs_running"`
	Jobs      []string `json:"jobs,omitempty"` // "name: STATE"
	Error     string   `json:"error,omitempty"`
}

// StreamView is the JetStream backlog.
type StreamView struct {
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Messages uint64 `json:"messages"`
	Bytes    uint64 `json:"bytes"`
	MaxBytes uint64 `json:"max_bytes"`
	Error    string `json:"error,omitempty"`
}

// KafkaView is the bridge's view of Kafka and each outbound kind's lag
// (stream messages not yet acknowledged by Kafka).
type KafkaView struct {
	// Role is "active" (this process's bridge forwards the cell's events)
	// or "standby" (another bridge holds the cell's lease).
	Role      string    `json:"role,omitempty"`
	Brokers   []string  `json:"brokers"`
	Reachable bool      `json:"reachable"`
	LastOK    time.Time `json:"last_ok,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	Lag       []LagView `json:"lag"`
}

// LagView is one mapping's backlog.
type LagView struct {
	Type     string `json:"type"`
	Topic    string `json:"topic"`
	Pending  uint64 `json:"pending"`
	InFlight int    `json:"in_flight"`
}
