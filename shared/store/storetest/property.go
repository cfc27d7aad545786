package storetest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// testDailyProperty drives random sync sequences, partial (UpsertOffers)
// and complete (SyncProviderOffers, which marks unlisted offers gone),
// through the store at non-decreasing times, as the sync job records them,
// and checks them against a model: the points appended are exactly the
// model's events, raw history is the model's events in range plus the
// ones carried in, and every daily summary equals a brute-force reference
// that cuts the range at every event and midnight and integrates each
// offer's step function exactly. Every case uses its own GPU id and
// providers, so cases share one store without seeing each other's history.
func testDailyProperty(t *testing.T, s store.Store) {
	ctx := context.Background()
	sync := syncer(t, s)
	const span = 4 * 24 * 60 // minutes of history a case spreads over
	cases := 0
	rapid.Check(t, func(rt *rapid.T) {
		cases++
		// Providers are per case too: a complete answer ends all of a
		// provider's offers, whatever their GPU.
		gpu := fmt.Sprintf("gpu-case-%d", cases)
		providers := []string{fmt.Sprintf("p1-%d", cases), fmt.Sprintf("p2-%d", cases), fmt.Sprintf("p3-%d", cases)}
		m := newHistoryModel()
		at := base.Add(-time.Duration(rapid.IntRange(0, span/2).Draw(rt, "start")) * time.Minute)
		for step, steps := 0, rapid.IntRange(1, 14).Draw(rt, "steps"); step < steps; step++ {
			// Repeated instants are allowed: ties order by record order.
			at = at.Add(time.Duration(rapid.IntRange(0, span/4).Draw(rt, "gap")) * time.Minute)
			complete := rapid.Bool().Draw(rt, "complete")
			provider := rapid.SampledFrom(providers).Draw(rt, "provider")
			offers := make([]shared.Offer, rapid.IntRange(0, 4).Draw(rt, "offers"))
			for i := range offers {
				p := provider
				if !complete {
					p = rapid.SampledFrom(providers).Draw(rt, "offer provider")
				}
				id := fmt.Sprintf("%s:%s:%d", p, gpu, rapid.IntRange(0, 2).Draw(rt, "offer"))
				offers[i] = offer(id, p, gpu, "M-"+gpu, rapid.SampledFrom([]float64{0.1, 0.7, 2.1, 3.3}).Draw(rt, "price"))
			}
			offers = uniqueIDs(offers)
			var (
				got []store.PricePoint
				err error
			)
			if complete {
				got, err = sync.SyncProviderOffers(ctx, provider, offers, at)
			} else {
				got, err = s.UpsertOffers(ctx, offers, at)
			}
			if err != nil {
				rt.Fatalf("recording at %v: %v", at, err)
			}
			if want := m.record(offers, complete, provider, at); !slices.EqualFunc(got, want, samePoint) {
				rt.Fatalf("recording at %v (complete %v) appended %+v, want %+v", at, complete, got, want)
			}
		}

		q := store.PriceQuery{GPUIDs: []string{gpu}, Provider: rapid.SampledFrom([]string{"", providers[0], providers[1]}).Draw(rt, "filter"), Limit: 1000}
		if min := rapid.IntRange(-span, span).Draw(rt, "from"); min > -span {
			q.From = base.Add(time.Duration(min) * time.Minute)
		}
		q.To = base.Add(time.Duration(rapid.IntRange(-span/2, 2*span).Draw(rt, "to")) * time.Minute)

		points, err := s.PriceHistoryPoints(ctx, q)
		if err != nil {
			rt.Fatalf("PriceHistoryPoints: %v", err)
		}
		if want := m.points(q); !slices.EqualFunc(points, want, samePoint) {
			rt.Fatalf("PriceHistoryPoints(%+v) = %+v, want %+v", q, points, want)
		}

		days, err := s.PriceHistoryDaily(ctx, q)
		if err != nil {
			rt.Fatalf("PriceHistoryDaily: %v", err)
		}
		want := m.daily(q)
		if len(days) != len(want) {
			rt.Fatalf("PriceHistoryDaily(%+v) = %+v, want %+v", q, days, want)
		}
		for i, d := range days {
			w := want[i]
			if !d.Day.Equal(w.Day) || d.Provider != w.Provider || d.Min != w.Min || d.Max != w.Max || d.Samples != w.Samples ||
				math.Abs(d.Avg-w.Avg) > 1e-9*max(1, math.Abs(w.Avg)) || d.Avg < d.Min || d.Avg > d.Max {
				rt.Fatalf("day %d of %+v = %+v, want %+v", i, q, d, w)
			}
		}
	})
}

// uniqueIDs keeps the first offer of each id, as one provider answer has.
func uniqueIDs(offers []shared.Offer) []shared.Offer {
	seen := map[string]bool{}
	return slices.DeleteFunc(offers, func(o shared.Offer) bool {
		dup := seen[o.ID]
		seen[o.ID] = true
		return dup
	})
}

// historyModel is the stores' contract in memory: the offers table and
// the events appended, in record order.
type historyModel struct {
	offers map[string]*modelOffer
	events []store.PricePoint
}

type modelOffer struct {
	last     store.PricePoint
	lastSeen time.Time
	gone     bool
}

func newHistoryModel() *historyModel { return &historyModel{offers: map[string]*modelOffer{}} }

