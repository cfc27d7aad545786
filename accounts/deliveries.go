package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/webhook"
)

var (
	// ErrWebhookDisabled: the webhook's receiver answered 410 Gone, so
	// nothing is delivered to it any more (409).
	ErrWebhookDisabled = errors.New("the webhook is disabled: its receiver answered 410 Gone; register it again to resume deliveries")
	// ErrDeliveryUnavailable: this process cannot queue deliveries now
	// (503).
	ErrDeliveryUnavailable = errors.New("webhook delivery is unavailable; retry later")
)

// DeliveryPage is one page of a webhook's deliveries, newest first.
type DeliveryPage struct {
	Items []store.WebhookDelivery
	Next  string // cursor of the next page; "" on the last
}

// ListDeliveries returns the deliveries to one of p's webhooks with their
// attempts, newest first: limit (1-100, default 20) after cursor.
func (s *Service) ListDeliveries(ctx context.Context, p Principal, webhookID, cursor, limit string) (DeliveryPage, error) {
	if err := p.webhooks(ScopeWebhooksRead); err != nil {
		return DeliveryPage{}, err
	}
	n, err := pageSize(limit, 20)
	if err != nil {
		return DeliveryPage{}, err
	}
	if len(cursor) > 64 {
		return DeliveryPage{}, fieldErr("cursor", "is not a cursor from this endpoint")
	}
	items, err := s.st.ListDeliveries(ctx, p.UserID, webhookID, cursor, n+1)
	if err != nil {
		return DeliveryPage{}, fmt.Errorf("accounts: listing deliveries: %w", err)
	}
	page := DeliveryPage{Items: items}
	if len(items) > n {
		page.Items, page.Next = items[:n], items[n-1].ID
	}
	return page, nil
}

// TestWebhook queues a "test" delivery to one of p's webhooks, delivered
// like any other (signed, retried, recorded); it returns the delivery id.
func (s *Service) TestWebhook(ctx context.Context, p Principal, webhookID string) (string, error) {
	if err := p.webhooks(ScopeWebhooksWrite); err != nil {
		return "", err
	}
	w, err := s.st.WebhookByID(ctx, webhookID)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && w.UserID != p.UserID: // another tenant's is missing too
		return "", ErrNotFound
	case err != nil:
		return "", fmt.Errorf("accounts: finding webhook: %w", err)
	case !w.DisabledAt.IsZero():
		return "", ErrWebhookDisabled
	case s.cfg.Queue == nil:
		return "", ErrDeliveryUnavailable
	}
	now := s.cfg.Now()
	data, _ := json.Marshal(map[string]string{"message": "a test delivery from GPUBROKER", "requested_at": now.UTC().Format("2006-01-02T15:04:05.000Z07:00")})
	req, err := webhook.NewRequest(s.cfg.Cell, w, webhook.EventTest, "", now, data, now)
	if err != nil {
		return "", err
	}
	if err := s.cfg.Queue.Store(ctx, req); err != nil {
		s.log.Warn("test delivery not queued", "webhook", webhookID, "err", err)
		return "", ErrDeliveryUnavailable
	}
	return req.EventID, nil
}

// pageSize parses a limit parameter of 1 to 100.
func pageSize(limit string, def int) (int, error) {
	if limit == "" {
		return def, nil
	}
	v, err := strconv.Atoi(limit)
	if err != nil || v < 1 || v > 100 {
		return 0, fieldErr("limit", "must be a whole number from 1 to 100")
	}
	return v, nil
}
