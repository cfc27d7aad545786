// The Airflow DAGs (airflow/dags/, run by airflow/run-local) against a real
// `gpubroker cell` with GPUBROKER_ORCHESTRATOR=airflow and a real Kafka
// broker: the DAG folder's check and Python unit tests, the three periodic
// jobs through `airflow dags test`, then the
// event-driven webhook_delivery DAG through the scheduler and triggerer, a
// test delivery going cell → Kafka gpubroker.webhooks → Airflow → the
// gateway's job route → a receiver, and a delivery to a failing receiver
// retried 8 times and dead-lettered.
package airflow_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/store/embedded"
)

const (
	email    = "ops@example.com"
	password = "correct horse battery"
)

func TestAirflowDAGs(t *testing.T) {
	if os.Getenv("GPUBROKER_TEST_AIRFLOW") != "1" && !testenv.Required() {
		t.Skip("set GPUBROKER_TEST_AIRFLOW=1 to run the Airflow DAGs (minutes: the first run installs Airflow)")
	}
	brokers := testenv.KafkaBrokers(t)
	started := time.Now()
	runLocal := install(t)
	t.Logf("airflow installed in %v", time.Since(started).Round(time.Millisecond))
	home := "GPUBROKER_AIRFLOW_HOME=" + t.TempDir()
	t.Run("python", func(t *testing.T) {
		for _, args := range [][]string{{"check"}, {"test"}} {
			start := time.Now()
			cmd := exec.Command(runLocal, args...)
			cmd.Env = append(os.Environ(), home)
			out, err := cmd.CombinedOutput()
			t.Logf("run-local %s: %v", args[0], time.Since(start).Round(time.Millisecond))
			if err != nil {
				t.Fatalf("run-local %s: %v\n%s", args[0], err, out)
			}
		}
	})
	if t.Failed() {
		return
	}

	cell := fmt.Sprintf("airflowtest-%d", time.Now().UnixNano())
	dataDir := t.TempDir()
	// Two receivers on loopback, their webhooks stored with the user (the
	// API refuses loopback URLs even in development mode; delivering to
	// them is allowed there).
	ok := newReceiver(http.StatusOK)
	defer ok.Close()
	failing := newReceiver(http.StatusInternalServerError)
	defer failing.Close()
	okHook, failingHook := "0d1c3f6e-0000-4000-8000-0000000000a1", "0d1c3f6e-0000-4000-8000-0000000000a2"
	seed(t, dataDir, map[string]string{okHook: ok.URL + "/hook", failingHook: failing.URL + "/hook"})
	base := startCell(t, dataDir, cell, brokers)
	user := login(t, base)
	env := []string{
		"GPUBROKER_URL=" + base, "GPUBROKER_TOKEN=" + serviceToken(t, base, user),
		"KAFKA_BROKERS=" + brokers, "GPUBROKER_CELL=" + cell,
		home, "GPUBROKER_AIRFLOW_KAFKA_GROUP=" + cell,
		"GPUBROKER_AIRFLOW_PORT=" + freePort(t), "GPUBROKER_AIRFLOW_API_APPS=execution",
		// The dead-letter case below: 8 tries within a minute.
		"GPUBROKER_WEBHOOK_RETRY_DELAY=1", "GPUBROKER_WEBHOOK_MAX_RETRY_DELAY=2",
	}

	t.Run("cache_warm", func(t *testing.T) {
		out := dagsTest(t, runLocal, env, "cache_warm")
		if !strings.Contains(out, "cache_warm: 2 providers cached, 0 failed") {
			t.Errorf("no counts in the task log:\n%s", out)
		}
		// The edge's own fetches (each provider's offers now in its cache).
		for _, p := range health(t, base).Providers {
			if p.Offers == 0 || p.LastSuccess == "" {
				t.Errorf("after cache_warm /health shows %s with %d offers, last success %q", p.Name, p.Offers, p.LastSuccess)
			}
		}
	})
	t.Run("provider_health", func(t *testing.T) {
		before := time.Now()
		out := dagsTest(t, runLocal, env, "provider_health")
		// Each replica called its provider (its heartbeats, every 5 s, say when).
		var stale []string
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(time.Second) {
			stale = stale[:0]
			for _, p := range health(t, base).Providers {
				if p.Status != "healthy" || len(p.Replicas) == 0 {
					t.Fatalf("after provider_health /health shows %s %s with %d replicas", p.Name, p.Status, len(p.Replicas))
				}
				for _, r := range p.Replicas {
					if r.LastSuccess.Before(before) {
						stale = append(stale, fmt.Sprintf("%s/%s last called its provider %v", p.Name, r.Replica, r.LastSuccess))
					}
				}
				if !strings.Contains(out, "provider "+p.Name+": healthy") {
					t.Fatalf("the task log does not show %s healthy:\n%s", p.Name, out)
				}
			}
			if len(stale) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(stale) > 0 {
			t.Errorf("replicas that did not call their provider since the DAG started at %v: %v", before, stale)
		}
	})
	t.Run("data_sync", func(t *testing.T) {
		if n := pricePoints(t, base, user); n != 0 {
			t.Fatalf("%d price points before any sync", n)
		}
		out := dagsTest(t, runLocal, env, "data_sync")
		m := regexp.MustCompile(`data_sync: \{'providers_ok': (\d+), 'providers_failed': (\d+), 'offers': (\d+), 'price_points': (\d+)`).FindStringSubmatch(out)
		if m == nil || m[1] != "2" || m[2] != "0" || m[3] == "0" || m[4] == "0" {
			t.Fatalf("data_sync counts %v in the task log:\n%s", m, out)
		}
		if n := pricePoints(t, base, user); n == 0 {
			t.Errorf("no H100 price points after data_sync (it reported %s)", m[4])
		}
	})
	if t.Failed() {
		return
	}

	// Event-driven: Airflow's four processes, then a test delivery to each webhook.
	stop := scheduler(t, runLocal, env)
	defer stop()
	started = time.Now()
	okID, failingID := testDelivery(t, base, user, okHook), testDelivery(t, base, user, failingHook)

	t.Run("webhook_delivery", func(t *testing.T) {
		select {
		case got := <-ok.deliveries:
			if got != okID {
				t.Fatalf("the receiver got delivery %q, want %q", got, okID)
			}
			t.Logf("delivered %v after the test request", time.Since(started).Round(time.Millisecond))
		case <-time.After(4 * time.Minute):
			t.Fatal("no delivery within 4 minutes")
		}
		d := waitDelivery(t, base, user, okHook, okID, "delivered", time.Minute)
		if len(d.Attempts) != 1 || d.Attempts[0].Status == nil || *d.Attempts[0].Status != 200 {
			t.Errorf("attempts %+v", d.Attempts)
		}
	})
	t.Run("webhook_dead", func(t *testing.T) {
		d := waitDelivery(t, base, user, failingHook, failingID, "dead_lettered", 4*time.Minute)
		if len(d.Attempts) != 8 || failing.hits() != 8 {
			t.Errorf("%d attempts recorded, %d reached the receiver; want 8", len(d.Attempts), failing.hits())
		}
		seen := map[int]bool{}
		for _, a := range d.Attempts {
			seen[a.Attempt] = true
		}
		for n := 1; n <= 8; n++ {
			if !seen[n] {
				t.Errorf("no attempt %d among %+v", n, d.Attempts)
			}
		}
		dead := deadLetter(t, brokers, failingID, time.Minute)
		if dead.Attempts != 8 || dead.LastStatus != 500 || dead.Request.WebhookID != failingHook || dead.Cell != cell {
			t.Errorf("dead letter %+v", dead)
		}
		t.Logf("dead-lettered %v after the test request", time.Since(started).Round(time.Millisecond))
	})
}

// install runs `run-local install` once and returns run-local's path.
func install(t *testing.T) string {
	t.Helper()
	runLocal, err := filepath.Abs("run-local")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(runLocal, "install")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run-local install: %v\n%s", err, out)
	}
	return runLocal
}

