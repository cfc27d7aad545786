package simulator

import (
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Shadeform: GET /instances/types with the key in X-API-KEY; the body is
// {"instance_types": [...]}, one entry per underlying cloud and instance
// type, priced in cents per hour, with per-region availability rows. The
// documented filters cloud, region, gpu_type, num_gpus, shade_instance_type
// and available, and sort=price, are honoured.
func init() {
	registerProvider(providerSim{name: "shadeform", inventory: shadeformInventory, handler: shadeformHandler})
}

// shadeformRegionNames are the display names Shadeform gives its regions.
var shadeformRegionNames = map[string]string{
	"dulles-usa-1": "US, Dulles, VA", "sanjose-usa-2": "US, San Jose, CA", "phoenix-usa-2": "US, Phoenix, AZ",
	"austin-usa-1": "US, Austin, TX", "saltlakecity-usa-1": "US, Salt Lake City, UT", "chicago-usa-2": "US, Chicago, IL",
	"tokyo-japan-1": "JP, Tokyo", "culpeper-usa-1": "US, Culpeper, VA", "reykjavik-iceland-1": "IS, Reykjavik",
	"desmoines-usa-1": "US, Des Moines, IA", "kansascity-usa-1": "US, Kansas City, MO", "wichita-usa-1": "US, Wichita, KS",
	"beltsville-usa-1": "US, Beltsville, MD", "calgary-canada-1": "CA, Calgary, AB", "houston-usa-1": "US, Houston, TX",
	"montreal-canada-2": "CA, Montreal, QC", "oslo-norway-1": "NO, Oslo", "paris-france-1": "FR, Paris",
	"paris-france-5": "FR, Paris", "warsaw-poland-1": "PL, Warsaw", "newyork-usa-1": "US, New York, NY",
	"bangalore-india-1": "IN, Bangalore", "helsinki-finland-2": "FI, Central", "tokyo-japan-5": "JP, Tokyo",
	"dulles-usa-4": "US, Dulles, VA", "chicago-usa-3": "US, Chicago, IL",
}

func shadeformInventory(r *rand.Rand) []Item {
	type shape struct {
		cloud, shade, native string
		gpu, interconnect    string
		mem, gpus            float64
		vcpus, ram, disk     float64
		price, spot          float64 // instance USD/hour; spot 0 = none
		spotOnly             bool
		regions              []string
	}
	usLambda := []string{"dulles-usa-1", "sanjose-usa-2", "phoenix-usa-2", "austin-usa-1", "saltlakecity-usa-1", "chicago-usa-2", "tokyo-japan-1"}
	massed := []string{"desmoines-usa-1", "kansascity-usa-1", "wichita-usa-1", "beltsville-usa-1"}
	shapes := []shape{
		{"lambdalabs", "A10", "gpu_1x_a10", "A10", "pcie", 24, 1, 30, 200, 1400, 0.75, 0, false, usLambda},
		{"lambdalabs", "A6000", "gpu_1x_a6000", "A6000", "pcie", 48, 1, 14, 100, 512, 0.80, 0, false, usLambda},
		{"lambdalabs", "A6000x4", "gpu_4x_a6000", "A6000", "pcie", 48, 4, 56, 400, 1024, 3.20, 0, false, usLambda},
		{"lambdalabs", "A100_sxm4", "gpu_1x_a100_sxm4", "A100", "sxm4", 40, 1, 30, 200, 512, 1.29, 0, false, usLambda},
		{"lambdalabs", "A100_80G_sxm4x8", "gpu_8x_a100_80gb_sxm4", "A100_80G", "sxm4", 80, 8, 240, 1800, 19500, 14.32, 0, false, usLambda},
		{"lambdalabs", "H100_pcie", "gpu_1x_h100_pcie", "H100", "pcie", 80, 1, 26, 200, 1000, 2.49, 0, false, usLambda},
		{"lambdalabs", "H100_sxm5", "gpu_1x_h100_sxm5", "H100", "sxm5", 80, 1, 26, 225, 2750, 3.29, 0, false, usLambda},
		{"lambdalabs", "H100_sxm5x8", "gpu_8x_h100_sxm5", "H100", "sxm5", 80, 8, 208, 1800, 22000, 23.92, 0, false, usLambda},
		{"lambdalabs", "B200_sxm6x8", "gpu_8x_b200_sxm6", "B200", "sxm6", 180, 8, 208, 2900, 22000, 39.92, 19.96, false, usLambda},
		{"lambdalabs", "GH200", "gpu_1x_gh200", "GH200", "", 96, 1, 64, 432, 4000, 1.49, 0, false, usLambda},
		{"crusoe", "L40S", "l40s-48gb.1x", "L40S", "pcie", 48, 1, 8, 147, 960, 1.45, 0, false, []string{"culpeper-usa-1", "reykjavik-iceland-1"}},
		{"crusoe", "L40Sx4", "l40s-48gb.4x", "L40S", "pcie", 48, 4, 32, 588, 3840, 5.80, 0, false, []string{"culpeper-usa-1", "reykjavik-iceland-1"}},
		{"crusoe", "A100_80G_sxm4x8", "a100-80gb-sxm-ib.8x", "A100_80G", "sxm4", 80, 8, 96, 960, 7680, 18.40, 0, false, []string{"culpeper-usa-1"}},
		{"crusoe", "H100_sxm5x8", "h100-80gb-sxm-ib.8x", "H100", "sxm5", 80, 8, 176, 1920, 30720, 31.20, 0, false, []string{"culpeper-usa-1", "reykjavik-iceland-1"}},
		{"massedcompute", "A6000", "gpu_1x_A6000", "A6000", "pcie", 48, 1, 6, 48, 256, 0.57, 0, false, massed},
		{"massedcompute", "A6000_plus", "gpu_1x_A6000_high_perf", "A6000", "pcie", 48, 1, 12, 64, 256, 0.57, 0, false, massed},
		{"massedcompute", "L40S", "gpu_1x_L40S", "L40S", "pcie", 48, 1, 12, 72, 512, 0.88, 0, false, massed},
		{"massedcompute", "L40Sx8", "gpu_8x_L40S", "L40S", "pcie", 48, 8, 142, 768, 4096, 7.04, 0, false, massed},
		{"massedcompute", "A100_80G", "gpu_1x_A100_80GB", "A100_80G", "pcie", 80, 1, 12, 64, 256, 1.35, 0, false, massed},
		{"massedcompute", "H100", "gpu_1x_H100", "H100", "pcie", 80, 1, 20, 128, 1024, 2.73, 0, false, massed},
		{"massedcompute", "H100x2", "gpu_2x_H100", "H100", "pcie", 80, 2, 40, 256, 2048, 5.46, 0, false, massed},
		{"massedcompute", "RTX6000Ada", "gpu_1x_RTX6000Ada", "RTX6000Ada", "pcie", 48, 1, 12, 80, 512, 0.97, 0, false, massed},
		{"massedcompute", "RTXPro6000", "gpu_1x_RTXPro6000", "RTXPro6000", "pcie", 96, 1, 16, 192, 1024, 2.19, 0, false, massed},
		{"denvr", "A100_sxm4x8", "A100_40GB_SXM_8x", "A100", "sxm4", 40, 8, 120, 940, 10000, 11.20, 0, false, []string{"calgary-canada-1"}},
		{"denvr", "H100_sxm5x8", "H100_80GB_SXM_8x", "H100", "sxm5", 80, 8, 208, 940, 20000, 14.00, 0, false, []string{"houston-usa-1"}},
		{"denvr", "Gaudi2x8", "Gaudi2_96GB_8x", "GAUDI2", "", 96, 8, 152, 940, 10000, 8.80, 0, false, []string{"houston-usa-1"}},
		{"hyperstack", "A6000", "n3-RTX-A6000x1", "A6000", "pcie", 48, 1, 28, 58, 100, 0.50, 0, false, []string{"montreal-canada-2", "oslo-norway-1"}},
		{"hyperstack", "L40", "n3-L40x1", "L40", "pcie", 48, 1, 28, 58, 100, 1.00, 0, false, []string{"montreal-canada-2", "oslo-norway-1"}},
		{"hyperstack", "H100_pcie", "n3-H100x1", "H100", "pcie", 80, 1, 28, 180, 100, 1.90, 0, false, []string{"montreal-canada-2", "oslo-norway-1"}},
		{"scaleway", "L4", "L4-1-24G", "L4", "pcie", 24, 1, 8, 48, 0, 0.95, 0, false, []string{"paris-france-5", "warsaw-poland-1"}},
		{"scaleway", "L40S", "L40S-1-48G", "L40S", "pcie", 48, 1, 8, 96, 0, 1.70, 0, false, []string{"paris-france-1", "warsaw-poland-1"}},
		{"scaleway", "H100", "H100-1-80G", "H100", "pcie", 80, 1, 24, 240, 3000, 3.30, 0, false, []string{"paris-france-1", "warsaw-poland-1"}},
		{"scaleway", "H100x2", "H100-2-80G", "H100", "pcie", 80, 2, 48, 480, 6000, 6.60, 0, false, []string{"paris-france-1", "warsaw-poland-1"}},
		{"paperspace", "A4000", "A4000", "A4000", "pcie", 16, 1, 8, 45, 50, 0.80, 0, false, []string{"newyork-usa-1"}},
		{"paperspace", "V100_32GB", "V100-32G", "V100_32GB", "sxm2", 32, 1, 8, 30, 50, 2.34, 0, false, []string{"newyork-usa-1"}},
		{"vultr", "A16x2", "vcg-a16-12c-128g-32vram", "A16", "pcie", 16, 2, 12, 128, 700, 1.02, 0, false, []string{"bangalore-india-1"}},
		{"verda", "B300_sxm6x8", "8B300.240V", "B300", "sxm6", 288, 8, 240, 2040, 7680, 61.64, 24.08, false, []string{"helsinki-finland-2"}},
		{"verda", "H200_sxm5x8", "8H200.141S.176V", "H200", "sxm5", 141, 8, 176, 1480, 7680, 30.00, 12.00, false, []string{"helsinki-finland-2"}},
		{"excesssupply", "H200x8", "8x-h200-sxm5", "H200", "sxm5", 141, 8, 208, 1904, 30000, 32.00, 0, false, []string{"tokyo-japan-5"}},
		{"excesssupply", "A100_80G_sxm4x8", "8x-a100-80gb-sxm4", "A100_80G", "sxm4", 80, 8, 240, 1800, 20000, 24.00, 11.50, true, []string{"dulles-usa-4", "chicago-usa-3"}},
	}
	var items []Item
	for _, s := range shapes {
		price := round4(s.price * between(r, 0.95, 1.05))
		spot := 0.0
		if s.spot > 0 {
			spot = round4(s.spot * between(r, 0.9, 1.1))
		}
		// Stock is the number of listed regions with capacity; about one
		// type in six starts sold out everywhere.
		stock := 1 + r.IntN(len(s.regions))
		if r.Float64() < 0.16 {
			stock = 0
		}
		attrs := map[string]string{
			"cloud": s.cloud, "native": s.native, "interconnect": s.interconnect, "regions": joinComma(s.regions),
		}
		if s.spotOnly {
			attrs["spot_only"] = "1"
		}
		items = append(items, Item{
			ID: s.shade, GPU: s.gpu, GPUMemGB: s.mem, GPUCount: s.gpus, VCPUs: s.vcpus, RAMGB: s.ram, DiskGB: s.disk,
			Region: s.regions[0], Price: price, Spot: spot, Stock: stock, Attrs: attrs,
		})
	}
	return items
}

func shadeformHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /instances/types", func(w http.ResponseWriter, r *http.Request) {
		if strings.TrimSpace(r.Header.Get("X-API-KEY")) == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Unauthorized: missing or invalid X-API-KEY header"})
			return
		}
		q := r.URL.Query()
		types := []map[string]any{}
		for _, it := range p.Snapshot() {
			t := shadeformRender(it)
			if !shadeformMatches(t, it, q.Get) {
				continue
			}
			types = append(types, t)
		}
		if q.Get("sort") == "price" {
			sort.SliceStable(types, func(a, b int) bool { return types[a]["hourly_price"].(int64) < types[b]["hourly_price"].(int64) })
		}
		writeJSON(w, http.StatusOK, map[string]any{"instance_types": types})
	})
	return mux
}

