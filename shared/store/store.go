// Package store is the gateway's persistence boundary: users, credentials,
// everything a user owns, and the offer/price history. Two implementations
// sit behind the same interfaces and pass the same test suite (storetest):
// PostgreSQL through pgx when DATABASE_URL is set, and an embedded store
// that persists to a local directory for the one-command demo.
//
// Every method that touches a user's resource takes the user id and only
// ever sees that user's rows: another tenant's id behaves exactly like a
// missing one (ErrNotFound), so existence never leaks.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

var (
	// ErrNotFound: no such row for this user.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique value (email, service account name, ...) is taken.
	ErrConflict = errors.New("already exists")
)

// User is an account.
type User struct {
	ID           string // UUID
	Email        string // stored lower-cased
	PasswordHash string // argon2id PHC string
	Plan         string // free | pro | enterprise
	CreatedAt    time.Time
	Disabled     bool
}

// APIKey is a long-lived credential of a user. Only its SHA-256 is stored;
// Prefix (the first characters) lets the user tell keys apart.
type APIKey struct {
	ID         string
	UserID     string
	Name       string
	Prefix     string
	Hash       []byte
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
	RevokedAt  time.Time // zero when active
}

// RefreshToken is one link of a rotating refresh-token family: each use
// revokes it and issues the next; presenting a revoked one revokes the
// whole family (reuse detection).
type RefreshToken struct {
	ID         string
	UserID     string
	FamilyID   string
	Hash       []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time
	ReplacedBy string
}

// ServiceAccount lets a program (an AI agent, another module) obtain
// long-lived service tokens with scoped permissions.
type ServiceAccount struct {
	// ID is the service_id clients present. It is generated, never chosen
	// by a client, so creating one cannot reveal another tenant's.
	ID         string
	Name       string // the owner's label, e.g. "ml-pipeline-agent"; unique per owner
	OwnerID    string // the user who created it
	SecretHash string // argon2id PHC string
	Scopes     []string
	Plan       string // the owner's plan at creation; tokens use the owner's current plan
	CreatedAt  time.Time
	Disabled   bool
}

// Favorite is a saved offer.
type Favorite struct {
	UserID    string
	OfferID   string
	CreatedAt time.Time
}

// Alert fires when an offer matching it is at or below MaxPrice.
type Alert struct {
	ID        string
	UserID    string
	GPUType   string
	MaxPrice  float64
	Region    string // optional
	Provider  string // optional
	CreatedAt time.Time
}

// Notification is something that happened for a user: one of their price
// alerts fired for an offer.
type Notification struct {
	ID        string // derived from the firing, so a redelivered event makes the same one
	UserID    string
	Kind      string // "price_alert"
	AlertID   string
	OfferID   string
	Provider  string
	GPU       string
	Region    string
	Price     float64 // the offer's price when it fired (instance USD/hour)
	MaxPrice  float64 // the alert's threshold
	EventID   string  // the price_update that set it off
	CreatedAt time.Time
}

// AlertFiring is an (alert, offer) pair that fired and has not re-armed.
type AlertFiring struct{ AlertID, OfferID string }

// Webhook receives events for a user, signed with HMAC-SHA256 using Secret.
// The secret is returned once at creation and never listed afterwards.
type Webhook struct {
	ID        string
	UserID    string
	URL       string
	Events    []string
	Secret    string
	CreatedAt time.Time
	// DisabledAt is when deliveries stopped (the receiver answered 410
	// Gone); zero while the webhook is active. DisabledReason says why.
	DisabledAt     time.Time
	DisabledReason string
}

// Delivery states.
const (
	DeliveryRetrying  = "retrying"      // an attempt failed; another follows at NextAttemptAt
	DeliveryDelivered = "delivered"     // the receiver answered 2xx
	DeliveryGone      = "gone"          // the receiver answered 410: the webhook is disabled
	DeliveryDead      = "dead_lettered" // every attempt failed; the request went to the dead-letter queue
)

// WebhookDelivery is one event sent to one webhook, over its attempts.
type WebhookDelivery struct {
	ID            string // the delivery id receivers dedup by (X-GPUBroker-Delivery)
	WebhookID     string
	UserID        string
	Event         string // price_alert, price_change, provider_health, test
	EventID       string // the event that made it
	State         string // Delivery* constant
	NextAttemptAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Attempts      []DeliveryAttempt // oldest first
}

// DeliveryAttempt is one try of a delivery.
type DeliveryAttempt struct {
	N      int    // 1 for the first
	Status int    // the receiver's HTTP status; 0 when none came
	Error  string // why it failed ("" when delivered)
	At     time.Time
	Took   time.Duration
}

