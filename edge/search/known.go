package search

import (
	"strings"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
)

// maxSuggestions bounds the "did you mean" list of a 400.
const maxSuggestions = 5

// unknownValue is the 400 for the first filter value of q that names
// nothing: neither a known value (the GPU catalog, the region tables, the
// compliance tags adapters emit) nor one any offer in the view carries (a
// GPU the catalog does not know, a provider's own region code). Such a
// value would silently match nothing, which reads as an empty market when
// it is a typo. Values are checked after the gather because the view is
// what says which unknown-to-the-tables values exist.
func (v *view) unknownValue(q *Query) *httpx.Error {
	for i := range q.GPUs {
		g := &q.GPUs[i]
		if g.Known() || v.any(g.Matches) {
			continue
		}
		return suggest(q.gpuField, g.String(), "names no GPU model on offer or in the catalog (GET /api/v2/gpus lists them)",
			shared.SuggestGPUs(g.String(), maxSuggestions))
	}
	for _, r := range q.Regions {
		if shared.KnownRegion(r) || v.any(func(o *shared.Offer) bool { return strings.EqualFold(o.Region, r) }) {
			continue
		}
		return suggest(q.regionField, r, "names no region: use a canonical region (us-east), a country code (DE), a continent (EU) or a provider's region code",
			shared.SuggestRegions(r, maxSuggestions, v.regionCodes()...))
	}
	for _, t := range q.ComplianceTags {
		if shared.KnownComplianceTag(t) || v.any(func(o *shared.Offer) bool { return containsFold(o.ComplianceTags, t) }) {
			continue
		}
		return suggest(q.complianceField, t, "names no compliance tag; known: "+strings.Join(shared.KnownComplianceTags(), ", "),
			shared.SuggestComplianceTags(t, maxSuggestions))
	}
	return nil
}

func suggest(field, value, msg string, near []string) *httpx.Error {
	e := httpx.BadParam(field, value+" "+msg)
	if len(near) > 0 {
		e.Message += "; did you mean " + strings.Join(near, ", ") + "?"
		e.Suggestions = near
	}
	return e
}

// any reports whether some offer of the view satisfies f.
func (v *view) any(f func(*shared.Offer) bool) bool {
	for _, sn := range v.snaps {
		for i := range sn.offers {
			if f(&sn.offers[i]) {
				return true
			}
		}
	}
	return false
}

// regionCodes are the providers' own region codes in the view, once each.
func (v *view) regionCodes() []string {
	seen := map[string]bool{}
	var out []string
	for _, sn := range v.snaps {
		for i := range sn.offers {
			if r := sn.offers[i].Region; r != "" && !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	return out
}
