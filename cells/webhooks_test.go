package cells

import (
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared/webhook"
)

// resolveTo answers every host with one address.
type resolveTo string

func (r resolveTo) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr(string(r))}, nil
}

// A test delivery end to end over real HTTP, on both stores: registered
// through the API (example.com resolving to a public address), queued by
// POST /test into the cell's stream, POSTed by the delivery worker to a
// real HTTPS receiver (by then example.com resolves to loopback, which
// only this test's sender lets through), verified with the secret shown
// at creation, and listed under /deliveries for its owner only.
func TestWebhookTestDeliveryEndToEnd(t *testing.T) {
	for _, backend := range []string{"embedded", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dataDir, dbURL := t.TempDir(), ""
			if backend == "postgres" {
				dbURL = pgDatabase(t)
			}
			seedEnterprise(t, dataDir, dbURL, "alice@example.com", "bob@example.com")
			type hit struct {
				delivery string
				sig      string
				body     []byte
			}
			var (
				mu   sync.Mutex
				hits []hit
			)
			recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				hits = append(hits, hit{r.Header.Get(webhook.HeaderDelivery), r.Header.Get(webhook.Header), b})
				mu.Unlock()
			}))
			defer recv.Close()
			pool := x509.NewCertPool()
			pool.AddCert(recv.Certificate())
			loop := netip.MustParseAddr("127.0.0.1")
			c := startCell(t, func(cfg *Config) {
				cfg.PlanLimits = map[string]int{"free": 1 << 30, "pro": 1 << 30, "enterprise": 1 << 30}
				cfg.DataDir, cfg.DatabaseURL = dataDir, dbURL
				cfg.WebhookResolver = resolveTo("93.184.215.14")
				cfg.WebhookSender = webhook.NewSender(webhook.SenderConfig{Resolver: resolveTo("127.0.0.1"), RootCAs: pool,
					Timeout: 3 * time.Second, Blocked: func(a netip.Addr) bool { return a != loop && webhook.BlockedAddr(a) }})
			})
			base := "http://" + c.HTTPAddr()
			alice, bob := login(t, base, "alice@example.com"), login(t, base, "bob@example.com")
			u, _ := url.Parse(recv.URL)
			var hook struct{ ID, Secret string }
			if code := send(t, "POST", base+"/api/v2/webhooks", alice,
				`{"url":"https://example.com:`+u.Port()+`/hook","events":["price_alert"]}`, &hook); code != 201 {
				t.Fatalf("register: %d", code)
			}
			if code := send(t, "POST", base+"/api/v2/webhooks/"+hook.ID+"/test", bob, "", nil); code != 404 {
				t.Fatalf("another tenant's test delivery: %d, want 404", code)
			}
			var queued struct {
				DeliveryID string `json:"delivery_id"`
			}
			if code := send(t, "POST", base+"/api/v2/webhooks/"+hook.ID+"/test", alice, "", &queued); code != 202 || queued.DeliveryID == "" {
				t.Fatalf("test delivery: %d %+v", code, queued)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				mu.Lock()
				n := len(hits)
				mu.Unlock()
				if n > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no delivery in 20 s")
				}
				time.Sleep(50 * time.Millisecond)
			}
			mu.Lock()
			h := hits[0]
			mu.Unlock()
			if h.delivery != queued.DeliveryID {
				t.Fatalf("delivery id %q, want %q", h.delivery, queued.DeliveryID)
			}
			if err := webhook.Verify(hook.Secret, h.sig, h.body, time.Now(), 0); err != nil {
				t.Fatalf("signature: %v (%s)", err, h.body)
			}
			type page struct {
				Deliveries []struct {
					ID, State string
					Attempts  []struct{ Status *int }
				}
			}
			var p page
			for time.Now().Before(deadline) {
				p = page{}
				if code := send(t, "GET", base+"/api/v2/webhooks/"+hook.ID+"/deliveries", alice, "", &p); code != 200 {
					t.Fatalf("deliveries: %d", code)
				}
				if len(p.Deliveries) == 1 && p.Deliveries[0].State == "delivered" {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if len(p.Deliveries) != 1 || p.Deliveries[0].ID != queued.DeliveryID || len(p.Deliveries[0].Attempts) != 1 ||
				p.Deliveries[0].Attempts[0].Status == nil || *p.Deliveries[0].Attempts[0].Status != 200 {
				t.Fatalf("deliveries %+v", p)
			}
			if code := send(t, "GET", base+"/api/v2/webhooks/"+hook.ID+"/deliveries", bob, "", nil); code != 404 {
				t.Fatalf("another tenant's deliveries: %d, want 404", code)
			}
		})
	}
}
