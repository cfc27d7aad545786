package storetest

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

const (
	h100    = "nvidia-h100-sxm-80gb"
	h100PCI = "nvidia-h100-pcie-80gb"
	a100    = "nvidia-a100-sxm-80gb"
)

func testUpsertOffers(t *testing.T, s store.Store) {
	ctx := context.Background()
	o1 := offer("aws:p5", "aws", h100, "H100", 2)
	o2 := offer("runpod:h100", "runpod", h100, "H100", 3)
	instanceOnly := o2
	instanceOnly.PricePerHour = 30 // per-GPU price unchanged
	o1b := offer("aws:p5", "aws", h100, "H100", 2.5)
	o3 := offer("lambda:h100", "lambda", h100, "H100", 2.75)
	steps := []struct {
		name   string
		offers []shared.Offer
		want   []string // offer ids that get a point, in id order
	}{
		{"first sighting", []shared.Offer{o2, o1}, []string{"aws:p5", "runpod:h100"}},
		{"unchanged", []shared.Offer{o1, o2}, nil},
		{"nothing", nil, nil},
		{"one changed", []shared.Offer{o1b, o2}, []string{"aws:p5"}},
		{"changed one unchanged now", []shared.Offer{o1b}, nil},
		{"back to the old price", []shared.Offer{o1}, []string{"aws:p5"}},
		{"instance price only", []shared.Offer{instanceOnly}, []string{"runpod:h100"}},
		{"new offer among known", []shared.Offer{o1, o3, instanceOnly}, []string{"lambda:h100"}},
	}
	var all []store.PricePoint
	for i, st := range steps {
		at := base.Add(time.Duration(i) * time.Hour)
		points, err := s.UpsertOffers(ctx, st.offers, at)
		wantErr(t, "UpsertOffers "+st.name, err, nil)
		got := ids(points, func(p store.PricePoint) string { return p.OfferID })
		if !slices.Equal(got, st.want) {
			t.Fatalf("step %q appended %v, want %v", st.name, got, st.want)
		}
		for _, p := range points {
			if !p.At.Equal(at) {
				t.Errorf("step %q: point at %v, want %v", st.name, p.At, at)
			}
		}
		all = append(all, points...)
	}
	if p := all[0]; p.OfferID != "aws:p5" || p.Provider != "aws" || p.GPUID != h100 || p.GPUModel != "H100" ||
		p.Region != "us-east" || p.Price != 16 || p.PerGPU != 2 {
		t.Errorf("first point = %+v", p)
	}

	// The returned points are exactly what history holds.
	stored, err := s.PriceHistoryPoints(ctx, store.PriceQuery{GPUIDs: []string{h100}})
	wantErr(t, "PriceHistoryPoints", err, nil)
	if len(stored) != len(all) {
		t.Fatalf("history holds %d points, UpsertOffers returned %d", len(stored), len(all))
	}
	for i := range all {
		if !samePoint(stored[i], all[i]) {
			t.Errorf("history[%d] = %+v, returned %+v", i, stored[i], all[i])
		}
	}

	// An offer without id fails the call and stores nothing of it.
	bad := offer("", "aws", h100, "H100", 9)
	if _, err := s.UpsertOffers(ctx, []shared.Offer{o3, offer("aws:new", "aws", h100, "H100", 9), bad}, base); err == nil {
		t.Fatal("UpsertOffers accepted an offer without id")
	}
	points, err := s.UpsertOffers(ctx, []shared.Offer{offer("aws:new", "aws", h100, "H100", 9)}, base)
	wantErr(t, "UpsertOffers after a failed call", err, nil)
	if len(points) != 1 {
		t.Errorf("offer of a failed call was stored: re-upserting it appended %d points", len(points))
	}
}

func samePoint(a, b store.PricePoint) bool {
	return a.OfferID == b.OfferID && a.Provider == b.Provider && a.GPUID == b.GPUID && a.GPUModel == b.GPUModel &&
		a.Region == b.Region && a.Price == b.Price && a.PerGPU == b.PerGPU && a.At.Equal(b.At) && a.Gone == b.Gone
}

// record upserts one offer at a time and insists that it appended a point.
func record(t *testing.T, s store.Store, at time.Time, offers ...shared.Offer) {
	t.Helper()
	points, err := s.UpsertOffers(context.Background(), offers, at)
	wantErr(t, "UpsertOffers", err, nil)
	if len(points) != len(offers) {
		t.Fatalf("UpsertOffers at %v appended %d points, want %d", at, len(points), len(offers))
	}
}

