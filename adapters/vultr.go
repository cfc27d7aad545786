package adapters

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// Vultr: GET {base}/v2/plans?type=all and GET {base}/v2/plans-metal, both
// paged with per_page (at most 500) and an opaque cursor taken from
// meta.links.next. Plan listings need no credential; a configured key is
// sent as "Authorization: Bearer", which makes Vultr report the plan types
// and locations of the caller's account instead of the public defaults.
// Cloud GPU plans ("vcg") carry gpu_type and gpu_vram_gb; whole-node GPU
// plans that Vultr types "vdm" and the bare-metal GPU plans name their GPU
// only in the plan id ("vcg-h100-216c-1914gb-640vram",
// "vbm-112c-2048gb-8-h100-gpu"). https://www.vultr.com/api/#tag/plans
var vultrInfo = Info{
	Name:           "vultr",
	DisplayName:    "Vultr",
	DefaultBaseURL: "https://api.vultr.com",
	DocsURL:        "https://www.vultr.com/api/#tag/plans",
	KeyEnv:         "VULTR_API_KEY",
	sendKey:        bearer,
}

func init() { register(vultrInfo, newVultr) }

const (
	vultrPlansPath = "/v2/plans"
	vultrMetalPath = "/v2/plans-metal"
	vultrPageSize  = 500 // the documented maximum
	vultrMaxPages  = 1000
	// Vultr's monthly prices are a capped number of hours: 730 for cloud
	// plans and 672 for bare metal (the ratio of monthly_cost to
	// hourly_cost in its own responses). Used only when hourly_cost is absent.
	vultrHoursPerMonth      = 730
	vultrMetalHoursPerMonth = 672
)

type vultr struct {
	provider
	pageSize int
}

func newVultr(cfg Config) *vultr {
	return &vultr{provider: newProvider(vultrInfo, cfg), pageSize: vultrPageSize}
}

// vultrPage is one page of either listing: /v2/plans fills Plans,
// /v2/plans-metal fills PlansMetal. The parser takes the same shape with
// both lists filled.
type vultrPage struct {
	Plans      []vultrPlan `json:"plans"`
	PlansMetal []vultrPlan `json:"plans_metal"`
	Meta       struct {
		Total int `json:"total"`
		Links struct {
			Next string `json:"next"`
			Prev string `json:"prev"`
		} `json:"links"`
	} `json:"meta"`
}

// vultrPlan holds the fields of a cloud or bare-metal plan that we read.
type vultrPlan struct {
	ID                    string   `json:"id"`
	VCPUCount             float64  `json:"vcpu_count"`  // cloud plans
	CPUThreads            float64  `json:"cpu_threads"` // bare metal
	CPUCount              float64  `json:"cpu_count"`   // bare metal
	RAM                   float64  `json:"ram"`         // MB
	Disk                  vultrNum `json:"disk"`        // GB per disk (a string in some metal docs)
	DiskCount             float64  `json:"disk_count"`
	MonthlyCost           float64  `json:"monthly_cost"`
	HourlyCost            float64  `json:"hourly_cost"`
	HourlyCostPreemptible float64  `json:"hourly_cost_preemptible"`
	Locations             []string `json:"locations"`
	GPUType               string   `json:"gpu_type"`    // "NVIDIA_A100"
	GPUVRAMGB             float64  `json:"gpu_vram_gb"` // total for the plan
	GPUCount              float64  `json:"gpu_count"`
	GPUBrand              string   `json:"gpu_brand"`
	DeployOnDemand        *bool    `json:"deploy_ondemand"`
	DeployPreemptible     *bool    `json:"deploy_preemptible"`
	malformed             bool     // fields of unexpected JSON types: skipped
	metal                 bool     // came from /v2/plans-metal
}

func (p *vultrPlan) UnmarshalJSON(b []byte) error {
	type plain vultrPlan
	p.malformed = !decodeLenient(b, (*plain)(p))
	return nil
}

// vultrNum is a number that may arrive as a JSON number or numeric string.
type vultrNum float64

func (n *vultrNum) UnmarshalJSON(b []byte) error {
	var f float64
	if json.Unmarshal(b, &f) == nil {
		*n = vultrNum(f)
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			*n = vultrNum(f)
		}
	}
	return nil
}

func (v *vultr) Fetch(ctx context.Context) ([]shared.Offer, error) {
	plans, err := v.list(ctx, vultrPlansPath, url.Values{"type": {"all"}}, func(p *vultrPage) []vultrPlan { return p.Plans })
	if err != nil {
		return nil, err
	}
	metal, err := v.list(ctx, vultrMetalPath, url.Values{}, func(p *vultrPage) []vultrPlan { return p.PlansMetal })
	if err != nil {
		return nil, err
	}
	return parseVultr(vultrPage{Plans: plans, PlansMetal: metal}, v.origin(""))
}

