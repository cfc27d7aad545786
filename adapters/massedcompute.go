package adapters

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// Massed Compute: GET {base}/gpu-inventory with the API token as a Bearer
// token (MASSED_COMPUTE_API_KEY). The response maps product names
// ("gpu_1x_l40") to the instance type (description "1x L40 (48GB)", price in
// US cents per hour for the whole instance, vCPU/RAM/storage specs), the
// regions that have capacity right now and the number of units free. The
// whole catalogue comes in one unpaged answer.
// https://vm-docs.massedcompute.com/api/v1 (OpenAPI: Massed Compute VM API,
// GPUInventoryV1).
var massedcomputeInfo = Info{
	Name:           "massedcompute",
	DisplayName:    "Massed Compute",
	DefaultBaseURL: "https://vm.massedcompute.com/api/v1",
	DocsURL:        "https://vm-docs.massedcompute.com/api/v1",
	NeedsKey:       true,
	KeyEnv:         "MASSED_COMPUTE_API_KEY",
	sendKey:        bearer,
}

func init() { register(massedcomputeInfo, newMassedCompute) }

const massedInventoryPath = "/gpu-inventory"

type massedCompute struct{ provider }

func newMassedCompute(cfg Config) *massedCompute {
	return &massedCompute{newProvider(massedcomputeInfo, cfg)}
}

type massedResponse struct {
	GPUInventory map[string]massedProduct `json:"gpu_inventory"`
}

