package simulator

import (
	"encoding/base64"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Vultr: GET /v2/plans?type=…&per_page=…&cursor=… and
// GET /v2/plans-metal?per_page=…&cursor=…, both answering
// {"plans"|"plans_metal": [...], "meta": {"total", "links": {"next", "prev"}}}
// where next/prev are opaque cursors. No credential is needed. Cloud GPU
// plans (type "vcg") carry gpu_type and gpu_vram_gb; whole-node GPU plans
// (type "vdm") and bare-metal GPU plans name the GPU only in their id.
// A plan that is sold out everywhere lists no locations.
func init() {
	registerProvider(providerSim{name: "vultr", inventory: vultrInventory, handler: vultrHandler})
}

// vultrSimPlan is one plan shape of the simulated catalog.
type vultrSimPlan struct {
	id       string
	kind     string // "plan" or "metal"
	typ      string // plan type: vcg, vdm, vc2, vhf, voc-g, …; "NVMe" for metal
	gpuType  string // gpu_type of vcg plans; "" otherwise
	brand    string // gpu_brand of vdm plans
	card     float64
	count    float64 // GPUs (fractional for vGPU slices)
	vcpus    float64
	ramMB    float64
	disk     float64
	disks    float64
	hourly   float64
	spot     float64 // hourly_cost_preemptible; 0 when not offered
	onDemand bool
	metalGPU bool // render gpu_count/gpu_vram_gb on a metal plan
	regions  []string
}

// vultrSimPlans follows Vultr's public catalog: vGPU slices of A16, A40 and
// A100 cards, whole L40S cards, whole-node HGX plans and bare metal.
var vultrSimPlans = []vultrSimPlan{
	{id: "vcg-a16-2c-8g-2vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A16", card: 16, count: 2.0 / 16, vcpus: 2, ramMB: 8192, disk: 50, disks: 1, hourly: 0.059, onDemand: true, regions: vultrSimWide},
	{id: "vcg-a16-3c-16g-4vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A16", card: 16, count: 4.0 / 16, vcpus: 3, ramMB: 16384, disk: 80, disks: 1, hourly: 0.117, onDemand: true, regions: vultrSimWide},
	{id: "vcg-a16-6c-32g-8vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A16", card: 16, count: 8.0 / 16, vcpus: 6, ramMB: 32768, disk: 170, disks: 1, hourly: 0.235, onDemand: true, regions: vultrSimWide},
	{id: "vcg-a16-6c-64g-16vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A16", card: 16, count: 1, vcpus: 6, ramMB: 65536, disk: 350, disks: 1, hourly: 0.47, onDemand: true, regions: vultrSimWide},
	{id: "vcg-a16-24c-256g-64vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A16", card: 16, count: 4, vcpus: 24, ramMB: 262144, disk: 1200, disks: 1, hourly: 1.88, onDemand: true, regions: vultrSimWide},
	{id: "vcg-a40-1c-5g-2vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A40", card: 48, count: 2.0 / 48, vcpus: 1, ramMB: 5120, disk: 90, disks: 1, hourly: 0.075, onDemand: true, regions: vultrSimA40},
	{id: "vcg-a40-2c-10g-4vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A40", card: 48, count: 4.0 / 48, vcpus: 2, ramMB: 10240, disk: 180, disks: 1, hourly: 0.15, onDemand: true, regions: vultrSimA40},
	{id: "vcg-a40-4c-20g-8vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A40", card: 48, count: 8.0 / 48, vcpus: 4, ramMB: 20480, disk: 360, disks: 1, hourly: 0.30, onDemand: true, regions: vultrSimA40},
	{id: "vcg-a40-6c-30g-12vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A40", card: 48, count: 12.0 / 48, vcpus: 6, ramMB: 30720, disk: 550, disks: 1, hourly: 0.45, onDemand: true, regions: vultrSimA40},
	{id: "vcg-a40-8c-40g-16vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A40", card: 48, count: 16.0 / 48, vcpus: 8, ramMB: 40960, disk: 700, disks: 1, hourly: 0.60, onDemand: true, regions: vultrSimA40},
	{id: "vcg-a40-12c-60g-24vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A40", card: 48, count: 0.5, vcpus: 12, ramMB: 61440, disk: 1100, disks: 1, hourly: 0.90, onDemand: true, regions: vultrSimA40},
	{id: "vcg-a40-24c-120g-48vram", kind: "plan", typ: "vdm", brand: "NVIDIA", card: 48, count: 1, vcpus: 24, ramMB: 122880, disk: 1400, disks: 1, hourly: 1.712, onDemand: true, regions: vultrSimA40},
	{id: "vcg-a40-96c-480g-192vram", kind: "plan", typ: "vdm", brand: "NVIDIA", card: 48, count: 4, vcpus: 96, ramMB: 491520, disk: 2200, disks: 1, hourly: 6.848, onDemand: true, regions: vultrSimA40},
	{id: "vcg-a100-1c-6g-4vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A100", card: 80, count: 4.0 / 80, vcpus: 1, ramMB: 6144, disk: 70, disks: 1, hourly: 0.123, onDemand: true, regions: vultrSimA100},
	{id: "vcg-a100-2c-15g-10vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A100", card: 80, count: 10.0 / 80, vcpus: 2, ramMB: 15360, disk: 170, disks: 1, hourly: 0.30, onDemand: true, regions: vultrSimA100},
	{id: "vcg-a100-3c-30g-20vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A100", card: 80, count: 0.25, vcpus: 3, ramMB: 30720, disk: 350, disks: 1, hourly: 0.60, onDemand: true, regions: vultrSimA100},
	{id: "vcg-a100-6c-60g-40vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_A100", card: 80, count: 0.5, vcpus: 6, ramMB: 61440, disk: 700, disks: 1, hourly: 1.199, onDemand: true, regions: vultrSimA100},
	{id: "vcg-a100-12c-120g-80vram", kind: "plan", typ: "vdm", brand: "NVIDIA", card: 80, count: 1, vcpus: 12, ramMB: 122880, disk: 1400, disks: 1, hourly: 2.397, onDemand: true, regions: vultrSimA100},
	{id: "vcg-a100-96c-960g-640vram", kind: "plan", typ: "vdm", brand: "NVIDIA", card: 80, count: 8, vcpus: 96, ramMB: 983040, disk: 7000, disks: 1, hourly: 19.176, spot: 14.4, onDemand: true, regions: vultrSimA100},
	{id: "vcg-l40s-16c-180g-48vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_L40S", card: 48, count: 1, vcpus: 16, ramMB: 184320, disk: 1200, disks: 1, hourly: 1.671, onDemand: true, regions: vultrSimL40S},
	{id: "vcg-l40s-32c-375g-96vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_L40S", card: 48, count: 2, vcpus: 32, ramMB: 384000, disk: 2200, disks: 1, hourly: 3.342, onDemand: true, regions: vultrSimL40S},
	{id: "vcg-l40s-64c-750g-192vram", kind: "plan", typ: "vcg", gpuType: "NVIDIA_L40S", card: 48, count: 4, vcpus: 64, ramMB: 768000, disk: 4400, disks: 1, hourly: 6.684, onDemand: true, regions: vultrSimL40S},
	// Sold only as preemptible capacity at the time the catalog was read.
	{id: "vcg-h100-216c-1914gb-640vram", kind: "plan", typ: "vdm", brand: "NVIDIA", card: 80, count: 8, vcpus: 216, ramMB: 1959936, disk: 7000, disks: 1, hourly: 23.92, spot: 18.40, regions: vultrSimHGX},
	{id: "vcg-b200-248c-2826g-1536vram", kind: "plan", typ: "vdm", brand: "NVIDIA", card: 192, count: 8, vcpus: 248, ramMB: 2893824, disk: 28000, disks: 1, hourly: 47.92, onDemand: true, regions: vultrSimHGX},
	{id: "vcg-mi355x-252c-2872g-2304vram", kind: "plan", typ: "vdm", brand: "AMD", card: 288, count: 8, vcpus: 252, ramMB: 2940928, disk: 28000, disks: 1, hourly: 26.32, onDemand: true, regions: vultrSimAMD},
	{id: "vbm-112c-2048gb-8-h100-gpu", kind: "metal", typ: "NVMe", card: 80, count: 8, vcpus: 224, ramMB: 2097152, disk: 960, disks: 2, hourly: 23.92, spot: 18.40, onDemand: true, regions: vultrSimHGX},
	{id: "vbm-112c-2048gb-8-a100-gpu", kind: "metal", typ: "NVMe", card: 80, count: 8, vcpus: 224, ramMB: 2097152, disk: 960, disks: 2, hourly: 15.92, spot: 12.24, onDemand: true, regions: vultrSimA100},
	{id: "vbm-48c-1024gb-4-a100-gpu", kind: "metal", typ: "NVMe", card: 80, count: 4, vcpus: 96, ramMB: 1048576, disk: 960, disks: 2, hourly: 7.96, onDemand: true, regions: vultrSimA100},
	{id: "vbm-72c-480gb-gh200-gpu", kind: "metal", typ: "NVMe", card: 96, count: 1, vcpus: 72, ramMB: 491520, disk: 960, disks: 1, hourly: 2.99, onDemand: true, regions: vultrSimHGX},
	{id: "vbm-256c-2048gb-8-mi300x-gpu", kind: "metal", typ: "NVMe", card: 192, count: 8, vcpus: 256, ramMB: 2321924, disk: 3576, disks: 8, hourly: 17.52, spot: 14.72, onDemand: true, regions: vultrSimAMD},
	{id: "vbm-256c-3072gb-8-mi325x-gpu", kind: "metal", typ: "NVMe", card: 256, count: 8, vcpus: 256, ramMB: 3145728, disk: 3576, disks: 8, hourly: 20.72, onDemand: true, metalGPU: true, regions: vultrSimAMD},
	// CPU-only plans the listings also return.
	{id: "vc2-1c-1gb", kind: "plan", typ: "vc2", vcpus: 1, ramMB: 1024, disk: 25, disks: 1, hourly: 0.007, onDemand: true, regions: vultrSimWide},
	{id: "vc2-2c-4gb", kind: "plan", typ: "vc2", vcpus: 2, ramMB: 4096, disk: 80, disks: 1, hourly: 0.03, onDemand: true, regions: vultrSimWide},
	{id: "vc2-4c-8gb", kind: "plan", typ: "vc2", vcpus: 4, ramMB: 8192, disk: 160, disks: 1, hourly: 0.06, onDemand: true, regions: vultrSimWide},
	{id: "vhf-2c-4gb", kind: "plan", typ: "vhf", vcpus: 2, ramMB: 4096, disk: 128, disks: 1, hourly: 0.036, onDemand: true, regions: vultrSimWide},
	{id: "vhp-2c-4gb-amd", kind: "plan", typ: "vhp", vcpus: 2, ramMB: 4096, disk: 100, disks: 1, hourly: 0.036, onDemand: true, regions: vultrSimWide},
	{id: "voc-g-4c-16gb-80s-amd", kind: "plan", typ: "voc-g", vcpus: 4, ramMB: 16384, disk: 80, disks: 1, hourly: 0.179, onDemand: true, regions: vultrSimWide},
	{id: "voc-c-8c-16gb-150s-amd", kind: "plan", typ: "voc-c", vcpus: 8, ramMB: 16384, disk: 150, disks: 1, hourly: 0.238, onDemand: true, regions: vultrSimWide},
	{id: "voc-m-4c-32gb-150s-amd", kind: "plan", typ: "voc-m", vcpus: 4, ramMB: 32768, disk: 150, disks: 1, hourly: 0.238, onDemand: true, regions: vultrSimWide},
	{id: "vbm-4c-32gb", kind: "metal", typ: "SSD", vcpus: 8, ramMB: 32768, disk: 240, disks: 2, hourly: 0.179, onDemand: true, regions: vultrSimWide},
	{id: "vbm-24c-256gb-amd", kind: "metal", typ: "NVMe", vcpus: 48, ramMB: 262144, disk: 1920, disks: 2, hourly: 1.079, onDemand: true, regions: vultrSimWide},
}

var (
	vultrSimWide = []string{"ewr", "ord", "dfw", "sea", "lax", "atl", "sjc", "mia", "yto", "ams", "lhr", "fra", "cdg",
		"mad", "waw", "sto", "nrt", "icn", "sgp", "bom", "syd", "jnb", "sao", "mex"}
	vultrSimA40  = []string{"ewr", "ord", "lax", "fra", "ams", "nrt", "sgp", "blr"}
	vultrSimA100 = []string{"ewr", "ord", "lax", "sea", "ams", "fra", "lhr", "nrt", "sgp", "bom", "syd"}
	vultrSimL40S = []string{"atl", "ord", "ewr", "ams", "fra", "nrt"}
	vultrSimHGX  = []string{"sea", "atl", "ord", "ewr", "ams", "tlv"}
	vultrSimAMD  = []string{"ord", "atl", "ams"}
)

// vultrInventory prices every plan near its list price and gives each a
// few locations; about one plan in ten starts sold out everywhere.
func vultrInventory(r *rand.Rand) []Item {
	items := make([]Item, 0, len(vultrSimPlans))
	for _, s := range vultrSimPlans {
		var locs []string
		for _, l := range s.regions {
			if r.Float64() < 0.45 {
				locs = append(locs, l)
			}
		}
		if len(locs) == 0 {
			locs = []string{pick(r, s.regions)}
		}
		stock := len(locs)
		if r.Float64() < 0.1 {
			stock = 0
		}
		mult := between(r, 0.95, 1.05)
		spot := 0.0
		if s.spot > 0 {
			spot = round4(s.spot * mult)
		}
		gpu := s.gpuType
		if gpu == "" && s.count > 0 {
			gpu = s.brand
		}
		items = append(items, Item{
			ID: s.id, GPU: gpu, GPUMemGB: s.card, GPUCount: s.count, VCPUs: s.vcpus, RAMGB: s.ramMB / 1024,
			DiskGB: s.disk * s.disks, Region: locs[0], Price: round4(s.hourly * mult), Spot: spot, Stock: stock,
			Attrs: map[string]string{
				"kind": s.kind, "type": s.typ, "locations": joinComma(locs), "brand": s.brand,
				"ram_mb": strconv.FormatFloat(s.ramMB, 'f', -1, 64), "disk": strconv.FormatFloat(s.disk, 'f', -1, 64),
				"disks": strconv.FormatFloat(s.disks, 'f', -1, 64), "ondemand": strconv.FormatBool(s.onDemand),
				"metal_gpu": strconv.FormatBool(s.metalGPU),
			},
		})
	}
	return items
}

// vultrPlanTypes are the type filters /v2/plans accepts; "voc" selects every
// optimized-cloud subtype and "all" every plan.
var vultrPlanTypes = map[string]bool{"all": true, "vc2": true, "vdc": true, "vhf": true, "vhp": true,
	"voc": true, "voc-g": true, "voc-c": true, "voc-m": true, "voc-s": true, "vcg": true}

func vultrHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/plans", func(w http.ResponseWriter, r *http.Request) {
		typ := r.URL.Query().Get("type")
		if typ == "" {
			typ = "all"
		}
		if !vultrPlanTypes[typ] {
			vultrError(w, http.StatusBadRequest, "Invalid plan type.")
			return
		}
		vultrList(w, r, p, "plans", func(it Item) bool {
			t := it.Attrs["type"]
			return it.Attrs["kind"] == "plan" && (typ == "all" || t == typ || (typ == "voc" && strings.HasPrefix(t, "voc-")))
		})
	})
	mux.HandleFunc("GET /v2/plans-metal", func(w http.ResponseWriter, r *http.Request) {
		vultrList(w, r, p, "plans_metal", func(it Item) bool { return it.Attrs["kind"] == "metal" })
	})
	return mux
}

