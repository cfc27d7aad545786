// Package events is the schema of every event a cell emits or receives:
// one JSON envelope (event_id, type, cell, timestamp) plus the fields of
// its kind, the Kafka topic each kind travels on, and the NATS subject it
// has inside a cell. docs/events.md is the reader's version of this file.
//
// event_id is made once, when the event is created, and never again: a
// retried publish (to JetStream or Kafka) carries the same id, so every
// consumer deduplicates on it.
package events