// record is UpsertOffers (complete false) or SyncProviderOffers: in id
// order a point for each offer that is new, gone or repriced; then, for a
// complete answer, a Gone point for each live offer of the provider not
// listed and last seen before at, in id order.
func (m *historyModel) record(offers []shared.Offer, complete bool, provider string, at time.Time) []store.PricePoint {
	sorted := slices.Clone(offers)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	var out []store.PricePoint
	listed := map[string]bool{}
	for _, o := range sorted {
		listed[o.ID] = true
		p := store.PricePoint{OfferID: o.ID, Provider: o.Provider, GPUID: o.GPUID, GPUModel: o.GPUModel,
			Region: o.NormalizedRegion, Price: o.PricePerHour, PerGPU: o.PricePerGPUHour, At: at}
		st, ok := m.offers[o.ID]
		if !ok || st.gone || st.last.Price != p.Price || st.last.PerGPU != p.PerGPU {
			out = append(out, p)
		}
		m.offers[o.ID] = &modelOffer{last: p, lastSeen: at}
	}
	if complete {
		ids := make([]string, 0, len(m.offers))
		for id := range m.offers {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			st := m.offers[id]
			if st.last.Provider == provider && !listed[id] && !st.gone && st.lastSeen.Before(at) {
				st.gone = true
				g := st.last
				g.At, g.Gone = at, true
				out = append(out, g)
			}
		}
	}
	m.events = append(m.events, out...)
	return out
}

// byOffer returns the events of the offers q selects, per offer, ordered
// by time and then record order.
func (m *historyModel) byOffer(q store.PriceQuery) map[string][]store.PricePoint {
	out := map[string][]store.PricePoint{}
	for _, e := range m.events {
		if q.Provider == "" || e.Provider == q.Provider {
			out[e.OfferID] = append(out[e.OfferID], e)
		}
	}
	for _, es := range out {
		sort.SliceStable(es, func(i, j int) bool { return es[i].At.Before(es[j].At) })
	}
	return out
}

// points is raw history: for a non-zero From, each offer's event in force
// at From unless it is a Gone one, then the events in [From, To), all
// oldest first with ties in record order. An empty range has none.
func (m *historyModel) points(q store.PriceQuery) []store.PricePoint {
	if !q.From.IsZero() && !q.From.Before(q.To) {
		return nil
	}
	// carried maps an offer to the index of its last event before From;
	// indices, since one offer can record equal events at one instant.
	carried := map[string]int{}
	for i, e := range m.events {
		if !q.From.IsZero() && e.At.Before(q.From) {
			if j, ok := carried[e.OfferID]; !ok || !e.At.Before(m.events[j].At) {
				carried[e.OfferID] = i
			}
		}
	}
	var out []store.PricePoint
	for i, e := range m.events {
		inRange := (q.From.IsZero() || !e.At.Before(q.From)) && e.At.Before(q.To)
		isCarried := carried[e.OfferID] == i && e.At.Before(q.From) && !e.Gone
		if (q.Provider == "" || e.Provider == q.Provider) && (inRange || isCarried) {
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

// daily is the brute-force reference: the range is cut at every event
// time and UTC midnight inside it, so on each piece every offer has one
// state, the last of its events at or before the piece's start; live
// offers add price x length to the piece's day.
func (m *historyModel) daily(q store.PriceQuery) []store.DailyPrice {
	byOffer := m.byOffer(q)
	start := q.From
	if start.IsZero() {
		start = q.To
		for _, es := range byOffer {
			if es[0].At.Before(start) {
				start = es[0].At
			}
		}
	}
	if !start.Before(q.To) {
		return nil
	}
	cuts := []time.Time{start, q.To}
	for day := start.Truncate(24 * time.Hour).Add(24 * time.Hour); day.Before(q.To); day = day.Add(24 * time.Hour) {
		cuts = append(cuts, day)
	}
	for _, e := range m.events {
		if e.At.After(start) && e.At.Before(q.To) {
			cuts = append(cuts, e.At)
		}
	}
	slices.SortFunc(cuts, func(a, b time.Time) int { return a.Compare(b) })
	cuts = slices.CompactFunc(cuts, time.Time.Equal)

	type acc struct {
		min, max, integral, length float64
		offers                     map[string]bool
	}
	sums := map[dayKey]*acc{}
	for i := 0; i+1 < len(cuts); i++ {
		lo, hi := cuts[i], cuts[i+1]
		for id, es := range byOffer {
			var state *store.PricePoint
			for j := range es {
				if !es[j].At.After(lo) {
					state = &es[j]
				}
			}
			if state == nil || state.Gone {
				continue
			}
			k := dayKey{lo.Truncate(24 * time.Hour).Unix(), state.Provider}
			a := sums[k]
			if a == nil {
				a = &acc{min: state.PerGPU, max: state.PerGPU, offers: map[string]bool{}}
				sums[k] = a
			}
			a.min, a.max = min(a.min, state.PerGPU), max(a.max, state.PerGPU)
			a.integral += state.PerGPU * hi.Sub(lo).Seconds()
			a.length += hi.Sub(lo).Seconds()
			a.offers[id] = true
		}
	}
	out := make([]store.DailyPrice, 0, len(sums))
	for k, a := range sums {
		out = append(out, store.DailyPrice{Day: time.Unix(k.day, 0).UTC(), Provider: k.provider, Min: a.min,
			Avg: a.integral / a.length, Max: a.max, Samples: len(a.offers)})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Day.Equal(out[j].Day) {
			return out[i].Day.Before(out[j].Day)
		}
		return out[i].Provider < out[j].Provider
	})
	return out
}

// dayKey is a (UTC midnight as Unix seconds, provider) summary row.
type dayKey struct {
	day      int64
	provider string
}
