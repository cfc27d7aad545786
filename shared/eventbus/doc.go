// Package eventbus is the cell's durable event queue: a JetStream stream
// holding every "<cell>.events.>" subject in file storage, and the
// publisher every producer in the cell (workers, later alerts and rentals)
// writes events through.
//
// The stream is what keeps events while Kafka is away: the bridge reads it
// with durable consumers and acknowledges only what Kafka acknowledged.
// Publishes carry Nats-Msg-Id = event_id, so a retried publish is stored
// once (within Config.Duplicates). Core-NATS subscribers of the subjects
// receive every event as well, stream or no stream.
//
// Nothing here stops the cell: a stream that cannot be created (a NATS
// server without JetStream, NATS restarting) is retried in the background,
// a stream at its bounds drops its oldest events (metric and warning), and
// a publish that fails is retried with the same id before it is counted
// lost.
package eventbus
