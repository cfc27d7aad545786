package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/webhook"
)

// Sender makes one delivery attempt (*webhook.Sender).
type Sender interface {
	Send(ctx context.Context, d webhook.Delivery) webhook.Result
}

// DelivererConfig configures a Deliverer.
type DelivererConfig struct {
	Cell   string
	Store  store.Deliveries
	JS     jetstream.JetStream // as DispatcherConfig.JS
	Sender Sender
	// Attempts before a request is dead-lettered (default webhook.Attempts).
	Attempts int
	// Delay is the wait after failed attempt n (default webhook.Delay
	// with random jitter: 8 attempts over about an hour).
	Delay func(n int) time.Duration
	// Concurrency bounds the attempts in flight (default 32).
	Concurrency int
	Now         func() time.Time
	Logger      *slog.Logger
	Metrics     *metrics.Set
}

// Deliverer POSTs webhook requests. Several may run in a cell (they
// share the durable consumer).
type Deliverer struct {
	cfg DelivererConfig
	log *slog.Logger
	m   *metrics.Set
}

// NewDeliverer makes a deliverer; Run starts it.
func NewDeliverer(cfg DelivererConfig) *Deliverer {
	if cfg.Attempts <= 0 {
		cfg.Attempts = webhook.Attempts
	}
	if cfg.Delay == nil {
		cfg.Delay = func(n int) time.Duration { return webhook.Delay(n, webhook.Jitter()) }
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 32
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
	return &Deliverer{cfg: cfg, log: cfg.Logger.With("component", "webhook-delivery"), m: cfg.Metrics}
}

// deliveryConsumer is the durable consumer of the cell's deliverers.
const deliveryConsumer = "webhook-delivery"

// Run delivers until ctx ends, waiting out stream outages. Attempts in
// flight when ctx ends are finished (each is bounded by the sender's
// timeout) so their outcome is recorded and acknowledged.
func (d *Deliverer) Run(ctx context.Context) {
	eventbus.Retry(ctx, d.log, "webhook delivery", d.run)
}

func (d *Deliverer) run(ctx context.Context) error {
	cons, err := eventbus.Consumer(ctx, d.cfg.JS, d.cfg.Cell, jetstream.ConsumerConfig{Durable: deliveryConsumer,
		Description: "webhook deliveries", FilterSubject: events.KindSubjects(d.cfg.Cell, events.TypeWebhookRequest),
		// Requests are commands: every one in the stream is carried out,
		// those made before the first deliverer started too.
		DeliverPolicy: jetstream.DeliverAllPolicy, AckPolicy: jetstream.AckExplicitPolicy,
		// Longer than an attempt (10 s) plus recording it; a deliverer that
		// dies mid-attempt has its request delivered again after it.
		AckWait: 45 * time.Second,
		// Requests waiting for their retry count as pending: room for
		// many receivers failing at once without stalling the others.
		MaxAckPending: 20_000})
	if err != nil {
		return err
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(d.cfg.Concurrency))
	if err != nil {
		return fmt.Errorf("webhooks: reading requests: %w", err)
	}
	stopped := context.AfterFunc(ctx, it.Stop)
	defer stopped()
	sem := make(chan struct{}, d.cfg.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil { // Stop closed the iterator
				return nil
			}
			it.Stop()
			return fmt.Errorf("webhooks: reading requests: %w", err)
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d.handle(context.WithoutCancel(ctx), m)
		})
	}
}