// PricePoint is one event of an offer's price history: from At on, the
// offer is offered at Price, or, when Gone, no longer offered (Price and
// PerGPU then repeat the last price). History is the step function these
// events describe.
type PricePoint struct {
	OfferID  string
	Provider string
	GPUID    string
	GPUModel string
	Region   string
	Price    float64 // instance USD/hour
	PerGPU   float64 // USD per GPU-hour
	At       time.Time
	Gone     bool
}

// DailyPrice summarizes one provider's per-GPU-hour prices for a GPU on
// one UTC day, over the part of the day inside the query's range during
// which at least one of its offers was in force. Each offer's price is a
// step function; Min and Max are over the prices in force at some time
// of the day, Avg is time-weighted over all the offers together (the
// mean price of an offer-hour listed that day), and Samples is the
// number of offers in force during the day.
type DailyPrice struct {
	Day      time.Time // midnight UTC
	Provider string
	Min      float64
	Avg      float64
	Max      float64
	Samples  int
}

// PriceQuery selects history: GPUIDs are the canonical identities the
// caller's "gpu" filter resolved to (see shared.GPUQuery), or a model when
// GPUIDs is empty.
type PriceQuery struct {
	GPUIDs   []string
	GPUModel string
	Provider string // optional
	// From, To bound the range, half-open. A zero From starts at the
	// first point; a zero To, or one in the future, ends at now.
	From, To time.Time
	Limit    int // for Points; 0 (or less) means DefaultPointsLimit
}

// DefaultPointsLimit bounds PriceHistoryPoints when the query sets no Limit.
const DefaultPointsLimit = 10_000

// PointsLimit is the most points q may return.
func (q PriceQuery) PointsLimit() int {
	if q.Limit <= 0 {
		return DefaultPointsLimit
	}
	return q.Limit
}

// HistoryRegion is the region an offer's history is kept under: the
// normalized one, so it compares across providers, or the provider's own
// when unknown.
func HistoryRegion(o *shared.Offer) string {
	if o.NormalizedRegion != "" {
		return o.NormalizedRegion
	}
	return o.Region
}

// HistoryRange is the span q covers: [q.From, end), end being q.To or
// now, whichever is earlier (a zero To is now), since history after now is
// unknown and would only extend the current prices. Both stores keep
// microseconds, so now is truncated to them.
func HistoryRange(q PriceQuery, now time.Time) (from, end time.Time) {
	end = now.UTC().Truncate(time.Microsecond)
	if !q.To.IsZero() && q.To.Before(end) {
		end = q.To
	}
	return q.From, end
}

// Users stores accounts.
type Users interface {
	CreateUser(ctx context.Context, u User) error // ErrConflict on a taken email
	UserByEmail(ctx context.Context, email string) (User, error)
	UserByID(ctx context.Context, id string) (User, error)
}

// Credentials stores API keys, refresh tokens and service accounts.
type Credentials interface {
	CreateAPIKey(ctx context.Context, k APIKey) error
	// APIKeyByHash finds an active (not revoked) key and its user.
	APIKeyByHash(ctx context.Context, hash []byte) (APIKey, User, error)
	ListAPIKeys(ctx context.Context, userID string) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, userID, id string) error
	TouchAPIKey(ctx context.Context, id string, at time.Time) error

	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	RefreshTokenByHash(ctx context.Context, hash []byte) (RefreshToken, error)
	// RotateRefreshToken atomically revokes old (failing with ErrNotFound
	// when it is already revoked or expired) and stores next.
	RotateRefreshToken(ctx context.Context, oldID string, next RefreshToken, at time.Time) error
	RevokeRefreshFamily(ctx context.Context, familyID string, at time.Time) error

	// CreateServiceAccount fails with ErrConflict when the owner already
	// has an account of that name (or, never in practice, the id is taken).
	CreateServiceAccount(ctx context.Context, a ServiceAccount) error
	ServiceAccountByID(ctx context.Context, id string) (ServiceAccount, error)
	// ListServiceAccounts lists ownerID's accounts, oldest first, without
	// their secret hashes.
	ListServiceAccounts(ctx context.Context, ownerID string) ([]ServiceAccount, error)
	// DeleteServiceAccount removes one of ownerID's accounts; another
	// owner's id is ErrNotFound.
	DeleteServiceAccount(ctx context.Context, ownerID, id string) error
}

