package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/store"
)

// Publisher puts an event into the cell's stream (eventbus.JetStream).
type Publisher interface{ Publish(events.Event) error }

// RunnerConfig configures the evaluator.
type RunnerConfig struct {
	Cell   string
	Store  store.Alerting
	JS     jetstream.JetStream
	Events Publisher
	// Reload is how often the alert list is read again, so alerts created
	// or deleted through any edge are picked up (default 2 s).
	Reload  time.Duration
	Logger  *slog.Logger
	Metrics *metrics.Set
}

// Runner evaluates every price_update of the cell's stream against the
// stored alerts, at least once: a durable consumer whose messages are
// acknowledged only after every firing is in the store. A firing makes a
// notification (its id derived from the alert, the offer and the price
// event, so a redelivered event makes no second one) and a notification
// event the edges push to the owner. One runner per cell.
type Runner struct {
	cfg   RunnerConfig
	log   *slog.Logger
	idx   *Index
	fired *metrics.Counter
	evals *metrics.Counter
}

// NewRunner makes a runner; Run starts it.
func NewRunner(cfg RunnerConfig) *Runner {
	if cfg.Reload <= 0 {
		cfg.Reload = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	r := &Runner{cfg: cfg, log: cfg.Logger.With("component", "alerts"), idx: NewIndex(),
		fired: cfg.Metrics.GetOrCreateCounter("gpubroker_alerts_fired_total"),
		evals: cfg.Metrics.GetOrCreateCounter("gpubroker_alerts_evaluated_total")}
	cfg.Metrics.GetOrCreateGauge("gpubroker_alerts_indexed", func() float64 { return float64(r.idx.Len()) })
	return r
}

// consumerName is the durable consumer of the cell's evaluator.
const consumerName = "alerts"

// Run evaluates until ctx ends. It waits for the store and the stream as
// long as they are away.
func (r *Runner) Run(ctx context.Context) {
	eventbus.Retry(ctx, r.log, "alert evaluation", r.run)
}

func (r *Runner) run(ctx context.Context) error {
	if err := r.reload(ctx, true); err != nil {
		return err
	}
	// A new consumer starts at the stream's end: alerts judge prices from
	// now on, not the stream's history. An existing one goes on from its
	// acknowledged position.
	cons, err := eventbus.Consumer(ctx, r.cfg.JS, r.cfg.Cell, jetstream.ConsumerConfig{Durable: consumerName,
		Description: "price alert evaluation", FilterSubject: events.KindSubjects(r.cfg.Cell, events.TypePriceUpdate),
		DeliverPolicy: jetstream.DeliverNewPolicy, AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second,
		MaxAckPending: 1024})
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	r.log.Info("evaluating price alerts", "alerts", r.idx.Len())
	tick := time.NewTicker(r.cfg.Reload)
	defer tick.Stop()
	for ctx.Err() == nil {
		select {
		case <-tick.C:
			if err := r.reload(ctx, false); err != nil {
				r.log.Warn("reloading alerts", "err", err)
			}
		default:
		}
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			return fmt.Errorf("alerts: fetching: %w", err)
		}
		var failed error
		for m := range batch.Messages() {
			if failed != nil { // after a failure nothing is evaluated out of order
				_ = m.NakWithDelay(time.Second)
				continue
			}
			if failed = r.handle(ctx, m); failed != nil {
				_ = m.NakWithDelay(time.Second)
				continue
			}
			_ = m.Ack()
		}
		if failed != nil {
			// The store is the truth: the next round takes its record
			// again and the events come back.
			return fmt.Errorf("alerts: evaluating a price event (it will be evaluated again): %w", failed)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("alerts: fetching: %w", err)
		}
	}
	return nil
}

// reload adds new alerts, drops deleted ones and, when firings is set,
// takes the fired pairs from the store.
func (r *Runner) reload(ctx context.Context, firings bool) error {
	all, err := r.cfg.Store.AllAlerts(ctx)
	if err != nil {
		return fmt.Errorf("alerts: listing alerts: %w", err)
	}
	seen := make(map[string]bool, len(all))
	for _, a := range all {
		seen[a.ID] = true
		if !r.idx.Has(a.ID) {
			if err := r.idx.Put(a); err != nil {
				r.log.Warn("alert not indexed", "alert", a.ID, "err", err)
			}
		}
	}
	for _, id := range r.idx.IDs() {
		if !seen[id] {
			r.idx.Remove(id)
		}
	}
	if firings {
		fs, err := r.cfg.Store.AlertFirings(ctx)
		if err != nil {
			return fmt.Errorf("alerts: listing firings: %w", err)
		}
		r.idx.SetFired(fs)
	}
	return nil
}

// handle evaluates one price event and records what it fired and
// re-armed; an error means the store did not take it all.
func (r *Runner) handle(ctx context.Context, m jetstream.Msg) error {
	var e events.PriceUpdate
	if err := json.Unmarshal(m.Data(), &e); err != nil || e.EventID == "" {
		r.log.Warn("price event not evaluated: malformed", "subject", m.Subject())
		return nil // never evaluable: acknowledged, not retried
	}
	r.evals.Inc()
	fires, rearmed := r.idx.Evaluate(Change{OfferID: e.OfferID, Provider: e.Provider, GPU: e.GPU, Region: e.Region,
		ProviderRegion: e.ProviderRegion, Country: e.Country, OldPrice: e.OldPrice, NewPrice: e.NewPrice})
	for _, id := range rearmed {
		if err := r.cfg.Store.Rearm(ctx, id, e.OfferID); err != nil {
			return fmt.Errorf("alerts: re-arming %s: %w", id, err)
		}
	}
	for _, f := range fires {
		n := store.Notification{ID: notificationID(f.Alert.ID, e.OfferID, e.EventID), UserID: f.Alert.UserID, Kind: "price_alert",
			AlertID: f.Alert.ID, OfferID: e.OfferID, Provider: e.Provider, GPU: e.GPU, Region: e.Region, Price: f.Price,
			MaxPrice: f.Alert.MaxPrice, EventID: e.EventID, CreatedAt: e.Timestamp.Time()}
		created, err := r.cfg.Store.RecordFiring(ctx, n)
		switch {
		case errors.Is(err, store.ErrNotFound): // deleted meanwhile
			r.idx.Remove(f.Alert.ID)
			continue
		case err != nil:
			return fmt.Errorf("alerts: recording a firing of %s: %w", f.Alert.ID, err)
		case created:
			r.fired.Inc()
		}
		// Published even when the store had it (this event came back after
		// a crash between the two): the push is at least once too, and
		// JetStream drops a duplicate id within its window.
		h := events.NewHeader(events.TypeNotification, r.cfg.Cell, n.CreatedAt)
		h.EventID = n.ID
		if err := r.cfg.Events.Publish(events.Notification{Header: h, UserID: n.UserID, Kind: n.Kind, AlertID: n.AlertID,
			OfferID: n.OfferID, Provider: n.Provider, GPU: n.GPU, Region: n.Region, Price: n.Price, MaxPrice: n.MaxPrice,
			PriceEventID: n.EventID}); err != nil {
			r.log.Warn("publishing a notification", "notification", n.ID, "err", err)
		}
	}
	return nil
}

// notificationNS namespaces notification ids (UUIDv5).
var notificationNS = uuid.MustParse("6f1c1f4e-6a0b-5d2e-9a57-0d7f3c2b9e11")

// notificationID is the same for the same alert, offer and price event.
func notificationID(alertID, offerID, eventID string) string {
	return uuid.NewSHA1(notificationNS, []byte(alertID+"\x00"+offerID+"\x00"+eventID)).String()
}
