package cells

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/adapters/simulator"
	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/shared"
)

// startCell runs a whole cell in-process on loopback ports and stops it when
// the test ends.
func startCell(t *testing.T, mutate func(*Config)) *Cell {
	t.Helper()
	cfg := Defaults()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.SimStepEvery = 0
	cfg.AccessLog = false
	// These tests make many anonymous requests; rate limits have their own.
	cfg.PlanLimits = map[string]int{"free": 1 << 30}
	cfg.DataDir, cfg.SyncInterval = t.TempDir(), 0
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := Start(cfg, AllRoles, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stopping cell: %v", err)
		}
	})
	return c
}

type listBody struct {
	Items      []shared.Offer `json:"items"`
	Total      int            `json:"total"`
	NextCursor *string        `json:"next_cursor"`
	Warnings   []struct {
		Provider, Code, Message string
	} `json:"warnings"`
	Sources []struct {
		Status string
		Offers int
	} `json:"sources"`
}

type errorBody struct {
	Error struct{ Code, Message, Field string } `json:"error"`
}

func call(t *testing.T, method, url string, body []byte, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, url, resp.StatusCode, b, err)
		}
	}
	return resp
}

// The README's demo: H100 offers under $4/h from at least three providers,
// sorted by price, with a cursor to the next page.
func TestCellDemoQuery(t *testing.T) {
	c := startCell(t, nil)
	base := "http://" + c.HTTPAddr()
	var body listBody
	resp := call(t, "GET", base+"/api/v2/providers?gpu=H100&max_price=4&per_page=5", nil, &body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if len(body.Warnings) != 0 {
		t.Fatalf("warnings from a healthy simulator: %+v", body.Warnings)
	}
	if body.NextCursor == nil || len(body.Items) != 5 {
		t.Fatalf("want a full first page and a cursor, got %d items, cursor %v (total %d)", len(body.Items), body.NextCursor, body.Total)
	}
	providers := map[string]bool{}
	var all []shared.Offer
	cursor := ""
	for page := 0; page < 100; page++ {
		var b listBody
		u := base + "/api/v2/providers?gpu=H100&max_price=4&per_page=20"
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		call(t, "GET", u, nil, &b)
		all = append(all, b.Items...)
		if b.NextCursor == nil {
			break
		}
		cursor = *b.NextCursor
	}
	for i, o := range all {
		if o.GPUModel != "H100" || o.PricePerHour > 4 {
			t.Fatalf("offer %s does not match gpu=H100&max_price=4: %s $%v", o.ID, o.GPUModel, o.PricePerHour)
		}
		if i > 0 && o.PricePerHour < all[i-1].PricePerHour {
			t.Fatalf("not sorted by price at %d", i)
		}
		providers[o.Provider] = true
	}
	if len(providers) < 3 {
		t.Fatalf("H100 under $4 from %d providers (%v), want >= 3", len(providers), providers)
	}
}

// Every endpoint over real HTTP through NATS, workers, adapters and the
// simulator.
func TestCellEndpoints(t *testing.T) {
	c := startCell(t, nil)
	base := "http://" + c.HTTPAddr()

	var list listBody
	call(t, "GET", base+"/api/v2/providers?per_page=100&sort=-price_per_gpu", nil, &list)
	if list.Total < 200 || len(list.Sources) != len(Defaults().Providers) {
		t.Fatalf("total %d offers from %d sources", list.Total, len(list.Sources))
	}
	id := list.Items[3].ID
	var one shared.Offer
	if r := call(t, "GET", base+"/api/v2/providers/"+id, nil, &one); r.StatusCode != 200 || one.ID != id {
		t.Fatalf("offer by id: %d %s", r.StatusCode, one.ID)
	}
	var e errorBody
	if r := call(t, "GET", base+"/api/v2/providers/lambda:no-such-offer", nil, &e); r.StatusCode != 404 || e.Error.Code != "not_found" {
		t.Fatalf("missing offer: %d %+v", r.StatusCode, e)
	}

	var q listBody
	r := call(t, "POST", base+"/api/v2/providers/query", []byte(`{"gpu_type":"A100","min_memory_gb":80,"max_price":40,
		"min_availability":"available","regions":["us-east","us-west","us-central"]}`), &q)
	if r.StatusCode != 200 || q.Total == 0 {
		t.Fatalf("query: %d, %d offers", r.StatusCode, q.Total)
	}
	for _, o := range q.Items {
		if o.GPUModel != "A100" || o.GPUMemoryGB < 80 || o.Availability != shared.Available || !strings.HasPrefix(o.NormalizedRegion, "us-") {
			t.Fatalf("query returned %+v", o)
		}
	}

	var bulk struct {
		Results []listBody `json:"results"`
	}
	r = call(t, "POST", base+"/api/v2/providers/bulk/query", []byte(`{"queries":[{"gpu":"A100","region":"us-east"},{"gpu":"H100","max_price":4},{"provider":"lambda"}]}`), &bulk)
	if r.StatusCode != 200 || len(bulk.Results) != 3 || bulk.Results[1].Total == 0 {
		t.Fatalf("bulk: %d %+v", r.StatusCode, bulk)
	}

	var health struct {
		Status    string
		Providers []struct{ Name, Status string }
	}
	if r := call(t, "GET", base+"/health", nil, &health); r.StatusCode != 200 || health.Status != "ok" || len(health.Providers) != len(Defaults().Providers) {
		t.Fatalf("health: %d %+v", r.StatusCode, health)
	}
	for _, p := range health.Providers {
		if p.Status != "healthy" {
			t.Fatalf("provider %s is %s after a successful fan-out", p.Name, p.Status)
		}
	}

	var ph struct {
		Providers []struct{ Name, Breaker string }
	}
	if r := call(t, "GET", base+"/api/v2/providers/health", nil, &ph); r.StatusCode != 200 || len(ph.Providers) != len(Defaults().Providers) {
		t.Fatalf("/api/v2/providers/health: %d, %d providers", r.StatusCode, len(ph.Providers))
	}
	var gpus struct {
		GPUs []struct {
			ID        string
			Known     bool
			Offers    int
			Providers []string
		}
	}
	if r := call(t, "GET", base+"/api/v2/gpus", nil, &gpus); r.StatusCode != 200 || len(gpus.GPUs) < 40 {
		t.Fatalf("/api/v2/gpus: %d, %d GPUs", r.StatusCode, len(gpus.GPUs))
	}
	for _, g := range gpus.GPUs {
		if g.ID == "nvidia-h100-sxm-80gb" && (g.Offers == 0 || len(g.Providers) < 10) {
			t.Fatalf("H100 SXM coverage: %d offers from %v", g.Offers, g.Providers)
		}
	}

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`gpubroker_http_requests_total{route="list",method="GET",status="200"}`,
		`gpubroker_provider_fetch_duration_seconds_bucket{provider="lambda"`, `gpubroker_worker_requests_total{provider="vastai",result="ok"}`} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	var doc map[string]any
	if r := call(t, "GET", base+"/api/v2/openapi.json", nil, &doc); r.StatusCode != 200 || doc["openapi"] == nil {
		t.Fatal("openapi.json")
	}
	if r := call(t, "GET", base+"/api/v2/docs", nil, nil); r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatal("docs page")
	}

	// Bad input: always 4xx JSON naming the field, never 5xx.
	for _, tc := range []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"GET", "/api/v2/providers?max_price=cheap", "", 400, "max_price"},
		{"GET", "/api/v2/providers?per_page=500", "", 400, "per_page"},
		{"GET", "/api/v2/providers?colour=red", "", 400, "colour"},
		{"GET", "/api/v2/providers?cursor=bogus", "", 400, "cursor"},
		{"POST", "/api/v2/providers/query", `{"max_price":"x"}`, 400, "max_price"},
		{"POST", "/api/v2/providers/query", `{"gpu_type":`, 400, ""},
		{"POST", "/api/v2/providers/bulk/query", `{"queries":[{"gpu":"A100"},{"min_price":-1}]}`, 400, "queries[1].min_price"},
		{"GET", "/api/v2/nowhere", "", 404, ""},
		{"PUT", "/api/v2/providers", "", 405, ""},
	} {
		var e errorBody
		var body []byte
		if tc.body != "" {
			body = []byte(tc.body)
		}
		r := call(t, tc.method, base+tc.path, body, &e)
		if r.StatusCode != tc.status || e.Error.Code == "" || e.Error.Field != tc.field {
			t.Errorf("%s %s: %d %+v, want %d field %q", tc.method, tc.path, r.StatusCode, e.Error, tc.status, tc.field)
		}
	}
}

