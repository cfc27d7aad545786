package adapters

import (
	"context"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// Shadeform: GET {base}/instances/types, authenticated with the API key in
// the X-API-KEY header. Shadeform is a marketplace: every entry is one
// instance type of one underlying cloud (lambdalabs, crusoe, massedcompute,
// denvr, …) with its specs, an hourly price in US cents and per-region
// availability. The operation takes only filters (cloud, region, gpu_type,
// num_gpus, available, sort) and returns the whole list in one response.
// https://docs.shadeform.ai/api-reference/instances/instances-types
var shadeformInfo = Info{
	Name:           "shadeform",
	DisplayName:    "Shadeform",
	DefaultBaseURL: "https://api.shadeform.ai/v1",
	DocsURL:        "https://docs.shadeform.ai/api-reference/instances/instances-types",
	NeedsKey:       true,
	KeyEnv:         "SHADEFORM_API_KEY",
	sendKey:        keyScheme{header: "X-Api-Key"},
}

func init() { register(shadeformInfo, newShadeform) }

const shadeformTypesPath = "/instances/types"

type shadeform struct{ provider }

func newShadeform(cfg Config) *shadeform { return &shadeform{newProvider(shadeformInfo, cfg)} }

type shadeformResponse struct {
	InstanceTypes []shadeformType `json:"instance_types"`
}

// shadeformConfig holds the specs. The documented place is "configuration";
// the quickstart's sample response repeats the same fields at the top level
// of the entry, which the adapter reads when "configuration" lacks them.
type shadeformConfig struct {
	MemoryInGB     float64 `json:"memory_in_gb"`
	StorageInGB    float64 `json:"storage_in_gb"`
	VCPUs          float64 `json:"vcpus"`
	NumGPUs        float64 `json:"num_gpus"`
	GPUType        string  `json:"gpu_type"` // "A100_80G", "H100", "RTX6000Ada"
	Interconnect   string  `json:"interconnect"`
	VRAMPerGPUInGB float64 `json:"vram_per_gpu_in_gb"`
}

type shadeformType struct {
	Cloud             string          `json:"cloud"`
	ShadeInstanceType string          `json:"shade_instance_type"`
	CloudInstanceType string          `json:"cloud_instance_type"`
	Configuration     shadeformConfig `json:"configuration"`
	shadeformConfig
	HourlyPrice  float64              `json:"hourly_price"` // US cents per instance-hour
	Availability []shadeformAvailable `json:"availability"`

	// malformed marks an entry whose fields had unexpected JSON types; it
	// is skipped rather than failing the whole list.
	malformed bool
}

func (t *shadeformType) UnmarshalJSON(b []byte) error {
	type plain shadeformType
	t.malformed = !decodeLenient(b, (*plain)(t))
	return nil
}

// shadeformAvailable is one region's stock for an instance type. Responses
// seen in the wild add "rental_type" ("on_demand" or "spot"; absent means
// on demand) and, on spot rows, "hourly_price" as a string of US dollars;
// the published schema has only region and available.
type shadeformAvailable struct {
	Region      string  `json:"region"`
	Available   bool    `json:"available"`
	DisplayName string  `json:"display_name"` // "US, Dulles, VA"
	RentalType  string  `json:"rental_type"`
	HourlyPrice decimal `json:"hourly_price"` // US dollars, usually a string ("26.76")
}

func (s *shadeform) Fetch(ctx context.Context) ([]shared.Offer, error) {
	return fetchOne(ctx, &s.provider, shadeformTypesPath, nil, parseShadeform)
}

// parseShadeform emits one offer per instance type and region.
//
// Identity: the id is (underlying cloud, shade_instance_type, region), the
// triple Shadeform's create call takes; the instance type shown is
// "<cloud>/<cloud_instance_type>" so the real seller stays visible.
//
// Prices: hourly_price is the on-demand price of the whole instance in
// cents. A spot row for the same region adds its dollar price as the spot
// price while it is available; a region listed only with a spot row is an
// interruptible offer priced at the spot rate.
//
// Availability: Shadeform reports a boolean per region and no counts, so
// available=true is "available" and false is "unavailable". An instance
// type with no regions at all is kept as one "unavailable" offer in region
// "any" so its price stays visible.
//
// Compliance: Shadeform publishes no certification for the clouds it
// resells; EU locations carry "gdpr".
func parseShadeform(resp shadeformResponse, at origin) ([]shared.Offer, error) {
	var set offerSet
	for i := range resp.InstanceTypes {
		for _, o := range shadeformOffers(&resp.InstanceTypes[i], at) {
			set.add(o)
		}
	}
	return set.result(at, len(resp.InstanceTypes), "instance types but none with GPUs and a price")
}

// shadeformRegion gathers the on-demand and spot rows of one region.
type shadeformRegion struct {
	code, display     string
	onDemand, odAvail bool
	spotAvail         bool
	spotPrice         float64
}

func shadeformOffers(t *shadeformType, at origin) []shared.Offer {
	cfg := t.specs()
	cloud, shade := strings.TrimSpace(t.Cloud), strings.TrimSpace(t.ShadeInstanceType)
	gpuType := strings.TrimSpace(cfg.GPUType)
	if t.malformed || cloud == "" || shade == "" || gpuType == "" || !(cfg.NumGPUs > 0) {
		return nil // not a priced GPU offer we can name
	}
	native := strings.TrimSpace(t.CloudInstanceType)
	if native == "" {
		native = shade
	}
	base := at.stamp(shared.Offer{
		InstanceType: cloud + "/" + native,
		VCPUs:        round2(cfg.VCPUs),
		RAMGB:        shadeformRAMGB(cfg.MemoryInGB, cfg.NumGPUs),
		DiskGB:       round2(cfg.StorageInGB),
		Currency:     "USD",
	})
	base.SetGPU(shadeformGPUName(gpuType, cfg.Interconnect), shadeformVRAMGB(cfg.VRAMPerGPUInGB), cfg.NumGPUs)
	onDemand := t.HourlyPrice / 100
	regions := shadeformRegions(t.Availability)
	if len(regions) == 0 {
		if !sanePrice(onDemand) {
			return nil
		}
		o := base
		o.ID = at.id(cloud, shade, "any")
		o.SetPrices(onDemand, 0)
		o.SetLocation("any", shared.Location{})
		o.ComplianceTags = []string{}
		o.Availability = shared.Unavailable
		return []shared.Offer{o}
	}
	var out []shared.Offer
	for _, r := range regions {
		o := base
		o.ID = at.id(cloud, shade, r.code)
		spot := 0.0
		if r.spotAvail && sanePrice(r.spotPrice) {
			spot = r.spotPrice
		}
		switch {
		case r.onDemand && sanePrice(onDemand):
			o.SetPrices(onDemand, spot)
			o.Availability = shadeformAvailability(r.odAvail)
		case sanePrice(r.spotPrice):
			// No on-demand row (or price) here: only the spot tier is sold.
			o.SetPrices(r.spotPrice, 0)
			o.Interruptible = true
			o.Availability = shadeformAvailability(r.spotAvail)
		default:
			continue
		}
		loc := shadeformLocation(r.code, r.display)
		o.SetLocation(r.code, loc)
		o.ComplianceTags = withGDPR(loc)
		out = append(out, o)
	}
	return out
}

// specs prefers the documented "configuration" object and falls back, field
// by field, to the top-level copies.
func (t *shadeformType) specs() shadeformConfig {
	c, top := t.Configuration, t.shadeformConfig
	pickF := func(a, b float64) float64 {
		if a > 0 {
			return a
		}
		return b
	}
	pickS := func(a, b string) string {
		if strings.TrimSpace(a) != "" {
			return a
		}
		return b
	}
	return shadeformConfig{
		MemoryInGB:     pickF(c.MemoryInGB, top.MemoryInGB),
		StorageInGB:    pickF(c.StorageInGB, top.StorageInGB),
		VCPUs:          pickF(c.VCPUs, top.VCPUs),
		NumGPUs:        pickF(c.NumGPUs, top.NumGPUs),
		GPUType:        pickS(c.GPUType, top.GPUType),
		Interconnect:   pickS(c.Interconnect, top.Interconnect),
		VRAMPerGPUInGB: pickF(c.VRAMPerGPUInGB, top.VRAMPerGPUInGB),
	}
}

// shadeformRegions merges the rows of each region, in first-seen order.
func shadeformRegions(rows []shadeformAvailable) []shadeformRegion {
	var out []shadeformRegion
	idx := map[string]int{}
	for _, a := range rows {
		code := strings.TrimSpace(a.Region)
		if code == "" {
			continue
		}
		i, ok := idx[code]
		if !ok {
			i = len(out)
			idx[code] = i
			out = append(out, shadeformRegion{code: code})
		}
		r := &out[i]
		if r.display == "" {
			r.display = strings.TrimSpace(a.DisplayName)
		}
		if strings.EqualFold(strings.TrimSpace(a.RentalType), "spot") {
			r.spotAvail = r.spotAvail || a.Available
			if p := float64(a.HourlyPrice); p > 0 && (r.spotPrice == 0 || p < r.spotPrice) {
				r.spotPrice = p
			}
			continue
		}
		r.onDemand = true
		r.odAvail = r.odAvail || a.Available
	}
	return out
}

func shadeformAvailability(avail bool) shared.Availability {
	if avail {
		return shared.Available
	}
	return shared.Unavailable
}

// shadeformGPUName joins the GPU type ("A100_80G" becomes "A100 80G") with
// the interconnect when it names a form factor ("sxm5", "pcie"), which the
// catalog needs to tell an H100 SXM from an H100 PCIe.
func shadeformGPUName(gpuType, interconnect string) string {
	name := strings.Join(strings.Fields(strings.ReplaceAll(gpuType, "_", " ")), " ")
	ic := strings.ToLower(strings.TrimSpace(interconnect))
	if strings.HasPrefix(ic, "sxm") || strings.HasPrefix(ic, "pcie") {
		name += " " + ic
	}
	return name
}

// shadeformVRAMGB reads per-GPU memory. The field is documented in GB, but
// catalog copies of Shadeform data mix GB and MiB in memory fields, so a
// value no GPU has in GB (over 1 TB) is taken as MiB.
func shadeformVRAMGB(v float64) float64 {
	switch {
	case !(v > 0) || v > 1e9:
		return 0
	case v > 1024:
		return v / 1024
	}
	return v
}

// shadeformRAMGB reads host memory the same way: more than 2 TB of RAM per
// GPU is a MiB figure.
func shadeformRAMGB(v, gpus float64) float64 {
	if !(v > 0) || v > 1e12 {
		return 0
	}
	if gpus > 0 && v/gpus > 2048 {
		v /= 1024
	}
	return round2(v)
}

// shadeformCities maps the city part of Shadeform region codes
// ("<city>-<country>-<n>", e.g. "desmoines-usa-1") that shared.Locate does
// not know, being spelled without spaces, to their state or province.
var shadeformCities = map[string]string{
	"dulles": "VA", "culpeper": "VA", "ashburn": "VA", "beltsville": "MD", "newyork": "NY",
	"desmoines": "IA", "kansascity": "MO", "wichita": "KS", "saltlakecity": "UT", "sanjose": "CA",
	"santaclara": "CA", "losangeles": "CA", "sanfrancisco": "CA", "lasvegas": "NV", "casper": "WY",
	"oklahomacity": "OK", "sanantonio": "TX",
}

// shadeformLocation reads the display name ("US, Dulles, VA", "FI,
// Central") when it starts with a country code, and otherwise the region
// code "<city>-<country>-<n>"; codes in another cloud's style ("us-west-1")
// yield at least the country.
func shadeformLocation(code, display string) shared.Location {
	city, country := shadeformCodeParts(code)
	var parts []string
	for _, p := range strings.Split(display, ",") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) >= 2 {
		if cc := shared.CountryCode(parts[0]); cc != "" {
			loc := shared.Locate(cc, parts[len(parts)-1])
			if loc.Region == strings.ToLower(cc) && city != "" {
				// Only the country was recognised: the code's city may say where.
				return shadeformCityLocation(cc, city)
			}
			return loc
		}
	}
	cc := shared.CountryCode(country)
	if cc == "" {
		first, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(code)), "-")
		cc, city = shared.CountryCode(first), ""
	}
	if cc == "" {
		return shared.Location{}
	}
	return shadeformCityLocation(cc, city)
}

func shadeformCityLocation(cc, city string) shared.Location {
	if st, ok := shadeformCities[city]; ok {
		return shared.Locate(cc, st)
	}
	return shared.Locate(cc, city)
}

// shadeformCodeParts splits "kansascity-usa-1" into ("kansascity", "usa").
func shadeformCodeParts(code string) (city, country string) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(code)), "-")
	if n := len(parts); n >= 2 {
		if _, err := strconv.Atoi(parts[n-1]); err == nil {
			parts = parts[:n-1]
		}
	}
	if len(parts) < 2 {
		return "", ""
	}
	return strings.Join(parts[:len(parts)-1], ""), parts[len(parts)-1]
}
