package simulator

import (
	"math"
	"math/rand/v2"
	"strings"
)

// Item is one synthetic offer in a provider's inventory, in the provider's
// own vocabulary. Renderers turn items into that provider's wire format.
type Item struct {
	ID       string  // provider-native id (instance type, machine id, SKU)
	GPU      string  // GPU name spelled the way this provider spells it
	GPUMemGB float64 // per-GPU memory
	GPUCount float64
	VCPUs    float64
	RAMGB    float64
	DiskGB   float64
	Region   string  // provider-native region code
	Price    float64 // current on-demand price of the instance, USD/hour
	Spot     float64 // current spot/interruptible price; 0 when none
	Stock    int     // units available; 0 means sold out
	Attrs    map[string]string
}

// walk is the random-walk state of one item.
type walk struct {
	basePrice, baseSpot float64
	mult                float64
}

// stepItem advances one item's price multiplier by a log-normal step, kept
// within 0.6–1.6 of the base so prices stay plausible, and lets stock drift.
func stepItem(r *rand.Rand, it *Item, w *walk, vol float64) {
	w.mult *= math.Exp(vol * r.NormFloat64())
	w.mult = min(max(w.mult, 0.6), 1.6)
	it.Price = round4(w.basePrice * w.mult)
	if w.baseSpot > 0 {
		it.Spot = round4(w.baseSpot * w.mult)
	}
	switch x := r.Float64(); {
	case x < 0.05:
		it.Stock = 0
	case x < 0.15:
		it.Stock = 1 + r.IntN(8)
	}
}

func round4(p float64) float64 { return math.Round(p*1e4) / 1e4 }

// between returns a uniform value in [lo, hi), rounded to cents.
func between(r *rand.Rand, lo, hi float64) float64 {
	return math.Round((lo+r.Float64()*(hi-lo))*100) / 100
}

// pick returns one element of xs.
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func joinComma(xs []string) string { return strings.Join(xs, ",") }

func splitComma(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
