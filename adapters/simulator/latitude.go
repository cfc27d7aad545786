package simulator

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// Latitude.sh: GET /plans with a Bearer key; the JSON:API body is
// {"data": [{"id", "type": "plans", "attributes": {...}}], "meta": {}}, one
// entry per bare-metal plan with its price and stock per country region.
// filter[gpu] (true: plans with GPUs, false: without) and filter[slug] are
// honoured; there are no pages.
func init() {
	registerProvider(providerSim{name: "latitude", inventory: latitudeInventory, handler: latitudeHandler})
}

// latitudeRegionSites are the sites of each country region Latitude sells in.
var latitudeRegionSites = map[string][]string{
	"United States":  {"ASH", "CHI", "DAL", "LAX", "MIA", "NYC"},
	"Brazil":         {"SAO"},
	"Mexico":         {"MEX"},
	"Chile":          {"SAN"},
	"Colombia":       {"BGT"},
	"Argentina":      {"BUE"},
	"Australia":      {"SYD"},
	"Japan":          {"TYO"},
	"United Kingdom": {"LON"},
	"Germany":        {"FRA"},
}

// latitudeRegionMarkup is how much dearer a region is than the US.
var latitudeRegionMarkup = map[string]float64{
	"United States": 1, "Brazil": 1.25, "Mexico": 1.15, "Chile": 1.2, "Colombia": 1.2, "Argentina": 1.25,
	"Australia": 1.2, "Japan": 1.15, "United Kingdom": 1.1, "Germany": 1.1,
}

// latitudeInventory holds one item per plan and country region; Stock is
// the number of the region's sites with machines in stock.
func latitudeInventory(r *rand.Rand) []Item {
	type plan struct {
		slug, name, cpu string
		cores, sockets  float64
		ram             float64
		drives          string // "<count>x<size>"
		gpu, ic         string
		gpus, vram      float64
		price           float64 // US hourly price of the server
		regions         []string
	}
	plans := []plan{
		{"g3-h100-small", "g3.h100.small", "AMD 9354P", 32, 1, 384, "2x3.8TB", "NVIDIA H100", "PCIe", 1, 80, 2.21, []string{"United States", "Brazil", "Japan", "Mexico", "Chile", "United Kingdom"}},
		{"g3-h100-medium", "g3.h100.medium", "AMD 9354P", 64, 1, 768, "4x3.8TB", "NVIDIA H100", "PCIe", 4, 80, 8.60, []string{"United States", "Mexico"}},
		{"g3-h100-large", "g3.h100.large", "Intel Xeon 8462Y+", 64, 2, 2048, "8x3.8TB", "NVIDIA H100", "SXM5", 8, 80, 21.52, []string{"United States", "Germany", "Australia", "Japan"}},
		{"g3-a100-large", "g3.a100.large", "AMD 7543", 64, 2, 1024, "4x3.8TB", "NVIDIA A100", "SXM4", 8, 80, 13.60, []string{"United States", "Brazil", "Mexico"}},
		{"g3-l40s-small", "g3.l40s.small", "AMD 9124", 16, 1, 192, "2x1.9TB", "NVIDIA L40S", "PCIe", 1, 48, 0.97, []string{"United States", "Chile", "United Kingdom", "Brazil", "Australia", "Japan"}},
		{"g3-l40s-medium", "g3.l40s.medium", "AMD 9354P", 32, 1, 384, "2x3.8TB", "NVIDIA L40S", "PCIe", 4, 48, 3.80, []string{"United States", "Colombia"}},
		{"g3-l40s-large", "g3.l40s.large", "AMD 9354", 64, 2, 768, "4x3.8TB", "NVIDIA L40S", "PCIe", 8, 48, 7.44, []string{"United States", "Argentina"}},
		{"g3-rtx6000ada-medium", "g3.rtx6000ada.medium", "AMD 9254", 24, 1, 256, "2x1.9TB", "NVIDIA RTX 6000 Ada", "PCIe", 4, 48, 3.36, []string{"United States", "Japan"}},
		{"g4-rtx-pro-6000-small", "g4.rtx-pro-6000.small", "AMD 9355P", 32, 1, 256, "2x3.8TB", "NVIDIA RTX PRO 6000", "PCIe", 1, 96, 1.79, []string{"United States", "Germany", "Brazil", "Japan"}},
		{"g4-rtx-pro-6000-large", "g4.rtx-pro-6000.large", "AMD 9355", 64, 2, 1536, "8x3.8TB", "NVIDIA RTX PRO 6000", "PCIe", 8, 96, 13.92, []string{"United States"}},
		{"g4-h200-large", "g4.h200.large", "Intel Xeon 8568Y+", 96, 2, 3072, "8x3.8TB", "NVIDIA H200", "SXM5", 8, 141, 28.72, []string{"United States", "United Kingdom"}},
		{"g4-b200-large", "g4.b200.large", "Intel Xeon 6960P", 144, 2, 3072, "8x3.8TB", "NVIDIA B200", "SXM6", 8, 180, 42.32, []string{"United States"}},
		{"c3-medium-x86", "c3.medium.x86", "AMD 9124", 16, 1, 128, "2x960GB", "", "", 0, 0, 0.46, []string{"United States", "Brazil", "Mexico", "Chile", "Australia"}},
		{"c3-large-x86", "c3.large.x86", "AMD 9254", 24, 1, 256, "2x1.9TB", "", "", 0, 0, 0.88, []string{"United States", "Germany"}},
	}
	var items []Item
	for _, p := range plans {
		for _, reg := range p.regions {
			sites := latitudeRegionSites[reg]
			stock := r.IntN(len(sites) + 2) // 0 = sold out in the region
			if stock > len(sites) {
				stock = len(sites)
			}
			price := round4(p.price * latitudeRegionMarkup[reg] * between(r, 0.95, 1.05))
			items = append(items, Item{
				ID: p.slug, GPU: p.gpu, GPUMemGB: p.vram, GPUCount: p.gpus, VCPUs: p.cores * p.sockets, RAMGB: p.ram,
				DiskGB: latitudeDriveGB(p.drives), Region: reg, Price: price, Stock: stock,
				Attrs: map[string]string{"name": p.name, "cpu": p.cpu, "sockets": strconv.Itoa(int(p.sockets)), "drives": p.drives, "interconnect": p.ic},
			})
		}
	}
	return items
}

