package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/webhook"
)

// DispatcherConfig configures a Dispatcher.
type DispatcherConfig struct {
	Cell  string
	Store store.Deliveries
	// JS reads the stream and stores the requests; a client of its own
	// (not the event bus's, whose async handlers retry on their own).
	JS jetstream.JetStream
	// Reload is how often the webhook list is read again (default 2 s).
	Reload  time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *metrics.Set
}

// Dispatcher turns the cell's events into webhook requests. One per cell.
type Dispatcher struct {
	cfg  DispatcherConfig
	log  *slog.Logger
	subs atomic.Pointer[subscribers]
	made *metrics.Counter
}

// NewDispatcher makes a dispatcher; Run starts it.
func NewDispatcher(cfg DispatcherConfig) *Dispatcher {
	if cfg.Reload <= 0 {
		cfg.Reload = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	d := &Dispatcher{cfg: cfg, log: cfg.Logger.With("component", "webhook-dispatch"),
		made: cfg.Metrics.GetOrCreateCounter("gpubroker_webhook_requests_total")}
	d.subs.Store(newSubscribers(nil))
	return d
}

// dispatchConsumer is the durable consumer of the cell's dispatcher.
const dispatchConsumer = "webhook-dispatch"

// Run dispatches until ctx ends, waiting out store and stream outages.
func (d *Dispatcher) Run(ctx context.Context) {
	eventbus.Retry(ctx, d.log, "webhook dispatch", d.run)
}

func (d *Dispatcher) run(ctx context.Context) error {
	if err := d.reload(ctx); err != nil {
		return err
	}
	cons, err := eventbus.Consumer(ctx, d.cfg.JS, d.cfg.Cell, jetstream.ConsumerConfig{Durable: dispatchConsumer,
		Description: "webhook requests from price changes, alert notifications and provider health",
		FilterSubjects: []string{events.KindSubjects(d.cfg.Cell, events.TypePriceChange),
			events.KindSubjects(d.cfg.Cell, events.TypeNotification), events.KindSubjects(d.cfg.Cell, events.TypeProviderEvent)},
		// From now on, as the alert evaluator: a new dispatcher does not
		// deliver the stream's history.
		DeliverPolicy: jetstream.DeliverNewPolicy, AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second,
		MaxAckPending: 1024})
	if err != nil {
		return err
	}
	tick := time.NewTicker(d.cfg.Reload)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-tick.C:
			if err := d.reload(ctx); err != nil {
				d.log.Warn("reloading webhooks", "err", err)
			}
		default:
		}
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			return fmt.Errorf("webhooks: fetching: %w", err)
		}
		var msgs []jetstream.Msg
		var reqs []events.Event
		for m := range batch.Messages() {
			msgs = append(msgs, m)
			reqs = append(reqs, d.requests(m)...)
		}
		if err := eventbus.Store(ctx, d.cfg.JS, reqs...); err != nil {
			for _, m := range msgs {
				_ = m.NakWithDelay(time.Second)
			}
			return fmt.Errorf("webhooks: storing requests (the events come back): %w", err)
		}
		d.made.Add(len(reqs))
		for _, m := range msgs {
			_ = m.Ack()
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("webhooks: fetching: %w", err)
		}
	}
	return nil
}

func (d *Dispatcher) reload(ctx context.Context) error {
	ws, err := d.cfg.Store.ActiveWebhooks(ctx)
	if err != nil {
		return fmt.Errorf("webhooks: listing webhooks: %w", err)
	}
	d.subs.Store(newSubscribers(ws))
	return nil
}

// requests are the deliveries one event makes; a malformed event makes
// none (it can never be delivered, so it is acknowledged).
func (d *Dispatcher) requests(m jetstream.Msg) []events.Event {
	typ, _ := events.SubjectType(d.cfg.Cell, m.Subject())
	var (
		event string
		to    []store.Webhook
		head  events.Header
	)
	subs := d.subs.Load()
	switch typ {
	case events.TypePriceChange: // the analytics' rule, from Flink or the embedded detectors
		var e events.PriceChange
		if json.Unmarshal(m.Data(), &e) != nil {
			return nil
		}
		event, to, head = webhook.EventPriceChange, subs.all(webhook.EventPriceChange), e.Header
	case events.TypeNotification:
		var e events.Notification
		if json.Unmarshal(m.Data(), &e) != nil || e.Kind != webhook.EventPriceAlert {
			return nil
		}
		event, to, head = webhook.EventPriceAlert, subs.of(e.UserID, webhook.EventPriceAlert), e.Header
	case events.TypeProviderEvent:
		var e events.ProviderEvent
		if json.Unmarshal(m.Data(), &e) != nil || e.Event != events.ProviderHealthy && e.Event != events.ProviderUnhealthy {
			return nil
		}
		event, to, head = webhook.EventProviderHealth, subs.all(webhook.EventProviderHealth), e.Header
	}
	if head.EventID == "" {
		return nil
	}
	out := make([]events.Event, 0, len(to))
	for _, w := range to {
		r, err := webhook.NewRequest(d.cfg.Cell, w, event, head.EventID, head.Timestamp.Time(), m.Data(), d.cfg.Now())
		if err != nil {
			d.log.Warn("webhook request not made", "webhook", w.ID, "err", err)
			continue
		}
		out = append(out, r)
	}
	return out
}
