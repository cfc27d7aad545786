package cells

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/jackc/pgx/v5"
)

// pgDatabase creates a throw-away database on the test PostgreSQL server.
func pgDatabase(t *testing.T) string {
	t.Helper()
	base := os.Getenv("GPUBROKER_TEST_DATABASE_URL")
	if base == "" {
		testenv.Need(t, "PostgreSQL (GPUBROKER_TEST_DATABASE_URL)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("gpb_it_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

func send(t *testing.T, method, url, token string, body string, out any) int {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	req, _ := http.NewRequest(method, url, strings.NewReader(string(b)))
	if token != "" {
		if strings.HasPrefix(token, "gpb_") {
			req.Header.Set("X-API-Key", token)
		} else {
			req.Header.Set("Authorization", "Bearer "+token)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = jsonDecode(resp, out)
	}
	return resp.StatusCode
}

// Accounts, owned resources and price history over real HTTP, on the
// embedded store and on PostgreSQL: register, log in, rotate tokens, use an
// API key, keep tenants apart, and read the history the data-sync job wrote.
func TestAccountsEndToEnd(t *testing.T) {
	for _, backend := range []string{"embedded", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			c := startCell(t, func(cfg *Config) {
				cfg.PlanLimits = map[string]int{"free": 1 << 30, "pro": 1 << 30, "enterprise": 1 << 30}
				cfg.SyncInterval = time.Hour // the first run happens shortly after start
				if backend == "postgres" {
					cfg.DatabaseURL = pgDatabase(t)
				}
			})
			base := "http://" + c.HTTPAddr()
			type tokens struct {
				AccessToken  string `json:"access_token"`
				RefreshToken string `json:"refresh_token"`
			}
			login := func(email string) tokens {
				if code := send(t, "POST", base+"/api/v2/auth/register", "", `{"email":"`+email+`","password":"correct horse battery"}`, nil); code != 201 {
					t.Fatalf("register %s: %d", email, code)
				}
				var tk tokens
				if code := send(t, "POST", base+"/api/v2/auth/login", "", `{"email":"`+email+`","password":"correct horse battery"}`, &tk); code != 200 || tk.AccessToken == "" {
					t.Fatalf("login %s: %d", email, code)
				}
				return tk
			}
			alice, bob := login("alice@example.com"), login("bob@example.com")
			if code := send(t, "POST", base+"/api/v2/auth/login", "", `{"email":"alice@example.com","password":"wrong password!!"}`, nil); code != 401 {
				t.Fatalf("wrong password: %d", code)
			}
			// Rotation: the refresh token works once; reusing it revokes the family.
			var next tokens
			if code := send(t, "POST", base+"/api/v2/auth/refresh", "", `{"refresh_token":"`+alice.RefreshToken+`"}`, &next); code != 200 {
				t.Fatalf("refresh: %d", code)
			}
			if code := send(t, "POST", base+"/api/v2/auth/refresh", "", `{"refresh_token":"`+alice.RefreshToken+`"}`, nil); code != 401 {
				t.Fatalf("reused refresh token: %d", code)
			}
			if code := send(t, "POST", base+"/api/v2/auth/refresh", "", `{"refresh_token":"`+next.RefreshToken+`"}`, nil); code != 401 {
				t.Fatalf("family not revoked after reuse: %d", code)
			}
			var key struct {
				Key string `json:"key"`
			}
			if code := send(t, "POST", base+"/api/v2/auth/api-keys", alice.AccessToken, `{"name":"ci"}`, &key); code != 201 || !strings.HasPrefix(key.Key, "gpb_") {
				t.Fatalf("api key: %d %q", code, key.Key)
			}
			// Owned resources, with the API key for alice and a token for bob.
			if code := send(t, "POST", base+"/api/v2/users/favorites", key.Key, `{"offer_id":"`+listedOffer(t, base)+`"}`, nil); code != 201 {
				t.Fatalf("favorite: %d", code)
			}
			var alert struct {
				ID string `json:"id"`
			}
			if code := send(t, "POST", base+"/api/v2/alerts", key.Key, `{"gpu_type":"A100","max_price":1.5}`, &alert); code != 201 || alert.ID == "" {
				t.Fatalf("alert: %d", code)
			}
			var favs struct {
				Favorites []any `json:"favorites"`
			}
			send(t, "GET", base+"/api/v2/users/favorites", bob.AccessToken, "", &favs)
			if len(favs.Favorites) != 0 {
				t.Fatalf("bob sees alice's favorites: %+v", favs)
			}
			if code := send(t, "DELETE", base+"/api/v2/alerts/"+alert.ID, bob.AccessToken, "", nil); code != 404 {
				t.Fatalf("bob deleting alice's alert: %d", code)
			}
			if code := send(t, "DELETE", base+"/api/v2/alerts/"+alert.ID, key.Key, "", nil); code != 204 {
				t.Fatalf("alice deleting her alert: %d", code)
			}
			// Price history appears once the data-sync job has run.
			eventually(t, "price history from the data-sync job", 30*time.Second, func() bool {
				var h struct {
					Daily []struct {
						Provider      string
						Min, Avg, Max float64
					} `json:"daily"`
				}
				code := send(t, "GET", base+"/api/v2/analytics/price-history?gpu=A100&days=30", bob.AccessToken, "", &h)
				if code != 200 || len(h.Daily) == 0 {
					return false
				}
				for _, d := range h.Daily {
					if d.Min > d.Avg || d.Avg > d.Max || d.Min <= 0 {
						t.Fatalf("daily row %+v", d)
					}
				}
				return true
			})
		})
	}
}

func jsonDecode(resp *http.Response, out any) error { return json.NewDecoder(resp.Body).Decode(out) }

// listedOffer is the id of an offer the cell lists now (favorites must
// name one).
func listedOffer(t *testing.T, base string) string {
	t.Helper()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if code := send(t, "GET", base+"/api/v2/providers?provider=lambda&per_page=1", "", "", &page); code != 200 || len(page.Items) == 0 {
		t.Fatalf("no offer listed: %d", code)
	}
	return page.Items[0].ID
}

// login signs email in (password "correct horse battery") and returns its
// access token.
func login(t *testing.T, base, email string) string {
	t.Helper()
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	if code := send(t, "POST", base+"/api/v2/auth/login", "", `{"email":"`+email+`","password":"correct horse battery"}`, &tk); code != 200 {
		t.Fatalf("login %s: %d", email, code)
	}
	return tk.AccessToken
}
