package adapters

import (
	"context"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

const (
	piGPUsPath = "/api/v1/availability/gpus"
	// piPageSize is the largest page_size the endpoint accepts.
	piPageSize = 100
	// piMaxPages bounds one fetch; the whole market is a few hundred offers.
	piMaxPages = 1000
	// piMinPrice and piMaxPrice reject prices no configuration has: below a
	// cent an hour the per-GPU price would round to zero.
	piMinPrice = 0.01
	piMaxPrice = 100000
	// piMaxGPUMemGB bounds a plausible per-GPU memory hint.
	piMaxGPUMemGB = 4096
)

// Prime Intellect: GET {base}/api/v1/availability/gpus?page=N&page_size=100
// with the API key as a Bearer token (it needs the "Availability -> Read"
// permission). Prime Intellect resells GPUs of many upstream clouds; the
// response is {"items": [...], "totalCount": N}, one item per upstream
// configuration (provider, cloudId, data centre, GPU type, socket, count)
// with its hourly price for the whole configuration and a stock level.
// https://docs.primeintellect.ai/api-reference/check-gpu-availability
var primeintellectInfo = Info{
	Name:           "primeintellect",
	DisplayName:    "Prime Intellect",
	DefaultBaseURL: "https://api.primeintellect.ai",
	DocsURL:        "https://docs.primeintellect.ai/api-reference/availability/get-gpu-availability",
	NeedsKey:       true,
	KeyEnv:         "PRIME_API_KEY",
	sendKey:        bearer,
}

func init() { register(primeintellectInfo, newPrimeIntellect) }

type primeIntellect struct{ provider }

func newPrimeIntellect(cfg Config) *primeIntellect {
	return &primeIntellect{newProvider(primeintellectInfo, cfg)}
}

// piPage is one page of the GPU availability listing.
type piPage struct {
	Items      []piOffer `json:"items"`
	TotalCount int       `json:"totalCount"`
}

// piOffer holds the fields of one availability item that we use. Most are
// nullable in the API; null decodes to the zero value.
type piOffer struct {
	CloudID     string     `json:"cloudId"`
	GPUType     string     `json:"gpuType"`
	Socket      string     `json:"socket"`
	Provider    string     `json:"provider"`
	DataCenter  string     `json:"dataCenter"`
	Country     string     `json:"country"`
	GPUCount    float64    `json:"gpuCount"`
	GPUMemory   float64    `json:"gpuMemory"` // GB, the whole configuration
	Disk        piResource `json:"disk"`
	VCPU        piResource `json:"vcpu"`
	Memory      piResource `json:"memory"`
	StockStatus string     `json:"stockStatus"`
	Security    string     `json:"security"` // secure_cloud or community_cloud
	Prices      struct {
		OnDemand       *float64 `json:"onDemand"`
		CommunityPrice *float64 `json:"communityPrice"`
		Currency       string   `json:"currency"`
	} `json:"prices"`
	IsSpot *bool `json:"isSpot"`

	// malformed marks an item whose fields had unexpected JSON types; it is
	// skipped rather than failing the whole page.
	malformed bool
}

// piResource is a disk/vcpu/memory block; the default count is what a pod
// of this configuration gets unless the request says otherwise.
type piResource struct {
	DefaultCount float64 `json:"defaultCount"`
}

func (o *piOffer) UnmarshalJSON(b []byte) error {
	type plain piOffer
	o.malformed = !decodeLenient(b, (*plain)(o))
	return nil
}

func (p *primeIntellect) Fetch(ctx context.Context) ([]shared.Offer, error) {
	var all []piOffer
	for page := 1; ; page++ {
		if page > piMaxPages {
			return nil, p.errorf(shared.ErrKindUpstream, "more than %d pages of offers", piMaxPages)
		}
		var resp piPage
		if err := p.get(ctx, piGPUsPath+"?page="+strconv.Itoa(page)+"&page_size="+strconv.Itoa(piPageSize), &resp); err != nil {
			return nil, err
		}
		all = append(all, resp.Items...)
		if len(resp.Items) == 0 || len(all) >= resp.TotalCount {
			break
		}
	}
	return parsePrimeIntellect(all, p.origin(piGPUsPath))
}

// parsePrimeIntellect emits one offer per item. CPU nodes, unpriced items and
// items priced in another currency are skipped. When the same configuration
// is listed twice, the cheaper listing is kept.
func parsePrimeIntellect(items []piOffer, at origin) ([]shared.Offer, error) {
	var out []shared.Offer
	index := map[string]int{}
	for i := range items {
		it := &items[i]
		gpuType := strings.TrimSpace(it.GPUType)
		if it.malformed || gpuType == "" || strings.EqualFold(gpuType, "CPU_NODE") || !(it.GPUCount >= 1) || it.GPUCount > 1024 {
			continue
		}
		if c := strings.ToUpper(strings.TrimSpace(it.Prices.Currency)); c != "" && c != "USD" {
			continue
		}
		price, ok := piPrice(it)
		if !ok {
			continue
		}
		spot := it.IsSpot != nil && *it.IsSpot
		provider := strings.TrimSpace(it.Provider)
		cloud := strings.TrimSpace(it.CloudID)
		if cloud == "" {
			cloud = gpuType + "x" + strconv.FormatFloat(it.GPUCount, 'f', -1, 64)
		}
		region := strings.TrimSpace(it.DataCenter)
		if region == "" {
			region = strings.TrimSpace(it.Country)
		}
		if region == "" {
			region = "global"
		}
		parts := []string{provider, cloud, strconv.FormatFloat(it.GPUCount, 'f', -1, 64), region, it.Security}
		if spot {
			parts = append(parts, "spot")
		}
		o := at.stamp(shared.Offer{
			ID:           at.id(parts...),
			InstanceType: cloud,
			VCPUs:        max(it.VCPU.DefaultCount, 0),
			RAMGB:        max(it.Memory.DefaultCount, 0),
			DiskGB:       max(it.Disk.DefaultCount, 0),
			Currency:     "USD",
			Availability: piAvailability(it.StockStatus),
		})
		if provider != "" {
			o.InstanceType = provider + ":" + cloud
		}
		// The socket ("SXM5", "PCIe") tells the H100 and A100 variants
		// apart; gpuMemory is the configuration's total.
		name := gpuType
		if s := strings.TrimSpace(it.Socket); s != "" {
			name += " " + s
		}
		mem := 0.0
		if it.GPUMemory > 0 && it.GPUMemory/it.GPUCount <= piMaxGPUMemGB {
			mem = it.GPUMemory / it.GPUCount
		}
		o.SetGPU(name, mem, it.GPUCount)
		o.SetPrices(price, 0)
		o.Interruptible = spot
		loc := piLocation(it.Country, it.DataCenter)
		o.SetLocation(region, loc)
		o.ComplianceTags = withGDPR(loc)
		if j, dup := index[o.ID]; dup {
			if o.PricePerHour < out[j].PricePerHour {
				out[j] = o
			}
			continue
		}
		index[o.ID] = len(out)
		out = append(out, o)
	}
	if len(items) > 0 && len(out) == 0 {
		return nil, at.fail("%d availability items but none with a GPU and a USD price", len(items))
	}
	return out, nil
}

// piPrice is the configuration's hourly price: the community price on
// community-cloud items, otherwise the on-demand price (the order the
// official CLI uses).
func piPrice(it *piOffer) (float64, bool) {
	for _, p := range []*float64{it.Prices.CommunityPrice, it.Prices.OnDemand} {
		if p != nil && *p >= piMinPrice && *p < piMaxPrice {
			return *p, true
		}
	}
	return 0, false
}

// piAvailability maps stockStatus: "High", "Medium" and "Available" are
// available, "Low" is limited, "Unavailable" and an empty status are
// unavailable; a status we do not know is treated as limited, since the
// configuration is listed.
func piAvailability(status string) shared.Availability {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "high", "medium", "available":
		return shared.Available
	case "low":
		return shared.Limited
	case "", "unavailable", "out_of_stock", "none":
		return shared.Unavailable
	}
	return shared.Limited
}

// piLocation places an item by its ISO country; data centres named
// "<country>-<state>-<n>" (RunPod's "US-KS-2") also give the state.
func piLocation(country, dataCenter string) shared.Location {
	sub := ""
	parts := strings.Split(strings.TrimSpace(dataCenter), "-")
	if len(parts) >= 3 && strings.EqualFold(parts[0], country) && len(parts[1]) == 2 {
		sub = parts[1]
	}
	return shared.Locate(country, sub)
}
