package eventbus

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Consumer creates or updates a durable consumer on cell's stream.
func Consumer(ctx context.Context, js jetstream.JetStream, cell string, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error) {
	name := StreamName(cell)
	stream, err := js.Stream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("eventbus: event stream %s: %w", name, err)
	}
	c, err := stream.CreateOrUpdateConsumer(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("eventbus: consumer %s: %w", cfg.Durable, err)
	}
	return c, nil
}

// Retry runs run until ctx ends, starting it again after each failure
// (the store or the stream away) with a growing pause of up to 2 s, and
// warns once per 30 failures: the loop of every durable consumer.
func Retry(ctx context.Context, log *slog.Logger, what string, run func(context.Context) error) {
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
