package accounts

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"time"

	"github.com/gpubroker/gpubroker/edge/ratelimit"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/store"
)

// DefaultRefreshTTL is how long a refresh token (and so a sign-in) lasts
// when it is not used.
const DefaultRefreshTTL = 30 * 24 * time.Hour

// Config configures a Service. Store and Issuer are required; zero values
// elsewhere are the production defaults.
type Config struct {
	Store  store.Store
	Issuer *Issuer
	// LoginLimiter counts failed sign-ins (see NewLoginLimiter); nil makes
	// an in-process one.
	LoginLimiter *ratelimit.Limiter
	// AccountLimit and IPLimit are the failures allowed per account and per
	// client IP in LoginWindow (default 5 and 30).
	AccountLimit int
	IPLimit      int
	// Hash is the argon2id cost of new hashes (DefaultHashParams).
	Hash HashParams
	// MaxHashing bounds argon2id computations running at once (default
	// GOMAXPROCS); each holds Hash.Memory KiB while it runs.
	MaxHashing int
	RefreshTTL time.Duration
	// AllowHTTPWebhooks accepts http:// and loopback webhook URLs
	// (development only).
	AllowHTTPWebhooks bool
	// Resolver resolves webhook hosts (net.DefaultResolver).
	Resolver Resolver
	KeyAuth  KeyAuthConfig
	// ServiceAuth tunes the check of service tokens on use.
	ServiceAuth ServiceAuthConfig
	// Offers tells whether an offer id is listed right now, so a favorite
	// cannot name an offer that does not exist; nil skips the check.
	Offers OfferLister
	// Queue takes webhook test deliveries (in a cell: its JetStream
	// stream, read by the delivery worker); nil answers that delivery is
	// unavailable here.
	Queue Queue
	// Cell names the stream test deliveries go to.
	Cell   string
	Now    func() time.Time
	Logger *slog.Logger
}

// Queue stores events durably before returning (eventbus.Storer).
type Queue interface {
	Store(ctx context.Context, evs ...events.Event) error
}

// OfferLister looks offers up (in a cell: the edge's search, through its
// offer cache).
type OfferLister interface {
	OfferListed(ctx context.Context, offerID string) (bool, error)
}

// Service implements the account operations. It is safe for concurrent use.
type Service struct {
	cfg       Config
	st        store.Store
	iss       *Issuer
	lock      *Lockout
	keys      *KeyAuth
	services  *ServiceAuth
	hashSem   chan struct{}
	dummyHash string // verified for unknown accounts, so timing does not tell them apart
	log       *slog.Logger
}

// New validates cfg and builds a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Issuer == nil {
		return nil, errors.New("accounts: a store and an issuer are required")
	}
	if cfg.AccountLimit <= 0 {
		cfg.AccountLimit = DefaultAccountLimit
	}
	if cfg.IPLimit <= 0 {
		cfg.IPLimit = DefaultIPLimit
	}
	if cfg.Hash == (HashParams{}) {
		cfg.Hash = DefaultHashParams
	}
	if cfg.MaxHashing <= 0 {
		cfg.MaxHashing = runtime.GOMAXPROCS(0)
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = DefaultRefreshTTL
	}
	if cfg.Resolver == nil {
		cfg.Resolver = defaultResolver
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.KeyAuth.Now == nil {
		cfg.KeyAuth.Now = cfg.Now
	}
	if cfg.KeyAuth.Logger == nil {
		cfg.KeyAuth.Logger = cfg.Logger
	}
	if cfg.ServiceAuth.Now == nil {
		cfg.ServiceAuth.Now = cfg.Now
	}
	dummy, err := HashPassword(cfg.Hash, "dummy password for unknown accounts")
	if err != nil {
		return nil, err
	}
	keys := NewKeyAuth(cfg.Store, cfg.KeyAuth)
	keys.services = NewServiceAuth(cfg.Store, cfg.ServiceAuth)
	return &Service{
		cfg:       cfg,
		st:        cfg.Store,
		iss:       cfg.Issuer,
		lock:      NewLockout(cfg.LoginLimiter, cfg.Now),
		keys:      keys,
		services:  keys.services,
		hashSem:   make(chan struct{}, cfg.MaxHashing),
		dummyHash: dummy,
		log:       cfg.Logger.With("component", "accounts"),
	}, nil
}

// KeyAuth resolves API keys, and through it service accounts, for request
// authentication.
func (s *Service) KeyAuth() *KeyAuth { return s.keys }

// ServiceAuth checks service tokens against their accounts on use.
func (s *Service) ServiceAuth() *ServiceAuth { return s.services }

// Close stops the background work: pending API-key touches are waited for.
func (s *Service) Close() {
	s.keys.Wait()
	s.lock.Close()
}

// hashing runs f while holding one of the MaxHashing slots, or fails with
// ErrBusy when ctx ends first.
func (s *Service) hashing(ctx context.Context, f func() error) error {
	select {
	case s.hashSem <- struct{}{}:
	case <-ctx.Done():
		return ErrBusy
	}
	defer func() { <-s.hashSem }()
	return f()
}

// Scopes a service account may hold. Users hold all of them implicitly.
const (
	ScopeOffersRead     = "offers:read"
	ScopeFavoritesRead  = "favorites:read"
	ScopeFavoritesWrite = "favorites:write"
	ScopeAlertsRead     = "alerts:read"
	ScopeAlertsWrite    = "alerts:write"
	ScopeWebhooksRead   = "webhooks:read"
	ScopeWebhooksWrite  = "webhooks:write"
	ScopeAnalyticsRead  = "analytics:read"
	// Integrations hold the owner's provider keys (write stores them).
	ScopeIntegrationsRead  = "integrations:read"
	ScopeIntegrationsWrite = "integrations:write"
	// ScopeJobsRun lets an orchestrator (Airflow) trigger the cell's jobs
	// (POST /api/v2/jobs/...); only service tokens reach those routes.
	ScopeJobsRun = "jobs:run"
)

// Scopes lists every scope, in documentation order.
var Scopes = []string{ScopeOffersRead, ScopeFavoritesRead, ScopeFavoritesWrite, ScopeAlertsRead, ScopeAlertsWrite,
	ScopeWebhooksRead, ScopeWebhooksWrite, ScopeAnalyticsRead, ScopeIntegrationsRead, ScopeIntegrationsWrite, ScopeJobsRun}

// Principal is the authenticated caller of an account operation.
type Principal struct {
	UserID  string
	Plan    string
	Service bool     // a service token acting for UserID
	Scopes  []string // a service token's scopes
	APIKey  bool     // authenticated by a stored API key
}

// allow checks that p is a user, or a service holding scope.
func (p Principal) allow(scope string) error {
	if p.UserID == "" {
		return ErrNoUser
	}
	if p.Service && !slices.Contains(p.Scopes, scope) {
		return &ForbiddenError{Reason: "the service token lacks the " + scope + " scope"}
	}
	return nil
}

// user checks that p is a user signed in with a password: credentials are
// managed by people only, and a leaked API key cannot mint itself
// successors that outlive its revocation.
func (p Principal) user() error {
	switch {
	case p.UserID == "":
		return ErrNoUser
	case p.Service:
		return &ForbiddenError{Reason: "service tokens cannot manage credentials"}
	case p.APIKey:
		return &ForbiddenError{Reason: "API keys cannot manage credentials; use a signed-in session"}
	}
	return nil
}

// storeTimeout bounds store calls made outside a request (background
// touches).
const storeTimeout = 5 * time.Second
