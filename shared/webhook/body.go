package webhook

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Events a webhook subscribes to, and the one of test deliveries.
const (
	EventPriceChange    = "price_change"    // an offer's price moved by at least 5 %
	EventPriceAlert     = "price_alert"     // one of the owner's price alerts fired
	EventProviderHealth = "provider_health" // a provider became healthy or unhealthy
	EventTest           = "test"            // POST /api/v2/webhooks/{id}/test
)

// envelope is the JSON every delivery POSTs.
type envelope struct {
	ID        string          `json:"id"` // the delivery id (also X-GPUBroker-Delivery)
	Event     string          `json:"event"`
	WebhookID string          `json:"webhook_id"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Body is what a delivery POSTs: its id, event, webhook, when the event
// that set it off happened, and that event's own JSON as data.
func Body(deliveryID, event, webhookID string, at time.Time, data json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(envelope{ID: deliveryID, Event: event, WebhookID: webhookID,
		CreatedAt: at.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Data: data})
	if err != nil {
		return nil, fmt.Errorf("webhook: encoding a delivery body: %w", err)
	}
	return b, nil
}

// deliveryNS namespaces delivery ids (UUIDv5).
var deliveryNS = uuid.MustParse("3b0f7c52-1d7e-5a57-b3f4-8d3c41a0e6f2")

// DeliveryID is the same for the same webhook and source event, so an
// event handled twice (redelivered after a crash) makes one delivery.
func DeliveryID(webhookID, sourceEventID string) string {
	return uuid.NewSHA1(deliveryNS, []byte(webhookID+"\x00"+sourceEventID)).String()
}
