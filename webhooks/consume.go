package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/eventbus"
)

// consumer creates or updates a durable consumer on the cell's stream.
func consumer(ctx context.Context, js jetstream.JetStream, cell string, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	name := eventbus.StreamName(cell)
	stream, err := js.Stream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("webhooks: event stream %s: %w", name, err)
	}
	c, err := stream.CreateOrUpdateConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("webhooks: consumer %s: %w", cfg.Durable, err)
	}
	return c, nil
}

// retry runs run until ctx ends, starting it again after each failure
// with a growing pause (up to 2 s), warning once per 30 failures.
func retry(ctx context.Context, log *slog.Logger, what string, run func(context.Context) error) {
	for attempt := 0; ctx.Err() == nil; attempt++ {
		err := run(ctx)
		if ctx.Err() != nil {
			return
		}
		if attempt%30 == 0 {
			log.Warn(what+" interrupted; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(time.Duration(attempt+1)*200*time.Millisecond, 2*time.Second)):
		}
	}
}
