package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// testSyncProviderOffers checks how a complete provider answer ends the
// step functions of the offers it no longer lists, and only those.
func testSyncProviderOffers(t *testing.T, s store.Store) {
	ctx := context.Background()
	sync := syncer(t, s)
	x, y, z := offer("aws:x", "aws", h100, "H100", 2), offer("aws:y", "aws", h100, "H100", 3), offer("runpod:z", "runpod", h100, "H100", 4)
	at := func(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }
	record(t, s, at(0), x, y, z)
	type point struct {
		id   string
		gone bool
	}
	steps := []struct {
		name     string
		provider string
		offers   []shared.Offer
		at       time.Time
		want     []point
	}{
		{"y unlisted goes, runpod untouched", "aws", []shared.Offer{x}, at(1), []point{{"aws:y", true}}},
		{"gone stays gone", "aws", []shared.Offer{x}, at(2), nil},
		{"listed again at the same price: new", "aws", []shared.Offer{y, x}, at(3), []point{{"aws:y", false}}},
		{"an answer older than the last sighting ends nothing", "aws", nil, at(2), nil},
		{"an empty answer ends every offer", "aws", nil, at(4), []point{{"aws:x", true}, {"aws:y", true}}},
	}
	for _, st := range steps {
		got, err := sync.SyncProviderOffers(ctx, st.provider, st.offers, st.at)
		wantErr(t, "SyncProviderOffers "+st.name, err, nil)
		var ps []point
		for _, p := range got {
			ps = append(ps, point{p.OfferID, p.Gone})
			if !p.At.Equal(st.at) || p.PerGPU == 0 {
				t.Errorf("%s: point %+v, want one at %v with the offer's price", st.name, p, st.at)
			}
		}
		if !slices.Equal(ps, st.want) {
			t.Fatalf("%s: appended %v, want %v", st.name, ps, st.want)
		}
	}
	if _, err := sync.SyncProviderOffers(ctx, "aws", []shared.Offer{x, z}, at(5)); err == nil {
		t.Fatal("SyncProviderOffers accepted another provider's offer")
	}
	if got, err := sync.SyncProviderOffers(ctx, "aws", []shared.Offer{x}, at(5)); err != nil || len(got) != 1 || got[0].Gone {
		t.Fatalf("after a rejected call, listing x again appended %+v, %v; want its new price point", got, err)
	}

	// Raw history shows y's gaps; only live offers are carried in.
	pts, err := s.PriceHistoryPoints(ctx, store.PriceQuery{GPUIDs: []string{h100}, Provider: "aws"})
	wantErr(t, "PriceHistoryPoints", err, nil)
	var ys []point
	for _, p := range pts {
		if p.OfferID == "aws:y" {
			ys = append(ys, point{p.At.Format("15"), p.Gone})
		}
	}
	if want := []point{{"00", false}, {"01", true}, {"03", false}, {"04", true}}; !slices.Equal(ys, want) {
		t.Errorf("aws:y history %v, want %v", ys, want)
	}
	carried, err := s.PriceHistoryPoints(ctx, store.PriceQuery{GPUIDs: []string{h100}, From: at(1).Add(time.Minute), To: at(2)})
	wantErr(t, "PriceHistoryPoints", err, nil)
	if got := ids(carried, func(p store.PricePoint) string { return p.OfferID }); !slices.Equal(got, []string{"aws:x", "runpod:z"}) {
		t.Errorf("carried into a range while y is gone: %v, want aws:x and runpod:z", got)
	}

	// Daily: y counts on day 0 only in [0 h, 1 h) and [3 h, 4 h); x until
	// 4 h and again from 5 h; z all along.
	days, err := s.PriceHistoryDaily(ctx, store.PriceQuery{GPUIDs: []string{h100}, From: base, To: at(6)})
	wantErr(t, "PriceHistoryDaily", err, nil)
	want := []store.DailyPrice{
		{Day: base, Provider: "aws", Min: 2, Avg: (2*5 + 3*2) / 7.0, Max: 3, Samples: 2},
		{Day: base, Provider: "runpod", Min: 4, Avg: 4, Max: 4, Samples: 1},
	}
	if len(days) != len(want) {
		t.Fatalf("daily %+v, want %+v", days, want)
	}
	for i, d := range days {
		w := want[i]
		if !d.Day.Equal(w.Day) || d.Provider != w.Provider || d.Min != w.Min || d.Max != w.Max || d.Samples != w.Samples ||
			d.Avg-w.Avg > 1e-9 || w.Avg-d.Avg > 1e-9 {
			t.Errorf("daily row %d = %+v, want %+v", i, d, w)
		}
	}
}
