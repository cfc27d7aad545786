package simulator

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// Prime Intellect: GET /api/v1/availability/gpus?page=N&page_size=M with a
// Bearer key (FastAPI: 401 {"detail": "Not authenticated"} without one, 422
// with a validation error for page < 1 or page_size outside 1..100). The body
// is {"items": [...], "totalCount": N}. Prime Intellect resells upstream
// clouds, so items name the upstream provider, its plan id (cloudId) and
// data centre. Optional filters gpu_type, gpu_count, socket, security,
// data_center_id and cloud_id are exact matches.
//
// One inventory item is one listed configuration; Price is the hourly price
// of the whole configuration (the Spot price for Spot items), Stock maps to
// stockStatus (0 = "Unavailable").
func init() {
	registerProvider(providerSim{name: "primeintellect", inventory: piInventory, handler: piHandler})
}

const piMaxPageSize = 100

// piDC is an upstream data centre.
type piDC struct{ id, country string }

// piShape is one upstream plan family.
type piShape struct {
	provider, gpuType, socket string
	cloudID                   func(n int) string
	mem                       float64 // per GPU
	counts                    []int
	perGPU                    float64 // USD per GPU-hour
	vcpu, ram, disk           float64 // per GPU
	dcs                       []piDC
	security                  string
	spot                      float64 // Spot price as a fraction; 0 = no Spot listing
}

var (
	piRunpodDCs     = []piDC{{"US-KS-2", "US"}, {"US-TX-3", "US"}, {"US-GA-1", "US"}, {"EU-RO-1", "RO"}, {"EU-SE-1", "SE"}, {"CA-MTL-1", "CA"}}
	piHyperstackDCs = []piDC{{"CANADA-1", "CA"}, {"NORWAY-1", "NO"}, {"US-1", "US"}}
	piLambdaDCs     = []piDC{{"us-east-1", "US"}, {"us-west-1", "US"}, {"us-south-1", "US"}}
	piVerdaDCs      = []piDC{{"FIN-01", "FI"}, {"ICE-01", "IS"}}
	piPrimeDCs      = []piDC{{"us-central-2", "US"}, {"us-east-1", "US"}}
)

func piFixedID(id string) func(int) string { return func(int) string { return id } }

