package adapters

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// Hyperstack (NexGen Cloud): two GET calls on {base}, both authenticated
// with the API key in the "api_key" header. /core/flavors lists the VM
// flavors grouped by GPU model and region ({"status", "message", "data":
// [{"gpu", "region_name", "flavors": [...]}]}), each with its CPU, RAM and
// disk, GPU model and count and a stock_available flag. /pricebook is a
// bare JSON array of hourly rates by resource name; a GPU flavor costs its
// GPU model's rate times its GPU count, CPU, RAM and local disk included.
// Neither operation pages.
// https://docs.hyperstack.cloud/docs/api-reference/list-flavors and
// https://docs.hyperstack.cloud/docs/api-reference/get-pricebook
var hyperstackInfo = Info{
	Name:           "hyperstack",
	DisplayName:    "Hyperstack",
	DefaultBaseURL: "https://infrahub-api.nexgencloud.com/v1",
	DocsURL:        "https://docs.hyperstack.cloud/docs/api-reference/list-flavors",
	NeedsKey:       true,
	KeyEnv:         "HYPERSTACK_API_KEY",
	sendKey:        keyScheme{header: "api_key"}, // sent in the documented spelling
}

func init() { register(hyperstackInfo, newHyperstack) }

const (
	hyperstackFlavorsPath   = "/core/flavors"
	hyperstackPricebookPath = "/pricebook"
)

type hyperstack struct{ provider }

func newHyperstack(cfg Config) *hyperstack { return &hyperstack{newProvider(hyperstackInfo, cfg)} }

type hyperstackFlavors struct {
	Status  bool                    `json:"status"`
	Message string                  `json:"message"`
	Data    []hyperstackFlavorGroup `json:"data"`
}

type hyperstackFlavorGroup struct {
	GPU        string             `json:"gpu"`
	RegionName string             `json:"region_name"`
	Flavors    []hyperstackFlavor `json:"flavors"`
}

type hyperstackFlavor struct {
	Name           string  `json:"name"` // "n3-H100x1"
	RegionName     string  `json:"region_name"`
	CPU            float64 `json:"cpu"`
	RAM            float64 `json:"ram"`       // GB
	Disk           float64 `json:"disk"`      // GB, root disk
	Ephemeral      float64 `json:"ephemeral"` // GB, local scratch
	GPU            string  `json:"gpu"`       // "H100-80G-PCIe", "" for CPU flavors
	GPUCount       float64 `json:"gpu_count"`
	StockAvailable bool    `json:"stock_available"`

	// malformed marks a flavor whose fields had unexpected JSON types; it is
	// skipped rather than failing the whole list.
	malformed bool
}

func (f *hyperstackFlavor) UnmarshalJSON(b []byte) error {
	type plain hyperstackFlavor
	f.malformed = !decodeLenient(b, (*plain)(f))
	return nil
}

// hyperstackPrice is one pricebook entry. value is the account's current
// hourly rate and original_value the list rate; start_time and end_time,
// when set, bound a dated rate.
type hyperstackPrice struct {
	Name          string  `json:"name"`
	Value         decimal `json:"value"`
	OriginalValue decimal `json:"original_value"`
	StartTime     string  `json:"start_time"`
	EndTime       string  `json:"end_time"`
}

// hyperstackPricebook decodes the bare array entry by entry, so one entry
// of an unexpected shape does not hide every price.
type hyperstackPricebook []hyperstackPrice

func (pb *hyperstackPricebook) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(hyperstackPricebook, 0, len(raw))
	for _, r := range raw {
		var p hyperstackPrice
		if json.Unmarshal(r, &p) == nil {
			out = append(out, p)
		}
	}
	*pb = out
	return nil
}

func (h *hyperstack) Fetch(ctx context.Context) ([]shared.Offer, error) {
	var flavors hyperstackFlavors
	if err := h.get(ctx, hyperstackFlavorsPath, &flavors); err != nil {
		return nil, err
	}
	if !flavors.Status && len(flavors.Data) == 0 {
		return nil, h.errorf(shared.ErrKindUpstream, "flavors: request failed: %q", flavors.Message)
	}
	var prices hyperstackPricebook
	if err := h.get(ctx, hyperstackPricebookPath, &prices); err != nil {
		return nil, err
	}
	return parseHyperstack(flavors, prices, h.origin(hyperstackFlavorsPath))
}

