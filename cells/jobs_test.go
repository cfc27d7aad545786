package cells

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/webhook"
)

// The job routes as an orchestrator uses them, in a cell whose
// orchestrator is Airflow (so nothing in the cell delivers webhooks from
// the stream): only a service token with jobs:run runs them; cache_warm
// caches every provider, provider_health probes each, data_sync syncs;
// webhook_delivery makes the attempt for a request read from the stream
// (delivered to a real HTTPS receiver) and webhook_dead stores its dead
// letter.
func TestJobRoutes(t *testing.T) {
	dataDir := t.TempDir()
	seedEnterprise(t, dataDir, "", "ops@example.com")
	var hits atomic.Int64
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer recv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(recv.Certificate())
	loop := netip.MustParseAddr("127.0.0.1")
	c := startCell(t, func(cfg *Config) {
		cfg.Providers = []string{"lambda", "runpod"}
		cfg.DataDir, cfg.Orchestrator = dataDir, OrchestratorAirflow
		cfg.WebhookResolver = resolveTo("93.184.215.14")
		cfg.WebhookSender = webhook.NewSender(webhook.SenderConfig{Resolver: resolveTo("127.0.0.1"), RootCAs: pool,
			Timeout: 3 * time.Second, Blocked: func(a netip.Addr) bool { return a != loop && webhook.BlockedAddr(a) }})
	})
	base := "http://" + c.HTTPAddr()
	user := login(t, base, "ops@example.com")
	token := func(scopes string) string {
		var sa struct{ ServiceID, Secret string }
		var raw map[string]any
		if code := send(t, "POST", base+"/api/v2/service-accounts", user, `{"name":"airflow-`+scopes[:4]+`","scopes":["`+scopes+`"]}`, &raw); code != 201 {
			t.Fatalf("service account: %d %v", code, raw)
		}
		sa.ServiceID, sa.Secret = raw["service_id"].(string), raw["secret"].(string)
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		if code := send(t, "POST", base+"/api/v2/auth/service-token", "", `{"service_id":"`+sa.ServiceID+`","secret":"`+sa.Secret+`"}`, &tok); code != 200 {
			t.Fatalf("service token: %d", code)
		}
		return tok.AccessToken
	}
	jobsToken, readToken := token("jobs:run"), token("offers:read")
	for who, cred := range map[string]string{"the user": user, "a token without jobs:run": readToken, "anonymous": ""} {
		if code := send(t, "POST", base+"/api/v2/jobs/cache_warm", cred, "", nil); code != 403 && code != 401 {
			t.Errorf("%s ran cache_warm: %d", who, code)
		}
	}

	var warm struct {
		Result struct{ Warm, Failed int } `json:"result"`
	}
	if code := send(t, "POST", base+"/api/v2/jobs/cache_warm", jobsToken, "", &warm); code != 200 || warm.Result.Warm != 2 || warm.Result.Failed != 0 {
		t.Fatalf("cache_warm: %d %+v", code, warm)
	}
	var probe struct {
		Result []struct {
			Provider string
			Healthy  bool
			Offers   int
		} `json:"result"`
	}
	if code := send(t, "POST", base+"/api/v2/jobs/provider_health", jobsToken, "", &probe); code != 200 || len(probe.Result) != 2 ||
		!probe.Result[0].Healthy || probe.Result[0].Offers == 0 {
		t.Fatalf("provider_health: %d %+v", code, probe)
	}
	var sync struct {
		Result struct {
			ProvidersOK int `json:"providers_ok"`
			Offers      int `json:"offers"`
		} `json:"result"`
	}
	if code := send(t, "POST", base+"/api/v2/jobs/data_sync", jobsToken, "", &sync); code != 200 || sync.Result.ProvidersOK != 2 || sync.Result.Offers == 0 {
		t.Fatalf("data_sync: %d %+v", code, sync)
	}

	// A test delivery queued in the stream, delivered through the job.
	u, _ := url.Parse(recv.URL)
	var hook struct{ ID string }
	if code := send(t, "POST", base+"/api/v2/webhooks", user, `{"url":"https://example.com:`+u.Port()+`/hook","events":["price_alert"]}`, &hook); code != 201 {
		t.Fatalf("register: %d", code)
	}
	if code := send(t, "POST", base+"/api/v2/webhooks/"+hook.ID+"/test", user, "", nil); code != 202 {
		t.Fatalf("test delivery: %d", code)
	}
	js, err := jetstream.New(c.nc)
	if err != nil {
		t.Fatal(err)
	}
	oc, err := js.OrderedConsumer(context.Background(), eventbus.StreamName(c.cfg.Cell),
		jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.KindSubjects(c.cfg.Cell, events.TypeWebhookRequest)}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := oc.Next(jetstream.FetchMaxWait(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if hits.Load() != 0 {
		t.Fatal("the cell delivered from the stream although Airflow orchestrates")
	}
	body, _ := json.Marshal(map[string]any{"request": json.RawMessage(m.Data()), "attempt": 1})
	var a struct {
		Outcome string
		Status  int
	}
	if code := send(t, "POST", base+"/api/v2/jobs/webhook_delivery", jobsToken, string(body), &a); code != 200 || a.Outcome != "delivered" || a.Status != 200 || hits.Load() != 1 {
		t.Fatalf("webhook_delivery: %d %+v, %d hits", code, a, hits.Load())
	}
	if code := send(t, "POST", base+"/api/v2/jobs/webhook_delivery", jobsToken, `{"request":{"type":"price_update"},"attempt":1}`, nil); code != 400 {
		t.Fatalf("a request that is not a webhook_request: %d", code)
	}
	dead, _ := json.Marshal(map[string]any{"request": json.RawMessage(m.Data()), "attempt": 8, "status": 500, "error": "HTTP 500"})
	if code := send(t, "POST", base+"/api/v2/jobs/webhook_dead", jobsToken, string(dead), nil); code != 200 {
		t.Fatalf("webhook_dead: %d", code)
	}
	dc, err := js.OrderedConsumer(context.Background(), eventbus.StreamName(c.cfg.Cell),
		jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.KindSubjects(c.cfg.Cell, events.TypeWebhookDead)}})
	if err != nil {
		t.Fatal(err)
	}
	dm, err := dc.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var dl events.WebhookDead
	if err := json.Unmarshal(dm.Data(), &dl); err != nil || dl.Attempts != 8 || dl.LastStatus != 500 || dl.Request.WebhookID != hook.ID {
		t.Fatalf("dead letter %s (%v)", dm.Data(), err)
	}

	var h struct {
		Jobs struct {
			Orchestrator string
			Runs         map[string]struct {
				LastSuccess time.Time `json:"last_success"`
			}
		}
	}
	if code := send(t, "GET", base+"/health", "", "", &h); code != 200 || h.Jobs.Orchestrator != "airflow" {
		t.Fatalf("health: %d %+v", code, h.Jobs)
	}
	for _, job := range []string{"cache_warm", "provider_health", "data_sync", "webhook_delivery"} {
		if h.Jobs.Runs[job].LastSuccess.IsZero() {
			t.Errorf("/health has no successful %s run: %+v", job, h.Jobs.Runs)
		}
	}
}

