package accountapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/gpubroker/gpubroker/shared"
)

func TestIntegrations(t *testing.T) {
	s := newAcctEnv(t, func(c *envConfig) {
		c.apiKeys = []identity.APIKey{identity.NewAPIKey("ent-a", "enterprise", "key-ent-a-1"),
			identity.NewAPIKey("ent-b", "enterprise", "key-ent-b-1"), identity.NewAPIKey("pro", "pro", "key-pro-1")}
	})
	const secret = "provider-secret-XYZ-123456"
	body := []byte(`{"provider":"alpha","api_key":"` + secret + `"}`)
	for _, tc := range []struct {
		key, body string
		status    int
		field     string
	}{
		{"", string(body), 401, ""},
		{"key-pro-1", string(body), 403, ""},
		{"key-ent-a-1", `{"provider":"zulu","api_key":"` + secret + `"}`, 400, "provider"},
		{"key-ent-a-1", `{"provider":"alpha","api_key":"short"}`, 400, "api_key"},
		{"key-ent-a-1", `{"provider":"alpha","api_key":"has space in it"}`, 400, "api_key"},
		{"key-ent-a-1", `{"provider":"alpha","api_key":"` + secret + `","x":1}`, 400, "x"},
	} {
		r := s.doKey("POST", pathIntegrations, tc.key, []byte(tc.body))
		var e errBody
		json.Unmarshal(r.Body(), &e)
		if r.StatusCode() != tc.status || e.Error.Field != tc.field {
			t.Errorf("%s %s: %d %+v", tc.key, tc.body, r.StatusCode(), e)
		}
	}
	r := s.doKey("POST", pathIntegrations, "key-ent-a-1", body)
	if r.StatusCode() != 201 || strings.Contains(string(r.Body()), secret) || !strings.Contains(string(r.Body()), "****3456") {
		t.Fatalf("create: %d %s", r.StatusCode(), r.Body())
	}
	// Tenant isolation: B sees nothing of A's, and cannot delete it.
	r = s.doKey("GET", pathIntegrations, "key-ent-b-1", nil)
	if !strings.Contains(string(r.Body()), `"integrations":[]`) {
		t.Fatalf("B's list: %s", r.Body())
	}
	if r := s.doKey("DELETE", pathIntegrations+"/alpha", "key-ent-b-1", nil); r.StatusCode() != 404 {
		t.Fatalf("B deleting A's integration: %d", r.StatusCode())
	}
	r = s.doKey("GET", pathIntegrations, "key-ent-a-1", nil)
	if r.StatusCode() != 200 || strings.Contains(string(r.Body()), secret) || !strings.Contains(string(r.Body()), `"provider":"alpha"`) {
		t.Fatalf("A's list: %s", r.Body())
	}
	k, err := s.keys.User(context.Background(), "api_key-ent-a", "alpha")
	if err != nil || k.Reveal() != secret {
		t.Fatalf("stored under the caller: %v", err)
	}
	if r := s.doKey("DELETE", pathIntegrations+"/alpha", "key-ent-a-1", nil); r.StatusCode() != 204 {
		t.Fatalf("delete: %d", r.StatusCode())
	}
}

type brokenStore struct{ credentials.Store }

func (brokenStore) PutUser(context.Context, string, string, shared.Secret) (credentials.Integration, error) {
	return credentials.Integration{}, errors.New("vault: connection refused at secret/gpubroker/users/x")
}

func TestIntegrationsStoreDown(t *testing.T) {
	s := newAcctEnv(t, func(c *envConfig) {
		c.keys, c.apiKeys = brokenStore{}, []identity.APIKey{identity.NewAPIKey("e", "enterprise", "key-ent-1")}
	})
	r := s.doKey("POST", pathIntegrations, "key-ent-1", []byte(`{"provider":"alpha","api_key":"abcdefgh12"}`))
	if r.StatusCode() != 503 || strings.Contains(string(r.Body()), "secret/gpubroker") {
		t.Fatalf("%d %s", r.StatusCode(), r.Body())
	}
}

