package search

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/edge"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/client"
	"pgregory.net/rapid"
)

// barrierSource answers only once every expected provider has asked: a
// sequential fan-out could never get past the first provider, so passing
// proves all providers are queried at the same time, with no timing
// assumptions.
type barrierSource struct {
	*fakeSource
	mu      sync.Mutex
	want    int
	arrived int
	all     chan struct{}
}

func (b *barrierSource) Fetch(ctx context.Context, p string, ids shared.RequestIDs) (client.ProviderOffers, error) {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.want {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
	case <-ctx.Done():
		return client.ProviderOffers{}, &client.FetchError{Provider: p, Kind: "timeout", Message: "barrier not reached: fan-out is not parallel"}
	}
	return b.fakeSource.Fetch(ctx, p, ids)
}

// Property 11: a search queries every provider it needs in parallel.
func TestPropertyParallelFanOut(t *testing.T) {
	base := newFakeSource(21, 5)
	rapid.Check(t, func(t *rapid.T) {
		subset := rapid.SliceOfNDistinct(rapid.SampledFrom(testProviders), 1, len(testProviders), rapid.ID).Draw(t, "providers")
		src := &barrierSource{fakeSource: base, want: len(subset), all: make(chan struct{})}
		s := newServer(t, Config{Providers: testProviders, Source: src}, edge.Config{RequestTimeout: 5 * time.Second})
		uri := "/api/v2/providers?provider="
		for i, p := range subset {
			if i > 0 {
				uri += ","
			}
			uri += p
		}
		r := do(s, "GET", uri, nil)
		var body searchResponse
		if err := json.Unmarshal(r.Body(), &body); err != nil {
			t.Fatal(err)
		}
		if len(body.Warnings) != 0 {
			t.Fatalf("providers %v not queried in parallel: %+v", subset, body.Warnings)
		}
		if len(body.Sources) != len(subset) {
			t.Fatalf("%d sources for %d providers", len(body.Sources), len(subset))
		}
	})
}
