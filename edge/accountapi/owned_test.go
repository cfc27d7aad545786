package accountapi

import (
	"regexp"
	"strings"
	"testing"
)

// Every owned resource is tenant-isolated: B never sees A's rows, and
// deleting or revoking A's row as B is a 404 that leaves it in place.
func TestOwnedIsolationMatrix(t *testing.T) {
	e := newAcctEnv(t)
	e.enterprise(t, "alice@example.com")
	e.enterprise(t, "bob@example.com")
	alice := bearer(e.login(t, "alice@example.com").AccessToken)
	bob := bearer(e.login(t, "bob@example.com").AccessToken)
	for _, tc := range []struct {
		name, collection, listKey string
		body                      any
		idOf                      func(map[string]any) string
	}{
		{"favorites", "/api/v2/users/favorites", "favorites", map[string]string{"offer_id": "alpha:i0"},
			func(m map[string]any) string { return m["offer_id"].(string) }},
		{"alerts", "/api/v2/alerts", "alerts", map[string]any{"gpu_type": "A100", "max_price": 1.5},
			func(m map[string]any) string { return m["id"].(string) }},
		{"webhooks", "/api/v2/webhooks", "webhooks", map[string]any{"url": "https://hooks.example.com/a", "events": []string{"price_change"}},
			func(m map[string]any) string { return m["id"].(string) }},
		{"api keys", "/api/v2/auth/api-keys", "api_keys", map[string]string{"name": "alice's key"},
			func(m map[string]any) string { return m["id"].(string) }},
		{"service accounts", "/api/v2/service-accounts", "service_accounts", map[string]any{"name": "alice-agent", "scopes": []string{"offers:read"}},
			func(m map[string]any) string { return m["service_id"].(string) }},
		{"integrations", pathIntegrations, "integrations", map[string]string{"provider": "alpha", "api_key": "alice-provider-key-1"},
			func(m map[string]any) string { return m["provider"].(string) }},
	} {
		r := e.call("POST", tc.collection, clientIP, alice, tc.body)
		var created map[string]any
		decode(t, r, &created)
		if r.StatusCode() != 201 {
			t.Fatalf("%s: create: %d %s", tc.name, r.StatusCode(), r.Body())
		}
		id := tc.idOf(created)
		count := func(who map[string]string) int {
			r := e.call("GET", tc.collection, clientIP, who, nil)
			var list map[string][]map[string]any
			decode(t, r, &list)
			items, ok := list[tc.listKey]
			if r.StatusCode() != 200 || !ok {
				t.Fatalf("%s: list: %d %s", tc.name, r.StatusCode(), r.Body())
			}
			return len(items)
		}
		if n := count(bob); n != 0 {
			t.Errorf("%s: bob lists %d of alice's", tc.name, n)
		}
		r = e.call("DELETE", tc.collection+"/"+id, clientIP, bob, nil)
		if r.StatusCode() != 404 || errOf(r).Error.Code != "not_found" {
			t.Errorf("%s: bob deleting alice's: %d %s", tc.name, r.StatusCode(), r.Body())
		}
		if n := count(alice); n != 1 {
			t.Errorf("%s: alice has %d after bob's delete", tc.name, n)
		}
		if r := e.call("DELETE", tc.collection+"/"+id, clientIP, alice, nil); r.StatusCode() != 204 {
			t.Errorf("%s: alice deleting: %d %s", tc.name, r.StatusCode(), r.Body())
		}
		if tc.name == "api keys" {
			continue // revoking is idempotent and keys stay listed as revoked
		}
		if n := count(alice); n != 0 {
			t.Errorf("%s: still listed after delete", tc.name)
		}
		if r := e.call("DELETE", tc.collection+"/"+id, clientIP, alice, nil); r.StatusCode() != 404 {
			t.Errorf("%s: second delete: %d", tc.name, r.StatusCode())
		}
	}
}

