package search

import (
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/edge"
	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/client"
)

func TestListMergesAllProviders(t *testing.T) {
	s := newTestServer(t, newFakeSource(1, 20))
	r := do(s, "GET", "/api/v2/providers?per_page=100", nil)
	if r.StatusCode() != 200 {
		t.Fatalf("status %d: %s", r.StatusCode(), r.Body())
	}
	var body searchResponse
	decode(t, r, &body)
	if body.Total != 120 || len(body.Items) != 100 || body.NextCursor == nil || len(body.Warnings) != 0 || len(body.Sources) != 6 {
		t.Fatalf("total=%d items=%d next=%v warnings=%v sources=%d", body.Total, len(body.Items), body.NextCursor, body.Warnings, len(body.Sources))
	}
	r2 := do(s, "GET", "/api/v2/providers?per_page=100&cursor="+*body.NextCursor, nil)
	var page2 searchResponse
	decode(t, r2, &page2)
	if len(page2.Items) != 20 || page2.NextCursor != nil {
		t.Fatalf("second page: %d items, next %v", len(page2.Items), page2.NextCursor)
	}
}

func TestFailingProvidersBecomeWarnings(t *testing.T) {
	src := newFakeSource(2, 10)
	src.Errs["alpha"] = &client.FetchError{Provider: "alpha", Kind: shared.ErrKindUpstream, Message: "HTTP 500"}
	src.Errs["bravo"] = &client.FetchError{Provider: "bravo", Kind: client.KindNoWorkers, Message: "no worker"}
	src.Delay["charlie"] = time.Hour // never answers: must be cut off by the provider timeout
	s := newServer(t, Config{Providers: testProviders, Source: src}, edge.Config{RequestTimeout: 300 * time.Millisecond})
	r := do(s, "GET", "/api/v2/providers?per_page=100", nil)
	if r.StatusCode() != 200 {
		t.Fatalf("status %d", r.StatusCode())
	}
	var body searchResponse
	decode(t, r, &body)
	codes := map[string]string{}
	for _, w := range body.Warnings {
		codes[w.Provider] = w.Code
	}
	if codes["alpha"] != shared.ErrKindUpstream || codes["bravo"] != client.KindNoWorkers || codes["charlie"] != shared.ErrKindTimeout || len(codes) != 3 {
		t.Fatalf("warnings %+v", body.Warnings)
	}
	if body.Total != 30 {
		t.Fatalf("total %d, want the 30 offers of the healthy providers", body.Total)
	}
	h := do(s, "GET", "/health", nil)
	var health struct {
		Status    string
		Providers []struct{ Status string }
	}
	decode(t, h, &health)
	if health.Status != "degraded" || health.Providers[0].Status != "unhealthy" || health.Providers[3].Status != "healthy" {
		t.Fatalf("health %+v", health)
	}
}

func TestOfferByID(t *testing.T) {
	src := newFakeSource(3, 5)
	s := newTestServer(t, src)
	id := src.Offers["delta"][2].ID
	r := do(s, "GET", "/api/v2/providers/"+id, nil)
	var o shared.Offer
	decode(t, r, &o)
	if r.StatusCode() != 200 || o.ID != id {
		t.Fatalf("status %d id %s", r.StatusCode(), o.ID)
	}
	for _, path := range []string{"/api/v2/providers/delta:nope", "/api/v2/providers/zulu:1", "/api/v2/providers/nocolon"} {
		r := do(s, "GET", path, nil)
		var e errBody
		decode(t, r, &e)
		if r.StatusCode() != 404 || e.Error.Code != httpx.CodeNotFound {
			t.Errorf("%s: status %d code %s", path, r.StatusCode(), e.Error.Code)
		}
	}
	// Once cached, the offer is served while its snapshot is fresh even if
	// the provider fails meanwhile.
	src.Errs["delta"] = &client.FetchError{Provider: "delta", Kind: shared.ErrKindUpstream, Message: "down"}
	if r := do(s, "GET", "/api/v2/providers/"+id, nil); r.StatusCode() != 200 {
		t.Fatalf("cached offer: status %d", r.StatusCode())
	}
	// A provider that was never reachable: nothing to serve.
	down := newTestServer(t, src)
	r = do(down, "GET", "/api/v2/providers/"+id, nil)
	if r.StatusCode() != 503 || string(r.Header.Peek("Retry-After")) == "" {
		t.Fatalf("provider down: status %d", r.StatusCode())
	}
}

func TestQueryAndBulk(t *testing.T) {
	s := newTestServer(t, newFakeSource(5, 30))
	r := do(s, "POST", "/api/v2/providers/query", []byte(`{"gpu_type":"A100","min_memory_gb":80,"max_price":20,"min_availability":"limited","regions":["us-east","us-west"]}`))
	var body searchResponse
	decode(t, r, &body)
	if r.StatusCode() != 200 {
		t.Fatalf("status %d", r.StatusCode())
	}
	for _, o := range body.Items {
		if o.GPUModel != "A100" || o.GPUMemoryGB < 80 || o.PricePerHour > 20 || o.Availability == shared.Unavailable ||
			(o.NormalizedRegion != "us-east" && o.NormalizedRegion != "us-west") {
			t.Fatalf("offer violates query: %+v", o)
		}
	}
	r = do(s, "POST", "/api/v2/providers/bulk/query", []byte(`{"queries":[{"gpu":"A100"},{"gpu":"H100","region":"eu"},{"provider":"alpha"}]}`))
	var bulk bulkResponse
	decode(t, r, &bulk)
	if r.StatusCode() != 200 || len(bulk.Results) != 3 {
		t.Fatalf("bulk: status %d results %d", r.StatusCode(), len(bulk.Results))
	}
	for _, o := range bulk.Results[2].Items {
		if o.Provider != "alpha" {
			t.Fatalf("bulk query 2 returned %s", o.Provider)
		}
	}
}

func TestProviderFilterLimitsFanOut(t *testing.T) {
	src := newFakeSource(6, 3)
	s := newTestServer(t, src)
	do(s, "GET", "/api/v2/providers?provider=alpha,bravo", nil)
	if n := src.Calls.Load(); n != 2 {
		t.Fatalf("%d provider calls for a two-provider query", n)
	}
}

func TestMetricsOpenAPIDocs(t *testing.T) {
	s := newTestServer(t, newFakeSource(8, 1))
	do(s, "GET", "/api/v2/providers", nil)
	m := do(s, "GET", "/metrics", nil)
	for _, want := range []string{`gpubroker_http_requests_total{route="list",method="GET",status="200"} 1`,
		`gpubroker_provider_fetch_duration_seconds_bucket{provider="alpha"`, "process_"} {
		if !strings.Contains(string(m.Body()), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	o := do(s, "GET", "/api/v2/openapi.json", nil)
	var doc map[string]any
	decode(t, o, &doc)
	if doc["openapi"] == nil {
		t.Fatal("not an OpenAPI document")
	}
	d := do(s, "GET", "/api/v2/docs", nil)
	if !strings.Contains(string(d.Body()), "openapi.json") {
		t.Fatal("docs page does not load the OpenAPI document")
	}
}
