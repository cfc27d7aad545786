package cells

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/store/embedded"
	"github.com/gpubroker/gpubroker/shared/store/pgstore"
)

// seedEnterprise creates enterprise users directly in the cell's store
// before it starts (plans change through billing, not through the API).
func seedEnterprise(t *testing.T, dataDir, databaseURL string, emails ...string) {
	t.Helper()
	ctx := context.Background()
	var (
		st  store.Store
		err error
	)
	if databaseURL != "" {
		st, err = pgstore.Open(ctx, databaseURL)
	} else {
		st, err = embedded.Open(dataDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	phc, err := accounts.HashPassword(accounts.DefaultHashParams, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	for i, email := range emails {
		u := store.User{ID: "0d1c3f6e-0000-4000-8000-00000000000" + string(rune('1'+i)), Email: email, PasswordHash: phc,
			Plan: "enterprise", CreatedAt: time.Now()}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
}

// Tenant isolation over real HTTP on both stores, for every resource a
// user owns: API keys, webhooks, service accounts, provider integrations,
// alerts and favorites. Bob never lists Alice's and deleting hers is a 404
// that leaves it in place; Alice's login, API key and service token all
// act as Alice; deleting her service account ends its token.
func TestAccountsIsolationEndToEnd(t *testing.T) {
	for _, backend := range []string{"embedded", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dataDir, dbURL := t.TempDir(), ""
			if backend == "postgres" {
				dbURL = pgDatabase(t)
			}
			seedEnterprise(t, dataDir, dbURL, "alice@example.com", "bob@example.com")
			c := startCell(t, func(cfg *Config) {
				cfg.PlanLimits = map[string]int{"free": 1 << 30, "pro": 1 << 30, "enterprise": 1 << 30}
				cfg.DataDir, cfg.DatabaseURL = dataDir, dbURL
			})
			base := "http://" + c.HTTPAddr()
			alice, bob := login(t, base, "alice@example.com"), login(t, base, "bob@example.com")

			type created map[string]any
			resources := []struct {
				name, path, body, listKey, idKey string
			}{
				{"api keys", "/api/v2/auth/api-keys", `{"name":"alice ci"}`, "api_keys", "id"},
				{"webhooks", "/api/v2/webhooks", `{"url":"https://93.184.215.14/hook","events":["price_alert"]}`, "webhooks", "id"},
				{"service accounts", "/api/v2/service-accounts", `{"name":"alice-agent","scopes":["offers:read","integrations:read"]}`, "service_accounts", "service_id"},
				{"integrations", "/api/v2/providers/config/integrations", `{"provider":"lambda","api_key":"alice-lambda-key-1"}`, "integrations", "provider"},
				{"alerts", "/api/v2/alerts", `{"gpu_type":"A100","max_price":1.5}`, "alerts", "id"},
				{"favorites", "/api/v2/users/favorites", `{"offer_id":"` + listedOffer(t, base) + `"}`, "favorites", "offer_id"},
			}
			made := map[string]created{}
			for _, r := range resources {
				var out created
				if code := send(t, "POST", base+r.path, alice, r.body, &out); code != 201 {
					t.Fatalf("%s: create: %d %v", r.name, code, out)
				}
				made[r.name] = out
			}
			ids := func(who, path, listKey, idKey string) []string {
				t.Helper()
				var list map[string][]map[string]any
				if code := send(t, "GET", base+path, who, "", &list); code != 200 {
					t.Fatalf("list %s: %d", path, code)
				}
				var out []string
				for _, item := range list[listKey] {
					if _, leaked := item["secret"]; leaked {
						t.Errorf("list %s shows a secret", path)
					}
					out = append(out, item[idKey].(string))
				}
				return out
			}
			for _, r := range resources {
				id := made[r.name][r.idKey].(string)
				if got := ids(bob, r.path, r.listKey, r.idKey); len(got) != 0 {
					t.Errorf("%s: bob lists %v", r.name, got)
				}
				if code := send(t, "DELETE", base+r.path+"/"+id, bob, "", nil); code != 404 {
					t.Errorf("%s: bob deleting alice's: %d, want 404", r.name, code)
				}
				if got := ids(alice, r.path, r.listKey, r.idKey); len(got) != 1 || got[0] != id {
					t.Errorf("%s: alice lists %v after bob's delete, want [%s]", r.name, got, id)
				}
			}

			// Alice's API key and service token act as Alice.
			key := made["api keys"]["key"].(string)
			var tok struct {
				AccessToken string `json:"access_token"`
			}
			svcID := made["service accounts"]["service_id"].(string)
			body := `{"service_id":"` + svcID + `","secret":"` + made["service accounts"]["secret"].(string) + `"}`
			if code := send(t, "POST", base+"/api/v2/auth/service-token", "", body, &tok); code != 200 {
				t.Fatalf("service token: %d", code)
			}
			for who, cred := range map[string]string{"api key": key, "service token": tok.AccessToken} {
				got := ids(cred, "/api/v2/providers/config/integrations", "integrations", "provider")
				if strings.Join(got, ",") != "lambda" {
					t.Errorf("alice's %s sees integrations %v", who, got)
				}
			}
			// The service token holds no alerts scope.
			if code := send(t, "GET", base+"/api/v2/alerts", tok.AccessToken, "", nil); code != 403 {
				t.Errorf("service token without alerts:read: %d", code)
			}
			if code := send(t, "DELETE", base+"/api/v2/service-accounts/"+svcID, alice, "", nil); code != 204 {
				t.Fatalf("deleting the service account: %d", code)
			}
			if code := send(t, "GET", base+"/api/v2/providers?gpu=A100", tok.AccessToken, "", nil); code != 401 {
				t.Errorf("token of a deleted service account: %d, want 401", code)
			}
		})
	}
}
