package webhooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/webhook"
)

// What one attempt came to (Attempted.Outcome).
const (
	OutcomeDelivered        = "delivered"         // 2xx
	OutcomeGone             = "gone"              // 410: the webhook is now disabled
	OutcomeDeleted          = "webhook_deleted"   // nothing to deliver to
	OutcomeDisabled         = "webhook_disabled"  // nothing to deliver to
	OutcomeFailed           = "failed"            // to be tried again, or dead-lettered after the last
	OutcomeStoreUnavailable = "store_unavailable" // not attempted: the webhook could not be loaded
)

// Attempted is one attempt's result.
type Attempted struct {
	Outcome string `json:"outcome"`
	Attempt int    `json:"attempt"`
	Status  int    `json:"status,omitempty"`
	Error   string `json:"error,omitempty"`
	// Retry says the request is not done: it failed or could not be
	// attempted, and should be tried again after the schedule's wait (or
	// dead-lettered once it has had its attempts).
	Retry bool `json:"retry"`
}

// Attempt makes attempt n of req (the one delivery implementation, for
// the JetStream deliverer and for an orchestrator calling the gateway's
// job endpoint): loads the webhook, POSTs signed, records the attempt
// (with the next attempt due after wait, or as dead on the last) and
// disables the webhook on 410. Retries are the caller's. An error means
// the outcome could not be settled (a 410 whose webhook could not be
// disabled): try the attempt again.
func (d *Deliverer) Attempt(ctx context.Context, req events.WebhookRequest, n int, wait time.Duration) (Attempted, error) {
	a := Attempted{Attempt: n}
	w, err := d.cfg.Store.WebhookByID(ctx, req.WebhookID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.Outcome = OutcomeDeleted
		d.outcome(a.Outcome)
		return a, nil
	case err != nil:
		// The store is away: this attempt could not be made, and the next
		// waits as a failed one would, so an outage shorter than the
		// schedule loses nothing.
		d.log.Warn("webhook not loaded; delivery postponed", "delivery", req.EventID, "err", err)
		a.Outcome, a.Error, a.Retry = OutcomeStoreUnavailable, errText(err), true
		d.outcome(a.Outcome)
		return a, nil
	case !w.DisabledAt.IsZero():
		a.Outcome = OutcomeDisabled
		d.outcome(a.Outcome)
		return a, nil
	}
	at := d.cfg.Now()
	res := d.cfg.Sender.Send(ctx, webhook.Delivery{URL: w.URL, Secret: w.Secret, ID: req.EventID, Event: req.Event, Body: req.Body})
	a.Status, a.Error = res.Status, errText(res.Err)
	rec := store.WebhookDelivery{ID: req.EventID, WebhookID: req.WebhookID, UserID: req.UserID, Event: req.Event,
		EventID: req.SourceID, CreatedAt: req.Timestamp.Time(), UpdatedAt: d.cfg.Now()}
	switch {
	case res.Delivered():
		a.Outcome, rec.State = OutcomeDelivered, store.DeliveryDelivered
	case res.Gone():
		if err := d.cfg.Store.DisableWebhook(context.WithoutCancel(ctx), req.WebhookID, d.cfg.Now(), "the receiver answered 410 Gone"); err != nil &&
			!errors.Is(err, store.ErrNotFound) {
			return a, fmt.Errorf("webhooks: disabling %s after 410: %w", req.WebhookID, err)
		}
		d.log.Info("webhook disabled: the receiver answered 410 Gone", "webhook", req.WebhookID)
		a.Outcome, rec.State = OutcomeGone, store.DeliveryGone
	case n >= d.cfg.Attempts:
		a.Outcome, a.Retry, rec.State = OutcomeFailed, true, store.DeliveryDead
	default:
		a.Outcome, a.Retry, rec.State, rec.NextAttemptAt = OutcomeFailed, true, store.DeliveryRetrying, d.cfg.Now().Add(wait)
	}
	if a.Outcome == OutcomeFailed {
		d.outcome("retry")
	} else {
		d.outcome(a.Outcome)
	}
	attempt := store.DeliveryAttempt{N: n, Status: res.Status, Error: a.Error, At: at, Took: res.Took}
	if err := d.cfg.Store.RecordAttempt(context.WithoutCancel(ctx), rec, attempt); err != nil && !errors.Is(err, store.ErrNotFound) {
		// The record is a report; the delivery itself is settled.
		d.log.Warn("delivery attempt not recorded", "delivery", req.EventID, "err", err)
	}
	return a, nil
}

// DeadLetter stores req as a webhook_dead event after its last attempt a
// (one per delivery, however often it is called).
func (d *Deliverer) DeadLetter(ctx context.Context, req events.WebhookRequest, a Attempted) error {
	dead := events.WebhookDead{Header: events.NewHeader(events.TypeWebhookDead, d.cfg.Cell, d.cfg.Now()), Request: req,
		Attempts: a.Attempt, LastStatus: a.Status, LastError: a.Error}
	// Not the request's own id, which the stream would drop as its
	// duplicate.
	dead.EventID = deadLetterID(req.EventID)
	if err := eventbus.Store(ctx, d.cfg.JS, dead); err != nil {
		return fmt.Errorf("webhooks: storing the dead letter of %s: %w", req.EventID, err)
	}
	d.outcome("dead_lettered")
	return nil
}