// list follows one listing's cursor until meta.links.next is empty.
func (v *vultr) list(ctx context.Context, path string, q url.Values, items func(*vultrPage) []vultrPlan) ([]vultrPlan, error) {
	var out []vultrPlan
	seen := map[string]bool{}
	cursor := ""
	for range vultrMaxPages {
		q.Set("per_page", strconv.Itoa(v.pageSize))
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page vultrPage
		if err := v.get(ctx, path+"?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		batch := items(&page)
		out = append(out, batch...)
		cursor = page.Meta.Links.Next
		if cursor == "" || len(batch) == 0 {
			return out, nil
		}
		if seen[cursor] {
			return nil, v.errorf(shared.ErrKindUpstream, "%s: cursor %q repeats", path, cursor)
		}
		seen[cursor] = true
	}
	return nil, v.errorf(shared.ErrKindUpstream, "%s: more than %d pages", path, vultrMaxPages)
}

// parseVultr emits one offer per GPU plan and location, at's source being
// the API base URL the plans came from.
//
// Availability: the locations of a plan are where it can be deployed now;
// Vultr drops a location when the plan sells out there. Each listed location
// is "available"; a plan with no location, or one that can be deployed
// neither on demand nor preemptible, is kept as one "unavailable" offer in
// region "any" so its price stays visible. Plans sold only as preemptible
// (deploy_ondemand false) are interruptible at hourly_cost_preemptible.
//
// Compliance: Vultr's trust center (https://www.vultr.com/trust-center)
// lists SOC 2 (Type II) and ISO 27001 for its platform; locations in Europe
// add "gdpr".
func parseVultr(resp vultrPage, at origin) ([]shared.Offer, error) {
	var all []vultrSourced
	for _, p := range resp.Plans {
		all = append(all, vultrSourced{p, at.under(vultrPlansPath)})
	}
	for _, p := range resp.PlansMetal {
		p.metal = true
		all = append(all, vultrSourced{p, at.under(vultrMetalPath)})
	}
	var set offerSet
	for i := range all {
		for _, o := range vultrOffers(&all[i].plan, all[i].at) {
			set.add(o)
		}
	}
	if !vultrAnyGPU(all) {
		return set.offers(), nil // an all-CPU listing is not a broken one
	}
	return set.result(at, len(all), "plans, GPU plans among them, but none with a price")
}

// vultrAnyGPU reports whether any plan looks like a GPU plan, so an all-CPU
// listing is not mistaken for a broken one.
func vultrAnyGPU(all []vultrSourced) bool {
	for i := range all {
		if p := &all[i].plan; !p.malformed {
			if _, _, _, ok := vultrGPU(p); ok {
				return true
			}
		}
	}
	return false
}

// vultrSourced is a plan with the endpoint it was listed by.
type vultrSourced struct {
	plan vultrPlan
	at   origin
}

// vultrOffers converts one plan; it returns nothing for CPU-only, unpriced,
// nameless or malformed plans. The caller validates each offer
// (offerSet.add).
func vultrOffers(p *vultrPlan, at origin) []shared.Offer {
	id := strings.TrimSpace(p.ID)
	if p.malformed || id == "" {
		return nil
	}
	gpuName, mem, count, ok := vultrGPU(p)
	if !ok {
		return nil
	}
	hours := float64(vultrHoursPerMonth)
	if p.metal {
		hours = vultrMetalHoursPerMonth
	}
	hourly := p.HourlyCost
	if !sanePrice(hourly) {
		hourly = p.MonthlyCost / hours
	}
	spot := p.HourlyCostPreemptible
	if !sanePrice(spot) {
		spot = 0
	}
	onDemand := p.DeployOnDemand == nil || *p.DeployOnDemand
	preemptible := spot > 0 && (p.DeployPreemptible == nil || *p.DeployPreemptible)
	base := at.stamp(shared.Offer{
		InstanceType: id,
		VCPUs:        positive(vultrFirst(p.VCPUCount, p.CPUThreads, p.CPUCount)),
		RAMGB:        round2Exact(p.RAM / 1024),
		DiskGB:       round2Exact(float64(p.Disk) * max(p.DiskCount, 1)),
		Currency:     "USD",
	})
	base.SetGPU(gpuName, mem, count)
	deployable := true
	switch {
	case onDemand && sanePrice(hourly):
		if !preemptible {
			spot = 0
		}
		base.SetPrices(hourly, spot)
	case preemptible:
		base.SetPrices(spot, 0)
		base.Interruptible = true
	case sanePrice(hourly):
		base.SetPrices(hourly, 0)
		deployable = false
	default:
		return nil
	}
	// The locations, without empty and repeated codes, sorted so that offer
	// order is stable.
	locations := sortedCodes(p.Locations)
	if len(locations) == 0 || !deployable {
		o := base
		o.ID = at.id(id, "any")
		o.SetLocation("any", shared.Location{})
		o.ComplianceTags = []string{"soc2", "iso27001"}
		o.Availability = shared.Unavailable
		return []shared.Offer{o}
	}
	var out []shared.Offer
	for _, loc := range locations {
		o := base
		o.ID = at.id(id, loc)
		where := vultrLocation(loc)
		o.SetLocation(loc, where)
		o.ComplianceTags = withGDPR(where, "soc2", "iso27001")
		o.Availability = shared.Available
		out = append(out, o)
	}
	return out
}

// vultrGPU names a plan's GPU and works out how many of them it has and
// their per-GPU memory. Cloud GPU plans slice one card into vGPUs: a plan
// whose VRAM is less than one whole card of its model is a fraction of
// that card (gpu_vram_gb 4 of an 80 GB A100 is 1/20), reported with the
// whole card's memory so the canonical identity is the physical GPU.
func vultrGPU(p *vultrPlan) (name string, memGB, count float64, ok bool) {
	name, idCount, idVRAM := vultrGPUFromID(p.ID)
	if t := strings.TrimSpace(strings.ReplaceAll(p.GPUType, "_", " ")); t != "" {
		name = t
	} else if name != "" && p.GPUBrand != "" && !strings.EqualFold(p.GPUBrand, "none") {
		name = strings.TrimSpace(p.GPUBrand) + " " + name
	}
	if name == "" {
		return "", 0, 0, false
	}
	total := p.GPUVRAMGB
	if !(total > 0 && total < 1e6) {
		total = idVRAM
	}
	card := 0.0
	if spec, known := shared.LookupGPU(name, 0); known {
		card = float64(spec.MemoryGB)
	}
	switch {
	case card > 0 && total > 0 && total < card*0.9:
		count = total / card
		memGB = card
	case p.GPUCount >= 1 && p.GPUCount <= 1024:
		count = math.Round(p.GPUCount)
		memGB = total / count
	case card > 0 && total > 0:
		count = vultrWholeCount(total / card)
		memGB = total / count
	case idCount > 0:
		count = idCount
		memGB = total / count
	default:
		count = 1
		memGB = total
	}
	if !(count > 0 && count <= 1024) || !(memGB >= 0 && memGB < 1e5) {
		return "", 0, 0, false
	}
	return name, memGB, count, true
}

// vultrWholeCount turns a VRAM ratio into a GPU count. Vultr's VRAM is its
// own rounding of the card's memory (an "8x B200" plan says 1536 GB where
// the catalog has 180 GB cards), so a ratio within 15% of a usual server
// size (1, 2, 4, 8, 16) is that size.
func vultrWholeCount(ratio float64) float64 {
	for _, n := range []float64{1, 2, 4, 8, 16} {
		if math.Abs(ratio/n-1) <= 0.15 {
			return n
		}
	}
	return max(math.Round(ratio), 1)
}

// vultrGPUFromID reads a GPU model, count and total VRAM from the plan id
// formats Vultr uses for GPU plans: "vcg-<model>-<n>c-<ram>g-<vram>vram"
// and "vbm-<n>c-<ram>gb[-<count>]-<model>-gpu". Other ids name no GPU.
func vultrGPUFromID(id string) (model string, count, vram float64) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(id)), "-")
	switch {
	case len(parts) >= 3 && parts[0] == "vcg":
		for _, s := range parts[2:] {
			if n, ok := strings.CutSuffix(s, "vram"); ok {
				if f, err := strconv.ParseFloat(n, 64); err == nil && f > 0 && f < 1e6 {
					vram = f
				}
			}
		}
		return strings.ToUpper(parts[1]), 0, vram
	case len(parts) >= 4 && parts[0] == "vbm" && parts[len(parts)-1] == "gpu":
		model = strings.ToUpper(parts[len(parts)-2])
		count = 1
		if n, err := strconv.Atoi(parts[len(parts)-3]); err == nil && n > 0 && n <= 64 {
			count = float64(n)
		}
		return model, count, 0
	}
	return "", 0, 0
}

