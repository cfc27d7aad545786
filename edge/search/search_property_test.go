package search

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/shared"
)

// genQuery draws a random query over the vocabulary of randomOffer.
func genQuery(t *rapid.T) Query {
	b := newBuilder("")
	if rapid.Bool().Draw(t, "hasGPU") {
		names := []string{"H100", "h100 nvl", "A100", "A100 80GB", "nvidia-a100-sxm-40gb", "A10", "L40S", "rtx4090", "MI300X", "acme tensor x9"}
		b.gpus("gpu", rapid.SliceOfNDistinct(rapid.SampledFrom(names), 1, 3, rapid.ID).Draw(t, "gpus"))
	}
	if rapid.Bool().Draw(t, "hasMin") {
		b.number("min_price", rapid.Float64Range(0, 30).Draw(t, "min"), &b.q.MinPrice)
	}
	if rapid.Bool().Draw(t, "hasMax") {
		b.number("max_price", rapid.Float64Range(0, 60).Draw(t, "max"), &b.q.MaxPrice)
	}
	if rapid.Bool().Draw(t, "hasRegion") {
		regs := []string{"us-east", "us", "eu", "DE", "eu-central-1", "ap-northeast", "sa-east", "us-central"}
		b.regions("region", rapid.SliceOfNDistinct(rapid.SampledFrom(regs), 1, 2, rapid.ID).Draw(t, "regions"))
	}
	if rapid.Bool().Draw(t, "hasAvail") {
		b.availability("availability", rapid.SampledFrom([]string{"available", "limited", "unavailable"}).Draw(t, "avail"), &b.q.Availability)
	}
	if rapid.Bool().Draw(t, "hasMinAvail") {
		b.availability("min_availability", rapid.SampledFrom([]string{"available", "limited", "unavailable"}).Draw(t, "minAvail"), &b.q.MinAvailability)
	}
	if rapid.Bool().Draw(t, "hasProvider") {
		b.providers("provider", rapid.SliceOfNDistinct(rapid.SampledFrom(testProviders), 1, 3, rapid.ID).Draw(t, "providers"))
	}
	if rapid.Bool().Draw(t, "hasMem") {
		b.number("min_memory_gb", float64(rapid.SampledFrom([]int{16, 24, 40, 48, 80, 94}).Draw(t, "mem")), &b.q.MinMemoryGB)
	}
	if rapid.Bool().Draw(t, "hasCount") {
		b.count("gpu_count", rapid.SampledFrom([]float64{1, 2, 4, 8}).Draw(t, "count"), 1, &b.q.GPUCount)
	}
	if rapid.Bool().Draw(t, "hasFractional") {
		b.fractional(rapid.Bool().Draw(t, "fractional"))
	}
	if rapid.Bool().Draw(t, "hasTags") {
		b.compliance("compliance", rapid.SliceOfNDistinct(rapid.SampledFrom(testTags), 1, 2, rapid.ID).Draw(t, "tags"))
	}
	b.sort("sort", rapid.SampledFrom(sortValues).Draw(t, "sort"))
	b.perPage("per_page", rapid.IntRange(1, 30).Draw(t, "perPage"))
	q, err := b.finish()
	if err != nil {
		t.Skip("contradictory filters")
	}
	return q
}

// refMatch restates every filter independently of Query.match.
func refMatch(q *Query, o *shared.Offer) bool {
	if len(q.GPUs) > 0 {
		any := false
		for _, g := range q.GPUs {
			any = any || g.Matches(o)
		}
		if !any {
			return false
		}
	}
	if q.MinPrice > 0 && o.PricePerHour < q.MinPrice {
		return false
	}
	if !math.IsInf(q.MaxPrice, 1) && o.PricePerHour > q.MaxPrice {
		return false
	}
	if len(q.Regions) > 0 {
		any := false
		for _, r := range q.Regions {
			lr := strings.ToLower(r)
			any = any || lr == strings.ToLower(o.Region) || lr == o.NormalizedRegion || lr == strings.ToLower(o.Country) ||
				lr == strings.ToLower(o.Continent) || strings.HasPrefix(o.NormalizedRegion, lr+"-")
		}
		if !any {
			return false
		}
	}
	if q.Availability != "" && o.Availability != q.Availability {
		return false
	}
	if q.MinAvailability != "" && o.Availability.Rank() < q.MinAvailability.Rank() {
		return false
	}
	if len(q.Providers) > 0 {
		any := false
		for _, p := range q.Providers {
			any = any || p == o.Provider
		}
		if !any {
			return false
		}
	}
	if q.MinMemoryGB > 0 && float64(o.GPUMemoryGB) < q.MinMemoryGB {
		return false
	}
	if q.GPUCount > 0 && o.GPUCount != q.GPUCount {
		return false
	}
	if q.Fractional == fractionalOnly && o.GPUCount >= 1 || q.Fractional == fractionalWhole && o.GPUCount < 1 {
		return false
	}
	for _, tag := range q.ComplianceTags {
		found := false
		for _, have := range o.ComplianceTags {
			found = found || have == tag
		}
		if !found {
			return false
		}
	}
	return true
}

