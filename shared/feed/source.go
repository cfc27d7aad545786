package feed

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// pushedKinds are the event kinds the hub pushes.
var pushedKinds = []string{events.TypePriceUpdate, events.TypeAvailabilityUpdate, events.TypeProviderEvent, events.TypeNotification,
	events.TypePriceChange, events.TypePriceAnomaly}

// Follow reads the cell's event stream into h until ctx ends: one ordered
// consumer (no acknowledgements, no server-side state to clean up) from
// the stream's end when it starts, and from the last update h has after
// any interruption, so an edge that loses NATS for a while misses nothing
// the stream still holds. It waits while the stream does not exist yet.
func Follow(ctx context.Context, js jetstream.JetStream, cell string, h *Hub, log *slog.Logger) {
	log = log.With("component", "feed")
	name := eventbus.StreamName(cell)
	filters := make([]string, len(pushedKinds))
	for i, k := range pushedKinds {
		filters[i] = events.KindSubjects(cell, k)
	}
	for attempt := 0; ctx.Err() == nil; attempt++ {
		err := follow(ctx, js, name, cell, filters, h, log)
		if ctx.Err() != nil {
			return
		}
		if attempt == 0 || attempt%30 == 0 {
			log.Warn("following the event stream; retrying", "stream", name, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(time.Duration(attempt+1)*200*time.Millisecond, 2*time.Second)):
		}
	}
}

func follow(ctx context.Context, js jetstream.JetStream, name, cell string, filters []string, h *Hub, log *slog.Logger) error {
	stream, err := js.Stream(ctx, name)
	if err != nil {
		return fmt.Errorf("event stream %s: %w", name, err)
	}
	start := h.LastSeq() + 1
	if start == 1 {
		info, err := stream.Info(ctx)
		if err != nil {
			return fmt.Errorf("event stream %s: %w", name, err)
		}
		h.SetFloor(info.State.LastSeq) // what came before is not the hub's
		start = info.State.LastSeq + 1
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: filters,
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: start})
	if err != nil {
		return fmt.Errorf("event stream %s: ordered consumer: %w", name, err)
	}
	failed := make(chan error, 1)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			return
		}
		typ, _ := events.SubjectType(cell, m.Subject())
		u, ok, err := Decode(md.Sequence.Stream, typ, m.Data())
		if err != nil {
			log.Warn("event not pushed: malformed", "subject", m.Subject(), "seq", md.Sequence.Stream, "err", err)
			return
		}
		if ok {
			h.Publish(u)
		}
	}, jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		select {
		case failed <- err:
		default:
		}
	}))
	if err != nil {
		return fmt.Errorf("event stream %s: consuming: %w", name, err)
	}
	defer cc.Stop()
	log.Info("following the event stream", "stream", name, "from_seq", start)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-cc.Closed():
			return fmt.Errorf("event stream %s: consumer closed", name)
		case err := <-failed:
			// The ordered consumer recreates itself after most errors;
			// these are logged, and only a closed consumer restarts here.
			log.Debug("event stream consumer", "err", err)
		}
	}
}
