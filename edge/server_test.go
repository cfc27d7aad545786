package edge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/gpubroker/gpubroker/shared"
)

func decode(t *testing.T, r *fasthttp.Response, v any) {
	t.Helper()
	if ct := string(r.Header.ContentType()); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
	if err := json.Unmarshal(r.Body(), v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body(), err)
	}
}

type errBody struct {
	Error struct {
		Code, Message, Field string
	}
}

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
	src.errs["alpha"] = &FetchError{Provider: "alpha", Kind: shared.ErrKindUpstream, Message: "HTTP 500"}
	src.errs["bravo"] = &FetchError{Provider: "bravo", Kind: errKindNoWorkers, Message: "no worker"}
	src.delay["charlie"] = time.Hour // never answers: must be cut off by the provider timeout
	s, err := New(Config{Cell: "test", Providers: testProviders, Source: src, RequestTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
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
	if codes["alpha"] != shared.ErrKindUpstream || codes["bravo"] != errKindNoWorkers || codes["charlie"] != shared.ErrKindTimeout || len(codes) != 3 {
		t.Fatalf("warnings %+v", body.Warnings)
	}
	if body.Total != 30 {
		t.Fatalf("total %d, want the 30 offers of the healthy providers", body.Total)
	}
	h := do(s, "GET", "/health", nil)
	var health healthResponse
	decode(t, h, &health)
	if health.Status != "degraded" || health.Providers[0].Status != "unhealthy" || health.Providers[3].Status != "healthy" {
		t.Fatalf("health %+v", health)
	}
}

func TestOfferByID(t *testing.T) {
	src := newFakeSource(3, 5)
	s := newTestServer(t, src)
	id := src.offers["delta"][2].ID
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
		if r.StatusCode() != 404 || e.Error.Code != codeNotFound {
			t.Errorf("%s: status %d code %s", path, r.StatusCode(), e.Error.Code)
		}
	}
	// Once cached, the offer is served while its snapshot is fresh even if
	// the provider fails meanwhile.
	src.errs["delta"] = &FetchError{Provider: "delta", Kind: shared.ErrKindUpstream, Message: "down"}
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

func TestRoutingErrors(t *testing.T) {
	s := newTestServer(t, newFakeSource(4, 1))
	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/nope", 404, codeNotFound, ""},
		{"GET", "/api/v2/providers/query", 405, codeMethodNotAllowed, "POST"},
		{"DELETE", "/api/v2/providers", 405, codeMethodNotAllowed, "GET"},
		{"POST", "/health", 405, codeMethodNotAllowed, "GET"},
		{"GET", "/api/v2/providers?provider=zulu", 400, codeInvalidParameter, ""},
		{"POST", "/api/v2/providers/query", 400, codeInvalidBody, ""},
	}
	for _, tc := range tests {
		r := do(s, tc.method, tc.path, nil)
		var e errBody
		decode(t, r, &e)
		if r.StatusCode() != tc.status || e.Error.Code != tc.code || string(r.Header.Peek("Allow")) != tc.allow {
			t.Errorf("%s %s: %d %s allow=%q", tc.method, tc.path, r.StatusCode(), e.Error.Code, r.Header.Peek("Allow"))
		}
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
	if n := src.calls.Load(); n != 2 {
		t.Fatalf("%d provider calls for a two-provider query", n)
	}
}

func TestRequestIDs(t *testing.T) {
	s := newTestServer(t, newFakeSource(7, 1))
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/health")
	ctx.Request.Header.Set("X-Request-Id", "client-id-42")
	ctx.Request.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	s.handle(&ctx)
	if got := string(ctx.Response.Header.Peek("X-Request-Id")); got != "client-id-42" {
		t.Fatalf("request id %q not echoed", got)
	}
	if traceID([]byte("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")) != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatal("traceparent not parsed")
	}
	if id := requestID([]byte("bad id\n")); id == "bad id\n" || len(id) != 16 {
		t.Fatalf("unsafe request id kept: %q", id)
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

// Oversized bodies are refused by fasthttp before the handler runs; the
// answer must still be the JSON error shape.
func TestBodyTooLarge(t *testing.T) {
	s, err := New(Config{Cell: "test", Providers: testProviders, Source: newFakeSource(9, 1), MaxBodyBytes: 1024})
	if err != nil {
		t.Fatal(err)
	}
	ln := fasthttputil.NewInmemoryListener()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, time.Second) }()
	defer func() { cancel(); <-done }()
	conn, err := ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Only the headers are sent: the answer must come from Content-Length
	// alone, before any body is read.
	fmt.Fprintf(conn, "POST /api/v2/providers/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 4096)
	var resp fasthttp.Response
	if err := resp.Read(bufio.NewReader(conn)); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatal(err)
	}
	var e errBody
	decode(t, &resp, &e)
	if resp.StatusCode() != 413 || e.Error.Code != codeBodyTooLarge {
		t.Fatalf("status %d code %s", resp.StatusCode(), e.Error.Code)
	}
}
