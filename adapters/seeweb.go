package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// Seeweb (Cloud Server GPU): two GETs against the ECS API v2, both
// authenticated with the API token in an "X-APITOKEN" header (the header
// Seeweb's own ecsapi SDK and dstack's gpuhunt send):
//
//   - {base}/ecs/v2/plans lists every plan: cpu, ram (MiB), disk (GB) and
//     gpu (count) as strings, gpu_label ("L40s 48GB"), hourly_price (EUR),
//     windows, available (the plan is active) and available_regions[]
//     ({id, location: "it-fr2", description}).
//   - {base}/ecs/v2/plans/availables lists the plans that can be created
//     right now, with region_availables[] ({region, hosts: [...]}): the
//     live capacity signal.
//
// Neither endpoint pages. Prices are published in euros; offers carry them
// converted to USD (shared.SetPricesIn) with the euro figure as list price. Seeweb's ecsapi SDK documents the shapes:
// https://pypi.org/project/ecsapi/
var seewebInfo = Info{
	Name:           "seeweb",
	DisplayName:    "Seeweb",
	DefaultBaseURL: "https://api.seeweb.it",
	DocsURL:        "https://pypi.org/project/ecsapi/",
	NeedsKey:       true,
	KeyEnv:         "SEEWEB_API_TOKEN",
	sendKey:        keyScheme{header: "X-Apitoken"},
}

func init() { register(seewebInfo, newSeeweb) }

const (
	seewebPlansPath      = "/ecs/v2/plans"
	seewebAvailablesPath = "/ecs/v2/plans/availables"
)

type seeweb struct{ provider }

func newSeeweb(cfg Config) *seeweb { return &seeweb{newProvider(seewebInfo, cfg)} }

type seewebPlansResponse struct {
	Plans []seewebPlan `json:"plans"`
}

// seewebPlan is one entry of /plans. Counts and sizes arrive as strings
// ("8", "32768"); seewebNumber reads them either way.
type seewebPlan struct {
	Name             string       `json:"name"`
	CPU              seewebNumber `json:"cpu"`
	RAM              seewebNumber `json:"ram"`  // MiB
	Disk             seewebNumber `json:"disk"` // GB
	GPU              seewebNumber `json:"gpu"`  // GPU count; "0" or null on CPU plans
	GPULabel         string       `json:"gpu_label"`
	HourlyPrice      seewebNumber `json:"hourly_price"`
	Windows          bool         `json:"windows"`
	Available        *bool        `json:"available"`
	AvailableRegions []struct {
		Location    string `json:"location"`
		Description string `json:"description"`
	} `json:"available_regions"`

	// malformed marks an entry with unexpected JSON types; it is skipped
	// rather than failing the whole list.
	malformed bool
}

func (p *seewebPlan) UnmarshalJSON(b []byte) error {
	type plain seewebPlan
	p.malformed = !decodeLenient(b, (*plain)(p))
	return nil
}

type seewebAvailablesResponse struct {
	Plans []seewebAvailablePlan `json:"plans"`
}

type seewebAvailablePlan struct {
	Name             string `json:"name"`
	RegionAvailables []struct {
		Region string            `json:"region"`
		Hosts  []json.RawMessage `json:"hosts"`
	} `json:"region_availables"`
	malformed bool
}

func (p *seewebAvailablePlan) UnmarshalJSON(b []byte) error {
	type plain seewebAvailablePlan
	p.malformed = !decodeLenient(b, (*plain)(p))
	return nil
}

// seewebNumber is a number sent as a JSON number, a numeric string, or a
// string with a unit or currency around it ("8 cores", "€0.85"). Anything
// else reads as zero.
type seewebNumber float64

func (n *seewebNumber) UnmarshalJSON(b []byte) error {
	*n = 0
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) == nil {
			*n = seewebNumber(leadingNumber(s))
		}
		return nil
	}
	var f float64
	if json.Unmarshal(b, &f) == nil {
		*n = seewebNumber(f)
	}
	return nil
}

// leadingNumber parses the first decimal number in s, skipping a currency
// sign or other text before it.
func leadingNumber(s string) float64 {
	start := strings.IndexAny(s, "0123456789")
	if start < 0 {
		return 0
	}
	end := start
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.') {
		end++
	}
	f, err := strconv.ParseFloat(strings.TrimRight(s[start:end], "."), 64)
	if err != nil {
		return 0
	}
	return f
}

func (s *seeweb) Fetch(ctx context.Context) ([]shared.Offer, error) {
	var plans seewebPlansResponse
	if err := s.get(ctx, seewebPlansPath, &plans); err != nil {
		return nil, err
	}
	var avail seewebAvailablesResponse
	if err := s.get(ctx, seewebAvailablesPath, &avail); err != nil {
		return nil, err
	}
	return parseSeeweb(plans, avail, s.origin(seewebPlansPath))
}

