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
	// ErrConflict: a unique value (email, service id, ...) is taken.
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
	ID         string // the service_id clients present, e.g. "ml-pipeline-agent"
	OwnerID    string // the user who created it
	SecretHash string // argon2id PHC string
	Scopes     []string
	Plan       string
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

// Webhook receives events for a user, signed with HMAC-SHA256 using Secret.
// The secret is returned once at creation and never listed afterwards.
type Webhook struct {
	ID        string
	UserID    string
	URL       string
	Events    []string
	Secret    string
	CreatedAt time.Time
}

// PricePoint is one observed price of an offer.
type PricePoint struct {
	OfferID  string
	Provider string
	GPUID    string
	GPUModel string
	Region   string
	Price    float64 // instance USD/hour
	PerGPU   float64 // USD per GPU-hour
	At       time.Time
}

// DailyPrice summarizes one provider's per-GPU-hour prices for a GPU on
// one UTC day.
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
	From, To time.Time
	Limit    int // for Points; 0 means a default bound
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

	CreateServiceAccount(ctx context.Context, a ServiceAccount) error // ErrConflict on a taken id
	ServiceAccountByID(ctx context.Context, id string) (ServiceAccount, error)
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

// Prices stores the offer catalog and its price history.
type Prices interface {
	// UpsertOffers stores the current offers and, for every offer whose
	// price is new or changed since the stored one, appends a PricePoint.
	// It returns the points appended.
	UpsertOffers(ctx context.Context, offers []shared.Offer, at time.Time) ([]PricePoint, error)
	PriceHistoryDaily(ctx context.Context, q PriceQuery) ([]DailyPrice, error)
	PriceHistoryPoints(ctx context.Context, q PriceQuery) ([]PricePoint, error)
}

// Store is the whole repository.
type Store interface {
	Users
	Credentials
	Owned
	Prices
	// Ping reports whether the backing database answers.
	Ping(ctx context.Context) error
	Close() error
}
