package accountapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gpubroker/gpubroker/accounts"
)

// serviceAccount creates a service account through the API and returns its
// service id and secret.
func (e *acctEnv) serviceAccount(t testing.TB, user map[string]string, name string, scopes ...string) (id, secret string) {
	t.Helper()
	r := e.call("POST", pathServiceAccounts, clientIP, user, map[string]any{"name": name, "scopes": scopes})
	var a struct {
		ServiceID string `json:"service_id"`
		Secret    string `json:"secret"`
	}
	if err := json.Unmarshal(r.Body(), &a); err != nil || r.StatusCode() != 201 {
		t.Fatalf("create service account %s: %d %s", name, r.StatusCode(), r.Body())
	}
	return a.ServiceID, a.Secret
}

// serviceToken creates a service account and returns its token's header.
func (e *acctEnv) serviceToken(t testing.TB, user map[string]string, name string, scopes ...string) map[string]string {
	t.Helper()
	id, secret := e.serviceAccount(t, user, name, scopes...)
	r := e.call("POST", pathAuth+"service-token", clientIP, nil, map[string]string{"service_id": id, "secret": secret})
	var tok tokenJSON
	if err := json.Unmarshal(r.Body(), &tok); err != nil || r.StatusCode() != 200 {
		t.Fatalf("service token %s: %d %s", name, r.StatusCode(), r.Body())
	}
	return bearer(tok.AccessToken)
}

// Every route × every scope: a service token reaches a route only with the
// scope it needs (403 insufficient_scope naming it otherwise), never
// reaches credential management, and always reaches public and sign-in
// endpoints; users' tokens and API keys reach everything.
func TestServiceScopesPerRoute(t *testing.T) {
	e := newAcctEnv(t)
	e.enterprise(t, "scopes@example.com")
	user := bearer(e.login(t, "scopes@example.com").AccessToken)
	r := e.call("POST", pathAPIKeys, clientIP, user, map[string]string{"name": "scope matrix"})
	var key struct{ Key string }
	decode(t, r, &key)
	const (
		public   = ""
		userOnly = "user only"
		uuid     = "0d1c3f6e-1111-4111-8111-111111111111"
	)
	routes := []struct {
		method, path, body string
		need               string
	}{
		{"GET", "/health", "", public},
		{"GET", "/api/v2/providers/health", "", public},
		{"GET", "/metrics", "", public},
		{"GET", "/api/v2/openapi.json", "", public},
		{"GET", "/api/v2/docs", "", public},
		{"POST", "/api/v2/auth/register", `{}`, public},
		{"POST", "/api/v2/auth/login", `{}`, public},
		{"POST", "/api/v2/auth/refresh", `{}`, public},
		{"POST", "/api/v2/auth/logout", `{}`, public},
		{"POST", "/api/v2/auth/service-token", `{}`, public},
		{"GET", "/api/v2/gpus", "", accounts.ScopeOffersRead},
		{"GET", "/api/v2/providers?gpu=H100", "", accounts.ScopeOffersRead},
		{"HEAD", "/api/v2/providers", "", accounts.ScopeOffersRead},
		{"POST", "/api/v2/providers/query", `{"gpu":"H100"}`, accounts.ScopeOffersRead},
		{"POST", "/api/v2/providers/bulk/query", `{"queries":[{"gpu":"H100"}]}`, accounts.ScopeOffersRead},
		{"GET", "/api/v2/providers/alpha:i1", "", accounts.ScopeOffersRead},
		{"GET", pathIntegrations, "", accounts.ScopeIntegrationsRead},
		{"POST", pathIntegrations, `{}`, accounts.ScopeIntegrationsWrite},
		{"DELETE", pathIntegrations + "/alpha", "", accounts.ScopeIntegrationsWrite},
		{"GET", pathFavorites, "", accounts.ScopeFavoritesRead},
		{"POST", pathFavorites, `{}`, accounts.ScopeFavoritesWrite},
		{"DELETE", pathFavorites + "/alpha:i1", "", accounts.ScopeFavoritesWrite},
		{"GET", pathAlerts, "", accounts.ScopeAlertsRead},
		{"POST", pathAlerts, `{}`, accounts.ScopeAlertsWrite},
		{"DELETE", pathAlerts + "/" + uuid, "", accounts.ScopeAlertsWrite},
		{"GET", pathWebhooks, "", accounts.ScopeWebhooksRead},
		{"POST", pathWebhooks, `{}`, accounts.ScopeWebhooksWrite},
		{"DELETE", pathWebhooks + "/" + uuid, "", accounts.ScopeWebhooksWrite},
		{"GET", pathPriceHistory + "?gpu=A100", "", accounts.ScopeAnalyticsRead},
		{"GET", pathAPIKeys, "", userOnly},
		{"POST", pathAPIKeys, `{}`, userOnly},
		{"DELETE", pathAPIKeys + "/" + uuid, "", userOnly},
		{"GET", pathServiceAccounts, "", userOnly},
		{"POST", pathServiceAccounts, `{}`, userOnly},
		{"DELETE", pathServiceAccounts + "/" + uuid, "", userOnly},
	}
	callers := map[string]map[string]string{"user token": user, "stored API key": apiKeyHeader(key.Key)}
	for i, sc := range accounts.Scopes {
		callers[sc] = e.serviceToken(t, user, "scope-"+strings.ReplaceAll(sc, ":", "-")+"-"+string(rune('a'+i)), sc)
	}
	for who, headers := range callers {
		service := !strings.HasPrefix(who, "user") && !strings.HasPrefix(who, "stored")
		for _, rt := range routes {
			var body any
			if rt.body != "" {
				body = rt.body
			}
			r := e.call(rt.method, rt.path, clientIP, headers, body)
			code := errOf(r).Error.Code
			switch {
			case rt.need == userOnly && who != "user token":
				// API keys cannot manage credentials either (the service's rule).
				if r.StatusCode() != 403 || code != "forbidden" {
					t.Errorf("%s: %s %s: %d %s; want 403 forbidden", who, rt.method, rt.path, r.StatusCode(), r.Body())
				}
			case !service || rt.need == public || rt.need == who:
				if r.StatusCode() == 401 || code == "insufficient_scope" || code == "forbidden" {
					t.Errorf("%s: %s %s: %d %s; want access", who, rt.method, rt.path, r.StatusCode(), r.Body())
				}
			default:
				if r.StatusCode() != 403 || code != "insufficient_scope" || (rt.method != "HEAD" && !strings.Contains(errOf(r).Error.Message, rt.need)) ||
					!strings.Contains(string(r.Header.Peek("WWW-Authenticate")), `scope="`+rt.need+`"`) {
					t.Errorf("%s: %s %s: %d %s; want 403 insufficient_scope naming %s", who, rt.method, rt.path, r.StatusCode(), r.Body(), rt.need)
				}
			}
		}
	}
}
