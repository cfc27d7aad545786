package adapters

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/adapters/simulator"
	"github.com/gpubroker/gpubroker/shared"
)

// Property 12: for any simulated market (seed) at any point of its price
// walk, every adapter's output is a set of valid offers with unique ids.
func TestPropertyAdaptersEmitValidOffers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := rapid.Uint64().Draw(t, "seed")
		steps := rapid.IntRange(0, 20).Draw(t, "steps")
		sim, err := simulator.New(simulator.Config{Seed: seed, Volatility: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < steps; i++ {
			sim.Step()
		}
		srv := httptest.NewServer(sim.Handler())
		defer srv.Close()
		for _, name := range Names() {
			ad, err := New(name, Config{BaseURL: srv.URL + "/" + name, APIKey: shared.NewSecret("k"), Now: func() time.Time { return fixedNow }})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			offers, err := ad.Fetch(ctx)
			cancel()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(offers) == 0 {
				t.Fatalf("%s: no offers", name)
			}
			seen := map[string]bool{}
			for i := range offers {
				if err := offers[i].Validate(); err != nil {
					t.Fatalf("%s offer %s: %v", name, offers[i].ID, err)
				}
				if offers[i].Provider != name || seen[offers[i].ID] {
					t.Fatalf("%s: offer %s has provider %s or a duplicate id", name, offers[i].ID, offers[i].Provider)
				}
				seen[offers[i].ID] = true
			}
		}
	})
}

// The same physical GPU gets the same canonical identity from every
// provider that sells it.
func TestSameGPUSameIdentityAcrossProviders(t *testing.T) {
	sellers := map[string]map[string]bool{} // gpu_id -> providers
	for _, name := range Names() {
		for _, o := range fetchFromSim(t, name) {
			if sellers[o.GPUID] == nil {
				sellers[o.GPUID] = map[string]bool{}
			}
			sellers[o.GPUID][name] = true
		}
	}
	for id, min := range map[string]int{"nvidia-h100-sxm-80gb": 5, "nvidia-a100-sxm-80gb": 4, "nvidia-a10-24gb": 3, "nvidia-l40s-48gb": 3} {
		if len(sellers[id]) < min {
			t.Errorf("%s offered by %d providers (%v), want >= %d", id, len(sellers[id]), sellers[id], min)
		}
	}
}
