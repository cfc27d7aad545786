package cells

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/adapters/simulator"
)

// A failing provider shows callers a stable code and a short reason, never
// the upstream URL or the provider's error body; /health says why it is
// unhealthy even while its breaker is still closed.
func TestFailuresShowPublicReasonsOnly(t *testing.T) {
	c := startCell(t, func(cfg *Config) {
		cfg.Providers = []string{"lambda", "vastai"}
		cfg.SimFaults = map[string]simulator.Fault{"vastai": {ErrorRate: 1}}
		cfg.ProbeInterval = time.Hour // only the request below calls vastai
	})
	base := "http://" + c.HTTPAddr()
	leaks := func(what, text string) {
		t.Helper()
		for _, bad := range []string{"://", "/vastai", "/bundles", c.SimulatorURL(), "simulated"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s shows %q: %s", what, bad, text)
			}
		}
	}
	var list listBody
	fetch(t, base+"/api/v2/providers?per_page=1", &list)
	if len(list.Warnings) != 1 || list.Warnings[0].Provider != "vastai" || list.Warnings[0].Code != "upstream" ||
		list.Warnings[0].Message != "the provider answered HTTP 500" {
		t.Fatalf("warnings %+v", list.Warnings)
	}
	w, _ := json.Marshal(list.Warnings) // offers name their public source URL; warnings must not
	leaks("the search warnings", string(w))
	var health struct {
		Providers []struct {
			Name, Status, Breaker, Reason, LastError string
			LastErrorKind                            string `json:"last_error_kind"`
		}
	}
	// The breaker is known once the edge has a heartbeat from vastai's
	// worker (the first one can go out before the edge listens).
	var body string
	known := func() bool {
		for _, p := range health.Providers {
			if p.Name == "vastai" && p.Breaker != "unknown" {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		health.Providers = nil
		body = fetch(t, base+"/health", &health)
		if known() || time.Now().After(deadline) {
			break
		}
	}
	leaks("/health", body)
	for _, p := range health.Providers {
		if p.Name != "vastai" {
			continue
		}
		if p.Status != "unhealthy" || p.Breaker != "closed" || p.LastErrorKind != "upstream" ||
			!strings.HasPrefix(p.Reason, "the last fetch failed (upstream): the provider answered HTTP 500") ||
			!strings.Contains(p.Reason, "the breaker stays closed") {
			t.Fatalf("vastai health %+v", p)
		}
		return
	}
	t.Fatal("vastai missing from /health")
}

// fetch GETs url, decodes the JSON answer into v and returns it as text.
func fetch(t *testing.T, url string, v any) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
