package edge

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every documented operation is served, and every served route is documented.
func TestOpenAPIDescribesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	s := newTestServer(t, newFakeSource(1, 1))
	served := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			p := strings.NewReplacer("{offer_id}", "lambda:x", "{provider}", "lambda", "{id}", "0d1c3f6e-1111-4111-8111-111111111111").Replace(path)
			rt, err := s.resolve(strings.ToUpper(method), p)
			if err != nil {
				t.Errorf("%s %s documented but not served: %v", method, path, err)
			}
			served[rt.name] = true
		}
	}
	for _, name := range []string{"list", "offer", "query", "bulk", "gpus", "integrations", "health", "metrics", "openapi", "docs",
		"auth_register", "auth_login", "auth_refresh", "auth_logout", "auth_service_token", "api_keys", "service_accounts",
		"favorites", "alerts", "webhooks", "price_history"} {
		if !served[name] {
			t.Errorf("route %s is not documented", name)
		}
	}
}