// With GPUBROKER_AIRFLOW_URL set, /health reports Airflow's components and
// each DAG's last successful run, with the token it was given; an
// unhealthy triggerer makes the cell degraded.
func TestAirflowHealth(t *testing.T) {
	var triggerer atomic.Value
	triggerer.Store("healthy")
	af := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer af-token" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		switch {
		case r.URL.Path == "/api/v2/monitor/health":
			_, _ = w.Write([]byte(`{"metadatabase":{"status":"healthy"},"scheduler":{"status":"healthy"},"triggerer":{"status":"` +
				triggerer.Load().(string) + `"},"dag_processor":{"status":"healthy"}}`))
		case r.URL.Path == "/api/v2/dags/data_sync/dagRuns" && r.URL.Query().Get("state") == "success":
			_, _ = w.Write([]byte(`{"dag_runs":[{"dag_run_id":"r1","end_date":"2026-12-04T03:00:05.5+00:00"}],"total_entries":1}`))
		default:
			_, _ = w.Write([]byte(`{"dag_runs":[],"total_entries":0}`))
		}
	}))
	defer af.Close()
	c := startCell(t, func(cfg *Config) {
		cfg.Providers = []string{"lambda"}
		cfg.Orchestrator, cfg.AirflowURL, cfg.AirflowToken = OrchestratorAirflow, af.URL, shared.NewSecret("af-token")
	})
	health := func() (string, map[string]any) {
		var h struct {
			Status string
			Jobs   struct{ Airflow map[string]any }
		}
		if code := send(t, "GET", "http://"+c.HTTPAddr()+"/health", "", "", &h); code != 200 {
			t.Fatalf("health: %d", code)
		}
		return h.Status, h.Jobs.Airflow
	}
	status, a := health()
	comps, _ := a["components"].(map[string]any)
	last, _ := a["last_success"].(map[string]any)
	if a["reachable"] != true || comps["triggerer"] != "healthy" || last["data_sync"] != "2026-12-04T03:00:05.5Z" || last["cache_warm"] != nil || status != "ok" {
		t.Fatalf("status %s, airflow %v", status, a)
	}
	triggerer.Store("unhealthy")
	if status, a := health(); status != "degraded" {
		t.Fatalf("an unhealthy triggerer: status %s, airflow %v", status, a)
	}
}
