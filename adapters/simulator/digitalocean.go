package simulator

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// DigitalOcean: GET /v2/sizes?page=N&per_page=M with "Authorization: Bearer
// <token>"; the answer is {"sizes": [...], "links": {"pages": {...}},
// "meta": {"total": N}}. per_page defaults to 20 and is capped at 200;
// page links point at the production host, as the real API's do. GPU sizes
// carry gpu_info with the size's total VRAM; a size that is sold out lists
// no regions and is not available.
func init() {
	registerProvider(providerSim{name: "digitalocean", inventory: doInventory, handler: doHandler})
}

// doSimSize is one Droplet size of the simulated catalog.
type doSimSize struct {
	slug, desc, model string
	gpus, vramPerGPU  float64
	vcpus, memMB      float64
	disk, scratch     float64 // GiB
	hourly            float64
	regions           []string
}

var (
	doSimGPURegions = []string{"nyc2", "tor1", "atl1"}
	doSimAllRegions = []string{"nyc1", "nyc3", "sfo2", "sfo3", "ams3", "sgp1", "lon1", "fra1", "tor1", "blr1", "syd1", "atl1"}
)

// doSimSizes follows DigitalOcean's GPU Droplet catalog plus a spread of
// the CPU sizes the same listing returns.
var doSimSizes = []doSimSize{
	{"gpu-h100x1-80gb", "H100 GPU - 1X", "nvidia_h100", 1, 80, 20, 245760, 720, 5120, 3.39, doSimGPURegions},
	{"gpu-h100x8-640gb", "H100 GPU - 8X", "nvidia_h100", 8, 80, 160, 1966080, 2046, 40960, 23.92, doSimGPURegions},
	{"gpu-h200x1-141gb", "H200 GPU - 1X", "nvidia_h200", 1, 141, 24, 245760, 720, 5120, 3.44, []string{"atl1", "nyc2"}},
	{"gpu-h200x8-1128gb", "H200 GPU - 8X", "nvidia_h200", 8, 141, 192, 1966080, 2046, 40960, 27.52, []string{"atl1", "nyc2"}},
	{"gpu-l40sx1-48gb", "L40S GPU - 1X", "nvidia_l40s", 1, 48, 8, 65536, 500, 0, 1.57, []string{"tor1", "atl1"}},
	{"gpu-4000adax1-20gb", "RTX 4000 Ada GPU - 1X", "nvidia_rtx4000_ada", 1, 20, 8, 32768, 500, 0, 0.76, doSimGPURegions},
	{"gpu-6000adax1-48gb", "RTX 6000 Ada GPU - 1X", "nvidia_rtx6000_ada", 1, 48, 8, 65536, 500, 0, 1.57, doSimGPURegions},
	{"gpu-mi300x1-192gb", "AMD MI300X - 1X", "amd_mi300x", 1, 192, 20, 245760, 720, 5120, 1.99, []string{"atl1", "nyc2"}},
	{"gpu-mi300x8-1536gb", "AMD MI300X - 8X", "amd_mi300x", 8, 192, 160, 1966080, 2046, 40960, 15.92, []string{"atl1", "nyc2"}},
	{"gpu-mi325x8-2048gb", "AMD MI325X - 8X", "amd_mi325x", 8, 256, 160, 2621440, 2046, 40960, 20.72, []string{"atl1"}},
	{"s-1vcpu-512mb-10gb", "Basic", "", 0, 0, 1, 512, 10, 0, 0.00595, doSimAllRegions},
	{"s-1vcpu-1gb", "Basic", "", 0, 0, 1, 1024, 25, 0, 0.00893, doSimAllRegions},
	{"s-1vcpu-2gb", "Basic", "", 0, 0, 1, 2048, 50, 0, 0.01786, doSimAllRegions},
	{"s-2vcpu-2gb", "Basic", "", 0, 0, 2, 2048, 60, 0, 0.02679, doSimAllRegions},
	{"s-2vcpu-4gb", "Basic", "", 0, 0, 2, 4096, 80, 0, 0.03571, doSimAllRegions},
	{"s-4vcpu-8gb", "Basic", "", 0, 0, 4, 8192, 160, 0, 0.07143, doSimAllRegions},
	{"s-8vcpu-16gb", "Basic", "", 0, 0, 8, 16384, 320, 0, 0.14286, doSimAllRegions},
	{"s-4vcpu-16gb-amd", "Basic AMD", "", 0, 0, 4, 16384, 200, 0, 0.125, doSimAllRegions},
	{"s-8vcpu-32gb-640gb-intel", "Basic Intel", "", 0, 0, 8, 32768, 640, 0, 0.28571, doSimAllRegions},
	{"g-2vcpu-8gb", "General Purpose", "", 0, 0, 2, 8192, 25, 0, 0.09375, doSimAllRegions},
	{"g-4vcpu-16gb", "General Purpose", "", 0, 0, 4, 16384, 50, 0, 0.1875, doSimAllRegions},
	{"g-8vcpu-32gb", "General Purpose", "", 0, 0, 8, 32768, 100, 0, 0.375, doSimAllRegions},
	{"g-16vcpu-64gb", "General Purpose", "", 0, 0, 16, 65536, 200, 0, 0.75, doSimAllRegions},
	{"g-32vcpu-128gb", "General Purpose", "", 0, 0, 32, 131072, 400, 0, 1.5, doSimAllRegions},
	{"gd-2vcpu-8gb", "General Purpose", "", 0, 0, 2, 8192, 50, 0, 0.10119, doSimAllRegions},
	{"gd-4vcpu-16gb", "General Purpose", "", 0, 0, 4, 16384, 100, 0, 0.20238, doSimAllRegions},
	{"c-2", "CPU-Optimized", "", 0, 0, 2, 4096, 25, 0, 0.0625, doSimAllRegions},
	{"c-4", "CPU-Optimized", "", 0, 0, 4, 8192, 50, 0, 0.125, doSimAllRegions},
	{"c-8", "CPU-Optimized", "", 0, 0, 8, 16384, 100, 0, 0.25, doSimAllRegions},
	{"c-16", "CPU-Optimized", "", 0, 0, 16, 32768, 200, 0, 0.5, doSimAllRegions},
	{"c-32", "CPU-Optimized", "", 0, 0, 32, 65536, 400, 0, 1.0, doSimAllRegions},
	{"c-48", "CPU-Optimized", "", 0, 0, 48, 98304, 600, 0, 1.5, doSimAllRegions},
	{"m-2vcpu-16gb", "Memory-Optimized", "", 0, 0, 2, 16384, 50, 0, 0.125, doSimAllRegions},
	{"m-4vcpu-32gb", "Memory-Optimized", "", 0, 0, 4, 32768, 100, 0, 0.25, doSimAllRegions},
	{"m-8vcpu-64gb", "Memory-Optimized", "", 0, 0, 8, 65536, 200, 0, 0.5, doSimAllRegions},
	{"m-16vcpu-128gb", "Memory-Optimized", "", 0, 0, 16, 131072, 400, 0, 1.0, doSimAllRegions},
	{"so-2vcpu-16gb", "Storage-Optimized", "", 0, 0, 2, 16384, 300, 0, 0.19345, doSimAllRegions},
	{"so-4vcpu-32gb", "Storage-Optimized", "", 0, 0, 4, 32768, 600, 0, 0.38690, doSimAllRegions},
	{"so1_5-2vcpu-16gb", "Storage-Optimized", "", 0, 0, 2, 16384, 450, 0, 0.23214, doSimAllRegions},
	{"so1_5-4vcpu-32gb", "Storage-Optimized", "", 0, 0, 4, 32768, 900, 0, 0.46429, doSimAllRegions},
}