// dagsTest runs one DAG with `run-local dags-test` and returns its output
// after checking that the run succeeded.
func dagsTest(t *testing.T, runLocal string, env []string, dag string) string {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(runLocal, "dags-test", dag)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	t.Logf("dags-test %s: %v", dag, time.Since(start).Round(time.Millisecond))
	if err != nil || !regexp.MustCompile(`state=success`).Match(out) || bytes.Contains(out, []byte("state=failed")) {
		t.Fatalf("dags-test %s: %v\n%s", dag, err, out)
	}
	return string(out)
}

// scheduler starts `run-local scheduler` (its own process group) and
// returns what stops it: SIGTERM, then SIGKILL of the group after 60 s.
func scheduler(t *testing.T, runLocal string, env []string) func() {
	t.Helper()
	dir := t.TempDir()
	if keep := os.Getenv("GPUBROKER_TEST_AIRFLOW_LOGS"); keep != "" { // to read after the test
		dir = keep
	}
	log, err := os.Create(filepath.Join(dir, "airflow.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(runLocal, "scheduler")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run-local scheduler: %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Errorf("run-local scheduler did not stop within 60 s of SIGTERM")
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
			}
			if t.Failed() {
				t.Logf("airflow output:\n%s", tail(log.Name(), 400))
			}
			_ = log.Close()
		})
	}
}

