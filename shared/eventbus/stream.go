package eventbus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/events"
)

// Stream defaults: documented in docs/events.md.
const (
	DefaultMaxBytes   = 1 << 30 // 1 GiB: about two million price updates
	DefaultMaxAge     = 72 * time.Hour
	DefaultDuplicates = 2 * time.Minute
)

// StreamConfig bounds the cell's event stream.
type StreamConfig struct {
	Cell string
	// MaxBytes and MaxAge bound what the stream keeps; at a bound its
	// oldest events go first (default 1 GiB, 72 h).
	MaxBytes int64
	MaxAge   time.Duration
	// Duplicates is JetStream's dedup window on Nats-Msg-Id (default 2 min).
	Duplicates time.Duration
	// Replicas is the stream's replication in a clustered NATS (default 1).
	Replicas int
}

func (c StreamConfig) withDefaults() StreamConfig {
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxAge <= 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.Duplicates <= 0 {
		c.Duplicates = DefaultDuplicates
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	return c
}

// StreamName is the JetStream stream of a cell's events.
func StreamName(cell string) string { return "GPUBROKER_EVENTS_" + cell }

// EnsureStream creates the cell's event stream or brings its limits up to
// cfg; it is what every process touching the stream calls first, so the
// order processes start in does not matter.
func EnsureStream(ctx context.Context, js jetstream.JetStream, cfg StreamConfig) (jetstream.Stream, error) {
	cfg = cfg.withDefaults()
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        StreamName(cfg.Cell),
		Description: "gpubroker cell " + cfg.Cell + " events, bridged to Kafka",
		Subjects:    []string{events.Wildcard(cfg.Cell)},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxBytes:    cfg.MaxBytes,
		MaxAge:      cfg.MaxAge,
		Duplicates:  cfg.Duplicates,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("event stream %s: %w", StreamName(cfg.Cell), err)
	}
	return s, nil
}