// testDailyAggregation checks the daily summary against hand-computed
// values over [base, base+3d): prices carried in from before the range,
// a provider whose price never changes, an offer that appears mid-day and
// goes at midnight, a range cut mid-day, and points outside the range or
// of other GPUs that must not count.
func testDailyAggregation(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := func(d, hh int) time.Time { return base.AddDate(0, 0, d).Add(time.Duration(hh) * time.Hour) }
	a1 := func(p float64) shared.Offer { return offer("aws:a1", "aws", h100, "H100", p) }
	a2 := offer("aws:a2", "aws", h100, "H100", 3)
	record(t, s, at(-10, 0), offer("lambda:l1", "lambda", h100, "H100", 2.2)) // stable all along
	record(t, s, at(-1, 0), a1(4))
	record(t, s, at(0, 6), a1(2))
	record(t, s, at(0, 10), offer("oci:a100", "oci", a100, "A100", 7))
	record(t, s, at(0, 12), a2)
	// A complete aws answer without a2: a2 is gone from day 1 on.
	gone, err := syncer(t, s).SyncProviderOffers(ctx, "aws", []shared.Offer{a1(2)}, at(1, 0))
	wantErr(t, "SyncProviderOffers", err, nil)
	if len(gone) != 1 || !gone[0].Gone || gone[0].OfferID != "aws:a2" {
		t.Fatalf("sync without aws:a2 appended %+v", gone)
	}
	record(t, s, at(1, 12), a1(6))
	record(t, s, at(1, 18), offer("runpod:r1", "runpod", h100, "H100", 1.5))
	// Three equal prices whose float mean can exceed them.
	record(t, s, at(2, 12), offer("vast:1", "vast", h100, "H100", 0.1), offer("vast:2", "vast", h100, "H100", 0.1),
		offer("vast:3", "vast", h100, "H100", 0.1), offer("aws:pcie", "aws", h100PCI, "H100", 10))
	record(t, s, at(3, 0), a1(100)) // at To: excluded

	d := func(n int, provider string, lo, avg, hi float64, samples int) store.DailyPrice {
		return store.DailyPrice{Day: base.AddDate(0, 0, n), Provider: provider, Min: lo, Avg: avg, Max: hi, Samples: samples}
	}
	lambda := func(n int) store.DailyPrice { return d(n, "lambda", 2.2, 2.2, 2.2, 1) }
	from, to := base, base.AddDate(0, 0, 3)
	cases := []struct {
		name string
		q    store.PriceQuery
		want []store.DailyPrice
	}{
		// Day 0, aws: a1 at 4 (carried in) for 6 h then 2 for 18 h, a2 at
		// 3 for 12 h: (24 + 36 + 36) / 36 h.
		{"one GPU, every provider", store.PriceQuery{GPUIDs: []string{h100}, From: from, To: to}, []store.DailyPrice{
			d(0, "aws", 2, 96.0/36, 4, 2), lambda(0),
			d(1, "aws", 2, 4, 6, 1), lambda(1), d(1, "runpod", 1.5, 1.5, 1.5, 1),
			d(2, "aws", 6, 6, 6, 1), lambda(2), d(2, "runpod", 1.5, 1.5, 1.5, 1), d(2, "vast", 0.1, 0.1, 0.1, 3),
		}},
		{"by model includes the PCIe variant", store.PriceQuery{GPUModel: "H100", Provider: "aws", From: from, To: to}, []store.DailyPrice{
			d(0, "aws", 2, 96.0/36, 4, 2), d(1, "aws", 2, 4, 6, 1), d(2, "aws", 6, (6*24+10*12)/36.0, 10, 2),
		}},
		{"two GPU ids, one provider", store.PriceQuery{GPUIDs: []string{h100, h100PCI}, Provider: "runpod", From: from, To: to}, []store.DailyPrice{
			d(1, "runpod", 1.5, 1.5, 1.5, 1), d(2, "runpod", 1.5, 1.5, 1.5, 1),
		}},
		{"one day", store.PriceQuery{GPUIDs: []string{h100}, From: at(1, 0), To: at(2, 0)}, []store.DailyPrice{
			d(1, "aws", 2, 4, 6, 1), lambda(1), d(1, "runpod", 1.5, 1.5, 1.5, 1),
		}},
		{"cut mid-day", store.PriceQuery{GPUIDs: []string{h100}, From: at(0, 12), To: at(1, 6)}, []store.DailyPrice{
			d(0, "aws", 2, 2.5, 3, 2), lambda(0), d(1, "aws", 2, 2, 2, 1), lambda(1),
		}},
		{"open start", store.PriceQuery{GPUIDs: []string{a100}, To: at(2, 0)}, []store.DailyPrice{
			d(0, "oci", 7, 7, 7, 1), d(1, "oci", 7, 7, 7, 1),
		}},
		{"before any offer", store.PriceQuery{GPUIDs: []string{h100}, From: at(-30, 0), To: at(-20, 0)}, nil},
		{"empty range", store.PriceQuery{GPUIDs: []string{h100}, From: to, To: from}, nil},
		{"unknown GPU", store.PriceQuery{GPUIDs: []string{"nope"}, From: from, To: to}, nil},
	}
	for _, tc := range cases {
		got, err := s.PriceHistoryDaily(ctx, tc.q)
		wantErr(t, "PriceHistoryDaily "+tc.name, err, nil)
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %d rows %+v, want %d", tc.name, len(got), got, len(tc.want))
			continue
		}
		for i := range got {
			g, w := got[i], tc.want[i]
			if !g.Day.Equal(w.Day) || g.Day.Location() != time.UTC || g.Provider != w.Provider || g.Min != w.Min ||
				g.Max != w.Max || math.Abs(g.Avg-w.Avg) > 1e-9 || g.Avg < g.Min || g.Avg > g.Max || g.Samples != w.Samples {
				t.Errorf("%s: row %d = %+v, want %+v", tc.name, i, g, w)
			}
		}
	}
}