// Integrations belong to the user, not the credential: the user's login
// token, stored API key and integrations-scoped service token see the same
// ones, stored under the user id (the Vault path users/<user id>/...), and
// they survive the key's revocation. Another user sees none of them.
func TestIntegrationsPerUser(t *testing.T) {
	e := newAcctEnv(t)
	e.enterprise(t, "ann@example.com")
	e.enterprise(t, "bob@example.com")
	const annID = "ann-0000-4000-8000-000000000000" // as enterprise() makes it
	ann := bearer(e.login(t, "ann@example.com").AccessToken)
	bob := bearer(e.login(t, "bob@example.com").AccessToken)
	r := e.call("POST", pathAPIKeys, clientIP, ann, map[string]string{"name": "ann's key"})
	var key struct{ ID, Key string }
	decode(t, r, &key)
	annKey := apiKeyHeader(key.Key)
	annSvc := e.serviceToken(t, ann, "ann-agent", accounts.ScopeIntegrationsRead, accounts.ScopeIntegrationsWrite)
	const secret = "ann-provider-secret-123"
	if r := e.call("POST", pathIntegrations, clientIP, annKey, map[string]string{"provider": "alpha", "api_key": secret}); r.StatusCode() != 201 {
		t.Fatalf("create with the API key: %d %s", r.StatusCode(), r.Body())
	}
	if r := e.call("POST", pathIntegrations, clientIP, annSvc, map[string]string{"provider": "bravo", "api_key": secret}); r.StatusCode() != 201 {
		t.Fatalf("create with the service token: %d %s", r.StatusCode(), r.Body())
	}
	k, err := e.keys.User(context.Background(), annID, "alpha")
	if err != nil || k.Reveal() != secret {
		t.Fatalf("not stored under the user id: %v", err)
	}
	providers := func(who map[string]string) []string {
		t.Helper()
		r := e.call("GET", pathIntegrations, clientIP, who, nil)
		var list struct{ Integrations []credentials.Integration }
		decode(t, r, &list)
		if r.StatusCode() != 200 || strings.Contains(string(r.Body()), secret) {
			t.Fatalf("list: %d %s", r.StatusCode(), r.Body())
		}
		out := []string{}
		for _, in := range list.Integrations {
			out = append(out, in.Provider)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		who  map[string]string
		want string
	}{
		{"ann's login token", ann, "alpha,bravo"},
		{"ann's API key", annKey, "alpha,bravo"},
		{"ann's service token", annSvc, "alpha,bravo"},
		{"bob", bob, ""},
	} {
		if got := strings.Join(providers(tc.who), ","); got != tc.want {
			t.Errorf("%s sees %q, want %q", tc.name, got, tc.want)
		}
	}
	if r := e.call("DELETE", pathIntegrations+"/alpha", clientIP, bob, nil); r.StatusCode() != 404 {
		t.Fatalf("bob deleting ann's: %d", r.StatusCode())
	}
	// Revoking the key that created an integration does not orphan it.
	if r := e.call("DELETE", pathAPIKeys+"/"+key.ID, clientIP, ann, nil); r.StatusCode() != 204 {
		t.Fatalf("revoke: %d", r.StatusCode())
	}
	if got := strings.Join(providers(ann), ","); got != "alpha,bravo" {
		t.Fatalf("after revoking the key ann sees %q", got)
	}
	if r := e.call("DELETE", pathIntegrations+"/alpha", clientIP, ann, nil); r.StatusCode() != 204 {
		t.Fatalf("ann deleting via her login: %d", r.StatusCode())
	}
}

// fakeChecker answers credential checks from a table, by provider.
type fakeChecker map[string]shared.VerifyResult

func (f fakeChecker) Check(_ context.Context, provider, _ string) (shared.VerifyResult, error) {
	r, ok := f[provider]
	if !ok {
		return shared.VerifyResult{}, errors.New("nats: no responders available for request")
	}
	return r, nil
}

// Storing an integration tries it and reports the verdict; the check can
// be repeated; a check that cannot finish is "unverified", not an error.
func TestIntegrationCheck(t *testing.T) {
	s := newAcctEnv(t, func(c *envConfig) {
		c.apiKeys = []identity.APIKey{identity.NewAPIKey("ent-a", "enterprise", "key-ent-a-1"), identity.NewAPIKey("ent-b", "enterprise", "key-ent-b-1")}
		c.checker = fakeChecker{
			"alpha": {Status: shared.VerifyVerified, Message: "ok"},
			"bravo": {Status: shared.VerifyRejected, Message: "the provider refused the key: HTTP 401"},
		}
	})
	var got struct {
		Provider     string
		Verification shared.VerifyResult
	}
	for _, tc := range []struct{ provider, status string }{
		{"alpha", shared.VerifyVerified}, {"bravo", shared.VerifyRejected}, {"charlie", shared.VerifyUnverified},
	} {
		r := s.doKey("POST", pathIntegrations, "key-ent-a-1", []byte(`{"provider":"`+tc.provider+`","api_key":"sk-test-0123456789"}`))
		if err := json.Unmarshal(r.Body(), &got); err != nil || r.StatusCode() != 201 || got.Verification.Status != tc.status || got.Provider != tc.provider {
			t.Fatalf("%s: %d %s", tc.provider, r.StatusCode(), r.Body())
		}
		r = s.doKey("POST", pathIntegrations+"/"+tc.provider+"/verify", "key-ent-a-1", nil)
		if err := json.Unmarshal(r.Body(), &got); err != nil || r.StatusCode() != 200 || got.Verification.Status != tc.status {
			t.Fatalf("re-check %s: %d %s", tc.provider, r.StatusCode(), r.Body())
		}
	}
	// Another tenant's integration, and one never stored, are not found.
	if r := s.doKey("POST", pathIntegrations+"/alpha/verify", "key-ent-b-1", nil); r.StatusCode() != 404 {
		t.Fatalf("B checking A's integration: %d %s", r.StatusCode(), r.Body())
	}
	if r := s.doKey("POST", pathIntegrations+"/delta/verify", "key-ent-a-1", nil); r.StatusCode() != 404 {
		t.Fatalf("checking a missing integration: %d", r.StatusCode())
	}
}
