package adapters

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// Hyperbolic GPU marketplace: POST {base}/v1/marketplace with the JSON body
// {"filters": {}} lists every supplier machine ("node") with its hardware,
// GPUs total and reserved, status, location and price. The listing needs no
// key (a configured HYPERBOLIC_API_KEY is sent as a Bearer all the same).
// There is no paging. https://docs.hyperbolic.xyz/docs/marketplace-api
//
// pricing.price.amount is in US cents per GPU-hour: the docs call it an
// hourly cost, and Hyperbolic's own CLI and the agent toolkits built on the
// API divide it by 100 and print it "per GPU per hour".
var hyperbolicInfo = Info{
	Name:           "hyperbolic",
	DisplayName:    "Hyperbolic",
	DefaultBaseURL: "https://api.hyperbolic.xyz",
	DocsURL:        "https://docs.hyperbolic.xyz/docs/marketplace-api",
	KeyEnv:         "HYPERBOLIC_API_KEY",
	sendKey:        bearer,
}

func init() { register(hyperbolicInfo, newHyperbolic) }

const (
	hyperbolicPath = "/v1/marketplace"
	// hyperbolicMaxCount bounds the instance sizes quoted per node.
	hyperbolicMaxCount = 64
)

type hyperbolic struct{ provider }

func newHyperbolic(cfg Config) *hyperbolic { return &hyperbolic{newProvider(hyperbolicInfo, cfg)} }

// hyperbolicListRequest asks for every node: no filters.
var hyperbolicListRequest = map[string]any{"filters": map[string]any{}}

type hyperbolicResponse struct {
	Instances []hyperbolicNode `json:"instances"`
}

// hyperbolicNode is one machine of the listing (the docs call the entries
// "instances"; each is a node that instances are rented on).
type hyperbolicNode struct {
	ID       string `json:"id"` // node name, e.g. "korea-amd14-78"
	Status   string `json:"status"`
	Reserved bool   `json:"reserved"`
	Hardware struct {
		CPUs []struct {
			Cores        float64 `json:"cores"`
			VirtualCores float64 `json:"virtual_cores"`
		} `json:"cpus"`
		GPUs []struct {
			Model string  `json:"model"` // e.g. "NVIDIA-H100-80GB-HBM3"
			RAM   float64 `json:"ram"`   // MiB
		} `json:"gpus"`
		Storage []struct {
			Capacity float64 `json:"capacity"` // GB
		} `json:"storage"`
		RAM []struct {
			Capacity float64 `json:"capacity"` // GB
		} `json:"ram"`
	} `json:"hardware"`
	Location struct {
		Region string `json:"region"`
	} `json:"location"`
	GPUsTotal    float64 `json:"gpus_total"`
	GPUsReserved float64 `json:"gpus_reserved"`
	Pricing      struct {
		Price struct {
			Amount float64 `json:"amount"` // US cents per GPU-hour
			Period string  `json:"period"`
		} `json:"price"`
	} `json:"pricing"`

	// malformed marks a node whose fields had unexpected JSON types; it is
	// skipped rather than failing the whole listing.
	malformed bool
}

func (n *hyperbolicNode) UnmarshalJSON(b []byte) error {
	type plain hyperbolicNode
	n.malformed = !decodeLenient(b, (*plain)(n))
	return nil
}

func (h *hyperbolic) Fetch(ctx context.Context) ([]shared.Offer, error) {
	return fetchOne(ctx, &h.provider, hyperbolicPath, hyperbolicListRequest, parseHyperbolic)
}

// parseHyperbolic quotes, for every node, instances of 1, 2, 4, ... GPUs up
// to the node's gpus_total; an instance gets the node's vCPUs, RAM and disk
// in proportion to its share of the GPUs.
//
// Availability: a size is "available" when the node is "node_ready", not
// reserved as a whole, and has at least that many GPUs unreserved
// (gpus_total - gpus_reserved); otherwise "unavailable".
//
// Compliance: suppliers publish no certifications; nodes located in Europe
// carry "gdpr".
func parseHyperbolic(resp hyperbolicResponse, at origin) ([]shared.Offer, error) {
	var set offerSet
	gpuNodes := 0
	for i := range resp.Instances {
		n := &resp.Instances[i]
		if n.malformed || strings.TrimSpace(n.ID) == "" || len(n.Hardware.GPUs) == 0 {
			continue
		}
		gpuNodes++
		for _, o := range hyperbolicQuotes(n, at) {
			set.add(o)
		}
	}
	return set.result(at, gpuNodes, "GPU nodes but none with a name and a price")
}

