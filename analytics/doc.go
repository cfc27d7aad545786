// Package analytics is the cell's embedded stream analytics: the same three
// detectors as the Flink jobs in flink/ (docs/analytics.md), in Go, for a
// cell that runs without Flink.
//
// Detectors is the pure part: it takes price_update events in arrival order
// and returns the result events (price_change, price_anomaly,
// price_aggregate). Event time follows Flink's model: the watermark trails
// the largest timestamp seen by Lateness (5 s); observations are released to
// the anomaly window in timestamp order once the watermark passes them (one
// the watermark had already passed when it arrived is late and skipped);
// a 1-minute aggregate window counts what arrives until the watermark
// reaches its end, and is emitted then. The price-change rule needs no time and answers at once.
//
// Runner feeds Detectors from the cell's JetStream stream with a durable
// consumer and stores the results in the stream before acknowledging what
// made them; at start it replays the stream's recent price updates (up to
// Warmup) silently, so windows and the reorder buffer are what they were
// before a restart. Result ids are MD5s of what identifies a result, as the
// Flink SQL computes them, so a result made twice is one event.
package analytics