// shadeformRender turns an item into an instance-type entry. The first
// Stock regions have capacity; spot rows, for items with a spot price,
// follow the same capacity and quote dollars as a string.
func shadeformRender(it Item) map[string]any {
	avail := []map[string]any{}
	spotOnly := it.Attrs["spot_only"] == "1"
	for i, reg := range splitComma(it.Attrs["regions"]) {
		row := func(rental string) map[string]any {
			return map[string]any{"region": reg, "available": it.Stock > i, "display_name": shadeformRegionNames[reg], "rental_type": rental}
		}
		if !spotOnly {
			avail = append(avail, row("on_demand"))
		}
		if it.Spot > 0 {
			s := row("spot")
			s["hourly_price"] = strconv.FormatFloat(it.Spot, 'f', 2, 64)
			avail = append(avail, s)
		}
	}
	return map[string]any{
		"cloud":               it.Attrs["cloud"],
		"shade_instance_type": it.ID,
		"cloud_instance_type": it.Attrs["native"],
		"deployment_type":     "vm",
		"configuration": map[string]any{
			"memory_in_gb":       it.RAMGB,
			"storage_in_gb":      it.DiskGB,
			"vcpus":              it.VCPUs,
			"num_gpus":           it.GPUCount,
			"gpu_type":           it.GPU,
			"interconnect":       it.Attrs["interconnect"],
			"vram_per_gpu_in_gb": it.GPUMemGB,
			"os_options":         []string{"ubuntu22.04_cuda12.4_shade_os", "ubuntu20.04_cuda12.4_shade_os"},
		},
		"hourly_price": int64(it.Price*100 + 0.5),
		"boot_time":    map[string]int{"min_boot_in_sec": 180, "max_boot_in_sec": 600},
		"availability": avail,
	}
}

// shadeformMatches applies the documented query filters.
func shadeformMatches(t map[string]any, it Item, get func(string) string) bool {
	if c := get("cloud"); c != "" && c != it.Attrs["cloud"] {
		return false
	}
	if g := get("gpu_type"); g != "" && !strings.EqualFold(g, it.GPU) {
		return false
	}
	if s := get("shade_instance_type"); s != "" && s != it.ID {
		return false
	}
	if n := get("num_gpus"); n != "" && n != strconv.Itoa(int(it.GPUCount)) {
		return false
	}
	rows := t["availability"].([]map[string]any)
	if reg := get("region"); reg != "" {
		found := false
		for _, a := range rows {
			found = found || a["region"] == reg
		}
		if !found {
			return false
		}
	}
	if get("available") == "true" {
		open := false
		for _, a := range rows {
			open = open || a["available"] == true
		}
		return open
	}
	return true
}
