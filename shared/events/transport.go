package events

// Headers every event message carries, on NATS and on Kafka, so the bridge
// routes without decoding the body.
const (
	HeaderID   = "Nats-Msg-Id" // JetStream's dedup header, set to event_id
	HeaderType = "Gpubroker-Event-Type"
	HeaderKey  = "Gpubroker-Event-Key"
	// HeaderDLQReason is set on a dead-letter message: why it was refused.
	HeaderDLQReason = "gpubroker-dlq-reason"
	// HeaderDLQTopic names the topic a dead-letter message came from.
	HeaderDLQTopic = "gpubroker-dlq-topic"
	// KafkaHeaderID is event_id on a Kafka record.
	KafkaHeaderID = "event_id"
)
