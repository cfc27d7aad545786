package shared

import (
	"maps"
	"slices"
	"strings"
)

// The search answers 400 for a filter value that names nothing, instead of
// silently returning no offers. The Known functions say which values name
// something in the tables of this package; values only current offers know
// (an uncatalogued GPU, a provider's own region code) are the caller's to
// accept. The Suggest functions propose what the client may have meant.

// Known reports whether the query names at least one catalog entry.
func (q GPUQuery) Known() bool { return len(q.ids) > 0 }

// gpuCandidates is one suggestion per catalog model, spelled by every key
// that names it, so "4090" suggests "RTX 4090" as well as "RTX4090" does.
var gpuCandidates = catalogCandidates()

func catalogCandidates() []candidate {
	var out []candidate
	index := map[string]int{}
	for _, s := range catalogEntries {
		i, seen := index[s.Model]
		if !seen {
			i = len(out)
			index[s.Model] = i
			out = append(out, candidate{name: s.Model})
		}
		for _, k := range append([]string{s.Model}, s.Keys...) {
			key := []rune(gpuKey(k))
			if len(key) > 0 && !slices.ContainsFunc(out[i].keys, func(have []rune) bool { return slices.Equal(have, key) }) {
				out[i].keys = append(out[i].keys, key)
			}
		}
	}
	return out
}

// SuggestGPUs returns up to n catalog model names ("H100", "RTX 4090")
// closest to a gpu filter value, closest first. It compares the model key
// ParseGPUQuery matches on, so vendor words, memory and form factor in the
// value neither help nor hurt.
func SuggestGPUs(q string, n int) []string {
	return rank([]rune(gpuKey(q)), gpuCandidates, n)
}

// The region filter's own values, each list sorted: canonical regions in
// lower case, and country and continent codes in upper case as they are
// usually written.
var (
	canonicalRegions = slices.Sorted(slices.Values(CanonicalRegions()))
	countryCodes     = slices.Sorted(maps.Keys(continentOf))
	continentCodes   = slices.Compact(slices.Sorted(maps.Values(continentOf)))
	regionValues     = slices.Concat(canonicalRegions, countryCodes, continentCodes)
)

// KnownRegion reports whether the region filter value r names a canonical
// region ("us-east"), its country-level prefix ("us", "ap"), an ISO country
// code ("DE") or a continent code ("EU"), compared as the search compares
// them: case-insensitively, nothing trimmed. A provider's own region code
// ("us-east-1") is known only from offers and is not checked here.
func KnownRegion(r string) bool {
	for _, c := range countryCodes {
		if strings.EqualFold(r, c) {
			return true
		}
	}
	for _, c := range continentCodes {
		if strings.EqualFold(r, c) {
			return true
		}
	}
	for _, nr := range canonicalRegions {
		if strings.EqualFold(r, nr) || len(nr) > len(r) && nr[len(r)] == '-' && strings.EqualFold(nr[:len(r)], r) {
			return true
		}
	}
	return false
}

// SuggestRegions returns up to n canonical regions, country codes and
// continent codes closest to a region filter value, closest first; extra
// adds candidates only the caller knows, such as the provider region codes
// of listed offers.
func SuggestRegions(r string, n int, extra ...string) []string {
	return SuggestFrom(r, slices.Concat(regionValues, extra), n)
}

// complianceTags are the tags adapters put in Offer.ComplianceTags, sorted.
// Adding a tag to an adapter means adding it here, or the search refuses it.
var complianceTags = []string{"fedramp", "gdpr", "hipaa", "iso27001", "pci-dss", "soc2"}

// KnownComplianceTags returns the compliance tags offers can carry, sorted.
func KnownComplianceTags() []string { return slices.Clone(complianceTags) }

// KnownComplianceTag reports whether t is one of KnownComplianceTags,
// case-insensitively as the search compares tags.
func KnownComplianceTag(t string) bool {
	return slices.ContainsFunc(complianceTags, func(c string) bool { return strings.EqualFold(t, c) })
}

// SuggestComplianceTags returns up to n known compliance tags closest to t,
// closest first.
func SuggestComplianceTags(t string, n int) []string {
	return SuggestFrom(t, complianceTags, n)
}
