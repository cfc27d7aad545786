package simulator

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// CloudRift: POST /api/v1/instance-types/list with {"version": "<date>",
// "data": {"selector": ...}}; the selector is "All", {"ByServiceAndLocation":
// {"services": ["vm"|"docker"], "datacenters": [...]}} or {"ByName":
// [...]}. The answer is {"version", "data": {"instance_types": [...]}} with
// prices in US cents per hour and sizes in bytes. The listing is public; a
// request that sends an X-API-Key must send a non-empty one.
func init() {
	registerProvider(providerSim{name: "cloudrift", inventory: cloudriftInventory, handler: cloudriftHandler})
}

// cloudriftInventory holds one item per variant (an instance type at one
// GPU count): Price is the variant's USD/hour, Stock the free nodes that
// can host it, spread over Attrs["dcs"]; Attrs["type"] is the instance
// type and Attrs["nodes"] the nodes per datacenter.
func cloudriftInventory(r *rand.Rand) []Item {
	type itype struct {
		name, brand, maker string
		vram, cents        float64 // per GPU
		threads, ram, disk float64 // per GPU: logical CPUs, GiB, GiB
		counts             []float64
		dcs                []string
	}
	all := []float64{1, 2, 4, 8}
	types := []itype{
		{"rtx49-8c-nr", "RTX 4090", "NVIDIA", 24, 39, 16, 50, 500, all, []string{"us-east-nc-nr-1"}},
		{"rtx49-10c-kn", "RTX 4090", "NVIDIA", 24, 42, 20, 64, 1000, all, []string{"ap-east-tw-kn-2"}},
		{"rtx49-7-50-500-ext", "RTX 4090 Ext", "NVIDIA", 24, 45, 14, 50, 500, []float64{1, 2}, []string{"eu-central-it-gv-1"}},
		{"rtx59-16c-nr", "RTX 5090", "NVIDIA", 32, 65, 32, 64, 1000, all, []string{"us-east-nc-nr-1", "ustx1a_a01"}},
		{"rtx59-32c-pro", "RTX 5090", "NVIDIA", 32, 79, 64, 128, 2000, []float64{1}, nil},
		{"rtxpro6000-11-50-500-1l", "RTX PRO 6000", "NVIDIA", 96, 139.36, 22, 100, 1000, all, []string{"ustx1a_a01", "usny01_a01"}},
		{"rtxpro6000-12-64-1000-gv", "RTX PRO 6000", "NVIDIA", 96, 134.16, 24, 128, 2000, []float64{1, 2}, []string{"eu-central-it-gv-1"}},
		{"rtx6000ada-12c-nr", "RTX 6000 Ada", "NVIDIA", 48, 79, 24, 96, 1000, []float64{1, 2, 4}, []string{"us-east-nc-nr-1"}},
		{"l40s-12c-nr", "L40S", "NVIDIA", 48, 89, 24, 96, 1000, all, []string{"us-east-nc-nr-1", "eu-central-it-gv-1"}},
		{"a100-12c-se", "A100", "NVIDIA", 80, 129, 24, 120, 1000, all, []string{"ap_northeast_kr_se_1"}},
		{"h100-16c-ny", "H100", "NVIDIA", 80, 199, 32, 200, 2000, all, []string{"usny01_a01", "ustx1a_a01"}},
		{"h100-20c-gv", "H100", "NVIDIA", 80, 219, 40, 240, 2000, []float64{1, 8}, []string{"eu-central-it-gv-1"}},
		{"h200-24c-tx", "H200", "NVIDIA", 141, 289, 48, 240, 3000, []float64{1, 8}, []string{"ustx1a_a01"}},
		{"v100-8c-ny", "V100 SXM2", "NVIDIA", 16, 25, 16, 64, 500, all, []string{"usny01_a01"}},
		{"mi300x-24c-tx", "MI300X", "AMD", 192, 249, 48, 256, 4000, []float64{8}, []string{"ustx1a_a01"}},
		{"genoa-64c", "Genoa", "AMD", 0, 0, 128, 512, 2000, []float64{0}, []string{"ustx1a_a01"}},
	}
	var items []Item
	for _, t := range types {
		nodes := make([]string, len(t.dcs))
		for i := range t.dcs {
			nodes[i] = strconv.Itoa(1 + r.IntN(6))
		}
		for _, n := range t.counts {
			per := max(n, 1)
			price := 0.32 // the CPU-only type's hourly price
			if n > 0 {
				price = round4(t.cents * n / 100 * between(r, 0.95, 1.05))
			}
			stock := r.IntN(5)
			items = append(items, Item{
				ID: t.name + "." + strconv.Itoa(int(n)), GPU: t.brand, GPUMemGB: t.vram, GPUCount: n,
				VCPUs: t.threads * per, RAMGB: t.ram * per, DiskGB: t.disk * per, Price: price, Stock: stock,
				Attrs: map[string]string{"type": t.name, "maker": t.maker, "dcs": joinComma(t.dcs), "nodes": joinComma(nodes)},
			})
			if len(t.dcs) > 0 {
				items[len(items)-1].Region = t.dcs[0]
			}
		}
	}
	return items
}

// cloudriftSelector is the request's selector: "All" or one of the keyed
// forms.
type cloudriftSelector struct {
	datacenters map[string]bool // nil: any
	names       map[string]bool // nil: any
}

