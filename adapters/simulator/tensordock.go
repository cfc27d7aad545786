package simulator

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// TensorDock: GET /api/v2/hostnodes with "Authorization: Bearer <token>";
// the answer is {"data": {"hostnodes": [...]}}, one entry per marketplace
// host with its free GPUs (v0Name, availableCount, price_per_hr per GPU),
// its remaining vCPUs/RAM/storage, per-resource prices and location. No
// paging. A request without a token gets 401.
func init() {
	registerProvider(providerSim{name: "tensordock", inventory: tensordockInventory, handler: tensordockHandler})
}

type tensordockSite struct {
	id, city, state, country string
	tier                     int
}

var tensordockSites = []tensordockSite{
	{"3d8c2f1e-austin", "Austin", "Texas", "United States", 3},
	{"6a1b9e44-dallas", "Dallas", "Texas", "United States", 3},
	{"9f0c7d21-chicago", "Chicago", "Illinois", "United States", 3},
	{"2b7e5a90-kansascity", "Kansas City", "Missouri", "United States", 3},
	{"c4d81f36-lasvegas", "Las Vegas", "Nevada", "United States", 4},
	{"71e0a2bc-manassas", "Manassas", "Virginia", "United States", 3},
	{"5e2f9c07-orlando", "Orlando", "Florida", "United States", 3},
	{"0a9d3b58-winnipeg", "Winnipeg", "Manitoba", "Canada", 3},
	{"8c6e1d72-toronto", "Toronto", "Ontario", "Canada", 3},
	{"4f3a8e19-amsterdam", "Amsterdam", "North Holland", "Netherlands", 3},
	{"e17b6c40-frankfurt", "Frankfurt", "Hesse", "Germany", 3},
	{"b52d0e83-helsinki", "Helsinki", "Uusimaa", "Finland", 3},
	{"d90f4a2c-london", "London", "England", "United Kingdom", 3},
	{"1c8b7f65-singapore", "Singapore", "Singapore", "Singapore", 3},
	{"a36e5d01-tokyo", "Tokyo", "Tokyo", "Japan", 3},
}

// tensordockInventory holds one item per host: GPUCount is the GPUs
// installed, Price the per-GPU price, Stock the GPUs free right now.
func tensordockInventory(r *rand.Rand) []Item {
	type model struct {
		v0     string
		mem    float64
		lo, hi float64
		sizes  []int
	}
	models := []model{
		// H100 bands stay low enough that a one-GPU VM, with its vCPUs, RAM
		// and disk, remains under $4/h at the top of the price walk.
		{"h100-sxm5-80gb", 80, 1.95, 2.25, []int{4, 8}},
		{"h100-pcie-80gb", 80, 1.75, 2.10, []int{1, 2, 4}},
		{"a100-sxm4-80gb", 80, 0.87, 1.20, []int{4, 8}},
		{"a100-pcie-80gb", 80, 0.95, 1.30, []int{1, 2, 4, 8}},
		{"l40s-pcie-48gb", 48, 0.70, 0.95, []int{2, 4, 8}},
		{"l40-pcie-48gb", 48, 0.65, 0.85, []int{2, 4, 8}},
		{"rtx6000ada-pcie-48gb", 48, 0.65, 0.85, []int{2, 4, 8}},
		{"rtxa6000-pcie-48gb", 48, 0.40, 0.55, []int{1, 2, 4, 8}},
		{"rtxa5000-pcie-24gb", 24, 0.22, 0.30, []int{1, 2, 4}},
		{"rtxa4000-pcie-16gb", 16, 0.12, 0.18, []int{1, 2, 4}},
		{"geforcertx4090-pcie-24gb", 24, 0.35, 0.50, []int{1, 2, 4, 8}},
		{"geforcertx3090-pcie-24gb", 24, 0.18, 0.28, []int{1, 2, 4}},
		{"geforcertx5090-pcie-32gb", 32, 0.55, 0.75, []int{1, 2, 4}},
		{"v100-sxm2-16gb", 16, 0.18, 0.25, []int{4, 8}},
	}
	const hosts = 56
	var items []Item
	for i := range hosts {
		m := models[i%len(models)]
		site := pick(r, tensordockSites)
		n := pick(r, m.sizes)
		free := r.IntN(n + 1)
		vcpus := n*pick(r, []int{8, 12, 16}) + 4
		ram := n*pick(r, []int{32, 64, 96}) + 16
		storage := n * pick(r, []int{500, 1000, 2000})
		// Free resources scale with free GPUs; a few hosts run short.
		share := float64(free) / float64(n)
		if r.Float64() < 0.1 {
			share /= 4
		}
		id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xfff, r.Uint64()&0xffffffffffff)
		items = append(items, Item{
			ID: id, GPU: m.v0, GPUMemGB: m.mem, GPUCount: float64(n),
			VCPUs: float64(vcpus), RAMGB: float64(ram), DiskGB: float64(storage), Region: site.id,
			Price: between(r, m.lo, m.hi), Stock: free,
			Attrs: map[string]string{
				"free_vcpus":   strconv.Itoa(int(float64(vcpus) * share)),
				"free_ram":     strconv.Itoa(int(float64(ram) * share)),
				"free_storage": strconv.Itoa(int(float64(storage)*share) + 100*free),
				"per_vcpu":     strconv.FormatFloat(pick(r, []float64{0.002, 0.003, 0.004}), 'f', -1, 64),
				"per_ram":      strconv.FormatFloat(pick(r, []float64{0.0015, 0.002, 0.0025}), 'f', -1, 64),
				"per_storage":  strconv.FormatFloat(pick(r, []float64{0.00005, 0.00007, 0.0001}), 'f', -1, 64),
				"uptime":       strconv.FormatFloat(between(r, 97, 99.99), 'f', -1, 64),
			},
		})
	}
	return items
}

func tensordockHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v2/hostnodes", func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "Unauthorized", "message": "Missing or invalid API token"})
			return
		}
		sites := map[string]tensordockSite{}
		for _, s := range tensordockSites {
			sites[s.id] = s
		}
		hosts := []map[string]any{}
		for _, it := range p.Snapshot() {
			site := sites[it.Region]
			free := min(max(it.Stock, 0), int(it.GPUCount))
			num := func(k string) float64 { f, _ := strconv.ParseFloat(it.Attrs[k], 64); return f }
			hosts = append(hosts, map[string]any{
				"id":                it.ID,
				"location_id":       site.id,
				"uptime_percentage": num("uptime"),
				"available_resources": map[string]any{
					"gpus":                    []map[string]any{{"v0Name": it.GPU, "availableCount": free, "price_per_hr": it.Price}},
					"vcpu_count":              int(num("free_vcpus")),
					"ram_gb":                  int(num("free_ram")),
					"storage_gb":              int(num("free_storage")),
					"has_public_ip_available": free > 0,
				},
				"pricing": map[string]any{
					"per_vcpu_hr": num("per_vcpu"), "per_gb_ram_hr": num("per_ram"), "per_gb_storage_hr": num("per_storage"),
				},
				"location": map[string]any{
					"city": site.city, "stateprovince": site.state, "country": site.country,
					"network_speed_gbps": 10, "network_speed_upload_gbps": 10, "tier": site.tier,
				},
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"hostnodes": hosts}})
	})
	return mux
}
