package simulator

import (
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
)

// Scaleway: per zone, GET /instance/v1/zones/{zone}/products/servers and
// GET /instance/v1/zones/{zone}/products/servers/availability, both with
// "X-Auth-Token: <secret key>" and paged with page and per_page (default
// 50, at most 100). Each answers {"servers": {"<type>": {...}},
// "total_count": N} and sets X-Total-Count. Prices are EUR, sizes bytes.
// Items are one Instance type in one zone; Item.Price is the EUR price.
func init() {
	registerProvider(providerSim{name: "scaleway", inventory: scwInventory, handler: scwHandler})
}

// scwSimType is one Instance type of the simulated catalog.
type scwSimType struct {
	name          string
	gpuName       string  // gpu_info.gpu_name; "" for CPU types and types without gpu_info
	gpus          float64 // GPU count
	gpuMemGB      float64
	ncpus, ramGiB float64
	scratchTB     float64
	hourly        float64 // EUR
	arch          string
	eos           bool
	zones         []string
}

var scwSimTypes = []scwSimType{
	{"H100-1-80G", "H100", 1, 80, 24, 240, 3, 2.73, "x86_64", false, []string{"fr-par-2", "pl-waw-2"}},
	{"H100-2-80G", "H100", 2, 80, 48, 480, 6, 5.46, "x86_64", false, []string{"fr-par-2", "pl-waw-2"}},
	{"H100-SXM-2-80G", "H100-SXM", 2, 80, 32, 240, 6, 6.018, "x86_64", false, []string{"fr-par-2"}},
	{"H100-SXM-4-80G", "H100-SXM", 4, 80, 64, 480, 12, 11.61, "x86_64", false, []string{"fr-par-2"}},
	{"H100-SXM-8-80G", "H100-SXM", 8, 80, 128, 960, 24, 23.028, "x86_64", false, []string{"fr-par-2"}},
	{"L4-1-24G", "L4", 1, 24, 8, 48, 0, 0.75, "x86_64", false, []string{"fr-par-2", "nl-ams-1", "pl-waw-2"}},
	{"L4-2-24G", "L4", 2, 24, 16, 96, 0, 1.5, "x86_64", false, []string{"fr-par-2", "nl-ams-1", "pl-waw-2"}},
	{"L4-4-24G", "L4", 4, 24, 32, 192, 0, 3.0, "x86_64", false, []string{"fr-par-2", "nl-ams-1"}},
	{"L4-8-24G", "L4", 8, 24, 64, 384, 0, 6.0, "x86_64", false, []string{"fr-par-2"}},
	{"L40S-1-48G", "L40S", 1, 48, 8, 96, 1.6, 1.4, "x86_64", false, []string{"fr-par-2"}},
	{"L40S-2-48G", "L40S", 2, 48, 16, 192, 3.2, 2.8, "x86_64", false, []string{"fr-par-2"}},
	{"L40S-4-48G", "L40S", 4, 48, 32, 384, 6.4, 5.6, "x86_64", false, []string{"fr-par-2"}},
	{"L40S-8-48G", "L40S", 8, 48, 64, 768, 12.8, 11.2, "x86_64", false, []string{"fr-par-2"}},
	{"GPU-3070-S", "RTX-3070", 1, 8, 8, 16, 0, 0.98, "x86_64", false, []string{"fr-par-2"}},
	// An older type listed without gpu_info and past its end of service.
	{"RENDER-S", "", 1, 16, 10, 42, 0, 1.221, "x86_64", true, []string{"fr-par-1"}},
	{"DEV1-S", "", 0, 0, 2, 2, 0, 0.0088, "x86_64", false, []string{"fr-par-1", "fr-par-2", "nl-ams-1", "pl-waw-1"}},
	{"DEV1-M", "", 0, 0, 3, 4, 0, 0.0198, "x86_64", false, []string{"fr-par-1", "fr-par-2", "nl-ams-1", "pl-waw-1"}},
	{"PRO2-XXS", "", 0, 0, 2, 8, 0, 0.055, "x86_64", false, []string{"fr-par-1", "fr-par-2", "fr-par-3", "nl-ams-1", "nl-ams-2", "pl-waw-1", "pl-waw-2"}},
	{"PRO2-S", "", 0, 0, 8, 32, 0, 0.219, "x86_64", false, []string{"fr-par-1", "fr-par-2", "nl-ams-1", "pl-waw-1"}},
	{"POP2-4C-16G", "", 0, 0, 4, 16, 0, 0.1041, "x86_64", false, []string{"fr-par-1", "fr-par-2", "nl-ams-1", "nl-ams-3", "pl-waw-1", "pl-waw-3"}},
	{"POP2-HC-8C-16G", "", 0, 0, 8, 16, 0, 0.1729, "x86_64", false, []string{"fr-par-1", "fr-par-2", "nl-ams-1"}},
	{"COPARM1-4C-16G", "", 0, 0, 4, 16, 0, 0.084, "arm64", false, []string{"fr-par-2"}},
}