func TestOwnedNeedsAuthentication(t *testing.T) {
	e := newAcctEnv(t)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/api/v2/users/favorites", ""}, {"POST", "/api/v2/users/favorites", `{"offer_id":"lambda:x"}`},
		{"DELETE", "/api/v2/users/favorites/lambda:x", ""},
		{"GET", "/api/v2/alerts", ""}, {"POST", "/api/v2/alerts", `{}`}, {"DELETE", "/api/v2/alerts/0d1c3f6e-1111-4111-8111-111111111111", ""},
		{"GET", "/api/v2/webhooks", ""}, {"POST", "/api/v2/webhooks", `{}`}, {"DELETE", "/api/v2/webhooks/0d1c3f6e-1111-4111-8111-111111111111", ""},
		{"GET", "/api/v2/auth/api-keys", ""}, {"POST", "/api/v2/auth/api-keys", `{}`}, {"DELETE", "/api/v2/auth/api-keys/0d1c3f6e-1111-4111-8111-111111111111", ""},
		{"GET", "/api/v2/service-accounts", ""}, {"POST", "/api/v2/service-accounts", `{}`},
		{"DELETE", "/api/v2/service-accounts/0d1c3f6e-1111-4111-8111-111111111111", ""},
		{"GET", "/api/v2/analytics/price-history?gpu=A100", ""},
	} {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		r := e.call(tc.method, tc.path, clientIP, nil, body)
		if r.StatusCode() != 401 || errOf(r).Error.Code != "unauthorized" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.StatusCode(), r.Body())
		}
	}
}

func TestFavoritesAndAlertsValidated(t *testing.T) {
	e := newAcctEnv(t)
	e.register(t, "v@example.com")
	user := bearer(e.login(t, "v@example.com").AccessToken)
	for _, tc := range []struct{ path, body, field string }{
		{"/api/v2/users/favorites", `{"offer_id":"no-colon"}`, "offer_id"},
		{"/api/v2/users/favorites", `{"offer_id":"Lambda:x"}`, "offer_id"},
		{"/api/v2/users/favorites", `{}`, "offer_id"},
		{"/api/v2/users/favorites", `{"offer_id":"lambda:x","note":"y"}`, "note"},
		{"/api/v2/alerts", `{"max_price":1}`, "gpu_type"},
		{"/api/v2/alerts", `{"gpu_type":"!!","max_price":1}`, "gpu_type"},
		{"/api/v2/alerts", `{"gpu_type":"A100"}`, "max_price"},
		{"/api/v2/alerts", `{"gpu_type":"A100","max_price":0}`, "max_price"},
		{"/api/v2/alerts", `{"gpu_type":"A100","max_price":-3}`, "max_price"},
		{"/api/v2/alerts", `{"gpu_type":"A100","max_price":"cheap"}`, "max_price"},
		{"/api/v2/alerts", `{"gpu_type":"A100","max_price":1e999}`, "max_price"},
		{"/api/v2/alerts", `{"gpu_type":"A100","max_price":1,"region":"us east"}`, "region"},
		{"/api/v2/alerts", `{"gpu_type":"A100","max_price":1,"provider":"Not Valid"}`, "provider"},
	} {
		r := e.call("POST", tc.path, clientIP, user, tc.body)
		if r.StatusCode() != 400 || errOf(r).Error.Field != tc.field {
			t.Errorf("%s %s: %d %s; want 400 naming %q", tc.path, tc.body, r.StatusCode(), r.Body(), tc.field)
		}
	}
	r := e.call("POST", "/api/v2/alerts", clientIP, user, `{"gpu_type":"H100 NVL","max_price":2.25,"region":"us-east","provider":"lambda"}`)
	var a alertJSON
	decode(t, r, &a)
	if r.StatusCode() != 201 || a.GPUType != "H100 NVL" || a.MaxPrice != 2.25 || a.Region != "us-east" || a.Provider != "lambda" {
		t.Fatalf("create alert: %d %s", r.StatusCode(), r.Body())
	}
	// Paths that cannot name a resource are not routed.
	for _, p := range []string{"/api/v2/users/favorites/no-colon", "/api/v2/alerts/zz", "/api/v2/webhooks/a/b"} {
		if r := e.call("DELETE", p, clientIP, user, nil); r.StatusCode() != 404 {
			t.Errorf("DELETE %s: %d", p, r.StatusCode())
		}
	}
	if r := e.call("GET", "/api/v2/alerts?page=2", clientIP, user, nil); r.StatusCode() != 400 || errOf(r).Error.Code != "unknown_parameter" {
		t.Errorf("query parameter on a list: %d %s", r.StatusCode(), r.Body())
	}
}

