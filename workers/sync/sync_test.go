package sync

import (
	"context"
	"errors"
	"io"
	"log/slog"
	gosync "sync"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

type fetcher map[string][]shared.Offer

func (f fetcher) Fetch(_ context.Context, p string) ([]shared.Offer, error) {
	if o, ok := f[p]; ok {
		return o, nil
	}
	return nil, errors.New("provider down")
}

// recorder is a unit-test stand-in for store.Prices; the real stores are
// covered by shared/store/storetest.
type recorder struct {
	store.Prices
	mu   gosync.Mutex
	seen map[string]int
}

func (r *recorder) UpsertOffers(_ context.Context, offers []shared.Offer, _ time.Time) ([]store.PricePoint, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range offers {
		r.seen[o.Provider]++
	}
	return make([]store.PricePoint, len(offers)/2), nil
}

func TestRun(t *testing.T) {
	offers := func(p string, n int) []shared.Offer {
		out := make([]shared.Offer, n)
		for i := range out {
			out[i] = shared.Offer{ID: shared.OfferID(p, string(rune('a'+i))), Provider: p}
		}
		return out
	}
	rec := &recorder{seen: map[string]int{}}
	j := &Job{Fetcher: fetcher{"a": offers("a", 4), "b": offers("b", 2)}, Store: rec, Providers: []string{"b", "a", "c"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	res, err := j.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() != 1 || res.Providers[0].Provider != "a" || res.Providers[0].Offers != 4 || res.Providers[0].PricePoints != 2 ||
		res.Providers[2].Error == "" || rec.seen["a"] != 4 || rec.seen["b"] != 2 {
		t.Fatalf("%+v %v", res, rec.seen)
	}
	j.Providers = []string{"c"}
	if _, err := j.Run(context.Background()); err == nil {
		t.Fatal("all providers failing is not an error")
	}
}