// doInventory prices every size near its list price; each size is offered
// in most of its regions and about one in ten starts sold out.
func doInventory(r *rand.Rand) []Item {
	items := make([]Item, 0, len(doSimSizes))
	for _, s := range doSimSizes {
		var regions []string
		for _, reg := range s.regions {
			if r.Float64() < 0.7 {
				regions = append(regions, reg)
			}
		}
		if len(regions) == 0 {
			regions = []string{s.regions[0]}
		}
		stock := len(regions)
		if r.Float64() < 0.1 {
			stock = 0
		}
		items = append(items, Item{
			ID: s.slug, GPU: s.model, GPUMemGB: s.vramPerGPU, GPUCount: s.gpus, VCPUs: s.vcpus, RAMGB: s.memMB / 1024,
			DiskGB: s.disk + s.scratch, Region: regions[0], Price: round4(s.hourly * between(r, 0.97, 1.03)), Stock: stock,
			Attrs: map[string]string{
				"regions": joinComma(regions), "description": s.desc,
				"disk": strconv.FormatFloat(s.disk, 'f', -1, 64), "scratch": strconv.FormatFloat(s.scratch, 'f', -1, 64),
			},
		})
	}
	return items
}

func doHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/sizes", func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"id": "Unauthorized", "message": "Unable to authenticate you"})
			return
		}
		q := r.URL.Query()
		page, perPage := 1, 20
		if s := q.Get("page"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				writeJSON(w, http.StatusBadRequest, map[string]string{"id": "bad_request", "message": "page must be a positive integer"})
				return
			}
			page = n
		}
		if s := q.Get("per_page"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				writeJSON(w, http.StatusBadRequest, map[string]string{"id": "bad_request", "message": "per_page must be a positive integer"})
				return
			}
			perPage = min(n, 200)
		}
		items := p.Snapshot()
		start := min((page-1)*perPage, len(items))
		end := min(start+perPage, len(items))
		sizes := []map[string]any{}
		for _, it := range items[start:end] {
			sizes = append(sizes, doSizeJSON(it))
		}
		last := max(1, (len(items)+perPage-1)/perPage)
		link := func(n int) string {
			return "https://api.digitalocean.com/v2/sizes?page=" + strconv.Itoa(n) + "&per_page=" + strconv.Itoa(perPage)
		}
		pages := map[string]string{}
		if page > 1 {
			pages["first"], pages["prev"] = link(1), link(min(page-1, last))
		}
		if page < last {
			pages["next"], pages["last"] = link(page+1), link(last)
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"sizes": sizes, "links": map[string]any{"pages": pages}, "meta": map[string]any{"total": len(items)},
		})
	})
	return mux
}