// syncer is s as a store.OfferSync, which every store must also be.
func syncer(t *testing.T, s store.Store) store.OfferSync {
	t.Helper()
	o, ok := s.(store.OfferSync)
	if !ok {
		t.Fatalf("%T does not implement store.OfferSync", s)
	}
	return o
}

func testPointsOrderAndLimit(t *testing.T, s store.Store) {
	// Recorded out of time order; two offers share the latest instant.
	record(t, s, base.Add(3*time.Hour), offer("b:2", "b", h100, "H100", 3), offer("a:1", "a", h100, "H100", 4))
	record(t, s, base.Add(time.Hour), offer("a:1", "a", h100, "H100", 1))
	record(t, s, base.Add(2*time.Hour), offer("a:1", "a", h100, "H100", 2))
	cases := []struct {
		name  string
		q     store.PriceQuery
		want  []float64 // per-GPU prices in order
		times []time.Duration
	}{
		{"all, oldest first, ties by record order", store.PriceQuery{GPUIDs: []string{h100}}, []float64{1, 2, 4, 3}, []time.Duration{1, 2, 3, 3}},
		{"limit", store.PriceQuery{GPUIDs: []string{h100}, Limit: 2}, []float64{1, 2}, []time.Duration{1, 2}},
		{"limit above the count", store.PriceQuery{GPUIDs: []string{h100}, Limit: 10}, []float64{1, 2, 4, 3}, []time.Duration{1, 2, 3, 3}},
		{"provider and range, the price at From carried in", store.PriceQuery{GPUModel: "H100", Provider: "a", From: base.Add(90 * time.Minute),
			To: base.Add(3 * time.Hour)}, []float64{1, 2}, []time.Duration{1, 2}},
		{"range after the last change", store.PriceQuery{GPUIDs: []string{h100}, From: base.Add(4 * time.Hour), To: base.Add(5 * time.Hour)},
			[]float64{4, 3}, []time.Duration{3, 3}},
	}
	for _, tc := range cases {
		got, err := s.PriceHistoryPoints(context.Background(), tc.q)
		wantErr(t, "PriceHistoryPoints "+tc.name, err, nil)
		prices := make([]float64, len(got))
		for i, p := range got {
			prices[i] = p.PerGPU
			if want := base.Add(tc.times[min(i, len(tc.times)-1)] * time.Hour); !p.At.Equal(want) || p.At.Location() != time.UTC {
				t.Errorf("%s: point %d at %v, want %v UTC", tc.name, i, p.At, want)
			}
		}
		if !slices.Equal(prices, tc.want) {
			t.Errorf("%s: prices %v, want %v", tc.name, prices, tc.want)
		}
	}
}

func testHistoryNeedsGPU(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.PriceHistoryDaily(ctx, store.PriceQuery{Provider: "aws"}); err == nil {
		t.Error("PriceHistoryDaily without GPU ids or model succeeded")
	}
	if _, err := s.PriceHistoryPoints(ctx, store.PriceQuery{}); err == nil {
		t.Error("PriceHistoryPoints without GPU ids or model succeeded")
	}
}
