package simulator

import (
	"math/rand/v2"
	"net/http"
	"strconv"
)

// JarvisLabs: GET /misc/server_meta with a Bearer key; the body is
// {"server_meta": [<row>...], "cpu_meta": {...}}, one row per GPU type,
// region and workload kind. Like the real backend, several numbers are
// strings ("vram", "num_gpus") and missing spot prices are null. A request
// without a key is answered 401 {"detail": "Not authenticated"}, the
// FastAPI error shape the official SDK parses.
func init() {
	registerProvider(providerSim{name: "jarvislabs", inventory: jarvisInventory, handler: jarvisHandler})
}

// jarvisInventory holds one item per server_meta row: GPUCount is 1, Price
// and Spot are per GPU-hour, Stock is the GPUs free and Attrs carry the
// row's region, workload kind and largest instance size.
func jarvisInventory(r *rand.Rand) []Item {
	type gpuType struct {
		name          string
		vram          float64
		perGPU        float64
		spotFrac      float64 // spot price as a share of on-demand; 0 = no spot
		cpus, ram     float64 // per GPU
		maxGPUs       int
		containerOnly bool
	}
	india := []gpuType{
		{"RTX5000", 16, 0.39, 0.6, 7, 32, 8, true},
		{"A5000", 24, 0.49, 0.6, 7, 32, 8, false},
		{"A6000", 48, 0.79, 0.6, 7, 32, 8, false},
		{"A100", 40, 1.29, 0.6, 7, 32, 8, false},
		{"A100-80GB", 80, 1.49, 0.6, 28, 112, 4, false},
		{"RTX6000Ada", 48, 0.99, 0.6, 8, 48, 8, false},
		{"L4", 24, 0.44, 0.65, 28, 124, 8, false},
		{"H100", 80, 2.69, 0.55, 16, 200, 8, false},
		{"H200", 141, 3.80, 0.0, 16, 200, 8, true},
		{"RTX-PRO6000", 96, 1.89, 0.63, 28, 160, 8, false},
	}
	type placement struct {
		region string
		types  []gpuType
	}
	placements := []placement{
		{"india-noida-01", india},
		{"india-01", india[:8]},
		{"india-chennai-01", []gpuType{
			{"RTX-PRO6000", 96, 1.89, 0.63, 28, 160, 8, false},
			{"L4", 24, 0.44, 0.65, 28, 124, 8, false},
			{"RTX PRO 6000", 96, 1.89, 0, 28, 160, 8, false},
		}},
	}
	var items []Item
	add := func(region, workload string, t gpuType) {
		price := round4(t.perGPU * between(r, 0.95, 1.05))
		spot := 0.0
		if t.spotFrac > 0 {
			spot = round4(price * t.spotFrac)
		}
		stock := r.IntN(3 * t.maxGPUs)
		if r.Float64() < 0.2 {
			stock = 0 // sold out
		}
		id := region + "/" + t.name + "/" + workload
		items = append(items, Item{
			ID: id, GPU: t.name, GPUMemGB: t.vram, GPUCount: 1, VCPUs: t.cpus, RAMGB: t.ram,
			Region: region, Price: price, Spot: spot, Stock: stock,
			Attrs: map[string]string{"workload": workload, "max_gpus": strconv.Itoa(t.maxGPUs)},
		})
	}
	for _, p := range placements {
		for _, t := range p.types {
			add(p.region, "container", t)
			if !t.containerOnly {
				add(p.region, "vm", t)
			}
		}
	}
	// EU1 sells only H100 and H200, in 1- or 8-GPU instances; its rows predate
	// the workload field and carry null.
	for _, t := range []gpuType{
		{"H100", 80, 2.99, 0.6, 16, 200, 8, false},
		{"H200", 141, 3.49, 0.6, 16, 200, 8, false},
	} {
		add("europe-01", "", t)
	}
	return items
}

func jarvisHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /misc/server_meta", func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Not authenticated"})
			return
		}
		rows := []map[string]any{}
		for _, it := range p.Snapshot() {
			var workload any
			if wl := it.Attrs["workload"]; wl != "" {
				workload = wl
			}
			var spot any
			if it.Spot > 0 {
				spot = it.Spot
			}
			rows = append(rows, map[string]any{
				"gpu_type":                   it.GPU,
				"region":                     it.Region,
				"workload_type":              workload,
				"num_free_devices":           it.Stock,
				"effective_num_free_devices": it.Stock,
				"spot_num_free_devices":      it.Stock / 2,
				"price_per_hour":             it.Price,
				"spot_price":                 spot,
				"vram":                       strconv.FormatFloat(it.GPUMemGB, 'f', -1, 64),
				"arc":                        "x86_64",
				"cpus_per_gpu":               it.VCPUs,
				"ram_per_gpu":                it.RAMGB,
				"num_gpus":                   it.Attrs["max_gpus"],
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"server_meta": rows,
			"cpu_meta": map[string]any{
				"workload_type": "container",
				"combinations": []map[string]any{
					{"vcpus": 4, "ram_gb": 16, "price": 0.0992, "available": true,
						"regions": map[string]bool{"india-noida-01": true, "europe-01": false}},
					{"vcpus": 8, "ram_gb": 32, "price": 0.1984, "available": true,
						"regions": map[string]bool{"india-noida-01": true, "europe-01": true}},
				},
			},
		})
	})
	return mux
}
