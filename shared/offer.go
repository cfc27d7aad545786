package shared

import (
	"strings"
	"time"
)

// Availability is the normalized stock level of an offer.
type Availability string

// The three availability levels every provider-specific status maps to.
const (
	Available   Availability = "available"
	Limited     Availability = "limited"
	Unavailable Availability = "unavailable"
)

// Rank orders availability levels so that "at least limited" is a comparison.
func (a Availability) Rank() int {
	switch a {
	case Available:
		return 2
	case Limited:
		return 1
	default:
		return 0
	}
}

// ParseAvailability accepts the three canonical names, case-insensitively.
func ParseAvailability(s string) (Availability, bool) {
	switch Availability(strings.ToLower(strings.TrimSpace(s))) {
	case Available:
		return Available, true
	case Limited:
		return Limited, true
	case Unavailable:
		return Unavailable, true
	}
	return "", false
}

// Offer is one rentable GPU configuration at one provider and location,
// normalized so that offers from different clouds compare field by field.
//
// Prices are USD per hour unless Currency says otherwise. PricePerHour is the
// on-demand price of the whole instance; for spot-only offers (Interruptible)
// it holds the spot price. PricePerGPUHour is PricePerHour divided by
// GPUCount, so a fractional GPU (GPUCount 1/6) reports the price of a whole
// GPU-hour at that rate.
type Offer struct {
	ID           string `json:"id"`
	Provider     string `json:"provider"`
	InstanceType string `json:"instance_type"`

	GPUID           string  `json:"gpu_id"`
	GPUModel        string  `json:"gpu_model"`
	GPUName         string  `json:"gpu_name"`
	GPUVendor       string  `json:"gpu_vendor"`
	GPUFormFactor   string  `json:"gpu_form_factor,omitempty"`
	GPUMemoryGB     int     `json:"gpu_memory_gb"`
	GPUCount        float64 `json:"gpu_count"`
	GPUFraction     string  `json:"gpu_fraction,omitempty"`
	GPUKnown        bool    `json:"gpu_known"`
	ProviderGPUName string  `json:"provider_gpu_name"`

	VCPUs  float64 `json:"vcpus"`
	RAMGB  float64 `json:"ram_gb"`
	DiskGB float64 `json:"disk_gb"`

	PricePerHour        float64  `json:"price_per_hour"`
	PricePerGPUHour     float64  `json:"price_per_gpu_hour"`
	SpotPricePerHour    *float64 `json:"spot_price_per_hour"`
	SpotPricePerGPUHour *float64 `json:"spot_price_per_gpu_hour"`
	Interruptible       bool     `json:"interruptible"`
	Currency            string   `json:"currency"`
	// ListPricePerHour and ListCurrency are the provider's own quote when
	// it is not in USD (see SetPricesIn).
	ListPricePerHour float64 `json:"list_price_per_hour,omitempty"`
	ListCurrency     string  `json:"list_currency,omitempty"`

	Region           string `json:"region"`
	NormalizedRegion string `json:"normalized_region"`
	Country          string `json:"country"`
	Continent        string `json:"continent"`

	Availability   Availability `json:"availability"`
	ComplianceTags []string     `json:"compliance_tags"`
	FetchedAt      time.Time    `json:"fetched_at"`
	Source         string       `json:"source"`
}

// SetGPU fills the GPU identity fields from a catalog lookup of the name the
// provider used. count may be fractional (an Azure NV6ads_A10_v5 is 1/6 A10).
func (o *Offer) SetGPU(providerName string, memoryGBHint float64, count float64) {
	spec, known := LookupGPU(providerName, memoryGBHint)
	o.ProviderGPUName = providerName
	o.GPUID = spec.ID
	o.GPUModel = spec.Model
	o.GPUName = spec.Name
	o.GPUVendor = spec.Vendor
	o.GPUFormFactor = spec.FormFactor
	o.GPUMemoryGB = spec.MemoryGB
	o.GPUKnown = known
	o.GPUCount = count
	o.GPUFraction = FractionString(count)
}