// vultrList renders one cursor page of the items that match; the cursor is
// base64 of "next__<id of the first plan on the page>", as Vultr's looks.
func vultrList(w http.ResponseWriter, r *http.Request, p *Provider, key string, match func(Item) bool) {
	q := r.URL.Query()
	perPage := 100
	if s := q.Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			vultrError(w, http.StatusBadRequest, "Invalid per_page value.")
			return
		}
		perPage = min(n, 500)
	}
	var items []Item
	for _, it := range p.Snapshot() {
		if match(it) {
			items = append(items, it)
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].ID < items[j].ID })
	start := 0
	if c := q.Get("cursor"); c != "" {
		raw, err := base64.StdEncoding.DecodeString(c)
		id, ok := strings.CutPrefix(string(raw), "next__")
		if err != nil || !ok {
			vultrError(w, http.StatusBadRequest, "Invalid cursor.")
			return
		}
		start = sort.Search(len(items), func(i int) bool { return items[i].ID >= id })
	}
	end := min(start+perPage, len(items))
	page := []map[string]any{}
	for _, it := range items[start:end] {
		page = append(page, vultrPlanJSON(it))
	}
	next, prev := "", ""
	if end < len(items) {
		next = base64.StdEncoding.EncodeToString([]byte("next__" + items[end].ID))
	}
	if start > 0 {
		prev = base64.StdEncoding.EncodeToString([]byte("prev__" + items[start].ID))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		key:    page,
		"meta": map[string]any{"total": len(items), "links": map[string]string{"next": next, "prev": prev}},
	})
}

