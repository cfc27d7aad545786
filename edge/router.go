package edge

import (
	"strings"

	"github.com/gpubroker/gpubroker/edge/accounts"
	"github.com/gpubroker/gpubroker/shared"

	"github.com/valyala/fasthttp"
)

// route is a resolved endpoint: its metrics label and handler.
type route struct {
	name    string
	handler func(*requestCtx)
}

const (
	pathList    = "/api/v2/providers"
	pathOfferID = "/api/v2/providers/"
)

// resolve maps method and path to a route. Offer ids always contain ':', so
// they can never collide with the fixed sub-paths of /api/v2/providers/.
func (s *Server) resolve(method, path string) (route, *apiError) {
	type ep struct {
		method string
		r      route
		scope  string // what a service token needs (routeScope); "" for public and open endpoints
	}
	var eps []ep
	switch path {
	case "/health", "/api/v2/providers/health":
		eps = []ep{{"GET", route{"health", s.handleHealth}, ""}}
	case "/metrics":
		eps = []ep{{"GET", route{"metrics", s.handleMetrics}, ""}}
	case "/api/v2/openapi.json":
		eps = []ep{{"GET", route{"openapi", s.handleOpenAPI}, ""}}
	case "/api/v2/docs":
		eps = []ep{{"GET", route{"docs", s.handleDocs}, ""}}
	case pathIntegrations:
		eps = []ep{{"GET", route{"integrations", s.handleIntegrationsList}, accounts.ScopeIntegrationsRead}, {"POST", route{"integrations", s.handleIntegrationsPost}, accounts.ScopeIntegrationsWrite}}
	case "/api/v2/gpus":
		eps = []ep{{"GET", route{"gpus", s.handleGPUs}, accounts.ScopeOffersRead}}
	case pathList:
		eps = []ep{{"GET", route{"list", s.handleList}, accounts.ScopeOffersRead}}
	case "/api/v2/providers/query":
		eps = []ep{{"POST", route{"query", s.handleQuery}, accounts.ScopeOffersRead}}
	case "/api/v2/providers/bulk/query":
		eps = []ep{{"POST", route{"bulk", s.handleBulk}, accounts.ScopeOffersRead}}
	case pathAuth + "register":
		eps = []ep{{"POST", route{"auth_register", s.handleRegister}, ""}}
	case pathAuth + "login":
		eps = []ep{{"POST", route{"auth_login", s.handleLogin}, ""}}
	case pathAuth + "refresh":
		eps = []ep{{"POST", route{"auth_refresh", s.handleRefresh}, ""}}
	case pathAuth + "logout":
		eps = []ep{{"POST", route{"auth_logout", s.handleLogout}, ""}}
	case pathAuth + "service-token":
		eps = []ep{{"POST", route{"auth_service_token", s.handleServiceToken}, ""}}
	case pathAPIKeys:
		eps = []ep{{"GET", route{"api_keys", s.handleAPIKeyList}, scopeUserOnly}, {"POST", route{"api_keys", s.handleAPIKeyCreate}, scopeUserOnly}}
	case pathServiceAccounts:
		eps = []ep{{"GET", route{"service_accounts", s.handleServiceAccountList}, scopeUserOnly}, {"POST", route{"service_accounts", s.handleServiceAccountCreate}, scopeUserOnly}}
	case pathFavorites:
		eps = []ep{{"GET", route{"favorites", s.handleFavoriteList}, accounts.ScopeFavoritesRead}, {"POST", route{"favorites", s.handleFavoriteAdd}, accounts.ScopeFavoritesWrite}}
	case pathAlerts:
		eps = []ep{{"GET", route{"alerts", s.handleAlertList}, accounts.ScopeAlertsRead}, {"POST", route{"alerts", s.handleAlertCreate}, accounts.ScopeAlertsWrite}}
	case pathWebhooks:
		eps = []ep{{"GET", route{"webhooks", s.handleWebhookList}, accounts.ScopeWebhooksRead}, {"POST", route{"webhooks", s.handleWebhookCreate}, accounts.ScopeWebhooksWrite}}
	case pathPriceHistory:
		eps = []ep{{"GET", route{"price_history", s.handlePriceHistory}, accounts.ScopeAnalyticsRead}}
	default:
		if id, ok := strings.CutPrefix(path, pathAPIKeys+"/"); ok && validResourceID(id) {
			eps = []ep{{"DELETE", route{"api_keys", s.handleAPIKeyDelete}, scopeUserOnly}}
			break
		}
		if id, ok := strings.CutPrefix(path, pathServiceAccounts+"/"); ok && shared.ValidName(id) {
			eps = []ep{{"DELETE", route{"service_accounts", s.handleServiceAccountDelete}, scopeUserOnly}}
			break
		}
		if id, ok := strings.CutPrefix(path, pathFavorites+"/"); ok && accounts.ValidOfferID(id) {
			eps = []ep{{"DELETE", route{"favorites", s.handleFavoriteDelete}, accounts.ScopeFavoritesWrite}}
			break
		}
		if id, ok := strings.CutPrefix(path, pathAlerts+"/"); ok && validResourceID(id) {
			eps = []ep{{"DELETE", route{"alerts", s.handleAlertDelete}, accounts.ScopeAlertsWrite}}
			break
		}
		if id, ok := strings.CutPrefix(path, pathWebhooks+"/"); ok && validResourceID(id) {
			eps = []ep{{"DELETE", route{"webhooks", s.handleWebhookDelete}, accounts.ScopeWebhooksWrite}}
			break
		}
		if p, ok := strings.CutPrefix(path, pathIntegrations+"/"); ok && shared.ValidName(p) {
			eps = []ep{{"DELETE", route{"integrations", s.handleIntegrationsDelete}, accounts.ScopeIntegrationsWrite}}
			break
		}
		if p, ok := strings.CutPrefix(path, pathIntegrations+"/"); ok && strings.HasSuffix(p, "/verify") && shared.ValidName(strings.TrimSuffix(p, "/verify")) {
			eps = []ep{{"POST", route{"integrations_verify", s.handleIntegrationVerify}, accounts.ScopeIntegrationsRead}}
			break
		}
		if id, ok := strings.CutPrefix(path, pathOfferID); ok && id != "" && !strings.Contains(id, "/") && strings.Contains(id, ":") {
			eps = []ep{{"GET", route{"offer", s.handleOffer}, accounts.ScopeOffersRead}}
		}
	}
	if len(eps) == 0 {
		return route{name: "not_found"}, &apiError{Status: fasthttp.StatusNotFound, Code: codeNotFound, Message: "no such endpoint: " + path}
	}
	allowed := make([]string, 0, len(eps))
	for _, e := range eps {
		if e.method == method || (method == "HEAD" && e.method == "GET") {
			if e.scope != "" {
				e.r.handler = s.scoped(e.scope, e.r.handler)
			}
			return e.r, nil
		}
		allowed = append(allowed, e.method)
	}
	return route{name: eps[0].r.name}, &apiError{Status: fasthttp.StatusMethodNotAllowed, Code: codeMethodNotAllowed,
		Message: method + " is not allowed here; use " + strings.Join(allowed, ", "), Field: strings.Join(allowed, ", ")}
}
