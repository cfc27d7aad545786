package search

import (
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// sortKey orders offers by one numeric key, ties broken by offer id so the
// order is total and keyset cursors are exact.
type sortKey struct {
	name string
	desc bool
	key  func(o *shared.Offer) float64
}

var (
	sortPrice  = sortKey{name: "price", key: func(o *shared.Offer) float64 { return o.PricePerHour }}
	sortKeys   = map[string]sortKey{}
	sortValues []string
)

func init() {
	add := func(name string, key func(o *shared.Offer) float64) {
		sortKeys[name] = sortKey{name: name, key: key}
		sortKeys["-"+name] = sortKey{name: "-" + name, desc: true, key: key}
		sortValues = append(sortValues, name, "-"+name)
	}
	add("price", sortPrice.key)
	add("price_per_gpu", func(o *shared.Offer) float64 { return o.PricePerGPUHour })
	add("memory", func(o *shared.Offer) float64 { return float64(o.GPUMemoryGB) })
	add("gpu_count", func(o *shared.Offer) float64 { return o.GPUCount })
	add("availability", func(o *shared.Offer) float64 { return float64(o.Availability.Rank()) })
}

func parseSort(s string) (sortKey, bool) {
	k, ok := sortKeys[strings.ToLower(strings.TrimSpace(s))]
	return k, ok
}

// before reports whether (ka, ida) sorts strictly before (kb, idb).
func (s sortKey) before(ka float64, ida string, kb float64, idb string) bool {
	if ka != kb {
		if s.desc {
			return ka > kb
		}
		return ka < kb
	}
	return ida < idb
}

func (s sortKey) less(a, b *shared.Offer) bool {
	return s.before(s.key(a), a.ID, s.key(b), b.ID)
}
