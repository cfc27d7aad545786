package storetest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// testDailyProperty drives random sync sequences through UpsertOffers and
// checks them against a model: the points appended are exactly the
// offers whose price is new or changed, raw history in a range is exactly
// the model's points there, and the daily summary has min <= avg <= max
// with per-day extremes and sample counts that add up to those points.
// Every case uses its own GPU id, so cases share one store without
// seeing each other's history.
func testDailyProperty(t *testing.T, s store.Store) {
	ctx := context.Background()
	const span = 4 * 24 * 60 // minutes of history a case spreads over
	cases := 0
	rapid.Check(t, func(rt *rapid.T) {
		cases++
		gpu := fmt.Sprintf("gpu-case-%d", cases)
		last := map[string]float64{}
		var model []store.PricePoint
		for step, steps := 0, rapid.IntRange(1, 12).Draw(rt, "steps"); step < steps; step++ {
			at := base.Add(time.Duration(rapid.IntRange(0, span).Draw(rt, "minute")) * time.Minute)
			offers := make([]shared.Offer, rapid.IntRange(1, 4).Draw(rt, "offers"))
			for i := range offers {
				provider := rapid.SampledFrom([]string{"p1", "p2", "p3"}).Draw(rt, "provider")
				id := fmt.Sprintf("%s:%s:%d", provider, gpu, rapid.IntRange(0, 2).Draw(rt, "offer"))
				offers[i] = offer(id, provider, gpu, "M-"+gpu, rapid.SampledFrom([]float64{0.1, 0.7, 2.1, 3.3}).Draw(rt, "price"))
			}
			want := appendModel(last, offers, at)
			got, err := s.UpsertOffers(ctx, offers, at)
			if err != nil {
				rt.Fatalf("UpsertOffers: %v", err)
			}
			if !slices.EqualFunc(got, want, samePoint) {
				rt.Fatalf("UpsertOffers appended %+v, want %+v", got, want)
			}
			model = append(model, want...)
		}

		q := store.PriceQuery{GPUIDs: []string{gpu}, Provider: rapid.SampledFrom([]string{"", "p1", "p2"}).Draw(rt, "filter"), Limit: 1000}
		if m := rapid.IntRange(-1, span).Draw(rt, "from"); m >= 0 {
			q.From = base.Add(time.Duration(m) * time.Minute)
		}
		if m := rapid.IntRange(-1, span).Draw(rt, "to"); m >= 0 {
			q.To = base.Add(time.Duration(m) * time.Minute)
		}
		inRange := pointsIn(model, q)

		points, err := s.PriceHistoryPoints(ctx, q)
		if err != nil {
			rt.Fatalf("PriceHistoryPoints: %v", err)
		}
		if !slices.EqualFunc(points, inRange, samePoint) {
			rt.Fatalf("PriceHistoryPoints = %+v, want %+v", points, inRange)
		}

		days, err := s.PriceHistoryDaily(ctx, q)
		if err != nil {
			rt.Fatalf("PriceHistoryDaily: %v", err)
		}
		wantDays := dailyModel(inRange)
		total := 0
		for _, d := range days {
			if !(d.Min <= d.Avg && d.Avg <= d.Max) {
				rt.Fatalf("day %v %s: min %v avg %v max %v out of order", d.Day, d.Provider, d.Min, d.Avg, d.Max)
			}
			w, ok := wantDays[dayKey{d.Day.Unix(), d.Provider}]
			if !ok || d.Min != w.Min || d.Max != w.Max || d.Samples != w.Samples {
				rt.Fatalf("day %+v, want %+v (present %v)", d, w, ok)
			}
			total += d.Samples
		}
		if len(days) != len(wantDays) || total != len(inRange) {
			rt.Fatalf("%d days with %d samples, want %d days with %d points", len(days), total, len(wantDays), len(inRange))
		}
	})
}

// appendModel is UpsertOffers' contract: in id order, a point for each
// offer whose per-GPU price differs from the last one stored for its id.
func appendModel(last map[string]float64, offers []shared.Offer, at time.Time) []store.PricePoint {
	sorted := slices.Clone(offers)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	var out []store.PricePoint
	for _, o := range sorted {
		if p, seen := last[o.ID]; seen && p == o.PricePerGPUHour {
			continue
		}
		last[o.ID] = o.PricePerGPUHour
		out = append(out, store.PricePoint{OfferID: o.ID, Provider: o.Provider, GPUID: o.GPUID, GPUModel: o.GPUModel,
			Region: o.NormalizedRegion, Price: o.PricePerHour, PerGPU: o.PricePerGPUHour, At: at})
	}
	return out
}

// pointsIn filters the model like the store must: provider, [From, To),
// then oldest first with ties in record order.
func pointsIn(model []store.PricePoint, q store.PriceQuery) []store.PricePoint {
	var out []store.PricePoint
	for _, p := range model {
		if (q.Provider == "" || p.Provider == q.Provider) && (q.From.IsZero() || !p.At.Before(q.From)) &&
			(q.To.IsZero() || p.At.Before(q.To)) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// dayKey is a (UTC midnight as Unix seconds, provider) summary row.
type dayKey struct {
	day      int64
	provider string
}

func dailyModel(points []store.PricePoint) map[dayKey]store.DailyPrice {
	out := map[dayKey]store.DailyPrice{}
	for _, p := range points {
		day := p.At.UTC().Truncate(24 * time.Hour)
		k := dayKey{day.Unix(), p.Provider}
		d, ok := out[k]
		if !ok {
			d = store.DailyPrice{Day: day, Provider: p.Provider, Min: p.PerGPU, Max: p.PerGPU}
		}
		d.Min, d.Max = min(d.Min, p.PerGPU), max(d.Max, p.PerGPU)
		d.Samples++
		out[k] = d
	}
	return out
}
