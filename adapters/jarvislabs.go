package adapters

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// JarvisLabs: GET {base}/misc/server_meta with the API key as a Bearer token
// (JL_API_KEY). The response lists one row per GPU type, region and workload
// kind ("server_meta") with the per-GPU hourly price, spot price, free
// devices and per-GPU vCPU/RAM, plus CPU-only plans ("cpu_meta"), which we
// skip. Any regional backend (backendprod = IN1, backendn = IN2,
// backendeu = EU1) answers with the rows of every region, so one call covers
// the whole fleet; this is how the official SDK routes instances.
// The endpoint is not in a published reference: its shape is taken from the
// official SDK (github.com/jarvislabsai/jarvislabs, jarvislabs/models.py
// ServerMetaGPU) and dstack's gpuhunt provider.
// https://docs.jarvislabs.ai/sdk
var jarvislabsInfo = Info{
	Name:           "jarvislabs",
	DisplayName:    "JarvisLabs",
	DefaultBaseURL: "https://backendprod.jarvislabs.net",
	DocsURL:        "https://docs.jarvislabs.ai/sdk",
	NeedsKey:       true,
	KeyEnv:         "JL_API_KEY",
	sendKey:        bearer,
}

func init() { register(jarvislabsInfo, newJarvisLabs) }

const jarvisMetaPath = "/misc/server_meta"

type jarvisLabs struct{ provider }

func newJarvisLabs(cfg Config) *jarvisLabs { return &jarvisLabs{newProvider(jarvislabsInfo, cfg)} }

type jarvisResponse struct {
	ServerMeta []jarvisRow `json:"server_meta"`
}

// jarvisRow is one GPU type in one region for one workload kind. The API
// sends several numbers as strings ("vram": "24", "num_gpus": "8") and
// others as JSON numbers or null, so they are read with jarvisNum.
type jarvisRow struct {
	GPUType        string    `json:"gpu_type"`
	Region         string    `json:"region"`
	WorkloadType   *string   `json:"workload_type"` // "vm", "container", or null for rows that serve both
	NumFreeDevices jarvisNum `json:"num_free_devices"`
	EffectiveFree  jarvisNum `json:"effective_num_free_devices"`
	PricePerHour   jarvisNum `json:"price_per_hour"` // USD per GPU-hour
	SpotPrice      jarvisNum `json:"spot_price"`     // USD per GPU-hour, null when no spot
	VRAM           jarvisNum `json:"vram"`           // GB per GPU
	CPUsPerGPU     jarvisNum `json:"cpus_per_gpu"`
	RAMPerGPU      jarvisNum `json:"ram_per_gpu"` // GB per GPU
	MaxGPUs        jarvisNum `json:"num_gpus"`    // largest instance of this row; absent means 1
	malformed      bool
}

// UnmarshalJSON keeps one malformed row (a number where a string belongs)
// from failing the whole catalogue: the row is flagged and skipped.
func (r *jarvisRow) UnmarshalJSON(b []byte) error {
	type plain jarvisRow
	r.malformed = !decodeLenient(b, (*plain)(r))
	return nil
}

// jarvisNum is a number that may arrive as a JSON number, a numeric string,
// or null. ok is false when it is absent or unreadable.
type jarvisNum struct {
	v  float64
	ok bool
}

func (n *jarvisNum) UnmarshalJSON(b []byte) error {
	*n = jarvisNum{}
	var x any
	if json.Unmarshal(b, &x) != nil {
		return nil
	}
	switch t := x.(type) {
	case float64:
		n.v = t
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			return nil
		}
		n.v = f
	default:
		return nil
	}
	n.ok = !math.IsNaN(n.v) && !math.IsInf(n.v, 0)
	return nil
}

// positive returns the value when it is a usable positive number.
func (n jarvisNum) positive() (float64, bool) {
	if n.ok && n.v > 0 && n.v < 1e6 {
		return n.v, true
	}
	return 0, false
}

// count returns the value as a non-negative whole number, 0 when absent.
func (n jarvisNum) count() int {
	if !n.ok || n.v < 0 || n.v > 1e6 {
		return 0
	}
	return int(n.v)
}

func (j *jarvisLabs) Fetch(ctx context.Context) ([]shared.Offer, error) {
	return fetchOne(ctx, &j.provider, jarvisMetaPath, nil, parseJarvisLabs)
}

// jarvisSizes are the instance sizes we list for a row: JarvisLabs rents
// 1..num_gpus GPUs of a type, and these are the sizes people compare. The
// row's own maximum is always listed too.
var jarvisSizes = []int{1, 2, 4, 8}

