package search

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/edge"
	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/client"
)

type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *manualClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newCachedServer(t *testing.T, src client.Source, clk *manualClock, timeout time.Duration) *testServer {
	t.Helper()
	return newServer(t, Config{Providers: testProviders, Source: src, Cache: CacheConfig{Now: clk.Now}}, edge.Config{RequestTimeout: timeout})
}

func search(t *testing.T, s *testServer, uri string) (int, searchResponse) {
	t.Helper()
	r := do(s, "GET", uri, nil)
	var body searchResponse
	if r.StatusCode() == 200 {
		if err := json.Unmarshal(r.Body(), &body); err != nil {
			t.Fatal(err)
		}
	}
	return r.StatusCode(), body
}

// Properties 5 and 10: when providers fail after their offers were cached,
// answers keep coming from the cached offers, marked stale with a warning;
// when every provider fails, the whole answer is cached data with warnings.
func TestStaleOffersWhenProvidersFail(t *testing.T) {
	src := newFakeSource(41, 10)
	clk := &manualClock{t: time.Unix(10_000, 0)}
	s := newCachedServer(t, src, clk, 2*time.Second)
	if code, body := search(t, s, "/api/v2/providers?per_page=100"); code != 200 || body.Total != 60 {
		t.Fatalf("warm-up: %d %d", code, body.Total)
	}
	for _, p := range testProviders {
		src.Errs[p] = &client.FetchError{Provider: p, Kind: shared.ErrKindCircuitOpen, Message: "breaker open"}
	}
	clk.Add(61 * time.Second) // past the 60 s pricing TTL
	code, body := search(t, s, "/api/v2/providers?per_page=100")
	if code != 200 || body.Total != 60 {
		t.Fatalf("all providers down with cached offers: status %d, %d offers", code, body.Total)
	}
	if len(body.Warnings) != len(testProviders) {
		t.Fatalf("warnings %+v", body.Warnings)
	}
	for _, w := range body.Warnings {
		if w.Code != "stale" {
			t.Fatalf("warning %+v, want stale", w)
		}
	}
	for _, src := range body.Sources {
		if src.Status != "stale" {
			t.Fatalf("source %+v not marked stale", src)
		}
	}
	// Past the stale horizon (1 h) there is nothing left to serve.
	clk.Add(2 * time.Hour)
	if code, _ := search(t, s, "/api/v2/providers?per_page=99"); code != 503 {
		t.Fatalf("nothing cached and every provider down: status %d, want 503", code)
	}
}

// Properties 18/20: a provider slower than the request timeout never holds
// the answer past it: with no cached data and nothing else to serve the
// answer is a 504 JSON error; with other providers it is a warning.
func TestRequestTimeout(t *testing.T) {
	src := newFakeSource(42, 3)
	src.Delay["alpha"] = time.Hour
	clk := &manualClock{t: time.Unix(10_000, 0)}
	s := newCachedServer(t, src, clk, 300*time.Millisecond)
	r := do(s, "GET", "/api/v2/providers?provider=alpha", nil)
	var e errBody
	if err := json.Unmarshal(r.Body(), &e); err != nil || r.StatusCode() != 504 || e.Error.Code != httpx.CodeTimeout {
		t.Fatalf("slow provider alone: %d %s", r.StatusCode(), r.Body())
	}
	code, body := search(t, s, "/api/v2/providers?provider=alpha,bravo")
	if code != 200 || len(body.Warnings) != 1 || body.Warnings[0].Code != shared.ErrKindTimeout || body.Total != 3 {
		t.Fatalf("slow and healthy provider: %d %+v", code, body)
	}
}

// A repeated request is answered from the encoded-response cache: the
// provider is not asked again while its snapshot is fresh, and the bytes are
// identical.
func TestResponseCache(t *testing.T) {
	src := newFakeSource(43, 5)
	clk := &manualClock{t: time.Unix(10_000, 0)}
	s := newCachedServer(t, src, clk, 2*time.Second)
	first := do(s, "GET", "/api/v2/providers?gpu=H100", nil)
	calls := src.Calls.Load()
	second := do(s, "GET", "/api/v2/providers?gpu=H100", nil)
	if src.Calls.Load() != calls || string(first.Body()) != string(second.Body()) {
		t.Fatal("second identical request not served from the response cache")
	}
	// After the TTL the providers are asked again.
	clk.Add(61 * time.Second)
	do(s, "GET", "/api/v2/providers?gpu=H100", nil)
	if src.Calls.Load() == calls {
		t.Fatal("expired snapshot not refreshed")
	}
}

// The waiting room is bounded: with MaxWaiting requests already waiting on
// a slow provider, the next one is refused at once with 503 + Retry-After.
func TestWaitingRoomIsBounded(t *testing.T) {
	src := newFakeSource(44, 2)
	src.Delay["alpha"] = 300 * time.Millisecond
	s := newServer(t, Config{Providers: testProviders, Source: src, MaxWaiting: 1}, edge.Config{})
	done := make(chan struct{})
	go func() { do(s, "GET", "/api/v2/providers?provider=alpha", nil); close(done) }()
	time.Sleep(50 * time.Millisecond)
	r := do(s, "GET", "/api/v2/providers?provider=alpha&per_page=3", nil)
	<-done
	if r.StatusCode() != 503 || string(r.Header.Peek("Retry-After")) != "1" {
		t.Fatalf("second request while one waits: %d %q", r.StatusCode(), r.Header.Peek("Retry-After"))
	}
}

func TestGPUCoverage(t *testing.T) {
	s := newTestServer(t, newFakeSource(45, 20))
	r := do(s, "GET", "/api/v2/gpus", nil)
	var body struct {
		GPUs []gpuCoverage `json:"gpus"`
	}
	if err := json.Unmarshal(r.Body(), &body); err != nil || r.StatusCode() != 200 {
		t.Fatalf("%d %v", r.StatusCode(), err)
	}
	seen, unknown := 0, 0
	for _, g := range body.GPUs {
		if g.Offers > 0 && (len(g.Providers) == 0 || g.MinPricePerGPUHour == nil) {
			t.Fatalf("%+v", g)
		}
		seen += g.Offers
		if !g.Known {
			unknown++
		}
	}
	if seen != 120 || unknown == 0 || len(body.GPUs) < 40 {
		t.Fatalf("%d offers covered, %d unknown GPUs, %d GPUs", seen, unknown, len(body.GPUs))
	}
}

// Requirement 5 past the timeout: a provider slower than the request
// timeout whose offers were cached is answered from that cache, marked
// stale, with a warning — not a 504.
func TestTimeoutServesStaleCache(t *testing.T) {
	src := newFakeSource(43, 4)
	clk := &manualClock{t: time.Unix(10_000, 0)}
	s := newCachedServer(t, src, clk, 300*time.Millisecond)
	if code, body := search(t, s, "/api/v2/providers?provider=alpha&per_page=50"); code != 200 || body.Total != 4 {
		t.Fatalf("warm-up: %d %d", code, body.Total)
	}
	src.Delay["alpha"] = time.Hour
	clk.Add(61 * time.Second) // past the 60 s pricing TTL
	code, body := search(t, s, "/api/v2/providers?provider=alpha&per_page=49")
	if code != 200 || body.Total != 4 || len(body.Warnings) != 1 || body.Warnings[0].Code != "stale" {
		t.Fatalf("slow provider with cached offers: %d %+v", code, body)
	}
}
