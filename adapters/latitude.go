package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// Latitude.sh: GET {base}/plans?filter[gpu]=true, authenticated with the API
// key as a Bearer token. The JSON:API response lists bare-metal plans
// (data[].attributes: slug, name, specs{cpu, memory, drives, gpu}) and, per
// country region, the sites where a plan can be deployed
// (locations.available), those with machines in stock (locations.in_stock),
// a stock_level and the price per server hour and month. The operation
// documents filters only, no pages.
// https://www.latitude.sh/docs/api-reference/get-plans
var latitudeInfo = Info{
	Name:           "latitude",
	DisplayName:    "Latitude.sh",
	DefaultBaseURL: "https://api.latitude.sh",
	DocsURL:        "https://www.latitude.sh/docs/api-reference/get-plans",
	NeedsKey:       true,
	KeyEnv:         "LATITUDE_API_KEY",
	sendKey:        bearer,
}

func init() { register(latitudeInfo, newLatitude) }

const latitudePlansPath = "/plans"

type latitude struct{ provider }

func newLatitude(cfg Config) *latitude { return &latitude{newProvider(latitudeInfo, cfg)} }

type latitudeResponse struct {
	Data []latitudePlan `json:"data"`
}

type latitudePlan struct {
	Attributes struct {
		Slug  string `json:"slug"`
		Name  string `json:"name"`
		Specs struct {
			CPU struct {
				Cores float64 `json:"cores"`
				Count float64 `json:"count"`
			} `json:"cpu"`
			Memory struct {
				Total latitudeSize `json:"total"` // GB: 256 or "256 GB"
			} `json:"memory"`
			Drives []struct {
				Count float64      `json:"count"`
				Size  latitudeSize `json:"size"` // "3.8TB"
			} `json:"drives"`
			GPU struct {
				Count        float64      `json:"count"`
				Type         string       `json:"type"` // "NVIDIA H100"
				VRAMPerGPU   latitudeSize `json:"vram_per_gpu"`
				Interconnect string       `json:"interconnect"`
			} `json:"gpu"`
		} `json:"specs"`
		Regions []latitudeRegion `json:"regions"`
	} `json:"attributes"`

	// malformed marks a plan whose fields had unexpected JSON types; it is
	// skipped rather than failing the whole list.
	malformed bool
}

func (p *latitudePlan) UnmarshalJSON(b []byte) error {
	type plain latitudePlan
	p.malformed = !decodeLenient(b, (*plain)(p))
	return nil
}

type latitudeRegion struct {
	Name      string `json:"name"` // country, e.g. "United States"
	Locations struct {
		Available []string `json:"available"` // site codes, e.g. "DAL"
		InStock   []string `json:"in_stock"`
	} `json:"locations"`
	StockLevel string `json:"stock_level"` // unavailable, low, medium, high, unique
	Pricing    struct {
		USD struct {
			Hour float64 `json:"hour"`
		} `json:"USD"`
	} `json:"pricing"`
}

// latitudeSize is a size in GB given as a number or as text with a unit
// ("3.8TB", "960GB", "256 GB"); terabytes are decimal, as drive makers
// count them. Anything unreadable is 0.
type latitudeSize float64

func (s *latitudeSize) UnmarshalJSON(b []byte) error {
	*s = 0
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var str string
		if json.Unmarshal(b, &str) != nil {
			return nil
		}
		*s = latitudeSize(latitudeParseSize(str))
		return nil
	}
	if v, err := strconv.ParseFloat(string(b), 64); err == nil && v > 0 && v < 1e12 {
		*s = latitudeSize(v)
	}
	return nil
}

func latitudeParseSize(str string) float64 {
	str = strings.ToUpper(strings.ReplaceAll(str, " ", ""))
	mult := 1.0
	switch {
	case strings.HasSuffix(str, "TB"):
		str, mult = strings.TrimSuffix(str, "TB"), 1000
	case strings.HasSuffix(str, "GB"):
		str = strings.TrimSuffix(str, "GB")
	case strings.HasSuffix(str, "G"):
		str = strings.TrimSuffix(str, "G")
	}
	v, err := strconv.ParseFloat(str, 64)
	if err != nil || !(v > 0) || v > 1e9 {
		return 0
	}
	return v * mult
}

func (l *latitude) Fetch(ctx context.Context) ([]shared.Offer, error) {
	var resp latitudeResponse
	err := l.send(ctx, call{
		method: http.MethodGet,
		url:    l.base + latitudePlansPath + "?filter%5Bgpu%5D=true",
		header: http.Header{"Accept": {"application/vnd.api+json, application/json"}}, // a JSON:API server
	}, &resp)
	if err != nil {
		return nil, err
	}
	return parseLatitude(resp, l.origin(latitudePlansPath))
}

// parseLatitude emits one offer per GPU plan and site.
//
// Prices: pricing.USD.hour is the on-demand price of the whole server in
// that country region; regions without an hourly USD price are skipped.
// Latitude sells no spot tier.
//
// Availability: a site in locations.in_stock is "available", or "limited"
// when the region's stock_level is low, unique (a last machine) or
// unavailable (the two signals disagree); a site that is only in
// locations.available is deployable but out of stock: "unavailable". A
// priced region that names no site at all is one "unavailable" offer under
// the region's name.
//
// Specs: vCPUs are physical cores (cores × sockets), as Latitude lists
// them; disk is the sum of the drives.
//
// Compliance: Latitude publishes no per-plan certifications here; sites in
// Europe carry "gdpr".
func parseLatitude(resp latitudeResponse, at origin) ([]shared.Offer, error) {
	var set offerSet
	for i := range resp.Data {
		for _, o := range latitudeOffers(&resp.Data[i], at) {
			set.add(o)
		}
	}
	return set.result(at, len(resp.Data), "plans but none with GPUs and a price")
}

