package simulator

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// Hyperbolic GPU marketplace: POST /v1/marketplace with a JSON body
// {"filters": {...}} answers {"instances": [...]}, one entry per supplier
// node with its hardware, gpus_total/gpus_reserved, status, location and
// pricing.price.amount in US cents per GPU-hour. The listing is public; a
// body that is not a JSON object gets 422, as the API's validation does.
func init() {
	registerProvider(providerSim{name: "hyperbolic", inventory: hyperbolicInventory, handler: hyperbolicHandler})
}

var hyperbolicWords = []string{"angelic", "beneficial", "calm", "daring", "eager", "gentle", "humble", "jolly",
	"mushroom", "palm", "river", "cedar", "maple", "comet", "harbor", "meadow",
	"dolphin", "boar", "otter", "falcon", "lynx", "heron", "badger", "marten"}

// hyperbolicInventory holds one item per node: GPUCount is gpus_total,
// Price the per-GPU price in dollars, Stock the GPUs not reserved.
func hyperbolicInventory(r *rand.Rand) []Item {
	type model struct {
		name   string
		mib    float64
		lo, hi float64 // dollars per GPU-hour
		sizes  []int
		vcpus  int // per GPU
		ram    int // GB per GPU
	}
	models := []model{
		// H100 prices stay low enough that one GPU remains under $4/h at
		// the top of the price walk.
		{"NVIDIA-H100-80GB-HBM3", 81559, 1.29, 1.99, []int{8}, 24, 220},
		{"NVIDIA-H200", 143771, 1.99, 2.49, []int{8}, 24, 250},
		{"NVIDIA-B200", 183359, 2.99, 3.99, []int{8}, 28, 280},
		{"NVIDIA-A100-SXM4-80GB", 81920, 0.90, 1.40, []int{4, 8}, 16, 120},
		{"NVIDIA-L40S", 46068, 0.70, 0.99, []int{4, 8}, 16, 96},
		{"NVIDIA-RTX-A6000", 49140, 0.40, 0.60, []int{2, 4, 8}, 8, 64},
		{"NVIDIA-GeForce-RTX-4090", 24564, 0.30, 0.50, []int{1, 2, 4, 8}, 8, 32},
		{"NVIDIA-GeForce-RTX-3090", 24576, 0.20, 0.30, []int{1, 2, 4}, 8, 32},
		{"NVIDIA-GeForce-RTX-3070", 8192, 0.10, 0.16, []int{1}, 8, 16},
	}
	regions := []string{"us-central-1", "us-east-1", "us-west-1", "eu-north-1", "region-1"}
	cpus := []string{"AMD-23-49", "AMD-25-17", "INTEL-6-143"}
	const nodes = 48
	var items []Item
	for i := range nodes {
		m := models[i%len(models)]
		n := pick(r, m.sizes)
		cpu := pick(r, cpus)
		prefix := pick(r, []string{"ns", "korea", "sfo", "tx", "fin"})
		id := fmt.Sprintf("%s-%s%d-%d", prefix, map[bool]string{true: "amd", false: "intel"}[cpu[0] == 'A'], 1+r.IntN(20), 10+i*3)
		cluster := fmt.Sprintf("%s-%s-%s", hyperbolicWords[r.IntN(8)], hyperbolicWords[8+r.IntN(8)], hyperbolicWords[16+r.IntN(8)])
		free := r.IntN(n + 1)
		reserved := "false"
		if r.Float64() < 0.08 {
			reserved = "true" // taken as a whole by a long-term customer
		}
		items = append(items, Item{
			ID: id, GPU: m.name, GPUMemGB: m.mib / 1024, GPUCount: float64(n),
			VCPUs: float64(n * m.vcpus), RAMGB: float64(n * m.ram), DiskGB: float64(n * pick(r, []int{500, 1000, 2000})),
			Region: pick(r, regions), Price: between(r, m.lo, m.hi), Stock: free,
			Attrs: map[string]string{"cluster": cluster, "cpu": cpu, "mib": strconv.Itoa(int(m.mib)), "reserved": reserved},
		})
	}
	return items
}

func hyperbolicHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/marketplace", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]json.RawMessage
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&body); err != nil || body == nil {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []map[string]any{
				{"type": "json_invalid", "loc": []string{"body"}, "msg": "JSON decode error"}}})
			return
		}
		if raw, ok := body["filters"]; ok {
			var filters map[string]any
			if json.Unmarshal(raw, &filters) != nil {
				writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []map[string]any{
					{"type": "dict_type", "loc": []string{"body", "filters"}, "msg": "Input should be a valid dictionary"}}})
				return
			}
		}
		nodes := []map[string]any{}
		for _, it := range p.Snapshot() {
			nodes = append(nodes, hyperbolicRender(it))
		}
		writeJSON(w, http.StatusOK, map[string]any{"instances": nodes})
	})
	return mux
}

func hyperbolicRender(it Item) map[string]any {
	total := int(it.GPUCount)
	free := min(max(it.Stock, 0), total)
	reserved := it.Attrs["reserved"] == "true"
	if reserved {
		free = 0
	}
	mib, _ := strconv.Atoi(it.Attrs["mib"])
	gpus := make([]map[string]any, total)
	for i := range gpus {
		gpus[i] = map[string]any{"hardware_type": "gpu", "model": it.GPU, "clock_speed": 1000,
			"compute_power": 1000, "ram": mib, "interface": "PCIeX16"}
	}
	running := []map[string]any{}
	if total-free > 0 {
		running = append(running, map[string]any{"id": it.ID + "-run", "status": "running",
			"hardware": []map[string]any{{"gpu": map[string]any{"hardware_type": "gpu", "model": it.GPU, "ram": mib}}}})
	}
	return map[string]any{
		"id":     it.ID,
		"status": "node_ready",
		"hardware": map[string]any{
			"cpus":    []map[string]any{{"hardware_type": "cpu", "model": it.Attrs["cpu"], "cores": int(it.VCPUs) / 2, "virtual_cores": int(it.VCPUs)}},
			"gpus":    gpus,
			"storage": []map[string]any{{"hardware_type": "storage", "capacity": int(it.DiskGB)}},
			"ram":     []map[string]any{{"hardware_type": "ram", "capacity": int(it.RAMGB)}},
		},
		"instances":              running,
		"location":               map[string]any{"region": it.Region},
		"network":                map[string]any{},
		"gpus_total":             total,
		"gpus_reserved":          total - free,
		"has_persistent_storage": true,
		"supplier_id":            "supplier-" + it.Attrs["cluster"],
		"pricing":                map[string]any{"price": map[string]any{"amount": int(math.Round(it.Price * 100)), "period": "hourly", "agent": "platform"}},
		"reserved":               reserved,
		"cluster_name":           it.Attrs["cluster"],
	}
}