func parseCloudriftSelector(raw json.RawMessage) (cloudriftSelector, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return cloudriftSelector{}, s == "All"
	}
	var keyed struct {
		ByServiceAndLocation *struct {
			Services    []string `json:"services"`
			Datacenters []string `json:"datacenters"`
		} `json:"ByServiceAndLocation"`
		ByName []string `json:"ByName"`
	}
	if json.Unmarshal(raw, &keyed) != nil {
		return cloudriftSelector{}, false
	}
	sel := cloudriftSelector{}
	switch {
	case keyed.ByServiceAndLocation != nil:
		for _, svc := range keyed.ByServiceAndLocation.Services {
			if svc != "vm" && svc != "docker" {
				return cloudriftSelector{}, false
			}
		}
		if dcs := keyed.ByServiceAndLocation.Datacenters; len(dcs) > 0 {
			sel.datacenters = map[string]bool{}
			for _, dc := range dcs {
				sel.datacenters[dc] = true
			}
		}
	case keyed.ByName != nil:
		sel.names = map[string]bool{}
		for _, n := range keyed.ByName {
			sel.names[n] = true
		}
	default:
		return cloudriftSelector{}, false
	}
	return sel, true
}

func cloudriftHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/instance-types/list", func(w http.ResponseWriter, r *http.Request) {
		if _, sent := r.Header["X-Api-Key"]; sent && strings.TrimSpace(r.Header.Get("X-API-Key")) == "" {
			writeJSON(w, http.StatusUnauthorized, "User cannot be authenticated from the request")
			return
		}
		var req struct {
			Version string `json:"version"`
			Data    *struct {
				Selector json.RawMessage `json:"selector"`
			} `json:"data"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil || req.Version == "" || req.Data == nil {
			writeJSON(w, http.StatusBadRequest, "request must be {version, data}")
			return
		}
		sel, ok := parseCloudriftSelector(req.Data.Selector)
		if !ok {
			writeJSON(w, http.StatusBadRequest, "unknown selector")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"version": "2025-01-29", "data": map[string]any{"instance_types": cloudriftTypes(p.Snapshot(), sel)}})
	})
	return mux
}

// cloudriftTypes groups variants under their instance types, in inventory
// order, keeping what the selector asks for.
func cloudriftTypes(items []Item, sel cloudriftSelector) []map[string]any {
	var out []map[string]any
	byType := map[string]map[string]any{}
	for _, it := range items {
		tname := it.Attrs["type"]
		if sel.names != nil && !sel.names[tname] && !sel.names[it.ID] {
			continue
		}
		variant := cloudriftVariantJSON(it, sel.datacenters)
		if variant == nil {
			continue
		}
		t, ok := byType[tname]
		if !ok {
			dcs := []map[string]any{}
			for _, dc := range splitComma(it.Attrs["dcs"]) {
				if sel.datacenters == nil || sel.datacenters[dc] {
					dcs = append(dcs, map[string]any{"name": dc, "provider_name": "CloudRift"})
				}
			}
			support := "OpenAndProprietary"
			if strings.HasPrefix(tname, "v100") {
				support = "ProprietaryOnly"
			}
			t = map[string]any{
				"name": tname, "brand_short": it.GPU, "manufacturer": it.Attrs["maker"],
				"nvidia_kernel_module_support": support, "datacenters": dcs, "variants": []map[string]any{},
			}
			byType[tname] = t
			out = append(out, t)
		}
		t["variants"] = append(t["variants"].([]map[string]any), variant)
	}
	return out
}

// cloudriftVariantJSON renders one variant, its free nodes spread over its
// datacenters; nil when a datacenter filter leaves it nowhere.
func cloudriftVariantJSON(it Item, only map[string]bool) map[string]any {
	const gib = 1 << 30
	dcs := splitComma(it.Attrs["dcs"])
	nodes := splitComma(it.Attrs["nodes"])
	nodesPerDC, freePerDC, ips := map[string]int{}, map[string]int{}, map[string]any{}
	total, free := 0, 0
	for j, dc := range dcs {
		n := it.Stock / len(dcs)
		if j < it.Stock%len(dcs) {
			n++
		}
		if only != nil && !only[dc] {
			continue
		}
		base, _ := strconv.Atoi(nodes[j])
		nodesPerDC[dc], freePerDC[dc] = max(base, n), n
		ips[dc] = map[string]bool{"public_ips": !strings.HasPrefix(dc, "ap-east")}
		total += max(base, n)
		free += n
	}
	if only != nil && len(nodesPerDC) == 0 {
		return nil
	}
	return map[string]any{
		"name":                   it.ID,
		"gpu_count":              int(it.GPUCount),
		"cpu_count":              int(it.VCPUs) / 2,
		"logical_cpu_count":      int(it.VCPUs),
		"dram":                   int64(it.RAMGB * gib),
		"vram":                   int64(it.GPUMemGB * gib),
		"disk":                   int64(it.DiskGB * gib),
		"cost_per_hour":          math.Round(it.Price*1e4) / 100,
		"cpu_sharing_policy":     "Dedicated",
		"nodes":                  total,
		"nodes_per_dc":           nodesPerDC,
		"available_nodes":        free,
		"available_nodes_per_dc": freePerDC,
		"ip_availability_per_dc": ips,
		"volume_types_per_dc":    map[string]any{},
	}
}
