package adapters

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/adapters/simulator"
	"github.com/gpubroker/gpubroker/shared"
)

var fixedNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// testOrigin is the origin a fetch of info's provider hands its parse
// function, at fixedNow.
func testOrigin(info Info, source string) origin {
	return origin{provider: info.Name, now: fixedNow, source: source}
}

// startSim serves the simulator for one provider and returns the adapter
// base URL pointing at it.
func startSim(t *testing.T, provider string, faults map[string]simulator.Fault) (*simulator.Simulator, string) {
	t.Helper()
	sim, err := simulator.New(simulator.Config{Seed: 7, Providers: []string{provider}, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return sim, srv.URL + "/" + provider
}

// fetchFromSim builds the named adapter against the simulator and fetches.
func fetchFromSim(t *testing.T, provider string) []shared.Offer {
	t.Helper()
	_, base := startSim(t, provider, nil)
	ad, err := New(provider, Config{BaseURL: base, APIKey: shared.NewSecret("sim-key"), Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offers, err := ad.Fetch(ctx)
	if err != nil {
		t.Fatalf("fetch %s from simulator: %v", provider, err)
	}
	if len(offers) == 0 {
		t.Fatalf("%s: simulator produced no offers", provider)
	}
	requireValid(t, offers)
	return offers
}

// requireValid asserts Property 12 on every offer and that ids are unique.
func requireValid(t *testing.T, offers []shared.Offer) {
	t.Helper()
	seen := map[string]bool{}
	for i := range offers {
		if err := offers[i].Validate(); err != nil {
			t.Fatalf("offer %d (%s): %v", i, offers[i].ID, err)
		}
		if seen[offers[i].ID] {
			t.Fatalf("duplicate offer id %s", offers[i].ID)
		}
		seen[offers[i].ID] = true
	}
}

// An entry of the wrong shape comes out zero and flagged, never half
// decoded; a good entry replaces whatever the value held.
func TestDecodeLenient(t *testing.T) {
	type entry struct {
		Name  string  `json:"name"`
		Price float64 `json:"price"`
	}
	v := entry{Name: "old", Price: 1}
	if decodeLenient([]byte(`{"name": "a100", "price": "cheap"}`), &v) || v != (entry{}) {
		t.Fatalf("malformed entry: ok, or left %+v", v)
	}
	if !decodeLenient([]byte(`{"name": "h100"}`), &v) || v != (entry{Name: "h100"}) {
		t.Fatalf("good entry: %+v", v)
	}
}