// vultrPlanJSON renders an item in the plan or metal-plan shape.
func vultrPlanJSON(it Item) map[string]any {
	locs := []string{}
	if it.Stock > 0 {
		locs = splitComma(it.Attrs["locations"])
	}
	num := func(k string) float64 { f, _ := strconv.ParseFloat(it.Attrs[k], 64); return f }
	metal := it.Attrs["kind"] == "metal"
	hours := 730.0
	if metal {
		hours = 672
	}
	o := map[string]any{
		"id": it.ID, "ram": int(num("ram_mb")), "disk": int(num("disk")), "disk_count": int(num("disks")),
		"bandwidth": 1024 * max(1, int(it.VCPUs/4)), "monthly_cost": math.Round(it.Price*hours*100) / 100,
		"hourly_cost": it.Price, "type": it.Attrs["type"], "locations": locs,
	}
	if metal {
		o["cpu_count"], o["cpu_cores"], o["cpu_threads"] = int(it.VCPUs/2), int(it.VCPUs/2), int(it.VCPUs)
		o["physical_cpus"], o["cpu_model"], o["cpu_mhz"] = 2, "EPYC 9534", 2450
	} else {
		o["vcpu_count"] = int(it.VCPUs)
	}
	if it.GPUCount <= 0 {
		return o
	}
	o["deploy_ondemand"] = it.Attrs["ondemand"] == "true"
	o["deploy_preemptible"] = it.Spot > 0
	if it.Spot > 0 {
		o["hourly_cost_preemptible"] = it.Spot
		o["monthly_cost_preemptible"] = math.Round(it.Spot*hours*100) / 100
	}
	switch {
	case it.Attrs["type"] == "vcg":
		o["gpu_type"] = it.GPU
		o["gpu_vram_gb"] = int(math.Round(it.GPUMemGB * it.GPUCount))
		o["disk_type"] = "CLOUDGPU"
	case it.Attrs["type"] == "vdm":
		o["gpu_brand"] = it.GPU
		o["disk_type"] = "DEDICATEDMETAL"
	case it.Attrs["metal_gpu"] == "true":
		o["gpu_count"] = int(it.GPUCount)
		o["gpu_vram_gb"] = int(math.Round(it.GPUMemGB * it.GPUCount))
	}
	return o
}

func vultrError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": msg, "status": status})
}