func latitudeOffers(p *latitudePlan, at origin) []shared.Offer {
	a := &p.Attributes
	slug := strings.TrimSpace(a.Slug)
	name := strings.TrimSpace(a.Name)
	if name == "" {
		name = slug
	}
	gpu := strings.TrimSpace(a.Specs.GPU.Type)
	if p.malformed || slug == "" || gpu == "" || !(a.Specs.GPU.Count > 0) {
		return nil // CPU-only or nameless plans are not GPU offers
	}
	if ic := strings.TrimSpace(a.Specs.GPU.Interconnect); ic != "" {
		gpu += " " + ic
	}
	base := at.stamp(shared.Offer{
		InstanceType: name,
		VCPUs:        latitudeCores(a.Specs.CPU.Cores, a.Specs.CPU.Count),
		RAMGB:        float64(a.Specs.Memory.Total),
		Currency:     "USD",
	})
	for _, d := range a.Specs.Drives {
		if d.Count > 0 && d.Count < 1000 {
			base.DiskGB += d.Count * float64(d.Size)
		}
	}
	base.SetGPU(gpu, float64(a.Specs.GPU.VRAMPerGPU), a.Specs.GPU.Count)
	var out []shared.Offer
	for ri := range a.Regions {
		r := &a.Regions[ri]
		price := r.Pricing.USD.Hour
		if !sanePrice(price) {
			continue
		}
		sites := latitudeSites(r)
		if len(sites) == 0 {
			region := strings.TrimSpace(r.Name)
			if region == "" {
				continue
			}
			o := base
			o.ID = at.id(slug, region)
			o.SetPrices(price, 0)
			latitudeLocate(&o, region, shared.Locate(region, ""))
			o.Availability = shared.Unavailable
			out = append(out, o)
			continue
		}
		for _, site := range sites {
			o := base
			o.ID = at.id(slug, site.code)
			o.SetPrices(price, 0)
			latitudeLocate(&o, site.code, latitudeLocation(site.code, r.Name))
			o.Availability = shared.Unavailable
			if site.inStock {
				o.Availability = shared.Available
				switch strings.ToLower(strings.TrimSpace(r.StockLevel)) {
				case "low", "unique", "unavailable":
					o.Availability = shared.Limited
				}
			}
			out = append(out, o)
		}
	}
	return out
}

func latitudeLocate(o *shared.Offer, region string, loc shared.Location) {
	o.SetLocation(region, loc)
	o.ComplianceTags = withGDPR(loc)
}

type latitudeSite struct {
	code    string
	inStock bool
}

// latitudeSites lists a region's deployable sites, then any in-stock site
// the available list missed, without duplicates.
func latitudeSites(r *latitudeRegion) []latitudeSite {
	stocked := map[string]bool{}
	for _, s := range r.Locations.InStock {
		stocked[strings.ToUpper(strings.TrimSpace(s))] = true
	}
	var out []latitudeSite
	seen := map[string]bool{}
	for _, list := range [][]string{r.Locations.Available, r.Locations.InStock} {
		for _, s := range list {
			code := strings.ToUpper(strings.TrimSpace(s))
			if code == "" || seen[code] {
				continue
			}
			seen[code] = true
			out = append(out, latitudeSite{code: code, inStock: stocked[code]})
		}
	}
	return out
}

func latitudeCores(cores, sockets float64) float64 {
	if !(cores > 0) || cores > 1e6 {
		return 0
	}
	if sockets > 0 && sockets < 64 {
		cores *= sockets
	}
	return cores
}

// latitudeSiteCodes maps Latitude's site codes to a country and state.
var latitudeSiteCodes = map[string][2]string{
	"ASH": {"US", "VA"}, "NYC": {"US", "NY"}, "MIA": {"US", "FL"}, "MIA2": {"US", "FL"},
	"CHI": {"US", "IL"}, "DAL": {"US", "TX"}, "DAL2": {"US", "TX"}, "LAX": {"US", "CA"},
	"SAO": {"BR", ""}, "SAO2": {"BR", ""}, "SP2": {"BR", ""}, "MEX": {"MX", ""},
	"MEX2": {"MX", ""}, "BGT": {"CO", ""}, "BUE": {"AR", ""}, "SAN": {"CL", ""},
	"SYD": {"AU", ""}, "TYO": {"JP", ""}, "TYO2": {"JP", ""}, "LON": {"GB", ""},
	"FRA": {"DE", ""}, "AMS": {"NL", ""},
}

// latitudeLocation places a site by its code, falling back to the region's
// country name ("United States", "Brazil") for sites the table lacks.
func latitudeLocation(site, regionName string) shared.Location {
	if c, ok := latitudeSiteCodes[site]; ok {
		return shared.Locate(c[0], c[1])
	}
	return shared.Locate(regionName, "")
}
