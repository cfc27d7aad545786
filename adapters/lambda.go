package adapters

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// Lambda: GET {base}/api/v1/instance-types, authenticated with the API key as
// a Bearer token. The response maps instance type names to their specs, the
// price in US cents per hour, and the regions that have capacity right now.
// https://docs-api.lambda.ai/api/cloud#instanceTypes
var lambdaInfo = Info{
	Name:           "lambda",
	DisplayName:    "Lambda",
	DefaultBaseURL: "https://cloud.lambda.ai",
	DocsURL:        "https://docs-api.lambda.ai/api/cloud#instanceTypes",
	NeedsKey:       true,
	KeyEnv:         "LAMBDA_API_KEY",
	sendKey:        bearer,
}

func init() { register(lambdaInfo, newLambda) }

const lambdaPath = "/api/v1/instance-types"

type lambda struct{ provider }

func newLambda(cfg Config) *lambda { return &lambda{newProvider(lambdaInfo, cfg)} }

type lambdaResponse struct {
	Data map[string]lambdaEntry `json:"data"`
}

type lambdaEntry struct {
	InstanceType struct {
		Name              string `json:"name"`
		Description       string `json:"description"`
		GPUDescription    string `json:"gpu_description"`
		PriceCentsPerHour int64  `json:"price_cents_per_hour"`
		Specs             struct {
			VCPUs      float64 `json:"vcpus"`
			MemoryGiB  float64 `json:"memory_gib"`
			StorageGiB float64 `json:"storage_gib"`
			GPUs       float64 `json:"gpus"`
		} `json:"specs"`
	} `json:"instance_type"`
	Regions []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"regions_with_capacity_available"`
}

func (l *lambda) Fetch(ctx context.Context) ([]shared.Offer, error) {
	return fetchOne(ctx, &l.provider, lambdaPath, nil, parseLambda)
}

// parseLambda emits one offer per instance type and region with capacity;
// an instance type sold out everywhere is kept as one "unavailable" offer in
// region "any" so its price stays visible.
func parseLambda(resp lambdaResponse, at origin) ([]shared.Offer, error) {
	var out []shared.Offer
	for _, key := range slices.Sorted(maps.Keys(resp.Data)) {
		e := resp.Data[key]
		it := e.InstanceType
		name := it.Name
		if name == "" {
			name = key
		}
		if name == "" || it.Specs.GPUs <= 0 || it.PriceCentsPerHour <= 0 {
			continue // CPU-only, unpriced or nameless types are not GPU offers
		}
		base := at.stamp(shared.Offer{
			InstanceType:   name,
			VCPUs:          it.Specs.VCPUs,
			RAMGB:          it.Specs.MemoryGiB,
			DiskGB:         it.Specs.StorageGiB,
			Currency:       "USD",
			ComplianceTags: []string{"soc2"},
		})
		gpuName, mem := lambdaGPU(it.GPUDescription, it.Description)
		base.SetGPU(gpuName, mem, it.Specs.GPUs)
		base.SetPrices(float64(it.PriceCentsPerHour)/100, 0)
		if len(e.Regions) == 0 {
			o := base
			o.ID = at.id(name, "any")
			o.SetLocation("any", shared.Location{})
			o.Availability = shared.Unavailable
			out = append(out, o)
			continue
		}
		for _, r := range e.Regions {
			if r.Name == "" {
				continue
			}
			o := base
			o.ID = at.id(name, r.Name)
			loc := lambdaLocation(r.Name, r.Description)
			o.SetLocation(r.Name, loc)
			o.ComplianceTags = withGDPR(loc, base.ComplianceTags...)
			o.Availability = shared.Available
			out = append(out, o)
		}
	}
	if len(resp.Data) > 0 && len(out) == 0 {
		return nil, at.fail("%d instance types but none with GPUs and a price", len(resp.Data))
	}
	return out, nil
}

// lambdaGPU picks the GPU description ("A100 (40 GB SXM4)"), falling back to
// the instance description without its "8x " count. Memory and form factor
// stay in the name, where the catalog lookup reads them.
func lambdaGPU(gpuDesc, desc string) (string, float64) {
	s := gpuDesc
	if s == "" {
		s = desc
		if i := strings.Index(s, "x "); i > 0 && i < 4 {
			s = s[i+2:]
		}
	}
	return strings.TrimSpace(s), 0
}

// lambdaRegions maps Lambda's region codes to a country and state.
var lambdaRegions = map[string][2]string{
	"us-east-1":        {"US", "VA"},
	"us-east-2":        {"US", "DC"},
	"us-east-3":        {"US", "VA"},
	"us-west-1":        {"US", "CA"},
	"us-west-2":        {"US", "AZ"},
	"us-west-3":        {"US", "UT"},
	"us-south-1":       {"US", "TX"},
	"us-south-2":       {"US", "TX"},
	"us-south-3":       {"US", "TX"},
	"us-midwest-1":     {"US", "IL"},
	"us-midwest-2":     {"US", "IL"},
	"europe-central-1": {"DE", ""},
	"asia-south-1":     {"IN", ""},
	"asia-northeast-1": {"JP", ""},
	"asia-northeast-2": {"JP", ""},
	"me-west-1":        {"IL", ""},
	"australia-east-1": {"AU", ""},
}

func lambdaLocation(code, desc string) shared.Location {
	if r, ok := lambdaRegions[code]; ok {
		return shared.Locate(r[0], r[1])
	}
	// Unknown code: the description is "City/State, Country".
	parts := strings.Split(desc, ",")
	if len(parts) >= 2 {
		return shared.Locate(strings.TrimSpace(parts[len(parts)-1]), strings.TrimSpace(parts[0]))
	}
	return shared.Location{}
}