// handle makes one attempt of one request and settles the message.
func (d *Deliverer) handle(ctx context.Context, m jetstream.Msg) {
	var req events.WebhookRequest
	if err := json.Unmarshal(m.Data(), &req); err != nil || req.EventID == "" || req.WebhookID == "" || len(req.Body) == 0 {
		d.log.Warn("webhook request dropped: malformed", "subject", m.Subject())
		d.outcome("malformed")
		_ = m.Term()
		return
	}
	attempt := 1
	if md, err := m.Metadata(); err == nil {
		attempt = int(md.NumDelivered)
	}
	log := d.log.With("delivery", req.EventID, "webhook", req.WebhookID, "attempt", attempt)
	w, err := d.cfg.Store.WebhookByID(ctx, req.WebhookID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.outcome("webhook_deleted")
		_ = m.Ack()
		return
	case err != nil:
		// The store is away: this attempt could not be made, and the next
		// waits as a failed one would, so an outage shorter than the
		// schedule loses nothing.
		log.Warn("webhook not loaded; delivery postponed", "err", err)
		d.outcome("store_unavailable")
		d.settle(m, attempt, req, false, webhook.Result{Err: err}, log)
		return
	case !w.DisabledAt.IsZero():
		d.outcome("webhook_disabled")
		_ = m.Ack()
		return
	}
	if attempt > d.cfg.Attempts { // dead-lettering failed last time
		d.settle(m, attempt, req, false, webhook.Result{Err: errors.New("attempts exhausted")}, log)
		return
	}
	at := d.cfg.Now()
	res := d.cfg.Sender.Send(ctx, webhook.Delivery{URL: w.URL, Secret: w.Secret, ID: req.EventID, Event: req.Event, Body: req.Body})
	a := store.DeliveryAttempt{N: attempt, Status: res.Status, Error: errText(res.Err), At: at, Took: res.Took}
	state, next := d.settle(m, attempt, req, true, res, log)
	if state == "" {
		return
	}
	dl := store.WebhookDelivery{ID: req.EventID, WebhookID: req.WebhookID, UserID: req.UserID, Event: req.Event,
		EventID: req.SourceID, State: state, NextAttemptAt: next, CreatedAt: req.Timestamp.Time(), UpdatedAt: d.cfg.Now()}
	if err := d.cfg.Store.RecordAttempt(ctx, dl, a); err != nil && !errors.Is(err, store.ErrNotFound) {
		// The record is a report; the delivery itself is settled.
		log.Warn("delivery attempt not recorded", "err", err)
	}
}

// settle acknowledges or schedules the message after an attempt and
// returns the delivery's state ("" when nothing was settled for the
// record) and, when retrying, the next attempt's time. sent is false when
// no attempt was made (a retry then has nothing to record).
func (d *Deliverer) settle(m jetstream.Msg, attempt int, req events.WebhookRequest, sent bool, res webhook.Result, log *slog.Logger) (string, time.Time) {
	switch {
	case res.Delivered():
		d.outcome("delivered")
		_ = m.Ack()
		return store.DeliveryDelivered, time.Time{}
	case res.Gone():
		if err := d.cfg.Store.DisableWebhook(context.Background(), req.WebhookID, d.cfg.Now(), "the receiver answered 410 Gone"); err != nil &&
			!errors.Is(err, store.ErrNotFound) {
			log.Warn("webhook not disabled after 410; trying again", "err", err)
			_ = m.NakWithDelay(5 * time.Second)
			return "", time.Time{}
		}
		log.Info("webhook disabled: the receiver answered 410 Gone")
		d.outcome("gone")
		_ = m.Ack()
		return store.DeliveryGone, time.Time{}
	case attempt >= d.cfg.Attempts:
		dead := events.WebhookDead{Header: events.NewHeader(events.TypeWebhookDead, d.cfg.Cell, d.cfg.Now()), Request: req,
			Attempts: attempt, LastStatus: res.Status, LastError: errText(res.Err)}
		// One dead letter per delivery, however often this runs; not the
		// request's own id, which the stream would drop as its duplicate.
		dead.EventID = deadLetterID(req.EventID)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := eventbus.Store(ctx, d.cfg.JS, dead); err != nil {
			log.Warn("dead letter not stored; trying again", "err", err)
			_ = m.NakWithDelay(5 * time.Second)
			return "", time.Time{}
		}
		log.Warn("webhook delivery dead-lettered", "status", res.Status, "err", errText(res.Err))
		d.outcome("dead_lettered")
		_ = m.Ack()
		return store.DeliveryDead, time.Time{}
	default:
		wait := d.cfg.Delay(attempt)
		d.outcome("retry")
		_ = m.NakWithDelay(wait)
		if !sent {
			return "", time.Time{}
		}
		return store.DeliveryRetrying, d.cfg.Now().Add(wait)
	}
}

// deadLetterNS namespaces dead-letter ids (UUIDv5 of the delivery id).
var deadLetterNS = uuid.MustParse("9d4f2a1c-7b3e-5c8d-a6f0-2e1b4c7d9a35")

func deadLetterID(deliveryID string) string {
	return uuid.NewSHA1(deadLetterNS, []byte(deliveryID)).String()
}

func (d *Deliverer) outcome(o string) {
	d.m.GetOrCreateCounter(`gpubroker_webhook_deliveries_total{outcome="` + o + `"}`).Inc()
}

// errText is an attempt's error for the record and the logs, without the
// URL net/http puts in front (a receiver's URL may hold its own token).
func errText(err error) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}