// parseJarvisLabs emits, for every GPU row, one offer per instance size up
// to the row's num_gpus. Prices are per GPU-hour upstream, so an n-GPU
// offer costs n times the row price (and n times the spot price, when the
// row has one). A row with a spot price but no on-demand price becomes an
// interruptible offer.
//
// Availability comes from the free-device count of the row
// (effective_num_free_devices, else num_free_devices): an n-GPU size is
// available when at least 2n GPUs are free, limited when n to 2n-1 are
// free (it can be launched, but it may be the last one), and unavailable
// when fewer than n are free. Sizes that cannot be launched right now stay
// listed so their price remains visible.
//
// Compliance: JarvisLabs publishes no certification; rows in its EU region
// carry "gdpr".
func parseJarvisLabs(resp jarvisResponse, at origin) ([]shared.Offer, error) {
	var set offerSet
	for i := range resp.ServerMeta {
		for _, o := range jarvisRowOffers(&resp.ServerMeta[i], at) {
			set.add(o) // the same row twice in one answer: the first is kept
		}
	}
	out, err := set.result(at, len(resp.ServerMeta), "GPU rows but none with a name, region and price")
	sort.SliceStable(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, err
}

// jarvisRowOffers converts one row; the caller validates each offer
// (offerSet.add).
func jarvisRowOffers(r *jarvisRow, at origin) []shared.Offer {
	gpu := strings.TrimSpace(r.GPUType)
	region := strings.TrimSpace(r.Region)
	if r.malformed || gpu == "" || region == "" {
		return nil
	}
	price, hasPrice := r.PricePerHour.positive()
	spot, hasSpot := r.SpotPrice.positive()
	if !hasPrice && !hasSpot {
		return nil
	}
	workload := "any"
	if r.WorkloadType != nil && strings.TrimSpace(*r.WorkloadType) != "" {
		workload = strings.ToLower(strings.TrimSpace(*r.WorkloadType))
	}
	free := r.NumFreeDevices.count()
	if r.EffectiveFree.ok {
		free = r.EffectiveFree.count()
	}
	maxGPUs := max(r.MaxGPUs.count(), 1)
	vram, _ := r.VRAM.positive()
	cpus, _ := r.CPUsPerGPU.positive()
	ram, _ := r.RAMPerGPU.positive()
	loc := jarvisLocation(region)

	var out []shared.Offer
	for _, n := range jarvisSizesFor(maxGPUs) {
		count := float64(n)
		o := at.stamp(shared.Offer{
			ID:           at.id(region, gpu, workload, strconv.Itoa(n)),
			InstanceType: jarvisInstanceType(gpu, n, workload),
			VCPUs:        round2(cpus * count),
			RAMGB:        round2(ram * count),
			Currency:     "USD",
		})
		o.SetGPU(gpu, vram, count)
		if hasPrice {
			o.SetPrices(price*count, jarvisSpot(spot*count, hasSpot))
		} else {
			o.SetPrices(spot*count, 0)
			o.Interruptible = true
		}
		o.SetLocation(region, loc)
		o.ComplianceTags = withGDPR(loc)
		o.Availability = jarvisAvailability(free, n)
		out = append(out, o)
	}
	return out
}

func jarvisSpot(p float64, ok bool) float64 {
	if !ok {
		return 0
	}
	return p
}

// jarvisSizesFor lists the sizes up to maxGPUs, ending with maxGPUs itself.
func jarvisSizesFor(maxGPUs int) []int {
	maxGPUs = min(maxGPUs, 64) // no JarvisLabs machine is larger; bounds garbage input
	var out []int
	for _, n := range jarvisSizes {
		if n < maxGPUs {
			out = append(out, n)
		}
	}
	return append(out, maxGPUs)
}

func jarvisAvailability(free, n int) shared.Availability {
	switch {
	case free >= 2*n:
		return shared.Available
	case free >= n:
		return shared.Limited
	default:
		return shared.Unavailable
	}
}

// jarvisInstanceType names a size the way the JarvisLabs CLI requests it:
// GPU type and count, plus the workload kind when the row is specific.
func jarvisInstanceType(gpu string, n int, workload string) string {
	s := gpu + " x" + strconv.Itoa(n)
	if workload != "any" {
		s += " (" + workload + ")"
	}
	return s
}

// jarvisRegions maps JarvisLabs region ids (display codes IN1, IN2, EU1) to
// a country and city. JarvisLabs does not say where in Europe EU1 is, so it
// is located at continent level only.
var jarvisRegions = map[string][2]string{
	"india-01":         {"IN", ""},
	"india-noida-01":   {"IN", "Noida"},
	"india-chennai-01": {"IN", "Chennai"},
}

func jarvisLocation(region string) shared.Location {
	if r, ok := jarvisRegions[region]; ok {
		return shared.Locate(r[0], r[1])
	}
	lower := strings.ToLower(region)
	switch {
	case strings.HasPrefix(lower, "india"):
		return shared.Locate("IN", "")
	case strings.HasPrefix(lower, "europe"):
		return shared.Location{Continent: "EU"}
	}
	return shared.Location{}
}
