package simulator

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// Massed Compute: GET /gpu-inventory with a Bearer token; the body is
// {"gpu_inventory": {"<product>": {"instance_type": {...},
// "regions_with_capacity_available": [...], "capacity_available": n}}}.
// Prices are US cents per instance-hour. The API documents no error body;
// a request without a token gets 401 {"error": "..."}.
func init() {
	registerProvider(providerSim{name: "massedcompute", inventory: massedInventory, handler: massedHandler})
}

var massedRegionDesc = map[string]string{
	"us-central-1": "Wichita, KS",
	"us-central-3": "Des Moines, IA",
}

// massedInventory holds one item per product: GPU is the description's
// model part, Price is per instance-hour and Stock is capacity_available.
// Attrs carry the description suffix ("[Spot]", "NVLink") and regions.
func massedInventory(r *rand.Rand) []Item {
	type line struct {
		slug, model       string
		mem               float64
		perGPU            float64
		vcpus, ram, disk  float64 // per GPU
		counts            []int
		suffix            string // appended to the description
		productSuffix     string // appended to the product name
		descWithoutMemory bool   // some descriptions omit "(<n>GB)"
	}
	lines := []line{
		{"a6000", "RTX A6000", 48, 0.625, 6, 48, 256, []int{1, 2, 4, 8}, "", "", false},
		{"a6000", "RTX A6000", 48, 0.55, 10, 64, 375, []int{1}, "[ALT Config]", "_low_ram", false},
		{"a6000", "RTX A6000", 48, 0.75, 32, 256, 1000, []int{1}, "[Premium]", "_high_ram", false},
		{"a6000", "RTX A6000", 48, 0.675, 12, 96, 512, []int{2}, "NVLink", "_nvlink", false},
		{"a6000", "RTX A6000", 48, 0.39, 6, 48, 256, []int{1}, "[Spot]", "_spot", false},
		{"l40", "L40", 48, 0.86, 14, 72, 625, []int{1, 2, 4, 8}, "", "", false},
		{"l40s", "L40S", 48, 0.99, 16, 96, 625, []int{1, 2, 4, 8}, "", "", false},
		{"rtx6000ada", "RTX 6000 Ada", 48, 0.97, 12, 64, 500, []int{1, 2, 4, 8}, "", "", false},
		{"a30", "A30", 24, 0.33, 8, 48, 250, []int{1, 2, 4}, "", "", false},
		{"a5000", "RTX A5000", 24, 0.41, 8, 48, 250, []int{1, 2, 4}, "", "", false},
		{"a100_pcie", "A100 PCIe", 80, 1.72, 12, 120, 500, []int{1, 2, 4, 8}, "", "", false},
		{"A100_SXM4", "A100 SXM4", 80, 1.89, 16, 128, 750, []int{1, 8}, "", "", false},
		{"DGX_A100", "DGX A100", 80, 1.79, 30, 240, 1750, []int{8}, "", "", false},
		{"h100_pcie", "H100 PCIe", 80, 2.78, 20, 128, 750, []int{1, 2, 4, 8}, "", "", false},
		{"h100_pcie", "H100 PCIe", 80, 1.89, 20, 128, 750, []int{1}, "[Spot]", "_spot", false},
		{"h100_sxm5", "H100 SXM5", 80, 2.98, 24, 240, 1000, []int{1, 8}, "", "", false},
		{"h100_nvl", "H100 NVL", 94, 2.88, 24, 192, 1000, []int{1, 2, 4}, "NVLink", "_nvlink", true},
		{"h200_nvl", "H200 NVL", 141, 3.49, 28, 240, 1500, []int{1, 4}, "NVLink", "_nvlink", false},
		{"h200_nvl", "H200 NVL", 141, 2.29, 28, 240, 1500, []int{4}, "NVLink [Spot]", "_nvlink_discount", false},
		{"b200_sxm6", "B200 SXM6", 180, 5.49, 28, 256, 3500, []int{8}, "", "", true},
	}
	regions := []string{"us-central-1", "us-central-3"}
	var items []Item
	for _, l := range lines {
		for _, n := range l.counts {
			count := float64(n)
			var avail []string
			for _, reg := range regions {
				if r.Float64() < 0.6 {
					avail = append(avail, reg)
				}
			}
			if len(avail) == 0 {
				avail = regions[:1]
			}
			stock := r.IntN(12)
			if r.Float64() < 0.15 {
				stock = 0 // sold out
			}
			desc := strconv.Itoa(n) + "x " + l.model
			if !l.descWithoutMemory {
				desc += " (" + strconv.FormatFloat(l.mem, 'f', -1, 64) + "GB)"
			}
			if l.suffix != "" {
				desc += " " + l.suffix
			}
			items = append(items, Item{
				ID:  "gpu_" + strconv.Itoa(n) + "x_" + l.slug + l.productSuffix,
				GPU: l.model, GPUMemGB: l.mem, GPUCount: count,
				VCPUs: l.vcpus * count, RAMGB: l.ram * count, DiskGB: l.disk * count,
				Region: avail[0], Price: round4(l.perGPU * count * between(r, 0.95, 1.05)), Stock: stock,
				Attrs: map[string]string{"description": desc, "regions": joinComma(avail)},
			})
		}
	}
	// CPU plans share the inventory endpoint.
	items = append(items, Item{
		ID: "cpu_small_amd_epyc", VCPUs: 4, RAMGB: 16, DiskGB: 250, Region: regions[0],
		Price: round4(between(r, 0.09, 0.11)), Stock: 1 + r.IntN(20),
		Attrs: map[string]string{"description": "CPU-only instance", "regions": regions[0]},
	})
	return items
}

func massedHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /gpu-inventory", func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Invalid or missing API token"})
			return
		}
		inv := map[string]any{}
		for _, it := range p.Snapshot() {
			regions := []map[string]string{}
			if it.Stock > 0 {
				for _, reg := range splitComma(it.Attrs["regions"]) {
					regions = append(regions, map[string]string{"name": reg, "description": massedRegionDesc[reg]})
				}
			}
			inv[it.ID] = map[string]any{
				"instance_type": map[string]any{
					"name":                 it.ID,
					"description":          strings.TrimSpace(it.Attrs["description"]),
					"price_cents_per_hour": int64(math.Round(it.Price * 100)),
					"specs": map[string]any{
						"vcpu_count": it.VCPUs, "memory_gib": it.RAMGB, "storage_gb": it.DiskGB,
					},
				},
				"regions_with_capacity_available": regions,
				"capacity_available":              it.Stock,
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"gpu_inventory": inv})
	})
	return mux
}