// Owned stores what users own; every call is scoped to userID.
type Owned interface {
	AddFavorite(ctx context.Context, f Favorite) error // idempotent
	ListFavorites(ctx context.Context, userID string) ([]Favorite, error)
	DeleteFavorite(ctx context.Context, userID, offerID string) error

	CreateAlert(ctx context.Context, a Alert) error
	ListAlerts(ctx context.Context, userID string) ([]Alert, error)
	DeleteAlert(ctx context.Context, userID, id string) error

	CreateWebhook(ctx context.Context, w Webhook) error
	ListWebhooks(ctx context.Context, userID string) ([]Webhook, error)
	DeleteWebhook(ctx context.Context, userID, id string) error
}

// Alerting is what the alert evaluator keeps: every alert, which have
// fired for which offers, and the notifications firing made.
type Alerting interface {
	// AllAlerts lists every user's alerts.
	AllAlerts(ctx context.Context) ([]Alert, error)
	// AlertFirings lists the pairs that fired and have not re-armed.
	AlertFirings(ctx context.Context) ([]AlertFiring, error)
	// RecordFiring stores n and marks its (alert, offer) as fired, in one
	// step; created is false when a notification with n's ID exists
	// already (a redelivered event), and then nothing changes. An alert
	// deleted meanwhile is ErrNotFound.
	RecordFiring(ctx context.Context, n Notification) (created bool, err error)
	// Rearm forgets that alertID fired for offerID.
	Rearm(ctx context.Context, alertID, offerID string) error
	// ListNotifications returns up to limit of userID's notifications,
	// newest first, starting after the one with id before ("" from the
	// newest).
	ListNotifications(ctx context.Context, userID, before string, limit int) ([]Notification, error)
}

// Deliveries is what the webhook dispatcher and deliverer keep: every
// webhook (with its secret) and how each delivery went.
type Deliveries interface {
	// ActiveWebhooks lists every user's webhooks that are not disabled,
	// secrets included, oldest first.
	ActiveWebhooks(ctx context.Context) ([]Webhook, error)
	// WebhookByID finds a webhook whoever owns it, disabled ones included
	// (ErrNotFound when there is none).
	WebhookByID(ctx context.Context, id string) (Webhook, error)
	// DisableWebhook stops deliveries to a webhook from at on; disabling
	// a disabled one keeps the first time and reason. ErrNotFound when
	// there is none.
	DisableWebhook(ctx context.Context, id string, at time.Time, reason string) error
	// RecordAttempt stores attempt a of delivery d: d is created on its
	// first recorded attempt; its State, NextAttemptAt and UpdatedAt are
	// replaced unless a later attempt is recorded already (redeliveries
	// can finish out of order); an attempt recorded twice is kept once.
	// ErrNotFound when d's webhook is gone.
	RecordAttempt(ctx context.Context, d WebhookDelivery, a DeliveryAttempt) error
	// ListDeliveries returns up to limit of the deliveries to webhookID,
	// newest first, each with its attempts, starting after the one with id
	// before ("" from the newest). A webhook that is not userID's is
	// ErrNotFound.
	ListDeliveries(ctx context.Context, userID, webhookID, before string, limit int) ([]WebhookDelivery, error)
}

// Prices stores the offer catalog and its price history.
type Prices interface {
	// UpsertOffers stores the current offers and, for every offer whose
	// price is new or changed since the stored one, appends a PricePoint.
	// It returns the points appended.
	// An offer that was gone counts as new.
	UpsertOffers(ctx context.Context, offers []shared.Offer, at time.Time) ([]PricePoint, error)
	// PriceHistoryDaily returns one row per UTC day and provider on which
	// an offer matching q was in force, ordered by day then provider.
	PriceHistoryDaily(ctx context.Context, q PriceQuery) ([]DailyPrice, error)
	// PriceHistoryPoints returns the events of the matching offers,
	// oldest first: for a non-zero From, first each offer's point in
	// force at From (carried in, dated when it was recorded), then the
	// events in the range.
	PriceHistoryPoints(ctx context.Context, q PriceQuery) ([]PricePoint, error)
}

// OfferSync records one provider's complete offer list. It is separate
// from Prices (which both stores also implement) so that stand-in stores
// of the Prices interface need not model disappearing offers.
type OfferSync interface {
	// SyncProviderOffers upserts offers as UpsertOffers does and marks
	// every stored offer of provider that is neither among them, already
	// gone, nor seen at or after `at` as gone at `at`, appending a Gone
	// point for it. It returns the points appended: the price points in
	// id order, then the Gone points in id order. An offer of another
	// provider fails the call.
	SyncProviderOffers(ctx context.Context, provider string, offers []shared.Offer, at time.Time) ([]PricePoint, error)
}

// Store is the whole repository.
type Store interface {
	Users
	Credentials
	Owned
	Alerting
	Deliveries
	Prices
	// Ping reports whether the backing database answers.
	Ping(ctx context.Context) error
	Close() error
}
