package simulator

import (
	"math/rand/v2"
	"net/http"
	"strconv"
)

// Lambda: GET /api/v1/instance-types with a Bearer key; the body is
// {"data": {"<type>": {"instance_type": {...}, "regions_with_capacity_available": [...]}}}.
func init() {
	registerProvider(providerSim{name: "lambda", inventory: lambdaInventory, handler: lambdaHandler})
}

var lambdaRegionDesc = map[string]string{
	"us-east-1": "Virginia, USA", "us-west-1": "California, USA", "us-west-2": "Arizona, USA",
	"us-west-3": "Utah, USA", "us-south-1": "Texas, USA", "us-midwest-1": "Illinois, USA",
	"europe-central-1": "Frankfurt, Germany", "asia-northeast-1": "Osaka, Japan",
	"asia-south-1": "Bangalore, India", "me-west-1": "Tel Aviv, Israel",
}

func lambdaInventory(r *rand.Rand) []Item {
	type shape struct {
		name, gpuDesc   string
		mem             float64
		gpus            float64
		vcpus, ram, ssd float64
		perGPU          float64
	}
	shapes := []shape{
		{"gpu_1x_a10", "A10 (24 GB PCIe)", 24, 1, 30, 200, 1400, 0.75},
		{"gpu_1x_a6000", "RTX A6000 (48 GB)", 48, 1, 14, 100, 512, 0.80},
		{"gpu_2x_a6000", "RTX A6000 (48 GB)", 48, 2, 28, 200, 1024, 0.80},
		{"gpu_1x_a100", "A100 (40 GB PCIe)", 40, 1, 30, 200, 512, 1.29},
		{"gpu_1x_a100_sxm4", "A100 (40 GB SXM4)", 40, 1, 30, 200, 512, 1.29},
		{"gpu_8x_a100", "A100 (40 GB SXM4)", 40, 8, 124, 1800, 6000, 1.29},
		{"gpu_8x_a100_80gb_sxm4", "A100 (80 GB SXM4)", 80, 8, 240, 1800, 19500, 1.79},
		{"gpu_1x_h100_pcie", "H100 (80 GB PCIe)", 80, 1, 26, 200, 1000, 2.49},
		{"gpu_1x_h100_sxm5", "H100 (80 GB SXM5)", 80, 1, 26, 225, 2750, 3.29},
		{"gpu_2x_h100_sxm5", "H100 (80 GB SXM5)", 80, 2, 52, 450, 5500, 3.19},
		{"gpu_8x_h100_sxm5", "H100 (80 GB SXM5)", 80, 8, 208, 1800, 22000, 2.99},
		{"gpu_1x_gh200", "GH200 (96 GB)", 96, 1, 64, 432, 4000, 1.49},
		{"gpu_8x_b200_sxm6", "B200 (180 GB SXM6)", 180, 8, 208, 2900, 22000, 4.99},
		{"gpu_8x_v100", "Tesla V100 (16 GB)", 16, 8, 92, 448, 5900, 0.55},
		{"gpu_1x_rtx6000", "RTX 6000 (24 GB)", 24, 1, 14, 46, 512, 0.50},
	}
	regions := []string{"us-east-1", "us-west-1", "us-west-2", "us-west-3", "us-south-1", "us-midwest-1",
		"europe-central-1", "asia-northeast-1", "asia-south-1", "me-west-1"}
	var items []Item
	for _, s := range shapes {
		// Each type has capacity in a few regions; some types are sold out.
		var avail []string
		for _, reg := range regions {
			if r.Float64() < 0.3 {
				avail = append(avail, reg)
			}
		}
		price := round4(s.perGPU * s.gpus * between(r, 0.95, 1.05))
		items = append(items, Item{
			ID: s.name, GPU: s.gpuDesc, GPUMemGB: s.mem, GPUCount: s.gpus, VCPUs: s.vcpus, RAMGB: s.ram,
			DiskGB: s.ssd, Price: price, Stock: len(avail),
			Attrs: map[string]string{"regions": joinComma(avail)},
		})
	}
	return items
}

func lambdaHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/instance-types", func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) == "" {
			if u, _, ok := r.BasicAuth(); !ok || u == "" {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]string{
					"code": "global/invalid-api-key", "message": "API key was invalid, expired, or deleted."}})
				return
			}
		}
		data := map[string]any{}
		for _, it := range p.Snapshot() {
			regions := []map[string]string{}
			if it.Stock > 0 {
				for _, reg := range splitComma(it.Attrs["regions"]) {
					regions = append(regions, map[string]string{"name": reg, "description": lambdaRegionDesc[reg]})
				}
			}
			count := strconv.Itoa(int(it.GPUCount))
			data[it.ID] = map[string]any{
				"instance_type": map[string]any{
					"name":                 it.ID,
					"description":          count + "x " + it.GPU,
					"gpu_description":      it.GPU,
					"price_cents_per_hour": int64(it.Price*100 + 0.5),
					"specs": map[string]any{
						"vcpus": it.VCPUs, "memory_gib": it.RAMGB, "storage_gib": it.DiskGB, "gpus": it.GPUCount,
					},
				},
				"regions_with_capacity_available": regions,
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
	})
	return mux
}