// SetPrices fills the instance and per-GPU prices. spot <= 0 means no spot
// price is offered.
func (o *Offer) SetPrices(onDemand, spot float64) {
	o.PricePerHour = roundPrice(onDemand)
	o.PricePerGPUHour = perGPU(onDemand, o.GPUCount)
	o.SpotPricePerHour, o.SpotPricePerGPUHour = nil, nil
	if spot > 0 {
		s, sg := roundPrice(spot), perGPU(spot, o.GPUCount)
		o.SpotPricePerHour, o.SpotPricePerGPUHour = &s, &sg
	}
}

// SetLocation records the provider's own region name and its normalized form.
func (o *Offer) SetLocation(providerRegion string, loc Location) {
	o.Region = providerRegion
	o.NormalizedRegion = loc.Region
	o.Country = loc.Country
	o.Continent = loc.Continent
}

func perGPU(price, count float64) float64 {
	if count <= 0 {
		return 0
	}
	return roundPrice(price / count)
}

// roundPrice keeps six decimals: enough for sub-cent per-GPU prices, and it
// hides float noise such as 0.30000000000000004 from clients.
func roundPrice(p float64) float64 {
	const scale = 1e6
	if p <= 0 {
		return p
	}
	return float64(int64(p*scale+0.5)) / scale
}

// FractionString renders a fractional GPU count as "1/n" when it is close to
// one, and "" for whole counts.
func FractionString(count float64) string {
	if count <= 0 || count >= 1 {
		return ""
	}
	for n := 2; n <= 64; n++ {
		if d := count*float64(n) - 1; d > -0.02 && d < 0.02 {
			return "1/" + itoa(n)
		}
	}
	return ""
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// OfferID builds a stable, provider-scoped offer id: "<provider>:<part>:...".
// Parts are reduced to URL-path-safe characters so ids can be used in
// /api/v2/providers/{offer_id} without escaping.
func OfferID(provider string, parts ...string) string {
	var b strings.Builder
	b.WriteString(provider)
	for _, p := range parts {
		b.WriteByte(':')
		for _, r := range p {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
				b.WriteRune(r)
			default:
				b.WriteByte('_')
			}
		}
	}
	return b.String()
}

// ProviderOfOfferID returns the provider prefix of an offer id.
func ProviderOfOfferID(id string) (string, bool) {
	i := strings.IndexByte(id, ':')
	if i <= 0 || i == len(id)-1 {
		return "", false
	}
	return id[:i], true
}

// Validate reports the first required field an offer lacks. Every offer an
// adapter emits must pass (seeds' Property 12).
func (o *Offer) Validate() error {
	switch {
	case o.ID == "":
		return errMissing("id")
	case !ValidName(o.Provider):
		return errMissing("provider")
	case o.InstanceType == "":
		return errMissing("instance_type")
	case o.GPUID == "" || o.GPUModel == "" || o.GPUVendor == "":
		return errMissing("gpu identity")
	case o.GPUKnown && o.GPUMemoryGB <= 0:
		return errMissing("gpu_memory_gb")
	case !(o.GPUCount > 0):
		return errMissing("gpu_count")
	case !(o.PricePerHour > 0) || !(o.PricePerGPUHour > 0):
		return errMissing("price_per_hour")
	case o.SpotPricePerHour != nil && !(*o.SpotPricePerHour > 0):
		return errMissing("spot_price_per_hour")
	case len(o.Currency) != 3:
		return errMissing("currency")
	case o.Region == "":
		return errMissing("region")
	case o.Availability.Rank() == 0 && o.Availability != Unavailable:
		return errMissing("availability")
	case o.FetchedAt.IsZero():
		return errMissing("fetched_at")
	case o.Source == "":
		return errMissing("source")
	case o.ComplianceTags == nil:
		return errMissing("compliance_tags")
	}
	return nil
}

type missingFieldError string

func (e missingFieldError) Error() string { return "offer lacks required field " + string(e) }

func errMissing(f string) error { return missingFieldError(f) }
