package simulator

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// Seeweb: GET /ecs/v2/plans and GET /ecs/v2/plans/availables with the API
// token in an X-APITOKEN header. Both answer {"status": "ok", "plans": [...]}.
// /plans lists every plan (CPU, Windows and inactive ones included) with
// its regions; /plans/availables lists the plans that can be created now,
// with the hosts that have room in each region. Prices are in EUR.
func init() {
	registerProvider(providerSim{name: "seeweb", inventory: seewebInventory, handler: seewebHandler})
}

var seewebRegionDesc = map[string]string{
	"it-fr2": "Frosinone", "it-mi2": "Milano", "ch-lug1": "Lugano", "bg-sof1": "Sofia",
}

var seewebRegionIDs = map[string]int{"it-fr2": 1, "it-mi2": 2, "ch-lug1": 3, "bg-sof1": 4}

// seewebInventory holds one item per plan. Stock is the number of hosts
// with room for the plan, spread over Attrs["regions"]; GPU is the plan's
// gpu_label ("" on CPU plans) and Price its hourly price in EUR.
func seewebInventory(r *rand.Rand) []Item {
	type plan struct {
		name, label      string
		gpus, cpu, ramGB float64
		disk, price      float64
		regions          []string // nil: it-fr2 plus a random few
		windows, retired bool
	}
	plans := []plan{
		{name: "ECS1GPU", label: "RTX 6000 24GB", gpus: 1, cpu: 8, ramGB: 32, disk: 400, price: 0.29},
		{name: "ECS1GPU11", label: "A30", gpus: 1, cpu: 8, ramGB: 32, disk: 400, price: 0.39},
		{name: "ECS1GPU2", label: "RTX A6000 48GB", gpus: 1, cpu: 8, ramGB: 32, disk: 500, price: 0.74},
		{name: "ECS2GPU2", label: "RTX A6000 48GB", gpus: 2, cpu: 16, ramGB: 64, disk: 1000, price: 1.48},
		{name: "ECS3GPU2", label: "RTX A6000 48GB", gpus: 4, cpu: 32, ramGB: 128, disk: 2000, price: 2.96},
		{name: "ECS1GPU2W", label: "RTX A6000 48GB", gpus: 1, cpu: 8, ramGB: 32, disk: 500, price: 0.89, windows: true},
		{name: "ECS1GPU3", label: "A100 80GB", gpus: 1, cpu: 16, ramGB: 120, disk: 1000, price: 1.89},
		{name: "ECS2GPU3", label: "A100 80GB", gpus: 2, cpu: 32, ramGB: 240, disk: 2000, price: 3.78},
		{name: "ECS3GPU3", label: "A100 80GB", gpus: 4, cpu: 64, ramGB: 480, disk: 4000, price: 7.56},
		{name: "ECS1GPU4", label: "RTX A4000 16GB", gpus: 1, cpu: 4, ramGB: 16, disk: 200, price: 0.19, retired: true},
		{name: "ECS1GPU6", label: "L4 24GB", gpus: 1, cpu: 4, ramGB: 32, disk: 200, price: 0.38},
		{name: "ECS2GPU6", label: "L4 24GB", gpus: 2, cpu: 8, ramGB: 64, disk: 400, price: 0.76},
		{name: "ECS3GPU6", label: "L4 24GB", gpus: 4, cpu: 16, ramGB: 128, disk: 800, price: 1.52},
		{name: "ECS1GPU7", label: "L40s 48GB", gpus: 1, cpu: 8, ramGB: 32, disk: 500, price: 0.85},
		{name: "ECS2GPU7", label: "L40s 48GB", gpus: 2, cpu: 16, ramGB: 64, disk: 1000, price: 1.70},
		{name: "ECS3GPU7", label: "L40s 48GB", gpus: 4, cpu: 32, ramGB: 128, disk: 2000, price: 3.40},
		{name: "ECS1GPU7W", label: "L40s 48GB", gpus: 1, cpu: 8, ramGB: 32, disk: 500, price: 1.00, windows: true},
		{name: "ECS1GPU9", label: "MI300X", gpus: 1, cpu: 32, ramGB: 256, disk: 2000, price: 1.60, regions: []string{"it-fr2"}},
		{name: "ECS8GPU9", label: "MI300X", gpus: 8, cpu: 255, ramGB: 2048, disk: 16000, price: 12.80, regions: []string{"it-fr2"}},
		{name: "ECS1GPU10", label: "H100 80GB", gpus: 1, cpu: 16, ramGB: 120, disk: 1000, price: 2.49, regions: []string{"it-fr2", "it-mi2"}},
		{name: "ECS2GPU10", label: "H100 80GB", gpus: 2, cpu: 32, ramGB: 240, disk: 2000, price: 4.98, regions: []string{"it-fr2", "it-mi2"}},
		{name: "ECS4GPU10", label: "H100 80GB", gpus: 4, cpu: 64, ramGB: 480, disk: 4000, price: 9.96, regions: []string{"it-fr2"}},
		{name: "ECS8GPU10", label: "H100 80GB", gpus: 8, cpu: 128, ramGB: 960, disk: 8000, price: 19.92, regions: []string{"it-fr2"}},
		{name: "ECS1GPU12", label: "H200 141GB", gpus: 1, cpu: 24, ramGB: 240, disk: 2000, price: 3.49, regions: []string{"it-fr2"}},
		{name: "ECS8GPU12", label: "H200 141GB", gpus: 8, cpu: 192, ramGB: 1920, disk: 16000, price: 27.92, regions: []string{"it-fr2"}},
		{name: "ECS1GPU14", label: "RTX PRO 6000 96GB", gpus: 1, cpu: 16, ramGB: 128, disk: 1000, price: 1.59},
		{name: "ECS2GPU14", label: "RTX PRO 6000 96GB", gpus: 2, cpu: 32, ramGB: 256, disk: 2000, price: 3.18},
		{name: "eCS1", cpu: 1, ramGB: 1, disk: 25, price: 0.019},
		{name: "eCS2", cpu: 2, ramGB: 2, disk: 50, price: 0.032},
		{name: "eCS3", cpu: 4, ramGB: 4, disk: 80, price: 0.048},
		{name: "eCS4", cpu: 4, ramGB: 8, disk: 160, price: 0.063},
		{name: "eCS5", cpu: 8, ramGB: 16, disk: 240, price: 0.127},
		{name: "eCS6", cpu: 12, ramGB: 24, disk: 320, price: 0.152},
		{name: "ECS7", cpu: 16, ramGB: 32, disk: 400, price: 0.31},
		{name: "ECS8", cpu: 16, ramGB: 64, disk: 500, price: 0.63},
		{name: "eCS1HM", cpu: 4, ramGB: 64, disk: 160, price: 0.217},
		{name: "eCS2HM", cpu: 8, ramGB: 128, disk: 320, price: 0.434},
		{name: "eCS3HM", cpu: 16, ramGB: 256, disk: 640, price: 0.719},
		{name: "eCS4W", cpu: 4, ramGB: 8, disk: 160, price: 0.083, windows: true},
	}
	others := []string{"it-mi2", "ch-lug1", "bg-sof1"}
	items := make([]Item, 0, len(plans))
	for i, p := range plans {
		regions := p.regions
		if regions == nil {
			regions = []string{"it-fr2"}
			for _, o := range others {
				if r.Float64() < 0.4 {
					regions = append(regions, o)
				}
			}
		}
		stock := 0
		if r.Float64() >= 0.2 {
			stock = 1 + r.IntN(4)
		}
		attrs := map[string]string{"regions": joinComma(regions), "id": strconv.Itoa(101 + i)}
		if p.windows {
			attrs["windows"] = "true"
		}
		if p.retired {
			attrs["retired"] = "true"
		}
		items = append(items, Item{
			ID: p.name, GPU: p.label, GPUCount: p.gpus, VCPUs: p.cpu, RAMGB: p.ramGB, DiskGB: p.disk,
			Region: regions[0], Price: round4(p.price * between(r, 0.95, 1.05)), Stock: stock, Attrs: attrs,
		})
	}
	return items
}

func seewebHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	authed := func(h func(w http.ResponseWriter, items []Item)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Apitoken") == "" {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"status": "error", "message": "Invalid or missing X-APITOKEN"})
				return
			}
			h(w, p.Snapshot())
		}
	}
	mux.HandleFunc("GET /ecs/v2/plans", authed(func(w http.ResponseWriter, items []Item) {
		plans := make([]map[string]any, 0, len(items))
		for _, it := range items {
			plan := seewebPlanJSON(it)
			regions := []map[string]any{}
			for _, reg := range splitComma(it.Attrs["regions"]) {
				regions = append(regions, map[string]any{"id": seewebRegionIDs[reg], "location": reg, "description": seewebRegionDesc[reg]})
			}
			plan["available_regions"] = regions
			plans = append(plans, plan)
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "plans": plans})
	}))
	mux.HandleFunc("GET /ecs/v2/plans/availables", authed(func(w http.ResponseWriter, items []Item) {
		plans := []map[string]any{}
		for _, it := range items {
			if it.Stock <= 0 || it.Attrs["retired"] != "" {
				continue
			}
			plan := seewebPlanJSON(it)
			plan["os_availables"] = []map[string]any{{"name": "ubuntu-2204-uefi-nvidia-driver", "active_flag": true}}
			plan["region_availables"] = seewebRegionAvailables(it)
			plans = append(plans, plan)
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "plans": plans})
	}))
	return mux
}

// seewebPlanJSON renders the fields /plans and /plans/availables share;
// counts and sizes are strings, as Seeweb sends them.
func seewebPlanJSON(it Item) map[string]any {
	id, _ := strconv.Atoi(it.Attrs["id"])
	var label any
	if it.GPU != "" {
		label = it.GPU
	}
	return map[string]any{
		"id":           id,
		"name":         it.ID,
		"cpu":          strconv.Itoa(int(it.VCPUs)),
		"ram":          strconv.Itoa(int(it.RAMGB * 1024)),
		"disk":         strconv.Itoa(int(it.DiskGB)),
		"gpu":          strconv.Itoa(int(it.GPUCount)),
		"gpu_label":    label,
		"hourly_price": it.Price,
		"montly_price": math.Round(it.Price*730*100) / 100,
		"windows":      it.Attrs["windows"] != "",
		"host_type":    "ECS",
		"available":    it.Attrs["retired"] == "",
	}
}

// seewebRegionAvailables spreads the plan's free hosts over its regions;
// regions left with none are not listed.
func seewebRegionAvailables(it Item) []map[string]any {
	regions := splitComma(it.Attrs["regions"])
	out := []map[string]any{}
	for j, reg := range regions {
		n := it.Stock / len(regions)
		if j < it.Stock%len(regions) {
			n++
		}
		if n == 0 {
			continue
		}
		hosts := make([]map[string]any, n)
		for k := range hosts {
			hosts[k] = map[string]any{"host": reg + "-gpu" + strconv.Itoa(k+1), "servers": []any{}}
		}
		out = append(out, map[string]any{"region": reg, "hosts": hosts})
	}
	return out
}
