package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/edge/httpx/httpxtest"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/webhooks"
)

func route(t *testing.T, j *Jobs, path string) httpx.Route {
	t.Helper()
	for _, rt := range j.Routes() {
		if rt.Path == path {
			if rt.Method != "POST" || rt.Scope != Scope {
				t.Fatalf("%s: %s, scope %q", path, rt.Method, rt.Scope)
			}
			return rt
		}
	}
	t.Fatalf("no route %s", path)
	return httpx.Route{}
}

func call(rt httpx.Route, kind httpx.Kind, body string) *fasthttp.Response {
	return httpxtest.Do(func(ctx *fasthttp.RequestCtx) {
		rt.Handler(&httpx.Request{RequestCtx: ctx, Identity: httpx.Identity{Kind: kind}})
	}, httpxtest.Request{Method: "POST", URI: rt.Path, Body: []byte(body)})
}

// Only service tokens run jobs; calls that arrive while a job runs share
// that run; a job this process does not run answers 503.
func TestJobsAreSharedAndServiceOnly(t *testing.T) {
	var runs atomic.Int64
	release := make(chan struct{})
	j := New(Config{Warm: func(context.Context) any { runs.Add(1); <-release; return map[string]int{"warm": 3} }})
	warm := route(t, j, "/api/v2/jobs/cache_warm")
	for _, k := range []httpx.Kind{httpx.Anonymous, httpx.User, httpx.APIKey} {
		if resp := call(warm, k, ""); resp.StatusCode() != 403 {
			t.Fatalf("kind %v: %d", k, resp.StatusCode())
		}
	}
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Go(func() { codes[i] = call(warm, httpx.Service, "").StatusCode() })
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	for _, c := range codes {
		if c != 200 {
			t.Fatalf("codes %v", codes)
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("%d runs for 5 concurrent calls, want 1", runs.Load())
	}
	if resp := call(route(t, j, "/api/v2/jobs/provider_health"), httpx.Service, ""); resp.StatusCode() != 503 {
		t.Fatalf("a job this process does not run: %d", resp.StatusCode())
	}
	j2 := New(Config{Sync: func(context.Context) (any, error) { return nil, errors.New("2 providers failed") }})
	if resp := call(route(t, j2, "/api/v2/jobs/data_sync"), httpx.Service, ""); resp.StatusCode() != 502 {
		t.Fatalf("a failed job: %d", resp.StatusCode())
	}
}

// webhook_delivery answers by the attempt's outcome, so an orchestrator
// retries exactly the attempts that should be retried; bad bodies are 400.
func TestWebhookDeliveryOutcomes(t *testing.T) {
	req, _ := json.Marshal(events.WebhookRequest{Header: events.Header{EventID: "d1", Type: events.TypeWebhookRequest, Cell: "c"},
		WebhookID: "w1", Body: json.RawMessage(`{"event":"test"}`)})
	for _, c := range []struct {
		a    webhooks.Attempted
		err  error
		want int
	}{
		{webhooks.Attempted{Outcome: webhooks.OutcomeDelivered, Status: 200}, nil, 200},
		{webhooks.Attempted{Outcome: webhooks.OutcomeGone, Status: 410}, nil, 200},
		{webhooks.Attempted{Outcome: webhooks.OutcomeDeleted}, nil, 200},
		{webhooks.Attempted{Outcome: webhooks.OutcomeFailed, Status: 500, Retry: true}, nil, 502},
		{webhooks.Attempted{Outcome: webhooks.OutcomeStoreUnavailable, Retry: true}, nil, 503},
		{webhooks.Attempted{}, errors.New("webhook not disabled"), 503},
	} {
		var gotAttempt int
		j := New(Config{Deliver: func(_ context.Context, r events.WebhookRequest, n int) (webhooks.Attempted, error) {
			gotAttempt = n
			if r.EventID != "d1" || r.WebhookID != "w1" {
				t.Fatalf("request %+v", r)
			}
			return c.a, c.err
		}})
		rt := route(t, j, "/api/v2/jobs/webhook_delivery")
		if resp := call(rt, httpx.Service, `{"request":`+string(req)+`,"attempt":3}`); resp.StatusCode() != c.want || gotAttempt != 3 {
			t.Errorf("%+v %v: %d (attempt %d), want %d", c.a, c.err, resp.StatusCode(), gotAttempt, c.want)
		}
	}
	j := New(Config{Deliver: func(context.Context, events.WebhookRequest, int) (webhooks.Attempted, error) {
		t.Fatal("a bad body reached the deliverer")
		return webhooks.Attempted{}, nil
	}})
	rt := route(t, j, "/api/v2/jobs/webhook_delivery")
	for _, body := range []string{"", "{", `{"request":{},"attempt":1}`, `{"request":` + string(req) + `,"attempt":0}`,
		`{"request":{"type":"price_update","event_id":"x","webhook_id":"w","body":{}},"attempt":1}`, `{"request":` + string(req) + `,"attempt":1,"x":1}`} {
		if resp := call(rt, httpx.Service, body); resp.StatusCode() != 400 {
			t.Errorf("body %q: %d", body, resp.StatusCode())
		}
	}
}

// Any body an orchestrator sends is answered, never a panic: 400 unless
// it is a webhook_request with an attempt number.
func FuzzWebhookDeliveryBody(f *testing.F) {
	f.Add([]byte(`{"request":{"event_id":"d","type":"webhook_request","cell":"c","timestamp":"2026-12-04T00:00:00.000Z","webhook_id":"w","body":{}},"attempt":1}`))
	f.Add([]byte(`{"request":null,"attempt":-1}`))
	f.Add([]byte(`[]`))
	j := New(Config{Deliver: func(context.Context, events.WebhookRequest, int) (webhooks.Attempted, error) {
		return webhooks.Attempted{Outcome: webhooks.OutcomeDelivered}, nil
	}, DeadLetter: func(context.Context, events.WebhookRequest, webhooks.Attempted) error { return nil }})
	var routes []httpx.Route
	for _, rt := range j.Routes() {
		if rt.Path == "/api/v2/jobs/webhook_delivery" || rt.Path == "/api/v2/jobs/webhook_dead" {
			routes = append(routes, rt)
		}
	}
	if len(routes) != 2 {
		f.Fatalf("%d webhook job routes", len(routes))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, rt := range routes {
			if c := call(rt, httpx.Service, string(body)).StatusCode(); c != 200 && c != 400 && c != 413 && c != 415 {
				t.Fatalf("%s: %d for %q", rt.Path, c, body)
			}
		}
	})
}
