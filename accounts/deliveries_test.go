package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/webhook"
)

// queue records what it is given, or fails like an unreachable stream.
type queue struct {
	got  []events.Event
	fail bool
}

func (q *queue) Store(_ context.Context, evs ...events.Event) error {
	if q.fail {
		return errors.New("nats: no responders")
	}
	q.got = append(q.got, evs...)
	return nil
}

// A test delivery is queued for the owner's active webhook only, as a
// webhook_request of event "test" whose id is the delivery id returned;
// another tenant's webhook is not found, a disabled one is refused, and a
// queue that is away is "unavailable", never a silent success.
func TestTestWebhook(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	ent, other := e.user(t, "ent@example.com", "enterprise"), e.user(t, "other@example.com", "enterprise")
	w, err := e.svc.CreateWebhook(ctx, ent, "https://hooks.example.com/x", []string{EventPriceAlert})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.TestWebhook(ctx, ent, w.ID); !errors.Is(err, ErrDeliveryUnavailable) {
		t.Fatalf("no queue: %v", err)
	}
	q := &queue{}
	e.svc.cfg.Queue, e.svc.cfg.Cell = q, "eu"
	id, err := e.svc.TestWebhook(ctx, ent, w.ID)
	if err != nil || len(q.got) != 1 {
		t.Fatalf("TestWebhook = %q, %v (%d queued)", id, err, len(q.got))
	}
	req, ok := q.got[0].(events.WebhookRequest)
	if !ok || req.EventID != id || req.Event != webhook.EventTest || req.WebhookID != w.ID || req.UserID != ent.UserID || req.Cell != "eu" {
		t.Fatalf("queued %+v", q.got[0])
	}
	var body struct{ ID, Event string }
	if err := json.Unmarshal(req.Body, &body); err != nil || body.ID != id || body.Event != webhook.EventTest {
		t.Fatalf("body %s: %v", req.Body, err)
	}
	if _, err := e.svc.TestWebhook(ctx, other, w.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant's webhook: %v", err)
	}
	q.fail = true
	if _, err := e.svc.TestWebhook(ctx, ent, w.ID); !errors.Is(err, ErrDeliveryUnavailable) {
		t.Fatalf("queue away: %v", err)
	}
	if err := e.st.DisableWebhook(ctx, w.ID, e.clock.Now(), "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.TestWebhook(ctx, ent, w.ID); !errors.Is(err, ErrWebhookDisabled) {
		t.Fatalf("disabled: %v", err)
	}
	if _, err := e.svc.ListDeliveries(ctx, other, w.ID, "", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant's deliveries: %v", err)
	}
	if _, err := e.svc.ListDeliveries(ctx, ent, w.ID, "", "0"); fieldOf(err) != "limit" {
		t.Fatalf("limit 0: %v", err)
	}
}