func latitudeDriveGB(drives string) float64 {
	n, size, _ := strings.Cut(drives, "x")
	count, _ := strconv.ParseFloat(n, 64)
	gb := 0.0
	if v, ok := strings.CutSuffix(size, "TB"); ok {
		x, _ := strconv.ParseFloat(v, 64)
		gb = x * 1000
	} else if v, ok := strings.CutSuffix(size, "GB"); ok {
		gb, _ = strconv.ParseFloat(v, 64)
	}
	return count * gb
}

func latitudeHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /plans", func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []map[string]string{{
				"code": "UNAUTHORIZED", "status": "401", "title": "Unauthorized", "detail": "You must provide a valid API key."}}})
			return
		}
		gpuFilter := r.URL.Query().Get("filter[gpu]")
		slugFilter := r.URL.Query().Get("filter[slug]")
		var order []string
		byPlan := map[string][]Item{}
		for _, it := range p.Snapshot() {
			if _, ok := byPlan[it.ID]; !ok {
				order = append(order, it.ID)
			}
			byPlan[it.ID] = append(byPlan[it.ID], it)
		}
		data := []map[string]any{}
		for i, slug := range order {
			its := byPlan[slug]
			hasGPU := its[0].GPUCount > 0
			if (gpuFilter == "true" && !hasGPU) || (gpuFilter == "false" && hasGPU) || (slugFilter != "" && slugFilter != slug) {
				continue
			}
			data = append(data, latitudeRenderPlan(i, its))
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data, "meta": map[string]any{}})
	})
	return mux
}

func latitudeRenderPlan(index int, its []Item) map[string]any {
	first := its[0]
	sockets, _ := strconv.ParseFloat(first.Attrs["sockets"], 64)
	count, size, _ := strings.Cut(first.Attrs["drives"], "x")
	drives, _ := strconv.Atoi(count)
	var gpu any = map[string]any{"count": 0, "type": nil, "vram_per_gpu": nil, "interconnect": nil}
	if first.GPUCount > 0 {
		gpu = map[string]any{"count": first.GPUCount, "type": first.GPU, "vram_per_gpu": first.GPUMemGB, "interconnect": first.Attrs["interconnect"]}
	}
	regions := []map[string]any{}
	for _, it := range its {
		sites := latitudeRegionSites[it.Region]
		inStock := sites[:min(it.Stock, len(sites))]
		regions = append(regions, map[string]any{
			"name":              it.Region,
			"deploys_instantly": inStock,
			"locations":         map[string]any{"available": sites, "in_stock": inStock},
			"stock_level":       latitudeStockLevel(it.Stock, len(sites)),
			"pricing": map[string]any{
				"USD": map[string]float64{"hour": it.Price, "month": math.Round(it.Price*730*100) / 100},
				"BRL": map[string]float64{"hour": round4(it.Price * 5.4), "month": math.Round(it.Price*5.4*730*100) / 100},
			},
		})
	}
	return map[string]any{
		"id":   "plan_" + strconv.Itoa(1000+index),
		"type": "plans",
		"attributes": map[string]any{
			"slug":     first.ID,
			"name":     first.Attrs["name"],
			"features": []string{"ssh", "raid", "user_data"},
			"specs": map[string]any{
				"cpu":    map[string]any{"type": first.Attrs["cpu"], "clock": 3.25, "cores": first.VCPUs / max(sockets, 1), "count": sockets},
				"memory": map[string]any{"total": first.RAMGB},
				"drives": []map[string]any{{"count": drives, "size": size, "type": "NVME"}},
				"nics":   []map[string]any{{"count": 2, "type": "25 Gbps"}},
				"gpu":    gpu,
			},
			"regions": regions,
		},
	}
}

// latitudeStockLevel describes how many of a region's sites have stock.
func latitudeStockLevel(stock, sites int) string {
	switch {
	case stock <= 0:
		return "unavailable"
	case stock == 1 && sites > 1:
		return "low"
	case stock*2 <= sites:
		return "medium"
	}
	return "high"
}
