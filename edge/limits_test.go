package edge

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/valyala/fasthttp"
	"pgregory.net/rapid"
)

// Properties 6 and 7: each plan admits its limit per second and no more;
// a rejected request is a 429 with Retry-After and the RateLimit headers
// (which every answer carries), and a JSON error body.
func TestPropertyPlanLimitsAnd429Format(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		plan := rapid.SampledFrom([]string{"free", "pro", "enterprise"}).Draw(t, "plan")
		limit := DefaultPlanLimits[plan]
		now := time.Unix(5000, 0)
		clock := func() time.Time { return now }
		s := newLimitedServer(t, clock, DefaultPlanLimits, identity.NewAPIKey("k", plan, "secret-"+plan))
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
				if err != nil || ra < 1 || json.Unmarshal(r.Body(), &e) != nil || e.Error.Code != httpx.CodeRateLimited {
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

// Every answer carries the RateLimit headers: unknown routes, wrong
// methods and bad credentials are charged to the caller too, and the
// operational endpoints have their own per-address budget.
func TestRateLimitHeadersOnEveryAnswer(t *testing.T) {
	now := time.Unix(5000, 0)
	s := newLimitedServer(t, func() time.Time { return now }, map[string]int{"free": 3})
	cases := []struct {
		method, path, key string
		status            int
		limit             string
	}{
		{"GET", "/nope", "", 404, "3"},
		{"POST", "/api/v2/openapi.json", "", 405, "3"},
		{"GET", "/api/v2/providers", "wrong-key", 401, "3"},
		{"GET", "/api/v2/providers", "", 429, "3"}, // the three above used the address's budget
		{"GET", "/health", "", 200, strconv.Itoa(DefaultOpsLimit)},
		{"GET", "/metrics", "", 200, strconv.Itoa(DefaultOpsLimit)},
	}
	for _, tc := range cases {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(tc.method)
		ctx.Request.SetRequestURI(tc.path)
		if tc.key != "" {
			ctx.Request.Header.Set("X-Api-Key", tc.key)
		}
		s.handle(&ctx)
		r := &ctx.Response
		if r.StatusCode() != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, r.StatusCode(), tc.status)
		}
		if got := string(r.Header.Peek("RateLimit-Limit")); got != tc.limit {
			t.Errorf("%s %s: RateLimit-Limit %q, want %s", tc.method, tc.path, got, tc.limit)
		}
		for _, h := range []string{"RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"} {
			if len(r.Header.Peek(h)) == 0 {
				t.Errorf("%s %s: missing %s", tc.method, tc.path, h)
			}
		}
	}
}

// Bad credentials past the address's budget get 429 before any lookup,
// so random API keys cannot flood the credential store.
func TestBadCredentialsRefusedBeforeLookup(t *testing.T) {
	now := time.Unix(5000, 0)
	s := newLimitedServer(t, func() time.Time { return now }, map[string]int{"free": 2})
	statuses := []int{}
	for i := range 4 {
		statuses = append(statuses, doAs(s, "/api/v2/providers", "gpb_random"+strconv.Itoa(i)).StatusCode())
	}
	if want := []int{401, 401, 429, 429}; fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	if _, blocked := s.authFails.blocked("0.0.0.0", time.Now()); !blocked {
		t.Fatal("address not remembered as refused")
	}
	// A good-faith anonymous request from the address is limited as usual.
	if r := doAs(s, "/api/v2/openapi.json", ""); r.StatusCode() != 429 {
		t.Fatalf("anonymous after the budget: %d", r.StatusCode())
	}
}

func TestAuthFailuresBounded(t *testing.T) {
	var f authFailures
	now := time.Unix(0, 0)
	for i := range maxAuthFailAddrs + 10 {
		f.block(strconv.Itoa(i), now, now.Add(time.Second))
	}
	if n := len(f.until); n > maxAuthFailAddrs {
		t.Fatalf("%d addresses remembered, bound %d", n, maxAuthFailAddrs)
	}
	if _, ok := f.blocked(strconv.Itoa(maxAuthFailAddrs+9), now); !ok {
		t.Fatal("newest address forgotten")
	}
	if _, ok := f.blocked(strconv.Itoa(maxAuthFailAddrs+9), now.Add(time.Second)); ok {
		t.Fatal("still refused after its window")
	}
}
