// Package history holds the parts of the price-history queries both
// stores write the same way.
package history

import "strings"

// PointColumns are the price_points columns a PricePoint is scanned from,
// in the order both stores' scanPoint read them.
const PointColumns = "offer_id, provider, gpu_id, gpu_model, region, price, per_gpu, at, gone"

// PointColumnsOf is PointColumns qualified with table alias t.
func PointColumnsOf(t string) string {
	cols := strings.Split(PointColumns, ", ")
	for i, c := range cols {
		cols[i] = t + "." + c
	}
	return strings.Join(cols, ", ")
}