type massedProduct struct {
	InstanceType struct {
		Name              string  `json:"name"`
		Description       string  `json:"description"`
		PriceCentsPerHour float64 `json:"price_cents_per_hour"`
		Specs             struct {
			VCPUCount float64 `json:"vcpu_count"`
			MemoryGiB float64 `json:"memory_gib"`
			StorageGB float64 `json:"storage_gb"`
		} `json:"specs"`
	} `json:"instance_type"`
	Regions []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"regions_with_capacity_available"`
	// CapacityAvailable is the number of units free; nil when not sent.
	CapacityAvailable *float64 `json:"capacity_available"`

	malformed bool
}

// UnmarshalJSON keeps one product with unexpected field types from failing
// the whole inventory: it is flagged and skipped.
func (p *massedProduct) UnmarshalJSON(b []byte) error {
	type plain massedProduct
	p.malformed = !decodeLenient(b, (*plain)(p))
	return nil
}

func (m *massedCompute) Fetch(ctx context.Context) ([]shared.Offer, error) {
	return fetchOne(ctx, &m.provider, massedInventoryPath, nil, parseMassedCompute)
}

// parseMassedCompute emits one offer per GPU product and region with
// capacity; a product with capacity nowhere is kept as one unavailable offer
// in region "any" so its price stays visible. The GPU model and count come
// from the description ("8x RTX A6000 (48GB) NVLink"), which is the only
// place the API states them; products whose description names no GPUs (CPU
// plans) are skipped.
//
// Prices: price_cents_per_hour is the price of the whole instance. Products
// annotated "[Spot]" are interruptible and sold only at that price.
//
// Availability: capacity_available counts the units free across regions.
// A listed region is available when more than two units are free (or the
// count is not sent) and limited when one or two are left, or when the
// count says zero although the region is listed.
//
// Compliance: Massed Compute publishes no certification, so no tags; all
// its regions are in the US.
func parseMassedCompute(resp massedResponse, at origin) ([]shared.Offer, error) {
	var set offerSet
	for _, key := range slices.Sorted(maps.Keys(resp.GPUInventory)) {
		p := resp.GPUInventory[key]
		for _, o := range massedProductOffers(key, &p, at) {
			set.add(o)
		}
	}
	return set.result(at, len(resp.GPUInventory), "products but none with GPUs and a price")
}

// massedProductOffers converts one product; the caller validates each offer
// (offerSet.add).
func massedProductOffers(key string, p *massedProduct, at origin) []shared.Offer {
	it := p.InstanceType
	name := strings.TrimSpace(it.Name)
	if name == "" {
		name = strings.TrimSpace(key)
	}
	price := it.PriceCentsPerHour / 100
	if p.malformed || name == "" || !sanePrice(price) {
		return nil
	}
	g, ok := parseMassedDescription(it.Description)
	if !ok {
		return nil // CPU plan or a description we cannot read
	}
	base := at.stamp(shared.Offer{
		InstanceType:   name,
		VCPUs:          round2(it.Specs.VCPUCount),
		RAMGB:          round2(it.Specs.MemoryGiB),
		DiskGB:         round2(it.Specs.StorageGB),
		Currency:       "USD",
		ComplianceTags: []string{},
	})
	base.SetGPU(g.lookupName, g.memGB, g.count)
	base.ProviderGPUName = g.providerName
	base.SetPrices(price, 0)
	base.Interruptible = g.spot

	if len(p.Regions) == 0 {
		o := base
		o.ID = at.id(name, "any")
		o.SetLocation("any", shared.Location{})
		o.Availability = shared.Unavailable
		return []shared.Offer{o}
	}
	var out []shared.Offer
	for _, r := range p.Regions {
		region := strings.TrimSpace(r.Name)
		if region == "" {
			continue
		}
		o := base
		o.ComplianceTags = []string{}
		o.ID = at.id(name, region)
		o.SetLocation(region, massedLocation(region, r.Description))
		o.Availability = massedAvailability(p.CapacityAvailable)
		out = append(out, o)
	}
	return out
}

func massedAvailability(capacity *float64) shared.Availability {
	if capacity == nil || *capacity > 2 {
		return shared.Available
	}
	return shared.Limited
}

// massedGPU is what a product description says about its GPUs.
type massedGPU struct {
	count        float64
	providerName string  // the model as Massed Compute writes it, e.g. "RTX A6000 (48GB) NVLink"
	lookupName   string  // the same, normalized for the catalog lookup
	memGB        float64 // per-GPU memory written in the description, 0 when absent
	spot         bool
}

var (
	massedCountRe      = regexp.MustCompile(`^(\d{1,3})\s*x\s+(.+)$`)
	massedMemRe        = regexp.MustCompile(`\((\d{1,4})\s*GB\)`)
	massedAnnotationRe = regexp.MustCompile(`\[[^\]]*\]`)
)

// parseMassedDescription reads "<n>x <model> [(<mem>GB)] [<interconnect>]
// [[annotation]]". A "[Spot]" annotation marks an interruptible product;
// other annotations ("[Premium]", "[ALT Config]") only name a CPU/RAM
// variant and are dropped. "DGX A100" is NVIDIA's 8-way SXM4 A100 system,
// so it is looked up as an SXM A100.
func parseMassedDescription(desc string) (massedGPU, bool) {
	m := massedCountRe.FindStringSubmatch(strings.TrimSpace(desc))
	if m == nil {
		return massedGPU{}, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return massedGPU{}, false
	}
	rest := m[2]
	g := massedGPU{count: float64(n), spot: strings.Contains(strings.ToLower(rest), "[spot]")}
	model := strings.Join(strings.Fields(massedAnnotationRe.ReplaceAllString(rest, " ")), " ")
	if model == "" {
		return massedGPU{}, false
	}
	g.providerName = model
	if mm := massedMemRe.FindStringSubmatch(model); mm != nil {
		g.memGB, _ = strconv.ParseFloat(mm[1], 64)
	}
	g.lookupName = model
	if after, ok := strings.CutPrefix(model, "DGX "); ok {
		g.lookupName = after + " SXM"
	}
	return g, true
}

// massedRegions maps Massed Compute region names to US states; unknown
// names fall back to the region description ("Wichita, KS"), read as a US
// state because every Massed Compute data center is in the US.
var massedRegions = map[string]string{
	"us-central-1": "KS", // Wichita, KS
	"us-central-3": "IA", // Des Moines, IA
}

func massedLocation(region, desc string) shared.Location {
	if st, ok := massedRegions[region]; ok {
		return shared.Locate("US", st)
	}
	if i := strings.LastIndexByte(desc, ','); i >= 0 {
		if st := strings.TrimSpace(desc[i+1:]); len(st) == 2 {
			return shared.Locate("US", st)
		}
	}
	return shared.Location{}
}