// hyperbolicQuotes quotes one node; the caller validates each offer
// (offerSet.add).
func hyperbolicQuotes(n *hyperbolicNode, at origin) []shared.Offer {
	g := n.Hardware.GPUs[0]
	name := strings.TrimSpace(g.Model)
	perGPU := n.Pricing.Price.Amount / 100
	period := strings.ToLower(strings.TrimSpace(n.Pricing.Price.Period))
	total := min(n.GPUsTotal, hyperbolicMaxCount)
	if name == "" || !sanePrice(perGPU) || (period != "" && period != "hourly") || !(total >= 1) {
		return nil
	}
	free := 0.0
	if strings.EqualFold(n.Status, "node_ready") && !n.Reserved {
		free = max(n.GPUsTotal-max(n.GPUsReserved, 0), 0)
	}
	vcpus, ram, disk := 0.0, 0.0, 0.0
	if len(n.Hardware.CPUs) > 0 {
		vcpus = max(n.Hardware.CPUs[0].VirtualCores, n.Hardware.CPUs[0].Cores, 0)
	}
	for _, r := range n.Hardware.RAM {
		ram += max(r.Capacity, 0)
	}
	for _, s := range n.Hardware.Storage {
		disk += max(s.Capacity, 0)
	}
	region, loc := hyperbolicLocation(n.Location.Region)
	var out []shared.Offer
	for k := 1; float64(k) <= total; k *= 2 {
		share := float64(k) / n.GPUsTotal
		o := at.stamp(shared.Offer{
			ID:           at.id(n.ID, strconv.Itoa(k)+"x"),
			InstanceType: fmt.Sprintf("%dx %s (node %s)", k, name, n.ID),
			VCPUs:        round2(vcpus * share),
			RAMGB:        round2(ram * share),
			DiskGB:       round2(disk * share),
			Currency:     "USD",
		})
		o.SetGPU(name, max(g.RAM, 0)/1024, float64(k))
		o.SetPrices(perGPU*float64(k), 0)
		o.SetLocation(region, loc)
		o.ComplianceTags = withGDPR(loc)
		o.Availability = shared.Unavailable
		if float64(k) <= free {
			o.Availability = shared.Available
		}
		out = append(out, o)
	}
	return out
}

// hyperbolicAreas are the US areas region labels of the form
// "us-<area>-<n>" ("us-east-1") name.
var hyperbolicAreas = map[string]string{"east": "us-east", "central": "us-central", "west": "us-west", "south": "us-central"}

// hyperbolicEUAreas are the canonical European areas an "eu-<area>-<n>"
// label can name without a country.
var hyperbolicEUAreas = map[string]bool{"north": true, "west": true, "central": true, "south": true, "east": true}

// hyperbolicCountryPrefixes read the first word of a region label.
var hyperbolicCountryPrefixes = map[string]string{
	"us": "US", "ca": "CA", "uk": "GB", "korea": "KR", "kr": "KR", "japan": "JP", "jp": "JP",
	"sg": "SG", "singapore": "SG", "in": "IN", "india": "IN", "au": "AU", "de": "DE", "fr": "FR",
	"nl": "NL", "se": "SE", "fi": "FI", "no": "NO", "pl": "PL", "ro": "RO", "es": "ES", "it": "IT",
}

// hyperbolicLocation reads the marketplace's region label. Labels of the
// form "<country>-<area>-<n>" ("us-east-1", "eu-north-1") are read by their
// words; generic labels such as "region-1" say nothing about where a node
// is and stay unlocated. The label itself is kept as the provider region.
func hyperbolicLocation(label string) (string, shared.Location) {
	region := strings.TrimSpace(label)
	if region == "" {
		return "unknown", shared.Location{}
	}
	parts := strings.Split(strings.ToLower(region), "-")
	area := ""
	if len(parts) >= 2 {
		area = parts[1]
	}
	switch {
	case parts[0] == "us" && hyperbolicAreas[area] != "":
		return region, shared.Location{Country: "US", Continent: "NA", Region: hyperbolicAreas[area]}
	case parts[0] == "eu" && hyperbolicEUAreas[area]:
		return region, shared.Location{Continent: "EU", Region: "eu-" + area}
	}
	if cc, ok := hyperbolicCountryPrefixes[parts[0]]; ok {
		return region, shared.Locate(cc, "")
	}
	return region, shared.Locate(parts[0], "")
}