func TestWebhooksHTTP(t *testing.T) {
	e := newAcctEnv(t)
	e.register(t, "free@example.com")
	e.enterprise(t, "ent@example.com")
	free := bearer(e.login(t, "free@example.com").AccessToken)
	ent := bearer(e.login(t, "ent@example.com").AccessToken)
	good := map[string]any{"url": "https://hooks.example.com/gpu", "events": []string{"price_alert", "provider_health"}}
	if r := e.call("POST", "/api/v2/webhooks", clientIP, free, good); r.StatusCode() != 403 || errOf(r).Error.Code != "forbidden" {
		t.Fatalf("free plan: %d %s", r.StatusCode(), r.Body())
	}
	if r := e.call("GET", "/api/v2/webhooks", clientIP, free, nil); r.StatusCode() != 403 {
		t.Fatalf("free plan list: %d", r.StatusCode())
	}
	for _, tc := range []struct{ url, field string }{
		{"https://10.0.0.1/x", "url"}, {"https://[::ffff:127.0.0.1]/x", "url"}, {"https://169.254.169.254/latest", "url"},
		{"https://internal.example/x", "url"}, {"https://mixed.example.com/x", "url"}, {"http://hooks.example.com/x", "url"},
		{"https://u:p@hooks.example.com/x", "url"}, {"", "url"},
	} {
		r := e.call("POST", "/api/v2/webhooks", clientIP, ent, map[string]any{"url": tc.url, "events": []string{"price_alert"}})
		if r.StatusCode() != 400 || errOf(r).Error.Field != tc.field {
			t.Errorf("%q: %d %s", tc.url, r.StatusCode(), r.Body())
		}
	}
	if r := e.call("POST", "/api/v2/webhooks", clientIP, ent, map[string]any{"url": "https://hooks.example.com/x", "events": []string{"price_alert", "deploy"}}); errOf(r).Error.Field != "events[1]" {
		t.Errorf("unknown event: %d %s", r.StatusCode(), r.Body())
	}
	r := e.call("POST", "/api/v2/webhooks", clientIP, ent, good)
	var created map[string]any
	decode(t, r, &created)
	secret, _ := created["secret"].(string)
	if r.StatusCode() != 201 || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(secret) || created["url"] != "https://hooks.example.com/gpu" ||
		r.Header.Peek("Cache-Control") == nil {
		t.Fatalf("create: %d %s", r.StatusCode(), r.Body())
	}
	r = e.call("GET", "/api/v2/webhooks", clientIP, ent, nil)
	if strings.Contains(string(r.Body()), secret) || strings.Contains(string(r.Body()), `"secret"`) {
		t.Fatalf("list shows the secret: %s", r.Body())
	}
	var list struct{ Webhooks []webhookJSON }
	decode(t, r, &list)
	if len(list.Webhooks) != 1 || len(list.Webhooks[0].Events) != 2 {
		t.Fatalf("list: %s", r.Body())
	}
}

// In development mode http:// and loopback webhooks are allowed (private
// targets are not).
func TestWebhooksDevelopmentMode(t *testing.T) {
	e := newAcctEnv(t, func(c *envConfig) { c.development = true })
	e.enterprise(t, "dev@example.com")
	dev := bearer(e.login(t, "dev@example.com").AccessToken)
	r := e.call("POST", "/api/v2/webhooks", clientIP, dev, map[string]any{"url": "http://hooks.example.com/x", "events": []string{"price_change"}})
	if r.StatusCode() != 201 {
		t.Fatalf("http in development: %d %s", r.StatusCode(), r.Body())
	}
	// A receiver on the developer's machine, as the development sender
	// delivers to it; private ranges stay refused.
	r = e.call("POST", "/api/v2/webhooks", clientIP, dev, map[string]any{"url": "http://127.0.0.1:9000/x", "events": []string{"price_change"}})
	if r.StatusCode() != 201 {
		t.Fatalf("loopback in development: %d %s", r.StatusCode(), r.Body())
	}
	r = e.call("POST", "/api/v2/webhooks", clientIP, dev, map[string]any{"url": "http://10.0.0.1:9000/x", "events": []string{"price_change"}})
	if r.StatusCode() != 400 || errOf(r).Error.Field != "url" {
		t.Fatalf("a private address in development: %d", r.StatusCode())
	}
}
