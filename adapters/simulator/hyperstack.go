package simulator

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// Hyperstack: GET /core/flavors (optionally ?region=) and GET /pricebook,
// both with the key in the "api_key" header. Flavors come grouped by GPU
// model and region inside {"status", "message", "data"}; the pricebook is a
// bare array of per-resource hourly rates. Hyperstack prices a GPU model,
// not a flavor, so the pricebook quotes each model at the per-GPU price of
// its first flavor in the inventory; the other flavors' price walks do not
// show, only their stock.
func init() {
	registerProvider(providerSim{name: "hyperstack", inventory: hyperstackInventory, handler: hyperstackHandler})
}

// hyperstackInventory holds one item per flavor and region. Item.GPU is the
// pricebook name of the model ("" for CPU flavors), Price the whole flavor.
func hyperstackInventory(r *rand.Rand) []Item {
	type model struct {
		gpu     string
		mem     float64
		perGPU  float64
		counts  []float64
		prefix  string // flavor name before "x<count>"
		suffix  string
		regions []string
	}
	all := []string{"CANADA-1", "NORWAY-1", "US-1"}
	models := []model{
		{"RTX-A4000", 16, 0.15, []float64{1, 2, 4}, "n3-RTX-A4000", "", []string{"CANADA-1"}},
		{"RTX-A6000", 48, 0.50, []float64{1, 2, 4, 8}, "n3-RTX-A6000", "", []string{"CANADA-1", "NORWAY-1"}},
		{"L40", 48, 1.00, []float64{1, 2, 4, 8}, "n3-L40", "", []string{"CANADA-1", "NORWAY-1"}},
		{"A100-80G-PCIe", 80, 1.35, []float64{1, 2, 4, 8}, "n3-A100", "", []string{"CANADA-1", "NORWAY-1"}},
		{"A100-80G-PCIe-NVLink", 80, 1.40, []float64{8}, "n3-A100", "-NVLink", []string{"NORWAY-1"}},
		{"A100-80G-SXM4", 80, 1.60, []float64{8}, "n3-A100-SXM4", "", []string{"CANADA-1"}},
		{"H100-80G-PCIe", 80, 1.90, []float64{1, 2, 4, 8}, "n3-H100", "", all},
		{"H100-80G-PCIe-NVLink", 80, 1.95, []float64{8}, "n3-H100", "-NVLink", []string{"CANADA-1"}},
		{"H100-80G-SXM5", 80, 2.40, []float64{8}, "n3-H100-SXM5", "", []string{"CANADA-1", "US-1"}},
		{"H200-141G-SXM5", 141, 3.50, []float64{8}, "n3-H200-SXM5", "", []string{"US-1"}},
		{"RTX-PRO6000-SE", 96, 1.80, []float64{1, 2, 4, 8}, "n3-RTX-PRO6000-SE", "", []string{"US-1"}},
		{"H100-80G-PCIe-spot", 80, 1.52, []float64{1, 2}, "n3-H100", "-spot", []string{"CANADA-1"}},
		{"L40-spot", 48, 0.50, []float64{1}, "n3-L40", "-spot", []string{"NORWAY-1"}},
	}
	var items []Item
	for _, m := range models {
		perGPU := round4(m.perGPU * between(r, 0.95, 1.05))
		for _, n := range m.counts {
			for _, reg := range m.regions {
				stock := 0
				if r.Float64() < 0.8 {
					stock = 1 + r.IntN(8)
				}
				// VM shapes scale with the GPU count: about 31 vCPUs and
				// 180 GB of RAM per data-centre GPU, less for workstation cards.
				vcpus, ram := 31*n, 180*n
				if m.mem <= 48 {
					vcpus, ram = 28*n, 58*n
				}
				items = append(items, Item{
					ID: m.prefix + "x" + strconv.Itoa(int(n)) + m.suffix, GPU: m.gpu, GPUMemGB: m.mem, GPUCount: n,
					VCPUs: vcpus, RAMGB: ram, DiskGB: 100, Region: reg, Price: round4(perGPU * n), Stock: stock,
					Attrs: map[string]string{"ephemeral": strconv.Itoa(int(750 * n))},
				})
			}
		}
	}
	for _, reg := range all {
		for _, c := range []struct {
			name     string
			cpu, ram float64
			price    float64
		}{{"n1-cpu-small", 4, 4, 0.02}, {"n1-cpu-large", 16, 64, 0.16}} {
			items = append(items, Item{
				ID: c.name, VCPUs: c.cpu, RAMGB: c.ram, DiskGB: 100, Region: reg, Price: round4(c.price * between(r, 0.95, 1.05)), Stock: 10,
				Attrs: map[string]string{"ephemeral": "0"},
			})
		}
	}
	return items
}

func hyperstackHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	unauthorized := func(w http.ResponseWriter, r *http.Request) bool {
		if strings.TrimSpace(r.Header.Get("api_key")) != "" {
			return false
		}
		writeJSON(w, http.StatusUnauthorized, map[string]any{"status": false, "message": "Unauthorized: invalid or missing api_key header", "error_reason": "unauthorized"})
		return true
	}
	mux.HandleFunc("GET /core/flavors", func(w http.ResponseWriter, r *http.Request) {
		if unauthorized(w, r) {
			return
		}
		region := r.URL.Query().Get("region")
		type key struct{ gpu, region string }
		var order []key
		groups := map[key][]map[string]any{}
		for i, it := range p.Snapshot() {
			if region != "" && !strings.EqualFold(region, it.Region) {
				continue
			}
			k := key{it.GPU, it.Region}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			eph, _ := strconv.Atoi(it.Attrs["ephemeral"])
			groups[k] = append(groups[k], map[string]any{
				"id": 100 + i, "name": it.ID, "display_name": nil, "region_name": it.Region,
				"cpu": it.VCPUs, "ram": it.RAMGB, "disk": it.DiskGB, "ephemeral": eph,
				"gpu": it.GPU, "gpu_count": it.GPUCount, "stock_available": it.Stock > 0,
				"created_at": "2025-03-11T09:12:44", "labels": []any{}, "features": map[string]any{},
			})
		}
		data := []map[string]any{}
		for _, k := range order {
			data = append(data, map[string]any{"gpu": k.gpu, "region_name": k.region, "flavors": groups[k]})
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": true, "message": "Success", "data": data})
	})
	mux.HandleFunc("GET /pricebook", func(w http.ResponseWriter, r *http.Request) {
		if unauthorized(w, r) {
			return
		}
		book := []map[string]any{}
		seen := map[string]bool{}
		add := func(name string, rate float64) {
			v := strconv.FormatFloat(rate, 'f', 4, 64)
			book = append(book, map[string]any{
				"id": 200 + len(book), "name": name, "value": v, "original_value": v,
				"discount_applied": false, "start_time": nil, "end_time": nil,
			})
		}
		for _, it := range p.Snapshot() {
			if it.GPU == "" || seen[it.GPU] {
				continue
			}
			seen[it.GPU] = true
			add(it.GPU, round4(it.Price/it.GPUCount))
		}
		// Host resources of GPU flavors are free; CPU flavors pay for them.
		add("vCPU", 0.0053)
		add("RAM", 0.0013)
		add("ephemeral-disk", 0.0001)
		writeJSON(w, http.StatusOK, book)
	})
	return mux
}