// doSizeJSON renders an item as a size object. Monthly prices are the
// hourly price times the hours DigitalOcean bills at most: 672 for CPU
// Droplets and 744 for GPU Droplets.
func doSizeJSON(it Item) map[string]any {
	regions := []string{}
	if it.Stock > 0 {
		regions = splitComma(it.Attrs["regions"])
	}
	disk, _ := strconv.ParseFloat(it.Attrs["disk"], 64)
	scratch, _ := strconv.ParseFloat(it.Attrs["scratch"], 64)
	diskInfo := []map[string]any{{"type": "local", "size": map[string]any{"amount": disk, "unit": "gib"}}}
	if scratch > 0 {
		diskInfo = append(diskInfo, map[string]any{"type": "scratch", "size": map[string]any{"amount": scratch, "unit": "gib"}})
	}
	hours := 672.0
	if it.GPUCount > 0 {
		hours = 744
	}
	s := map[string]any{
		"slug": it.ID, "memory": int(it.RAMGB * 1024), "vcpus": int(it.VCPUs), "disk": int(disk),
		"transfer": math.Max(0.5, math.Round(it.VCPUs*0.5*10)/10), "price_monthly": math.Round(it.Price*hours*100) / 100,
		"price_hourly": it.Price, "regions": regions, "available": it.Stock > 0,
		"description": it.Attrs["description"], "networking_throughput": 2000, "disk_info": diskInfo,
	}
	if it.GPUCount > 0 {
		s["networking_throughput"] = 10000
		s["gpu_info"] = map[string]any{
			"count": int(it.GPUCount),
			"vram":  map[string]any{"amount": int(it.GPUMemGB * it.GPUCount), "unit": "gib"},
			"model": it.GPU,
		}
	}
	return s
}
