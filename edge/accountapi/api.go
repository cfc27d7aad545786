// Package accountapi is the account half of the HTTP API: sign-up and
// sign-in (register, login, refresh, logout, service tokens), API keys,
// service accounts, favorites, price alerts, webhooks, users' provider
// integrations and the price history. Handlers decode, call the accounts
// service (or the provider-key store) and render its answers and errors;
// the rules live in package accounts.
package accountapi

import (
	"context"
	"log/slog"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
)

// CredentialChecker asks a provider's workers to try the key a user stored
// for it (in a cell: a NATS request to shared.VerifySubject).
type CredentialChecker interface {
	Check(ctx context.Context, provider, owner string) (shared.VerifyResult, error)
}

// Config configures the account API.
type Config struct {
	// Accounts is the account service; nil leaves the account routes
	// routed and documented but answering 503 store_unavailable.
	Accounts *accounts.Service
	// Keys stores users' provider keys (integrations); nil keeps them in
	// process memory (the embedded default).
	Keys credentials.Store
	// Checker tries stored keys through the provider's workers; nil
	// answers every check "unverified".
	Checker CredentialChecker
	// Providers are the providers integrations may name.
	Providers []string
	Logger    *slog.Logger
}

// API answers the account routes.
type API struct {
	cfg Config
	log *slog.Logger
}

// New builds the account API.
func New(cfg Config) *API {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Keys == nil {
		cfg.Keys = credentials.NewEnv(nil)
	}
	return &API{cfg: cfg, log: cfg.Logger.With("component", "accountapi")}
}

// Paths of the account endpoints.
const (
	pathAuth            = "/api/v2/auth/"
	pathAPIKeys         = "/api/v2/auth/api-keys"
	pathServiceAccounts = "/api/v2/service-accounts"
	pathFavorites       = "/api/v2/users/favorites"
	pathAlerts          = "/api/v2/alerts"
	pathNotifications   = "/api/v2/notifications"
	pathWebhooks        = "/api/v2/webhooks"
	pathIntegrations    = "/api/v2/providers/config/integrations"
	pathPriceHistory    = "/api/v2/analytics/price-history"
)

// Routes are the account endpoints.
func (a *API) Routes() []httpx.Route {
	id := map[string]func(string) bool{"id": httpx.ResourceID}
	user := httpx.ScopeUserOnly
	return []httpx.Route{
		{Method: "POST", Path: pathAuth + "register", Name: "auth_register", Handler: a.register()},
		{Method: "POST", Path: pathAuth + "login", Name: "auth_login", Handler: a.login()},
		{Method: "POST", Path: pathAuth + "refresh", Name: "auth_refresh", Handler: a.refresh()},
		{Method: "POST", Path: pathAuth + "logout", Name: "auth_logout", Handler: a.logout()},
		{Method: "POST", Path: pathAuth + "service-token", Name: "auth_service_token", Handler: a.serviceToken()},

		{Method: "GET", Path: pathAPIKeys, Name: "api_keys", Scope: user, Handler: a.listAPIKeys()},
		{Method: "POST", Path: pathAPIKeys, Name: "api_keys", Scope: user, Handler: a.createAPIKey()},
		{Method: "DELETE", Path: pathAPIKeys + "/{id}", Name: "api_keys", Scope: user, Params: id, Handler: a.revokeAPIKey()},

		{Method: "GET", Path: pathServiceAccounts, Name: "service_accounts", Scope: user, Handler: a.listServiceAccounts()},
		{Method: "POST", Path: pathServiceAccounts, Name: "service_accounts", Scope: user, Handler: a.createServiceAccount()},
		{Method: "DELETE", Path: pathServiceAccounts + "/{id}", Name: "service_accounts", Scope: user,
			Params: map[string]func(string) bool{"id": shared.ValidName}, Handler: a.deleteServiceAccount()},

		{Method: "GET", Path: pathFavorites, Name: "favorites", Scope: accounts.ScopeFavoritesRead, Handler: a.listFavorites()},
		{Method: "POST", Path: pathFavorites, Name: "favorites", Scope: accounts.ScopeFavoritesWrite, Handler: a.addFavorite()},
		{Method: "DELETE", Path: pathFavorites + "/{offer_id}", Name: "favorites", Scope: accounts.ScopeFavoritesWrite,
			Params: map[string]func(string) bool{"offer_id": accounts.ValidOfferID}, Handler: a.deleteFavorite()},

		{Method: "GET", Path: pathAlerts, Name: "alerts", Scope: accounts.ScopeAlertsRead, Handler: a.listAlerts()},
		{Method: "GET", Path: pathNotifications, Name: "notifications", Scope: accounts.ScopeAlertsRead, Handler: a.listNotifications()},
		{Method: "POST", Path: pathAlerts, Name: "alerts", Scope: accounts.ScopeAlertsWrite, Handler: a.createAlert()},
		{Method: "DELETE", Path: pathAlerts + "/{id}", Name: "alerts", Scope: accounts.ScopeAlertsWrite, Params: id, Handler: a.deleteAlert()},

		{Method: "GET", Path: pathWebhooks, Name: "webhooks", Scope: accounts.ScopeWebhooksRead, Handler: a.listWebhooks()},
		{Method: "POST", Path: pathWebhooks, Name: "webhooks", Scope: accounts.ScopeWebhooksWrite, Handler: a.createWebhook()},
		{Method: "DELETE", Path: pathWebhooks + "/{id}", Name: "webhooks", Scope: accounts.ScopeWebhooksWrite, Params: id, Handler: a.deleteWebhook()},
		{Method: "GET", Path: pathWebhooks + "/{id}/deliveries", Name: "webhook_deliveries", Scope: accounts.ScopeWebhooksRead, Params: id,
			Handler: a.listDeliveries()},
		{Method: "POST", Path: pathWebhooks + "/{id}/test", Name: "webhook_test", Scope: accounts.ScopeWebhooksWrite, Params: id,
			Handler: a.testWebhook()},

		{Method: "GET", Path: pathIntegrations, Name: "integrations", Scope: accounts.ScopeIntegrationsRead, Handler: a.listIntegrations},
		{Method: "POST", Path: pathIntegrations, Name: "integrations", Scope: accounts.ScopeIntegrationsWrite, Handler: a.putIntegration},
		{Method: "DELETE", Path: pathIntegrations + "/{provider}", Name: "integrations", Scope: accounts.ScopeIntegrationsWrite,
			Params: map[string]func(string) bool{"provider": shared.ValidName}, Handler: a.deleteIntegration},
		{Method: "POST", Path: pathIntegrations + "/{provider}/verify", Name: "integrations_verify", Scope: accounts.ScopeIntegrationsRead,
			Params: map[string]func(string) bool{"provider": shared.ValidName}, Handler: a.verifyIntegration},

		{Method: "GET", Path: pathPriceHistory, Name: "price_history", Scope: accounts.ScopeAnalyticsRead, Handler: a.priceHistory()},
	}
}