// scwSimZones are the zones the simulated API answers for.
var scwSimZones = map[string]bool{
	"fr-par-1": true, "fr-par-2": true, "fr-par-3": true, "nl-ams-1": true, "nl-ams-2": true,
	"nl-ams-3": true, "pl-waw-1": true, "pl-waw-2": true, "pl-waw-3": true,
}

// scwInventory makes one item per type and zone, priced near the list
// price (Scaleway's prices differ little between zones), with mostly ample
// stock, some scarce and a few out of stock.
func scwInventory(r *rand.Rand) []Item {
	var items []Item
	for _, t := range scwSimTypes {
		for _, z := range t.zones {
			stock := 10
			switch x := r.Float64(); {
			case x < 0.1:
				stock = 0
			case x < 0.3:
				stock = 1 + r.IntN(3)
			}
			items = append(items, Item{
				ID: t.name, GPU: t.gpuName, GPUMemGB: t.gpuMemGB, GPUCount: t.gpus, VCPUs: t.ncpus, RAMGB: t.ramGiB,
				DiskGB: t.scratchTB * 1000, Region: z, Price: round4(t.hourly * between(r, 0.97, 1.03)), Stock: stock,
				Attrs: map[string]string{"arch": t.arch, "eos": strconv.FormatBool(t.eos)},
			})
		}
	}
	return items
}

func scwHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /instance/v1/zones/{zone}/products/servers", func(w http.ResponseWriter, r *http.Request) {
		scwList(w, r, p, scwTypeJSON)
	})
	mux.HandleFunc("GET /instance/v1/zones/{zone}/products/servers/availability", func(w http.ResponseWriter, r *http.Request) {
		scwList(w, r, p, func(it Item) map[string]any {
			a := "available"
			switch {
			case it.Stock == 0:
				a = "shortage"
			case it.Stock < 4:
				a = "scarce"
			}
			return map[string]any{"availability": a}
		})
	})
	return mux
}

// scwList checks the key and zone, then renders one page of the zone's
// types, ordered by name, through render.
func scwList(w http.ResponseWriter, r *http.Request, p *Provider, render func(Item) map[string]any) {
	if r.Header.Get("X-Auth-Token") == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"message": "authentication is denied", "method": "api_key", "reason": "invalid_argument", "type": "denied_authentication"})
		return
	}
	zone := r.PathValue("zone")
	if !scwSimZones[zone] {
		scwInvalid(w, "zone", "unknown zone "+zone)
		return
	}
	q := r.URL.Query()
	page, perPage := 1, 50
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			scwInvalid(w, "page", "must be a positive integer")
			return
		}
		page = n
	}
	if s := q.Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			scwInvalid(w, "per_page", "must be between 1 and 100")
			return
		}
		perPage = n
	}
	var items []Item
	for _, it := range p.Snapshot() {
		if it.Region == zone {
			items = append(items, it)
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].ID < items[j].ID })
	start := min((page-1)*perPage, len(items))
	end := min(start+perPage, len(items))
	servers := map[string]any{}
	for _, it := range items[start:end] {
		servers[it.ID] = render(it)
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(len(items)))
	writeJSON(w, http.StatusOK, map[string]any{"servers": servers, "total_count": len(items)})
}

func scwInvalid(w http.ResponseWriter, field, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"message": "invalid argument(s)", "type": "invalid_arguments",
		"details": []map[string]any{{"argument_name": field, "reason": "constraint", "help_message": msg}},
	})
}

// scwTypeJSON renders an item as an Instance type; sizes are bytes.
func scwTypeJSON(it Item) map[string]any {
	const gib = 1 << 30
	t := map[string]any{
		"monthly_price": math.Round(it.Price*730*100) / 100, "hourly_price": it.Price,
		"alt_names": []string{}, "ncpus": int(it.VCPUs), "ram": int64(it.RAMGB * gib), "arch": it.Attrs["arch"],
		"baremetal": false, "end_of_service": it.Attrs["eos"] == "true", "gpu": int(it.GPUCount),
		"volumes_constraint":    map[string]any{"min_size": 0, "max_size": 0},
		"per_volume_constraint": map[string]any{"l_ssd": map[string]any{"min_size": 0, "max_size": 0}},
		"network":               map[string]any{"sum_internal_bandwidth": 2500000000, "sum_internet_bandwidth": 2500000000, "ipv6_support": true},
		"capabilities":          map[string]any{"block_storage": true, "boot_types": []string{"local", "rescue"}},
		"block_bandwidth":       1048576000,
	}
	if it.DiskGB > 0 {
		t["scratch_storage_max_size"] = int64(it.DiskGB * 1e9)
	}
	if it.GPU != "" {
		t["gpu_info"] = map[string]any{"gpu_manufacturer": "NVIDIA", "gpu_name": it.GPU, "gpu_memory": int64(it.GPUMemGB * gib)}
	}
	return t
}
