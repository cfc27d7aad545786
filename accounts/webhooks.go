package accounts

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/webhook"
)

// Webhook events.
const (
	EventPriceChange    = webhook.EventPriceChange
	EventPriceAlert     = webhook.EventPriceAlert
	EventProviderHealth = webhook.EventProviderHealth
)

// WebhookEvents lists every event a webhook may subscribe to.
var WebhookEvents = []string{EventPriceChange, EventPriceAlert, EventProviderHealth}

// webhookPlan is the plan that may register webhooks.
const webhookPlan = "enterprise"

func (p Principal) webhooks(scope string) error {
	if err := p.allow(scope); err != nil {
		return err
	}
	if p.Plan != webhookPlan {
		return &ForbiddenError{Reason: "webhooks are an enterprise plan feature"}
	}
	return nil
}

// CreateWebhook registers a webhook for p (enterprise plan). The URL must
// pass CheckWebhookURL. The returned webhook carries its HMAC secret, which
// is shown this once and never listed.
func (s *Service) CreateWebhook(ctx context.Context, p Principal, rawURL string, events []string) (store.Webhook, error) {
	if err := p.webhooks(ScopeWebhooksWrite); err != nil {
		return store.Webhook{}, err
	}
	if len(events) == 0 {
		return store.Webhook{}, fieldErr("events", "must list at least one of "+joinQuoted(WebhookEvents))
	}
	if len(events) > len(WebhookEvents) {
		return store.Webhook{}, fieldErr("events", "lists more events than exist")
	}
	evs := make([]string, 0, len(events))
	for i, e := range events {
		if !slices.Contains(WebhookEvents, e) {
			return store.Webhook{}, fieldErr("events["+strconv.Itoa(i)+"]", "must be one of "+joinQuoted(WebhookEvents))
		}
		if !slices.Contains(evs, e) {
			evs = append(evs, e)
		}
	}
	u, err := CheckWebhookURL(ctx, s.cfg.Resolver, "url", rawURL, s.cfg.AllowHTTPWebhooks)
	if err != nil {
		return store.Webhook{}, err
	}
	secret, err := newWebhookSecret()
	if err != nil {
		return store.Webhook{}, err
	}
	id, err := newID()
	if err != nil {
		return store.Webhook{}, err
	}
	w := store.Webhook{ID: id, UserID: p.UserID, URL: u, Events: evs, Secret: secret, CreatedAt: s.cfg.Now().UTC()}
	if err := s.st.CreateWebhook(ctx, w); err != nil {
		return store.Webhook{}, fmt.Errorf("accounts: creating webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks lists p's webhooks without their secrets.
func (s *Service) ListWebhooks(ctx context.Context, p Principal) ([]store.Webhook, error) {
	if err := p.webhooks(ScopeWebhooksRead); err != nil {
		return nil, err
	}
	ws, err := s.st.ListWebhooks(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("accounts: listing webhooks: %w", err)
	}
	for i := range ws {
		ws[i].Secret = ""
	}
	return ws, nil
}

// DeleteWebhook removes one of p's webhooks.
func (s *Service) DeleteWebhook(ctx context.Context, p Principal, id string) error {
	if err := p.webhooks(ScopeWebhooksWrite); err != nil {
		return err
	}
	if err := s.st.DeleteWebhook(ctx, p.UserID, id); err != nil {
		return fmt.Errorf("accounts: deleting webhook: %w", err)
	}
	return nil
}