var piShapes = []piShape{
	{"runpod", "H100_80GB", "PCIe", piFixedID("NVIDIA H100 PCIe"), 80, []int{1, 2, 4}, 2.39, 16, 188, 80, piRunpodDCs, "secure_cloud", 0},
	{"runpod", "H100_80GB", "SXM5", piFixedID("NVIDIA H100 80GB HBM3"), 80, []int{1, 8}, 2.69, 20, 250, 80, piRunpodDCs, "secure_cloud", 0.55},
	{"runpod", "A100_80GB", "SXM4", piFixedID("NVIDIA A100-SXM4-80GB"), 80, []int{1, 8}, 1.49, 16, 125, 80, piRunpodDCs, "secure_cloud", 0},
	{"runpod", "A100_80GB", "PCIe", piFixedID("NVIDIA A100 80GB PCIe"), 80, []int{1, 2}, 1.19, 8, 117, 80, piRunpodDCs, "community_cloud", 0},
	{"runpod", "RTX4090_24GB", "PCIe", piFixedID("NVIDIA GeForce RTX 4090"), 24, []int{1, 2}, 0.34, 6, 41, 40, piRunpodDCs, "community_cloud", 0.6},
	{"runpod", "L40S_48GB", "PCIe", piFixedID("NVIDIA L40S"), 48, []int{1, 4}, 0.79, 12, 62, 50, piRunpodDCs, "secure_cloud", 0},
	{"runpod", "RTX6000Ada_48GB", "PCIe", piFixedID("NVIDIA RTX 6000 Ada Generation"), 48, []int{1}, 0.74, 10, 62, 50, piRunpodDCs, "secure_cloud", 0},
	{"runpod", "RTX5090_32GB", "PCIe", piFixedID("NVIDIA GeForce RTX 5090"), 32, []int{1}, 0.69, 8, 46, 40, piRunpodDCs, "community_cloud", 0},
	{"hyperstack", "H100_80GB", "PCIe", func(n int) string { return "n3-H100x" + strconv.Itoa(n) }, 80, []int{1, 2, 8}, 1.90, 28, 180, 100, piHyperstackDCs, "secure_cloud", 0},
	{"hyperstack", "A100_80GB", "PCIe", func(n int) string { return "n3-A100x" + strconv.Itoa(n) }, 80, []int{1, 8}, 1.35, 28, 120, 100, piHyperstackDCs, "secure_cloud", 0},
	{"hyperstack", "L40_48GB", "PCIe", func(n int) string { return "n3-L40x" + strconv.Itoa(n) }, 48, []int{1}, 1.00, 28, 58, 100, piHyperstackDCs, "secure_cloud", 0},
	{"hyperstack", "A6000_48GB", "PCIe", func(n int) string { return "n3-RTX-A6000x" + strconv.Itoa(n) }, 48, []int{1, 2}, 0.50, 28, 58, 100, piHyperstackDCs, "secure_cloud", 0},
	{"lambdalabs", "H100_80GB", "SXM5", func(n int) string { return "gpu_" + strconv.Itoa(n) + "x_h100_sxm5" }, 80, []int{1, 8}, 3.29, 26, 225, 2750, piLambdaDCs, "secure_cloud", 0},
	{"lambdalabs", "A100_40GB", "SXM4", func(n int) string { return "gpu_" + strconv.Itoa(n) + "x_a100_sxm4" }, 40, []int{1, 8}, 1.29, 30, 200, 512, piLambdaDCs, "secure_cloud", 0},
	{"lambdalabs", "GH200_96GB", "", piFixedID("gpu_1x_gh200"), 96, []int{1}, 1.49, 64, 432, 4000, piLambdaDCs, "secure_cloud", 0},
	{"lambdalabs", "B200_180GB", "SXM6", piFixedID("gpu_8x_b200_sxm6"), 180, []int{8}, 4.99, 26, 362, 2750, piLambdaDCs, "secure_cloud", 0},
	{"datacrunch", "H100_80GB", "SXM5", func(n int) string { return strconv.Itoa(n) + "H100.80S." + strconv.Itoa(n*30) + "V" }, 80, []int{1, 2, 8}, 2.19, 30, 120, 100, piVerdaDCs, "secure_cloud", 0.45},
	{"datacrunch", "H200_141GB", "SXM5", func(n int) string { return strconv.Itoa(n) + "H200.141S." + strconv.Itoa(n*44) + "V" }, 141, []int{1, 8}, 2.99, 44, 185, 100, piVerdaDCs, "secure_cloud", 0.45},
	{"datacrunch", "L40S_48GB", "PCIe", func(n int) string { return strconv.Itoa(n) + "L40S.48V." + strconv.Itoa(n*20) + "V" }, 48, []int{1}, 0.91, 20, 60, 100, piVerdaDCs, "secure_cloud", 0},
	{"primecompute", "H100_80GB", "SXM5", func(n int) string { return "H100_80GB-SXM5-" + strconv.Itoa(n) + "x" }, 80, []int{8}, 1.99, 24, 224, 2000, piPrimeDCs, "secure_cloud", 0},
	{"primecompute", "B200_180GB", "SXM6", func(n int) string { return "B200_180GB-SXM6-" + strconv.Itoa(n) + "x" }, 180, []int{2, 8}, 3.49, 28, 256, 2000, piPrimeDCs, "secure_cloud", 0},
}

func piInventory(r *rand.Rand) []Item {
	var items []Item
	for _, s := range piShapes {
		for _, n := range s.counts {
			for i, dc := range s.dcs {
				// The first data centre always lists the plan, the others now and then.
				if i > 0 && r.Float64() < 0.45 {
					continue
				}
				count := float64(n)
				price := round4(s.perGPU * count * between(r, 0.95, 1.05))
				base := Item{
					ID: s.cloudID(n), GPU: s.gpuType, GPUMemGB: s.mem, GPUCount: count,
					VCPUs: s.vcpu * count, RAMGB: s.ram * count, DiskGB: s.disk * count,
					Region: dc.id, Price: price, Stock: piStock(r),
					Attrs: map[string]string{"provider": s.provider, "socket": s.socket, "country": dc.country, "security": s.security},
				}
				items = append(items, base)
				if s.spot > 0 && r.Float64() < 0.5 {
					sp := base
					sp.Attrs = map[string]string{"provider": s.provider, "socket": s.socket, "country": dc.country, "security": s.security, "spot": "1"}
					sp.Price = round4(price * s.spot)
					sp.Stock = piStock(r)
					items = append(items, sp)
				}
			}
		}
	}
	// CPU nodes share the listing; one upstream plan comes back unpriced.
	for _, dc := range piRunpodDCs[:2] {
		items = append(items, Item{ID: "cpu3c-8-16", GPU: "CPU_NODE", VCPUs: 8, RAMGB: 16, DiskGB: 40, Region: dc.id,
			Price: round4(0.16 * between(r, 0.95, 1.05)), Stock: 5,
			Attrs: map[string]string{"provider": "runpod", "country": dc.country, "security": "secure_cloud"}})
	}
	items = append(items, Item{ID: "n3-A100x4", GPU: "A100_80GB", GPUMemGB: 80, GPUCount: 4, VCPUs: 112, RAMGB: 480, DiskGB: 100,
		Region: "NORWAY-1", Stock: 2,
		Attrs: map[string]string{"provider": "hyperstack", "socket": "PCIe", "country": "NO", "security": "secure_cloud"}})
	return items
}