// vultrRegions maps Vultr's location codes to a country and state or city.
var vultrRegions = map[string][2]string{
	"ewr": {"US", "NJ"}, "ord": {"US", "IL"}, "dfw": {"US", "TX"}, "sea": {"US", "WA"},
	"lax": {"US", "CA"}, "atl": {"US", "GA"}, "sjc": {"US", "CA"}, "mia": {"US", "FL"},
	"hnl": {"US", "HI"}, "yto": {"CA", "ON"}, "mex": {"MX", ""}, "sao": {"BR", ""},
	"scl": {"CL", ""}, "ams": {"NL", ""}, "lhr": {"GB", ""}, "man": {"GB", ""},
	"fra": {"DE", ""}, "cdg": {"FR", ""}, "mad": {"ES", ""}, "waw": {"PL", ""},
	"sto": {"SE", ""}, "nrt": {"JP", ""}, "itm": {"JP", ""}, "icn": {"KR", ""},
	"sgp": {"SG", ""}, "bom": {"IN", ""}, "del": {"IN", ""}, "blr": {"IN", ""},
	"syd": {"AU", ""}, "mel": {"AU", ""}, "jnb": {"ZA", ""}, "tlv": {"IL", ""},
}

func vultrLocation(code string) shared.Location {
	if r, ok := vultrRegions[code]; ok {
		return shared.Locate(r[0], r[1])
	}
	return shared.Location{}
}

func vultrFirst(xs ...float64) float64 {
	for _, x := range xs {
		if x > 0 {
			return x
		}
	}
	return 0
}
