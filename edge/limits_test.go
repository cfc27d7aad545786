package edge

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/edge/ratelimit"
)

// newLimitedServer uses a real in-process limiter on a fake clock.
func newLimitedServer(t interface {
	Helper()
	Fatal(...any)
}, clock func() time.Time, limits map[string]int, keys ...APIKey) *Server {
	t.Helper()
	s, err := New(Config{Cell: "test", Providers: testProviders, Source: newFakeSource(31, 2), PlanLimits: limits,
		Limiter: ratelimit.New(ratelimit.Config{Now: clock}), Auth: AuthConfig{APIKeys: keys}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func doAs(s *Server, uri, apiKey string) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI(uri)
	if apiKey != "" {
		ctx.Request.Header.Set("X-Api-Key", apiKey)
	}
	s.handle(&ctx)
	resp := &fasthttp.Response{}
	ctx.Response.CopyTo(resp)
	return resp
}

// Properties 6 and 7: each plan admits its limit per second and no more;
// a rejected request is a 429 with Retry-After and the RateLimit headers
// (which every answer carries), and a JSON error body.
func TestPropertyPlanLimitsAnd429Format(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		plan := rapid.SampledFrom([]string{"free", "pro", "enterprise"}).Draw(t, "plan")
		limit := DefaultPlanLimits[plan]
		now := time.Unix(5000, 0)
		clock := func() time.Time { return now }
		s := newLimitedServer(t, clock, DefaultPlanLimits, NewAPIKey("k", plan, "secret-"+plan))
		key := "secret-" + plan
		if plan == "free" {
			key = "" // anonymous callers are the free plan, by client IP
		}
		n := rapid.IntRange(limit, limit+40).Draw(t, "requests")
		ok := 0
		for i := 0; i < n; i++ {
			r := doAs(s, "/api/v2/openapi.json", key)
			if got := string(r.Header.Peek("RateLimit-Limit")); got != strconv.Itoa(limit) {
				t.Fatalf("RateLimit-Limit %q, want %d", got, limit)
			}
			for _, h := range []string{"RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"} {
				if len(r.Header.Peek(h)) == 0 {
					t.Fatalf("missing %s", h)
				}
			}
			switch r.StatusCode() {
			case 200:
				ok++
			case 429:
				ra, err := strconv.Atoi(string(r.Header.Peek("Retry-After")))
				var e errBody
				if err != nil || ra < 1 || json.Unmarshal(r.Body(), &e) != nil || e.Error.Code != codeRateLimited {
					t.Fatalf("429 without a usable Retry-After (%q) or JSON error: %s", r.Header.Peek("Retry-After"), r.Body())
				}
			default:
				t.Fatalf("status %d", r.StatusCode())
			}
		}
		if ok != limit {
			t.Fatalf("plan %s admitted %d of %d requests in one instant, want exactly %d", plan, ok, n, limit)
		}
		// One window later the budget is back.
		now = now.Add(time.Second + 20*time.Millisecond)
		if r := doAs(s, "/api/v2/openapi.json", key); r.StatusCode() != 200 {
			t.Fatalf("after the window: %d", r.StatusCode())
		}
	})
}

func TestUnauthorizedAndExemptRoutes(t *testing.T) {
	now := time.Unix(5000, 0)
	s := newLimitedServer(t, func() time.Time { return now }, map[string]int{"free": 1})
	if r := doAs(s, "/api/v2/providers", "wrong-key"); r.StatusCode() != 401 || len(r.Header.Peek("WWW-Authenticate")) == 0 {
		t.Fatalf("bad key: %d", r.StatusCode())
	}
	doAs(s, "/api/v2/openapi.json", "")
	if r := doAs(s, "/api/v2/openapi.json", ""); r.StatusCode() != 429 {
		t.Fatalf("second anonymous request at limit 1: %d", r.StatusCode())
	}
	for _, path := range []string{"/health", "/metrics"} {
		if r := doAs(s, path, ""); r.StatusCode() != 200 {
			t.Fatalf("%s rate limited: %d", path, r.StatusCode())
		}
	}
}