// parseSeeweb emits one offer per GPU plan and region the plan is sold in.
//
// Skipped: CPU-only plans (no gpu count or label), Windows plans (their
// price includes a licence), inactive plans (available false) and plans
// without a price.
//
// Availability comes from /plans/availables: a region listed there for the
// plan with two or more hosts that can take it is available; with one host,
// or with its hosts not itemised, limited; a region of the plan not listed
// there is unavailable.
//
// Compliance: Seeweb's data centres are ISO/IEC 27001 certified, hence
// "iso27001" everywhere, plus "gdpr" for its European regions (all of
// them today).
func parseSeeweb(plans seewebPlansResponse, avail seewebAvailablesResponse, at origin) ([]shared.Offer, error) {
	hosts := map[[2]string]int{} // (plan, region) -> hosts with capacity
	for _, p := range avail.Plans {
		if p.malformed {
			continue
		}
		for _, r := range p.RegionAvailables {
			if loc := strings.TrimSpace(r.Region); loc != "" {
				hosts[[2]string{p.Name, loc}] += max(len(r.Hosts), 1)
			}
		}
	}
	var set offerSet
	for i := range plans.Plans {
		p := &plans.Plans[i]
		base, ok := seewebBase(p, at)
		if !ok {
			continue
		}
		for _, r := range p.AvailableRegions {
			loc := strings.TrimSpace(r.Location)
			if loc == "" {
				continue
			}
			o := base
			o.ID = at.id(base.InstanceType, loc)
			// The first plan of an id takes it, even one that then fails
			// validation.
			if !set.claim(o.ID) {
				continue
			}
			where := seewebLocation(loc)
			o.SetLocation(loc, where)
			o.ComplianceTags = withGDPR(where, "iso27001")
			switch n := hosts[[2]string{p.Name, loc}]; {
			case n >= 2:
				o.Availability = shared.Available
			case n == 1:
				o.Availability = shared.Limited
			default:
				o.Availability = shared.Unavailable
			}
			// A price so small that it rounds to zero per GPU is garbage;
			// set.keep drops it.
			set.keep(o)
		}
	}
	if !seewebHasGPUPlan(plans.Plans) {
		return set.offers(), nil // CPU-only plans are not a broken response
	}
	return set.result(at, len(plans.Plans), "plans but no priced GPU plan in any region")
}

// seewebBase builds the region-independent part of a plan's offers; ok is
// false for plans that are not priced, active Linux GPU plans.
func seewebBase(p *seewebPlan, at origin) (shared.Offer, bool) {
	name := strings.TrimSpace(p.Name)
	label := strings.TrimSpace(p.GPULabel)
	gpus := float64(p.GPU)
	price := float64(p.HourlyPrice)
	if p.malformed || name == "" || label == "" || !(gpus >= 1 && gpus <= 64) || !sanePrice(price) ||
		p.Windows || (p.Available != nil && !*p.Available) {
		return shared.Offer{}, false
	}
	o := at.stamp(shared.Offer{
		InstanceType: name,
		VCPUs:        round2(float64(p.CPU)),
		RAMGB:        round2(float64(p.RAM) / 1024),
		DiskGB:       round2(float64(p.Disk)),
	})
	o.SetGPU(label, 0, gpus) // the label carries the memory ("A100 80GB")
	if err := o.SetPricesIn("EUR", price, 0); err != nil {
		return shared.Offer{}, false
	}
	return o, true
}

// seewebHasGPUPlan reports whether any plan claims GPUs, so that a list of
// CPU-only plans is not mistaken for a broken response.
func seewebHasGPUPlan(plans []seewebPlan) bool {
	for i := range plans {
		if plans[i].GPU > 0 && !plans[i].malformed {
			return true
		}
	}
	return false
}

// seewebRegions maps Seeweb's region codes to a country and city.
var seewebRegions = map[string][2]string{
	"it-fr2":  {"IT", "Frosinone"},
	"it-mi2":  {"IT", "Milan"},
	"ch-lug1": {"CH", "Lugano"},
	"bg-sof1": {"BG", "Sofia"},
	"hr-zag1": {"HR", "Zagreb"},
}

// seewebLocation reads a region code; unknown codes still start with the
// country ("xx-city1").
func seewebLocation(code string) shared.Location {
	if r, ok := seewebRegions[strings.ToLower(code)]; ok {
		return shared.Locate(r[0], r[1])
	}
	cc, _, _ := strings.Cut(code, "-")
	return shared.Locate(cc, "")
}
