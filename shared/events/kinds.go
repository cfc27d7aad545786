package events

import (
	"encoding/json"
	"math"
)

// Kinds the cell produces (outbound to Kafka).
const (
	TypePriceUpdate        = "price_update"
	TypeAvailabilityUpdate = "availability_update"
	TypeProviderEvent      = "provider_event"
)

// PriceUpdate is one observed change of an offer's instance price in USD
// per hour. An offer that appears has OldPrice nil, one that disappears
// NewPrice nil; ChangePercent is nil unless both are set and OldPrice > 0.
type PriceUpdate struct {
	Header
	Provider string `json:"provider"`
	OfferID  string `json:"offer_id"`
	GPU      string `json:"gpu"`
	Region   string `json:"region"`
	Location
	OldPrice      *float64 `json:"old_price"`
	NewPrice      *float64 `json:"new_price"`
	ChangePercent *float64 `json:"change_percent"`
	Currency      string   `json:"currency"`
}

// Key is the offer id.
func (e PriceUpdate) Key() string { return e.OfferID }

// NewPriceUpdate fills the prices and the change between them; a nil
// pointer is an offer that appeared (old) or disappeared (new).
func NewPriceUpdate(h Header, provider, offerID, gpu, region string, old, next *float64) PriceUpdate {
	e := PriceUpdate{Header: h, Provider: provider, OfferID: offerID, GPU: gpu, Region: region,
		OldPrice: old, NewPrice: next, Currency: "USD"}
	if old != nil && next != nil && *old > 0 {
		pct := math.Round((*next-*old) / *old * 100 * 1e4) / 1e4
		e.ChangePercent = &pct
	}
	return e
}

// AvailabilityUpdate is a change of an offer's availability level
// (shared.Availability* values; "" when the offer appears or disappears).
type AvailabilityUpdate struct {
	Header
	Provider string `json:"provider"`
	OfferID  string `json:"offer_id"`
	GPU      string `json:"gpu"`
	Region   string `json:"region"`
	Location
	Old string `json:"old_availability"`
	New string `json:"new_availability"`
}

// Key is the offer id.
func (e AvailabilityUpdate) Key() string { return e.OfferID }

// What a ProviderEvent reports.
const (
	BreakerOpened     = "breaker_opened"
	BreakerHalfOpen   = "breaker_half_open"
	BreakerClosed     = "breaker_closed"
	ProviderHealthy   = "provider_healthy"
	ProviderUnhealthy = "provider_unhealthy"
	ReplicaJoined     = "replica_joined"
	ReplicaLeft       = "replica_left"
)

// ProviderEvent is a change in how a provider is being served: its
// breaker, its health (with the public reason), its worker replicas.
type ProviderEvent struct {
	Header
	Provider string `json:"provider"`
	Event    string `json:"event"`
	Replica  string `json:"replica,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Key is the provider.
func (e ProviderEvent) Key() string { return e.Provider }

// ReplicaLeftID is the event id of a replica's replica_left, whoever
// emits it (the replica stopping, or a watcher that heard its heartbeats
// stop): one departure is one event in the stream.
func ReplicaLeftID(cell, provider, replica string) string {
	return DerivedID(cell, provider, replica, TypeProviderEvent, ReplicaLeft)
}

// Location is where an offer is, beyond its normalized region, and its
// size: what push subscribers filter and convert by ("region:DE", price
// per GPU-hour). Optional fields, added after the first schema.
type Location struct {
	ProviderRegion string  `json:"provider_region,omitempty"` // the provider's own code ("us-east-1")
	Country        string  `json:"country,omitempty"`         // ISO 3166-1 alpha-2
	GPUCount       float64 `json:"gpu_count,omitempty"`       // GPUs in the offer (fractions for shared GPUs)
}

// TypeNotification is a notification for one user (an alert that fired),
// made by the cell's alert evaluator and pushed by the edges to that
// user's streams. It stays in the cell (the bridge does not carry it).
const TypeNotification = "notification"

// Notification is one user's notification. Its event_id is the
// notification's id, derived from what fired, so a redelivered price
// event makes the same event (JetStream drops the duplicate).
type Notification struct {
	Header
	UserID       string  `json:"user_id"`
	Kind         string  `json:"kind"` // price_alert
	AlertID      string  `json:"alert_id"`
	OfferID      string  `json:"offer_id"`
	Provider     string  `json:"provider"`
	GPU          string  `json:"gpu"`
	Region       string  `json:"region"`
	Price        float64 `json:"price"`
	MaxPrice     float64 `json:"max_price"`
	PriceEventID string  `json:"price_event_id"`
}

// Key is the user.
func (e Notification) Key() string { return e.UserID }

// Price returns a pointer to p, for PriceUpdate's optional prices.
func Price(p float64) *float64 { return &p }

// Webhook kinds: a request to deliver one event to one webhook (its
// event_id is the delivery id receivers dedup by) and, after the last
// failed attempt, the same request dead-lettered. Both go to Kafka when
// the bridge runs (gpubroker.webhooks, gpubroker.dlq.webhooks); without
// Kafka the dead letters stay on their JetStream subject.
const (
	TypeWebhookRequest = "webhook_request"
	TypeWebhookDead    = "webhook_dead"
)

// WebhookRequest asks the delivery worker to POST Body to a webhook. It
// names the webhook instead of carrying its URL and secret: the secret
// never travels, and a webhook deleted or disabled meanwhile gets nothing.
type WebhookRequest struct {
	Header
	WebhookID string          `json:"webhook_id"`
	UserID    string          `json:"user_id"`
	Event     string          `json:"event"`     // price_alert, price_change, provider_health, test
	SourceID  string          `json:"source_id"` // the event_id of what set it off ("" for a test)
	Body      json.RawMessage `json:"body"`      // exactly what is POSTed
}

// Key is the webhook, so one webhook's requests keep their order.
func (e WebhookRequest) Key() string { return e.WebhookID }

// WebhookDead is a request whose every attempt failed.
type WebhookDead struct {
	Header
	Request    WebhookRequest `json:"request"`
	Attempts   int            `json:"attempts"`
	LastStatus int            `json:"last_status"` // 0: no answer
	LastError  string         `json:"last_error"`
}

// Key is the webhook.
func (e WebhookDead) Key() string { return e.Request.WebhookID }