// startCell runs `gpubroker cell` with Airflow orchestration and the
// bridge to Kafka, waits for /health and stops it (SIGTERM) at cleanup.
func startCell(t *testing.T, dataDir, cell, brokers string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "gpubroker")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/gpubroker").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := "127.0.0.1:" + freePort(t)
	log, err := os.Create(filepath.Join(dir, "cell.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "cell")
	cmd.Env = append(os.Environ(), "GPUBROKER_HTTP_ADDR="+addr, "GPUBROKER_SIMULATOR_ADDR=127.0.0.1:0",
		"GPUBROKER_METRICS_ADDR=", "GPUBROKER_DATA_DIR="+dataDir, "GPUBROKER_ORCHESTRATOR=airflow",
		"GPUBROKER_DEVELOPMENT=true", "GPUBROKER_PROVIDERS=lambda,runpod", "KAFKA_BROKERS="+brokers, "GPUBROKER_CELL="+cell)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("cell log:\n%s", tail(log.Name(), 60))
		}
		_ = log.Close()
	})
	base := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(base + "/health"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cell did not answer /health within 60 s:\n%s", tail(log.Name(), 60))
		}
	}
}

// seed creates the enterprise user and its webhooks (id → URL) in the
// cell's embedded store before it starts (plans change through billing,
// not through the API).
func seed(t *testing.T, dataDir string, hooks map[string]string) {
	t.Helper()
	ctx := context.Background()
	st, err := embedded.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	phc, err := accounts.HashPassword(accounts.DefaultHashParams, password)
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{ID: "0d1c3f6e-0000-4000-8000-000000000001", Email: email, PasswordHash: phc, Plan: "enterprise",
		CreatedAt: time.Now()}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for id, url := range hooks {
		w := store.Webhook{ID: id, UserID: u.ID, URL: url, Events: []string{"price_alert"}, Secret: strings.Repeat("5e", 32),
			CreatedAt: time.Now()}
		if err := st.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
}

func login(t *testing.T, base string) string {
	t.Helper()
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	if code := send(t, "POST", base+"/api/v2/auth/login", "", map[string]string{"email": email, "password": password}, &tk); code != 200 {
		t.Fatalf("login: %d", code)
	}
	return tk.AccessToken
}

// serviceToken makes a service account with jobs:run and returns its token.
func serviceToken(t *testing.T, base, user string) string {
	t.Helper()
	var sa struct {
		ServiceID string `json:"service_id"`
		Secret    string `json:"secret"`
	}
	if code := send(t, "POST", base+"/api/v2/service-accounts", user, map[string]any{"name": "airflow", "scopes": []string{"jobs:run"}}, &sa); code != 201 {
		t.Fatalf("service account: %d", code)
	}
	var tk struct {
		AccessToken string `json:"access_token"`
	}
	if code := send(t, "POST", base+"/api/v2/auth/service-token", "", sa, &tk); code != 200 {
		t.Fatalf("service token: %d", code)
	}
	return tk.AccessToken
}

type healthJSON struct {
	Providers []struct {
		Name        string `json:"name"`
		Status      string `json:"status"`
		Offers      int    `json:"offers"`
		LastSuccess string `json:"last_success"`
		Replicas    []struct {
			Replica     string    `json:"replica"`
			LastSuccess time.Time `json:"last_success"`
		} `json:"replicas"`
	} `json:"providers"`
}

func health(t *testing.T, base string) healthJSON {
	t.Helper()
	var h healthJSON
	if code := send(t, "GET", base+"/health", "", nil, &h); code != 200 || len(h.Providers) != 2 {
		t.Fatalf("/health: %d %+v", code, h)
	}
	return h
}

func pricePoints(t *testing.T, base, user string) int {
	t.Helper()
	var h struct {
		Points []json.RawMessage `json:"points"`
	}
	if code := send(t, "GET", base+"/api/v2/analytics/price-history?gpu=H100&days=1", user, nil, &h); code != 200 {
		t.Fatalf("price history: %d", code)
	}
	return len(h.Points)
}

// receiver is a webhook receiver answering status, reporting each
// delivery's X-GPUBroker-Delivery.
type receiver struct {
	*httptest.Server
	deliveries chan string
	mu         sync.Mutex
	n          int
}

func newReceiver(status int) *receiver {
	r := &receiver{deliveries: make(chan string, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		r.n++
		r.mu.Unlock()
		r.deliveries <- req.Header.Get("X-GPUBroker-Delivery")
		w.WriteHeader(status)
	}))
	return r
}

