package webhook

import (
	"encoding/json"
	"time"

	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/store"
)

// NewRequest is the request to deliver data (the JSON of the event with
// id sourceID that happened at) to w as event. Its id, the delivery id, is
// derived from the webhook and the source event; a test delivery (no
// source) gets a fresh one.
func NewRequest(cell string, w store.Webhook, event, sourceID string, at time.Time, data json.RawMessage, now time.Time) (events.WebhookRequest, error) {
	h := events.NewHeader(events.TypeWebhookRequest, cell, now)
	if sourceID != "" {
		h.EventID = DeliveryID(w.ID, sourceID)
	}
	body, err := Body(h.EventID, event, w.ID, at, data)
	if err != nil {
		return events.WebhookRequest{}, err
	}
	return events.WebhookRequest{Header: h, WebhookID: w.ID, UserID: w.UserID, Event: event, SourceID: sourceID, Body: body}, nil
}
