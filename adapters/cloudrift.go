package adapters

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// CloudRift: POST {base}/api/v1/instance-types/list. Every CloudRift call
// wraps its payload as {"version": "<API date>", "data": {...}} and answers
// the same way; here data is {"selector": {"ByServiceAndLocation":
// {"services": ["vm"]}}} and the answer's data.instance_types[] carries
// name, brand_short (the GPU, e.g. "RTX 4090"), datacenters[] and
// variants[]: name ("rtx49-8c-nr.1"), gpu_count, cpu_count,
// logical_cpu_count, dram/vram/disk in bytes (vram per GPU), cost_per_hour
// in US cents, nodes_per_dc and available_nodes_per_dc (free nodes that
// can host the variant, per datacenter). The listing is public; a key,
// when configured, is sent as "X-API-Key". It does not page.
// https://api.cloudrift.ai/api-docs/openapi.json,
// https://docs.cloudrift.ai/extras/rest-api
var cloudriftInfo = Info{
	Name:           "cloudrift",
	DisplayName:    "CloudRift",
	DefaultBaseURL: "https://api.cloudrift.ai",
	DocsURL:        "https://docs.cloudrift.ai/extras/rest-api",
	KeyEnv:         "CLOUDRIFT_API_KEY",
	sendKey:        keyScheme{header: "X-Api-Key"},
}

func init() { register(cloudriftInfo, newCloudRift) }

const (
	cloudriftListPath = "/api/v1/instance-types/list"
	// cloudriftAPIVersion pins the request protocol; the public listing
	// answers the same for every pin (dstack's gpuhunt sends this one).
	cloudriftAPIVersion = "2025-03-21"
)

// cloudriftListRequest asks for every VM instance type.
var cloudriftListRequest = map[string]any{
	"version": cloudriftAPIVersion,
	"data":    map[string]any{"selector": map[string]any{"ByServiceAndLocation": map[string]any{"services": []string{"vm"}}}},
}

type cloudRift struct{ provider }

func newCloudRift(cfg Config) *cloudRift { return &cloudRift{newProvider(cloudriftInfo, cfg)} }

type cloudriftResponse struct {
	Version string `json:"version"`
	Data    struct {
		InstanceTypes []cloudriftType `json:"instance_types"`
	} `json:"data"`
}

type cloudriftType struct {
	Name        string `json:"name"`
	BrandShort  string `json:"brand_short"`
	Datacenters []struct {
		Name string `json:"name"`
	} `json:"datacenters"`
	Variants []cloudriftVariant `json:"variants"`
	// malformed marks an entry with unexpected JSON types; it is skipped
	// rather than failing the listing.
	malformed bool
}

func (t *cloudriftType) UnmarshalJSON(b []byte) error {
	type plain cloudriftType
	t.malformed = !decodeLenient(b, (*plain)(t))
	return nil
}

type cloudriftVariant struct {
	Name                string             `json:"name"`
	GPUCount            float64            `json:"gpu_count"`
	CPUCount            float64            `json:"cpu_count"`
	LogicalCPUCount     float64            `json:"logical_cpu_count"`
	DRAM                float64            `json:"dram"` // bytes
	VRAM                float64            `json:"vram"` // bytes, per GPU
	Disk                float64            `json:"disk"` // bytes
	CostPerHour         float64            `json:"cost_per_hour"`
	NodesPerDC          map[string]float64 `json:"nodes_per_dc"`
	AvailableNodesPerDC map[string]float64 `json:"available_nodes_per_dc"`
	malformed           bool
}

func (v *cloudriftVariant) UnmarshalJSON(b []byte) error {
	type plain cloudriftVariant
	v.malformed = !decodeLenient(b, (*plain)(v))
	return nil
}

func (c *cloudRift) Fetch(ctx context.Context) ([]shared.Offer, error) {
	return fetchOne(ctx, &c.provider, cloudriftListPath, cloudriftListRequest, parseCloudRift)
}