// piStock draws a stock level: mostly in stock, sometimes low or sold out.
func piStock(r *rand.Rand) int {
	switch x := r.Float64(); {
	case x < 0.1:
		return 0
	case x < 0.3:
		return 1 + r.IntN(2)
	}
	return 3 + r.IntN(10)
}

// piStockStatus renders a stock count the way the upstream reports it:
// Hyperstack and Lambda say only "Available", RunPod and others a level.
func piStockStatus(it Item) string {
	switch {
	case it.Stock <= 0:
		return "Unavailable"
	case it.Attrs["provider"] == "hyperstack" || it.Attrs["provider"] == "lambdalabs":
		return "Available"
	case it.Stock <= 2:
		return "Low"
	case it.Stock <= 6:
		return "Medium"
	}
	return "High"
}

func piItemJSON(it Item) map[string]any {
	a := it.Attrs
	var onDemand, community any
	if it.Price > 0 {
		if a["security"] == "community_cloud" {
			community = it.Price
		} else {
			onDemand = it.Price
		}
	}
	var socket any
	if a["socket"] != "" {
		socket = a["socket"]
	}
	fixed := func(n float64) map[string]any {
		return map[string]any{"minCount": nil, "defaultCount": n, "maxCount": nil, "pricePerUnit": nil,
			"step": nil, "defaultIncludedInPrice": nil, "additionalInfo": nil}
	}
	disk := fixed(it.DiskGB)
	if a["provider"] == "runpod" {
		// RunPod disks are sized by the customer and billed per GB-hour.
		disk = map[string]any{"minCount": it.DiskGB, "defaultCount": it.DiskGB, "maxCount": 1000, "pricePerUnit": 0.00014,
			"step": 1, "defaultIncludedInPrice": false, "additionalInfo": nil}
	}
	var spot any
	if a["spot"] != "" {
		spot = true
	} else if a["provider"] == "runpod" {
		spot = false
	}
	return map[string]any{
		"cloudId": it.ID, "gpuType": it.GPU, "socket": socket, "provider": a["provider"],
		"dataCenter": it.Region, "country": a["country"], "gpuCount": int(it.GPUCount),
		"gpuMemory": int(it.GPUMemGB * it.GPUCount),
		"disk":      disk, "vcpu": fixed(it.VCPUs), "memory": fixed(it.RAMGB),
		"internetSpeed": nil, "interconnect": nil, "interconnectType": nil, "provisioningTime": nil,
		"stockStatus": piStockStatus(it), "security": a["security"],
		"prices": map[string]any{"onDemand": onDemand, "communityPrice": community, "isVariable": nil, "currency": "USD"},
		"images": []string{"ubuntu_22_cuda_12", "cuda_12_1_pytorch_2_2", "cuda_11_8_pytorch_2_1", "vllm_llama_8b"},
		"isSpot": spot, "prepaidTime": nil,
	}
}

// piValidation answers a FastAPI query validation error.
func piValidation(w http.ResponseWriter, field, typ, msg, input string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []map[string]any{{
		"type": typ, "loc": []string{"query", field}, "msg": msg, "input": input}}})
}

func piHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/availability/gpus", func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": "Not authenticated"})
			return
		}
		q := r.URL.Query()
		page, size := 1, piMaxPageSize
		if s := q.Get("page"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				piValidation(w, "page", "greater_than_equal", "Input should be greater than or equal to 1", s)
				return
			}
			page = n
		}
		if s := q.Get("page_size"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > piMaxPageSize {
				piValidation(w, "page_size", "less_than_equal", "Input should be less than or equal to 100", s)
				return
			}
			size = n
		}
		var matched []map[string]any
		for _, it := range p.Snapshot() {
			if !piMatches(it, q) {
				continue
			}
			matched = append(matched, piItemJSON(it))
		}
		out := []map[string]any{}
		if start := (page - 1) * size; start < len(matched) {
			out = matched[start:min(start+size, len(matched))]
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": out, "totalCount": len(matched)})
	})
	return mux
}

// piMatches applies the exact-match filters the endpoint supports.
func piMatches(it Item, q map[string][]string) bool {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	for k, v := range map[string]string{
		"gpu_type": it.GPU, "socket": it.Attrs["socket"], "security": it.Attrs["security"],
		"data_center_id": it.Region, "cloud_id": it.ID, "gpu_count": strconv.Itoa(int(it.GPUCount)),
	} {
		if want := get(k); want != "" && !strings.EqualFold(want, v) {
			return false
		}
	}
	return true
}
