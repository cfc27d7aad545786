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
	}
	var eps []ep
	switch path {
	case "/health", "/api/v2/providers/health":
		eps = []ep{{"GET", route{"health", s.handleHealth}}}
	case "/metrics":
		eps = []ep{{"GET", route{"metrics", s.handleMetrics}}}
	case "/api/v2/openapi.json":
		eps = []ep{{"GET", route{"openapi", s.handleOpenAPI}}}
	case "/api/v2/docs":
		eps = []ep{{"GET", route{"docs", s.handleDocs}}}
	case pathIntegrations:
		eps = []ep{{"GET", route{"integrations", s.handleIntegrationsList}}, {"POST", route{"integrations", s.handleIntegrationsPost}}}
	case "/api/v2/gpus":
		eps = []ep{{"GET", route{"gpus", s.handleGPUs}}}
	case pathList:
		eps = []ep{{"GET", route{"list", s.handleList}}}
	case "/api/v2/providers/query":
		eps = []ep{{"POST", route{"query", s.handleQuery}}}
	case "/api/v2/providers/bulk/query":
		eps = []ep{{"POST", route{"bulk", s.handleBulk}}}
	case pathAuth + "register":
		eps = []ep{{"POST", route{"auth_register", s.handleRegister}}}
	case pathAuth + "login":
		eps = []ep{{"POST", route{"auth_login", s.handleLogin}}}
	case pathAuth + "refresh":
		eps = []ep{{"POST", route{"auth_refresh", s.handleRefresh}}}
	case pathAuth + "logout":
		eps = []ep{{"POST", route{"auth_logout", s.handleLogout}}}
	case pathAuth + "service-token":
		eps = []ep{{"POST", route{"auth_service_token", s.handleServiceToken}}}
	case pathAPIKeys:
		eps = []ep{{"GET", route{"api_keys", s.handleAPIKeyList}}, {"POST", route{"api_keys", s.handleAPIKeyCreate}}}
	case pathServiceAccounts:
		eps = []ep{{"POST", route{"service_accounts", s.handleServiceAccountCreate}}}
	case pathFavorites:
		eps = []ep{{"GET", route{"favorites", s.handleFavoriteList}}, {"POST", route{"favorites", s.handleFavoriteAdd}}}
	case pathAlerts:
		eps = []ep{{"GET", route{"alerts", s.handleAlertList}}, {"POST", route{"alerts", s.handleAlertCreate}}}
	case pathWebhooks:
		eps = []ep{{"GET", route{"webhooks", s.handleWebhookList}}, {"POST", route{"webhooks", s.handleWebhookCreate}}}
	case pathPriceHistory:
		eps = []ep{{"GET", route{"price_history", s.handlePriceHistory}}}
	default:
		if id, ok := strings.CutPrefix(path, pathAPIKeys+"/"); ok && validResourceID(id) {
			eps = []ep{{"DELETE", route{"api_keys", s.handleAPIKeyDelete}}}
			break
		}
		if id, ok := strings.CutPrefix(path, pathFavorites+"/"); ok && accounts.ValidOfferID(id) {
			eps = []ep{{"DELETE", route{"favorites", s.handleFavoriteDelete}}}
			break
		}
		if id, ok := strings.CutPrefix(path, pathAlerts+"/"); ok && validResourceID(id) {
			eps = []ep{{"DELETE", route{"alerts", s.handleAlertDelete}}}
			break
		}
		if id, ok := strings.CutPrefix(path, pathWebhooks+"/"); ok && validResourceID(id) {
			eps = []ep{{"DELETE", route{"webhooks", s.handleWebhookDelete}}}
			break
		}
		if p, ok := strings.CutPrefix(path, pathIntegrations+"/"); ok && shared.ValidName(p) {
			eps = []ep{{"DELETE", route{"integrations", s.handleIntegrationsDelete}}}
			break
		}
		if id, ok := strings.CutPrefix(path, pathOfferID); ok && id != "" && !strings.Contains(id, "/") && strings.Contains(id, ":") {
			eps = []ep{{"GET", route{"offer", s.handleOffer}}}
		}
	}
	if len(eps) == 0 {
		return route{name: "not_found"}, &apiError{Status: fasthttp.StatusNotFound, Code: codeNotFound, Message: "no such endpoint: " + path}
	}
	allowed := make([]string, 0, len(eps))
	for _, e := range eps {
		if e.method == method || (method == "HEAD" && e.method == "GET") {
			return e.r, nil
		}
		allowed = append(allowed, e.method)
	}
	return route{name: eps[0].r.name}, &apiError{Status: fasthttp.StatusMethodNotAllowed, Code: codeMethodNotAllowed,
		Message: method + " is not allowed here; use " + strings.Join(allowed, ", "), Field: strings.Join(allowed, ", ")}
}
