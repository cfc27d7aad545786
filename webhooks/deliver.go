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

// handle makes one attempt of one request and settles the message: acked
// when done, redelivered after the schedule's wait, dead-lettered after
// the last attempt.
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
	if attempt > d.cfg.Attempts { // dead-lettering failed last time
		d.deadLetterMsg(m, req, Attempted{Outcome: OutcomeFailed, Attempt: attempt - 1, Error: "attempts exhausted"}, log)
		return
	}
	wait := d.cfg.Delay(attempt)
	a, err := d.Attempt(ctx, req, attempt, wait)
	switch {
	case err != nil:
		log.Warn("webhook delivery not settled; trying again", "err", err)
		_ = m.NakWithDelay(5 * time.Second)
	case !a.Retry:
		_ = m.Ack()
	case attempt >= d.cfg.Attempts:
		d.deadLetterMsg(m, req, a, log)
	default:
		_ = m.NakWithDelay(wait)
	}
}

// deadLetterMsg stores the request's dead letter and acknowledges it, or
// has it delivered again to try that once more.
func (d *Deliverer) deadLetterMsg(m jetstream.Msg, req events.WebhookRequest, a Attempted, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.DeadLetter(ctx, req, a); err != nil {
		log.Warn("dead letter not stored; trying again", "err", err)
		_ = m.NakWithDelay(5 * time.Second)
		return
	}
	log.Warn("webhook delivery dead-lettered", "status", a.Status, "err", a.Error)
	_ = m.Ack()
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