func (r *receiver) hits() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func testDelivery(t *testing.T, base, user, hook string) string {
	t.Helper()
	var d struct {
		DeliveryID string `json:"delivery_id"`
	}
	if code := send(t, "POST", base+"/api/v2/webhooks/"+hook+"/test", user, nil, &d); code != 202 || d.DeliveryID == "" {
		t.Fatalf("test delivery: %d %+v", code, d)
	}
	return d.DeliveryID
}

type deliveryJSON struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	Attempts []struct {
		Attempt int    `json:"attempt"`
		Status  *int   `json:"status"`
		Error   string `json:"error"`
	} `json:"attempts"`
}

// waitDelivery polls the webhook's deliveries until id is in state.
func waitDelivery(t *testing.T, base, user, hook, id, state string, within time.Duration) deliveryJSON {
	t.Helper()
	var last []deliveryJSON
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(time.Second) {
		var page struct {
			Deliveries []deliveryJSON `json:"deliveries"`
		}
		if code := send(t, "GET", base+"/api/v2/webhooks/"+hook+"/deliveries", user, nil, &page); code != 200 {
			t.Fatalf("deliveries: %d", code)
		}
		last = page.Deliveries
		for _, d := range page.Deliveries {
			if d.ID == id && d.State == state {
				return d
			}
		}
	}
	t.Fatalf("delivery %s not %s within %v; deliveries: %+v", id, state, within, last)
	return deliveryJSON{}
}

type deadJSON struct {
	Cell    string `json:"cell"`
	Request struct {
		EventID   string `json:"event_id"`
		WebhookID string `json:"webhook_id"`
	} `json:"request"`
	Attempts   int    `json:"attempts"`
	LastStatus int    `json:"last_status"`
	LastError  string `json:"last_error"`
}

// deadLetter reads Kafka gpubroker.dlq.webhooks from the start until the
// webhook_dead of delivery id arrives.
func deadLetter(t *testing.T, brokers, id string, within time.Duration) deadJSON {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V4_0_0_0
	c, err := sarama.NewConsumer(strings.Split(brokers, ","), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	const topic = "gpubroker.dlq.webhooks"
	parts, err := c.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	found := make(chan deadJSON, 1)
	for _, p := range parts {
		pc, err := c.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = pc.Close() }()
		go func() {
			for m := range pc.Messages() {
				var d deadJSON
				if json.Unmarshal(m.Value, &d) == nil && d.Request.EventID == id {
					select {
					case found <- d:
					default:
					}
				}
			}
		}()
	}
	select {
	case d := <-found:
		return d
	case <-time.After(within):
		t.Fatalf("no webhook_dead for %s on %s within %v", id, topic, within)
		return deadJSON{}
	}
}

func send(t *testing.T, method, url, token string, body, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// tail is the last n lines of a file, without the bridge's reports of
// other tests' records on the shared topics.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.Contains(l, "kafka record refused") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