// randomView spreads n random offers over the test providers' snapshots.
func randomView(seed uint64, n int) *view {
	r := rand.New(rand.NewPCG(seed, 2))
	by := map[string][]shared.Offer{}
	for i := 0; i < n; i++ {
		p := testProviders[r.IntN(len(testProviders))]
		by[p] = append(by[p], randomOffer(r, p, i))
	}
	v := &view{}
	for _, p := range testProviders {
		sn, err := newSnapshot(by[p])
		if err != nil {
			panic(err)
		}
		v.snaps = append(v.snaps, sn)
	}
	return v
}

func (v *view) allOffers() []*shared.Offer {
	var out []*shared.Offer
	for _, sn := range v.snaps {
		for i := range sn.offers {
			out = append(out, &sn.offers[i])
		}
	}
	return out
}

// Property 13: every returned offer matches all filters; and no matching
// offer is lost: walking the cursor chain returns each match exactly once,
// in sort order.
func TestPropertyFilterCorrectness(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := randomView(rapid.Uint64().Draw(t, "seed"), rapid.IntRange(0, 300).Draw(t, "n"))
		q := genQuery(t)
		want := 0
		for _, o := range v.allOffers() {
			if refMatch(&q, o) {
				want++
			}
		}
		seen := map[string]bool{}
		var prev *shared.Offer
		for pages := 0; ; pages++ {
			page, total, next := v.search(&q)
			if total != want {
				t.Fatalf("total %d, reference count %d", total, want)
			}
			if len(page) > q.PerPage {
				t.Fatalf("page of %d > per_page %d", len(page), q.PerPage)
			}
			for _, h := range page {
				o := h.o
				if !refMatch(&q, o) {
					t.Fatalf("offer %s returned but does not match %+v", o.ID, q)
				}
				if seen[o.ID] {
					t.Fatalf("offer %s returned twice", o.ID)
				}
				seen[o.ID] = true
				if prev != nil && !q.Sort.less(prev, o) {
					t.Fatalf("%s before %s breaks sort %s", prev.ID, o.ID, q.Sort.name)
				}
				prev = o
			}
			if next == nil {
				break
			}
			// Round-trip the cursor through its wire form, as a client would.
			c, err := decodeCursor(next.encode())
			if err != nil {
				t.Fatal(err)
			}
			q.Cursor = c
			if pages > 400 {
				t.Fatal("cursor chain does not end")
			}
		}
		if len(seen) != want {
			t.Fatalf("walked %d offers, want %d", len(seen), want)
		}
	})
}

// Offset paging ("page") covers the same items as the cursor chain.
func TestPropertyPageParamMatchesCursor(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := randomView(rapid.Uint64().Draw(t, "seed"), rapid.IntRange(0, 120).Draw(t, "n"))
		q := genQuery(t)
		cq := q
		for p := 1; ; p++ {
			q.Page = p
			byPage, _, _ := v.search(&q)
			byCursor, _, next := v.search(&cq)
			if len(byPage) != len(byCursor) {
				t.Fatalf("page %d: %d items by page, %d by cursor", p, len(byPage), len(byCursor))
			}
			for i := range byPage {
				if byPage[i].o.ID != byCursor[i].o.ID {
					t.Fatalf("page %d item %d differs", p, i)
				}
			}
			if next == nil {
				return
			}
			cq.Cursor = next
		}
	})
}
