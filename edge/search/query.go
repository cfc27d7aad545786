package search

import (
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

const (
	defaultPerPage = 20
	maxPerPage     = 100
	maxListItems   = 50  // values in one list filter
	maxValueLen    = 200 // characters in one filter value
)

// Query is a validated offer search, built from GET parameters or a JSON
// body. Every set filter must hold for an offer to match (Property 13);
// list filters match any of their values.
type Query struct {
	GPUs            []shared.GPUQuery
	MinPrice        float64 // instance price per hour; 0 = unset
	MaxPrice        float64 // math.Inf(1) = unset
	Regions         []string
	Availability    shared.Availability // exact level; "" = unset
	MinAvailability shared.Availability // at least this level; "" = unset
	Providers       []string
	MinMemoryGB     float64 // per-GPU memory
	MaxMemoryGB     float64
	GPUCount        float64 // exact GPU count; 0 = unset
	MinGPUCount     float64
	MaxGPUCount     float64
	ComplianceTags  []string // all must be present
	Fractional      fractional
	Sort            sortKey
	PerPage         int
	Cursor          *cursor
	Page            int // 1-based offset paging, an alternative to Cursor

	// The fields the list filters were given as ("gpu" or "gpu_type",
	// prefixed inside a bulk request), for errors found after the gather.
	gpuField, regionField, complianceField string
}

// fractional filters offers by whether they sell a fraction of a GPU.
type fractional int8

const (
	fractionalAny   fractional = iota
	fractionalOnly             // GPUCount < 1 (a slice of one GPU)
	fractionalWhole            // GPUCount >= 1
)

func newQuery() Query {
	return Query{MaxPrice: math.Inf(1), MaxMemoryGB: math.Inf(1), MaxGPUCount: math.Inf(1), Sort: sortPrice, PerPage: defaultPerPage}
}

// match reports whether o satisfies every filter of q.
func (q *Query) match(o *shared.Offer) bool {
	if o.PricePerHour < q.MinPrice || o.PricePerHour > q.MaxPrice {
		return false
	}
	if m := float64(o.GPUMemoryGB); m < q.MinMemoryGB || m > q.MaxMemoryGB {
		return false
	}
	if o.GPUCount < q.MinGPUCount || o.GPUCount > q.MaxGPUCount {
		return false
	}
	if q.GPUCount > 0 && math.Abs(o.GPUCount-q.GPUCount) > 1e-9 {
		return false
	}
	if q.Fractional != fractionalAny && (o.GPUCount < 1) != (q.Fractional == fractionalOnly) {
		return false
	}
	if q.Availability != "" && o.Availability != q.Availability {
		return false
	}
	if q.MinAvailability != "" && o.Availability.Rank() < q.MinAvailability.Rank() {
		return false
	}
	if len(q.Providers) > 0 && !containsFold(q.Providers, o.Provider) {
		return false
	}
	if len(q.GPUs) > 0 {
		ok := false
		for i := range q.GPUs {
			if q.GPUs[i].Matches(o) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(q.Regions) > 0 {
		ok := false
		for _, r := range q.Regions {
			if regionMatches(r, o) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, t := range q.ComplianceTags {
		if !containsFold(o.ComplianceTags, t) {
			return false
		}
	}
	return true
}

// regionMatches accepts, case-insensitively, the canonical region
// ("us-east"), its country-level prefix ("us" matches every us-* region),
// the provider's own region code ("us-east-1", "eastus"), an ISO country
// code ("DE") or a continent code ("EU").
func regionMatches(r string, o *shared.Offer) bool {
	switch {
	case strings.EqualFold(r, o.NormalizedRegion), strings.EqualFold(r, o.Region),
		strings.EqualFold(r, o.Country), strings.EqualFold(r, o.Continent):
		return true
	}
	nr := o.NormalizedRegion
	return len(nr) > len(r) && nr[len(r)] == '-' && strings.EqualFold(nr[:len(r)], r)
}

func containsFold(xs []string, s string) bool {
	for _, x := range xs {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// fingerprint identifies the filters and sort of q (not its paging), so a
// cursor can be checked against the query it is used with.
func (q *Query) fingerprint() uint64 {
	var b strings.Builder
	w := func(k string, vs ...string) {
		b.WriteString(k)
		for _, v := range vs {
			b.WriteByte('=')
			b.WriteString(strings.ToLower(v))
		}
		b.WriteByte('&')
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	gpus := make([]string, len(q.GPUs))
	for i, g := range q.GPUs {
		gpus[i] = g.String()
	}
	w("gpu", sorted(gpus)...)
	w("price", f(q.MinPrice), f(q.MaxPrice))
	w("region", sorted(q.Regions)...)
	w("avail", string(q.Availability), string(q.MinAvailability))
	w("provider", sorted(q.Providers)...)
	w("mem", f(q.MinMemoryGB), f(q.MaxMemoryGB))
	w("count", f(q.GPUCount), f(q.MinGPUCount), f(q.MaxGPUCount))
	if q.Fractional != fractionalAny {
		// Written only when set, so cursors issued before the filter
		// existed stay valid.
		w("fractional", strconv.Itoa(int(q.Fractional)))
	}
	w("compliance", sorted(q.ComplianceTags)...)
	w("sort", q.Sort.name)
	h := fnv.New64a()
	_, _ = h.Write([]byte(b.String()))
	return h.Sum64()
}

func sorted(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = strings.ToLower(x)
	}
	sort.Strings(out)
	return out
}