// parseHyperstack joins flavors with the pricebook and emits one offer per
// GPU flavor and region.
//
// Prices: the flavor's GPU name is looked up in the pricebook (names match
// exactly, spot models included); the instance price is that hourly rate
// times the GPU count. The current rate (value) is used, falling back to
// original_value; dated entries count only between their start and end
// and win over open-ended ones while they run. Flavors whose GPU has no
// price are skipped.
//
// Spot: GPU models named "<model>-spot" are Hyperstack's interruptible
// tier; their flavors are interruptible offers priced at the spot rate.
//
// Availability: stock_available true is "available", false "unavailable";
// the flavor list carries no counts.
//
// Compliance: Hyperstack publishes no certifications in this API; its
// European region (NORWAY-1) carries "gdpr".
func parseHyperstack(flavors hyperstackFlavors, prices hyperstackPricebook, at origin) ([]shared.Offer, error) {
	rates := hyperstackRates(prices, at.now)
	var set offerSet
	total := 0
	for gi := range flavors.Data {
		g := &flavors.Data[gi]
		for fi := range g.Flavors {
			total++
			if o, ok := hyperstackOffer(g, &g.Flavors[fi], rates, at); ok {
				set.add(o)
			}
		}
	}
	return set.result(at, total, "flavors but none with GPUs and a price")
}

func hyperstackOffer(g *hyperstackFlavorGroup, f *hyperstackFlavor, rates map[string]float64, at origin) (shared.Offer, bool) {
	name := strings.TrimSpace(f.Name)
	gpu := strings.TrimSpace(f.GPU)
	if gpu == "" {
		gpu = strings.TrimSpace(g.GPU)
	}
	region := strings.TrimSpace(f.RegionName)
	if region == "" {
		region = strings.TrimSpace(g.RegionName)
	}
	if f.malformed || name == "" || gpu == "" || region == "" || !(f.GPUCount > 0) {
		return shared.Offer{}, false // CPU-only or unnamed flavor
	}
	rate, ok := rates[gpu]
	if !ok {
		return shared.Offer{}, false
	}
	o := at.stamp(shared.Offer{
		ID:           at.id(region, name),
		InstanceType: name,
		VCPUs:        round2(f.CPU),
		RAMGB:        round2(f.RAM),
		DiskGB:       round2(round2(f.Disk) + round2(f.Ephemeral)),
		Currency:     "USD",
	})
	model, spot := hyperstackSpot(gpu)
	o.SetGPU(model, 0, f.GPUCount)
	o.SetPrices(rate*f.GPUCount, 0)
	o.Interruptible = spot
	loc := hyperstackLocation(region)
	o.SetLocation(region, loc)
	o.ComplianceTags = withGDPR(loc)
	o.Availability = shared.Unavailable
	if f.StockAvailable {
		o.Availability = shared.Available
	}
	// A GPU count so large that the price overflows is garbage; one that
	// makes the per-GPU price round to zero fails validation (offerSet.add).
	if o.PricePerHour >= 1e6 {
		return shared.Offer{}, false
	}
	return o, true
}

// hyperstackRates picks each resource's hourly rate in effect at now.
func hyperstackRates(prices hyperstackPricebook, now time.Time) map[string]float64 {
	type pick struct {
		rate  float64
		dated bool
	}
	best := map[string]pick{}
	for _, p := range prices {
		name := strings.TrimSpace(p.Name)
		rate := float64(p.Value)
		if !sanePrice(rate) {
			rate = float64(p.OriginalValue)
		}
		if name == "" || !sanePrice(rate) {
			continue
		}
		start, sok := hyperstackTime(p.StartTime)
		end, eok := hyperstackTime(p.EndTime)
		if (sok && now.Before(start)) || (eok && !now.Before(end)) {
			continue // a dated rate not in effect now
		}
		cur, have := best[name]
		if have && (cur.dated || !(sok || eok)) {
			continue // keep the first rate of the same kind, or a running dated one
		}
		best[name] = pick{rate: rate, dated: sok || eok}
	}
	out := make(map[string]float64, len(best))
	for k, v := range best {
		out[k] = v.rate
	}
	return out
}

func hyperstackTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// hyperstackSpot strips the "-spot" suffix of a spot GPU model.
func hyperstackSpot(gpu string) (string, bool) {
	if len(gpu) > 5 && strings.EqualFold(gpu[len(gpu)-5:], "-spot") {
		return gpu[:len(gpu)-5], true
	}
	return gpu, false
}

// hyperstackRegions maps Hyperstack's region names to a country and
// province: CANADA-1 is in Montréal, NORWAY-1 near Oslo.
var hyperstackRegions = map[string][2]string{
	"CANADA-1": {"CA", "QC"},
	"NORWAY-1": {"NO", ""},
	"US-1":     {"US", ""},
}

// hyperstackLocation places a region; names the table lacks are read as
// "<COUNTRY>-<n>".
func hyperstackLocation(region string) shared.Location {
	up := strings.ToUpper(region)
	if r, ok := hyperstackRegions[up]; ok {
		return shared.Locate(r[0], r[1])
	}
	country, _, _ := strings.Cut(up, "-")
	return shared.Locate(strings.ReplaceAll(country, "_", " "), "")
}
