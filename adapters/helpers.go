package adapters

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// decimal is a price sent as a JSON number or as a decimal string ("1.90",
// " 26.76 "); anything else reads as 0, no price.
type decimal float64

func (d *decimal) UnmarshalJSON(b []byte) error {
	*d = 0
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return nil
		}
		b = []byte(strings.TrimSpace(s))
	}
	if v, err := strconv.ParseFloat(string(b), 64); err == nil {
		*d = decimal(v)
	}
	return nil
}

// decodeLenient decodes b into v, or zeroes v and returns false when b does
// not fit v's types. Payload entries decode through it so that one entry of
// an unexpected shape is skipped, marked malformed, rather than failing the
// whole answer.
func decodeLenient[T any](b []byte, v *T) bool {
	var p T
	ok := json.Unmarshal(b, &p) == nil
	if !ok {
		p = *new(T) // Unmarshal may have filled some fields before failing
	}
	*v = p
	return ok
}

// sanePrice rejects missing, negative and absurd hourly prices (the last
// would overflow the six-decimal rounding in shared.Offer).
func sanePrice(p float64) bool { return p > 0 && p < 1e6 }

// setPricesOrSpot prices o on demand, with spot (0 for none) as its spot
// price; without a sane on-demand price, an offer that has a spot price is
// sold only as spot: the spot price becomes its price and it is
// interruptible. False when there is neither price.
func setPricesOrSpot(o *shared.Offer, onDemand, spot float64) bool {
	switch {
	case sanePrice(onDemand):
		o.SetPrices(onDemand, spot)
	case spot > 0:
		o.SetPrices(spot, 0)
		o.Interruptible = true
	default:
		return false
	}
	return true
}

// round2 rounds a spec (vCPUs, GB) to two decimals and reads missing,
// negative and absurd values as 0 (unknown).
func round2(x float64) float64 {
	if !(x > 0) || x > 1e12 {
		return 0
	}
	return float64(int64(x*100+0.5)) / 100
}

// round2Exact is round2 with math.Round, which rounds x*100 to the nearest
// integer exactly; round2's "+0.5 then truncate" can round once more in the
// addition and land a cent higher on values a hair below a half cent. The
// adapters that used math.Round keep it so that none of their figures move.
func round2Exact(x float64) float64 {
	if !(x > 0) || x > 1e12 {
		return 0
	}
	return math.Round(x*100) / 100
}

// positive is x when it is a plausible count (above 0, at most a million),
// else 0 (unknown).
func positive(x float64) float64 {
	if !(x > 0) || x > 1e6 {
		return 0
	}
	return x
}

// lowerUnique trims and lower-cases codes (regions, zones, locations) and
// drops empty and repeated ones, keeping the first-seen order.
func lowerUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range in {
		c = strings.ToLower(strings.TrimSpace(c))
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// sortedCodes is lowerUnique sorted, so that offer order is stable.
func sortedCodes(in []string) []string {
	out := lowerUnique(in)
	sort.Strings(out)
	return out
}

// withGDPR returns a fresh, never nil tag list: certs, plus "gdpr" for a
// location in Europe. Offers share no tag slice, so appending to one
// offer's tags cannot change another's.
func withGDPR(loc shared.Location, certs ...string) []string {
	tags := make([]string, 0, len(certs)+1)
	tags = append(tags, certs...)
	if loc.Continent == "EU" {
		tags = append(tags, "gdpr")
	}
	return tags
}
