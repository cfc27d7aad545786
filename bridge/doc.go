// Package bridge carries a cell's events between its JetStream stream and
// Kafka, in both directions, at least once.
//
// Out (NATS → Kafka): one durable JetStream consumer per outbound kind
// (events.Routes). A batch fetched from the stream goes to the idempotent
// producer (acks=all, snappy); the batch is acknowledged to JetStream only
// when Kafka acknowledged every record in it, and the records Kafka
// refused are sent again, in their order, until it takes them. A crash at
// any point leaves the unacknowledged batch in the stream, which delivers
// it again: Kafka may see a record twice, always with the same event_id.
//
// In (Kafka → NATS): one consumer group on the inbound topics. A record is
// published to the stream (Nats-Msg-Id = event_id, so a redelivered record
// is stored once) and its offset marked only after JetStream acknowledged
// it. A record that fails events.Check goes to the bridge's dead-letter
// topic with the reason in a header, and the partition goes on.
//
// Kafka being away is normal: the bridge keeps trying to reach it while the
// stream buffers, and drains the stream in order when it is back.
package bridge