// parseCloudRift emits one offer per GPU variant and datacenter that hosts
// it (the keys of nodes_per_dc and available_nodes_per_dc, else the
// instance type's datacenters). A variant with no datacenter at all is
// kept as one "unavailable" offer in region "any" so its price stays
// visible. CPU-only types (gpu_count 0, e.g. brand "Genoa") and unpriced
// variants are skipped.
//
// Availability per datacenter: two or more free nodes are available, one
// is limited, none unavailable.
//
// Compliance: CloudRift publishes no certification, so only "gdpr" is
// added for European datacenters.
func parseCloudRift(resp cloudriftResponse, at origin) ([]shared.Offer, error) {
	var set offerSet
	variants := 0
	for ti := range resp.Data.InstanceTypes {
		t := &resp.Data.InstanceTypes[ti]
		if t.malformed {
			continue
		}
		for vi := range t.Variants {
			variants++
			v := &t.Variants[vi]
			base, ok := cloudriftBase(t, v, at)
			if !ok {
				continue
			}
			for _, dc := range cloudriftDatacenters(t, v) {
				o := base
				o.ID = at.id(base.InstanceType, dc)
				// The first variant of an id takes it, even one that then
				// fails validation.
				if !set.claim(o.ID) {
					continue
				}
				if dc == "any" {
					o.SetLocation(dc, shared.Location{})
					o.ComplianceTags = []string{}
					o.Availability = shared.Unavailable
				} else {
					loc := cloudriftLocation(dc)
					o.SetLocation(dc, loc)
					o.ComplianceTags = withGDPR(loc)
					switch free := v.AvailableNodesPerDC[dc]; {
					case free >= 2:
						o.Availability = shared.Available
					case free >= 1:
						o.Availability = shared.Limited
					default:
						o.Availability = shared.Unavailable
					}
				}
				// A price so small that it rounds to zero per GPU is garbage;
				// set.keep drops it.
				set.keep(o)
			}
		}
	}
	if !cloudriftHasGPUs(resp) {
		return set.offers(), nil // a CPU-only listing is not a broken one
	}
	return set.result(at, variants, "variants but none with GPUs and a price")
}

// cloudriftBase builds the datacenter-independent part of a variant's
// offers; ok is false for variants that are not priced GPU instances.
func cloudriftBase(t *cloudriftType, v *cloudriftVariant, at origin) (shared.Offer, bool) {
	name := strings.TrimSpace(v.Name)
	gpu := strings.TrimSpace(t.BrandShort)
	price := v.CostPerHour / 100
	if v.malformed || name == "" || gpu == "" || !(v.GPUCount >= 1 && v.GPUCount <= 64) || !sanePrice(price) {
		return shared.Offer{}, false
	}
	vcpus := v.LogicalCPUCount
	if !(vcpus > 0) {
		vcpus = v.CPUCount
	}
	o := at.stamp(shared.Offer{
		InstanceType: name,
		VCPUs:        round2(vcpus),
		RAMGB:        round2(v.DRAM / (1 << 30)),
		DiskGB:       round2(v.Disk / (1 << 30)),
		Currency:     "USD",
	})
	o.SetGPU(gpu, round2(v.VRAM/(1<<30)), v.GPUCount)
	o.SetPrices(price, 0)
	return o, true
}

// cloudriftDatacenters lists where a variant is offered, sorted, or "any"
// when CloudRift names no datacenter for it.
func cloudriftDatacenters(t *cloudriftType, v *cloudriftVariant) []string {
	set := map[string]bool{}
	for dc := range v.NodesPerDC {
		set[strings.TrimSpace(dc)] = true
	}
	for dc := range v.AvailableNodesPerDC {
		set[strings.TrimSpace(dc)] = true
	}
	if len(set) == 0 {
		for _, dc := range t.Datacenters {
			set[strings.TrimSpace(dc.Name)] = true
		}
	}
	delete(set, "")
	if len(set) == 0 {
		return []string{"any"}
	}
	return slices.Sorted(maps.Keys(set))
}

func cloudriftHasGPUs(resp cloudriftResponse) bool {
	for _, t := range resp.Data.InstanceTypes {
		for _, v := range t.Variants {
			if v.GPUCount > 0 && !v.malformed {
				return true
			}
		}
	}
	return false
}

// cloudriftDCs maps the datacenter names CloudRift lists to a country and
// state.
var cloudriftDCs = map[string][2]string{
	"us-east-nc-nr-1":      {"US", "NC"},
	"ustx1a_a01":           {"US", "TX"},
	"usny01_a01":           {"US", "NY"},
	"eu-central-it-gv-1":   {"IT", ""},
	"ap_northeast_kr_se_1": {"KR", ""},
	"ap-east-tw-kn-2":      {"TW", ""},
}

// cloudriftLocation reads a datacenter name. Unknown names follow the
// pattern of the known ones: an optional area ("eu-central", "ap_northeast")
// then the country code, then for the US a state ("us-east-nc-…",
// "ustx1a_…").
func cloudriftLocation(dc string) shared.Location {
	if r, ok := cloudriftDCs[dc]; ok {
		return shared.Locate(r[0], r[1])
	}
	parts := strings.FieldsFunc(strings.ToLower(dc), func(r rune) bool { return r == '-' || r == '_' })
	if len(parts) > 0 && len(parts[0]) > 2 && strings.HasPrefix(parts[0], "us") {
		// "ustx1a": country and state run together.
		return shared.Locate("US", strings.TrimRight(parts[0][2:min(4, len(parts[0]))], "0123456789"))
	}
	for i, p := range parts {
		if len(p) != 2 || shared.CountryCode(p) == "" {
			continue
		}
		cc := shared.CountryCode(p)
		state := ""
		if cc == "US" {
			for _, q := range parts[i+1:] {
				if len(q) == 2 {
					state = q
					break
				}
			}
		}
		return shared.Locate(cc, state)
	}
	return shared.Location{}
}