// A body over the limit is refused from its Content-Length, before it is
// read, with the JSON error shape. The raw connection announces 2 MiB and
// sends none of it, so the server's early answer cannot race the upload.
func TestCellBodyTooLarge(t *testing.T) {
	c := startCell(t, nil)
	conn, err := net.Dial("tcp", c.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v2/providers/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 2<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e errorBody
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 413 || e.Error.Code != "body_too_large" {
		t.Fatalf("status %d %+v", resp.StatusCode, e)
	}
}

// Property 11: providers are fetched in parallel, so a list call takes about
// as long as the slowest provider, not the sum. Every simulated request is
// delayed 300 ms; providers whose API needs several sequential requests
// (pages, a catalog then prices) take a multiple of that. Each provider is
// first timed alone, then all together.
func TestCellFanOutIsParallel(t *testing.T) {
	providers := Defaults().Providers
	if len(providers) < 6 {
		t.Fatalf("only %d providers registered", len(providers))
	}
	faults := map[string]simulator.Fault{}
	for _, p := range providers {
		faults[p] = simulator.Fault{LatencyMS: 300}
	}
	// Caches off: every call must really fan out.
	c := startCell(t, func(cfg *Config) { cfg.SimFaults = faults; cfg.CacheDisabled = true })
	base := "http://" + c.HTTPAddr()
	timed := func(query string) time.Duration {
		start := time.Now()
		var body listBody
		call(t, "GET", base+"/api/v2/providers"+query, nil, &body)
		took := time.Since(start)
		if len(body.Warnings) != 0 || body.Total == 0 {
			t.Fatalf("%s: warnings %+v total %d", query, body.Warnings, body.Total)
		}
		return took
	}
	var sum, slowest time.Duration
	for _, p := range providers {
		d := timed("?provider=" + p)
		t.Logf("%s alone: %v", p, d)
		sum += d
		slowest = max(slowest, d)
	}
	all := timed("")
	t.Logf("all %d providers: %v (slowest alone %v, sum %v)", len(providers), all, slowest, sum)
	// Running 20+ adapters and their simulated APIs at once costs CPU on a
	// small machine (more so under -race), so allow half the slowest again.
	if all > slowest+slowest/2+300*time.Millisecond || all > sum/3 {
		t.Fatalf("fan-out took %v: want about the slowest provider (%v), far below the sum (%v)", all, slowest, sum)
	}
}

// A failing, a hanging and a rate-limiting provider never fail the request:
// they show up as warnings.
func TestCellProviderFaultsBecomeWarnings(t *testing.T) {
	c := startCell(t, func(cfg *Config) {
		cfg.RequestTimeout = 2 * time.Second
		cfg.ProviderTimeout = 1500 * time.Millisecond
		cfg.FetchTimeout = 1500 * time.Millisecond
		cfg.SimFaults = map[string]simulator.Fault{
			"lambda": {ErrorRate: 1},
			"oci":    {TimeoutRate: 1},
			"azure":  {RateLimitRate: 1, RetryAfterS: 30},
		}
	})
	var body listBody
	r := call(t, "GET", "http://"+c.HTTPAddr()+"/api/v2/providers", nil, &body)
	if r.StatusCode != 200 {
		t.Fatalf("status %d", r.StatusCode)
	}
	got := map[string]string{}
	for _, w := range body.Warnings {
		got[w.Provider] = w.Code
	}
	want := map[string]string{"lambda": shared.ErrKindUpstream, "oci": shared.ErrKindTimeout, "azure": shared.ErrKindRateLimited}
	for p, code := range want {
		if got[p] != code {
			t.Errorf("%s: warning %q, want %q (all: %+v)", p, got[p], code, body.Warnings)
		}
	}
	if body.Total == 0 {
		t.Fatal("healthy providers' offers missing")
	}
}

// Edge and workers as separate roles over an external NATS server, as in a
// multi-process deployment. CI runs a real nats-server and sets
// GPUBROKER_TEST_NATS_URL; with GPUBROKER_REQUIRE_SERVICES=1 its absence is
// a failure, not a skip.
func TestRolesOverExternalNATS(t *testing.T) {
	url := testenv.NATSURL(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cell := fmt.Sprintf("it%d", time.Now().UnixNano()%1_000_000)
	cfg := Defaults()
	cfg.Cell, cfg.NATSURL, cfg.HTTPAddr, cfg.SimStepEvery, cfg.AccessLog = cell, url, "127.0.0.1:0", 0, false
	cfg.PlanLimits = map[string]int{"free": 1 << 30}
	cfg.DataDir, cfg.SyncInterval = t.TempDir(), 0

	sim, err := Start(cfg, Roles{Simulator: true}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	wcfg := cfg
	wcfg.Simulator, wcfg.SimulatorURL = false, sim.SimulatorURL()
	var parts []*Cell
	for i := 0; i < 2; i++ { // two worker replicas share each provider's queue group
		w, err := Start(wcfg, Roles{Workers: true}, quiet)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, w)
	}
	e, err := Start(cfg, Roles{Edge: true}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	parts = append(parts, e, sim)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		for _, p := range parts {
			_ = p.Stop(ctx)
		}
	})
	for i := 0; i < 4; i++ {
		var body listBody
		r := call(t, "GET", "http://"+e.HTTPAddr()+"/api/v2/providers?gpu=H100", nil, &body)
		if r.StatusCode != 200 || len(body.Warnings) != 0 || body.Total == 0 {
			t.Fatalf("status %d, %d offers, warnings %+v", r.StatusCode, body.Total, body.Warnings)
		}
	}
}
