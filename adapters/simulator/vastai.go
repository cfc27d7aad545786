package simulator

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Vast.ai: POST /api/v0/bundles/ with a JSON body of field filters
// ({"num_gpus": {"gte": 1}, ...}), "type", "order", "limit" and
// "allocated_storage"; the answer is {"offers": [...]}, one entry per ask (a
// slice of a host machine). The search needs no key. Filters are applied to
// the rendered offer fields with the documented operators; the simulator
// adds no implicit filters, so rented asks are listed unless the request
// excludes them.
func init() {
	registerProvider(providerSim{name: "vastai", inventory: vastInventory, handler: vastHandler})
}

// vastGPU is one GPU model as Vast spells it, with its per-GPU memory in MiB
// as hosts report it and a per-GPU hourly price band.
type vastGPU struct {
	name     string
	mib      int
	lo, hi   float64
	dcShare  float64 // fraction of machines hosted in datacenters
	sizes    []int   // GPUs per machine
	coreEach int     // vCPUs per GPU on a typical host
}

var vastGPUs = []vastGPU{
	{"RTX 3090", 24576, 0.13, 0.22, 0.1, []int{1, 2, 4, 8}, 8},
	{"RTX 4090", 24564, 0.28, 0.45, 0.25, []int{1, 2, 4, 8}, 12},
	{"RTX 5090", 32607, 0.45, 0.75, 0.3, []int{1, 2, 4, 8}, 16},
	{"RTX A6000", 49140, 0.38, 0.55, 0.4, []int{1, 2, 4, 8}, 12},
	{"RTX 6000Ada", 49140, 0.55, 0.85, 0.5, []int{1, 2, 4, 8}, 16},
	{"L40S", 46068, 0.55, 0.85, 0.8, []int{1, 2, 4, 8}, 16},
	{"A100 PCIE", 40960, 0.55, 0.80, 0.7, []int{1, 2, 4}, 16},
	{"A100 PCIE", 81920, 0.85, 1.20, 0.8, []int{1, 2, 4, 8}, 16},
	{"A100 SXM4", 40960, 0.65, 0.90, 0.8, []int{4, 8}, 16},
	{"A100 SXM4", 81920, 0.90, 1.40, 0.9, []int{2, 4, 8}, 24},
	// H100 bands stay under $2.35/GPU so single-GPU asks remain below $4/h
	// even at the top of the price walk (1.6x).
	{"H100 PCIE", 81559, 1.55, 2.10, 0.9, []int{1, 2, 4}, 24},
	{"H100 SXM", 81559, 1.65, 2.30, 1.0, []int{1, 2, 4, 8}, 26},
	{"H100 NVL", 95830, 1.80, 2.30, 0.9, []int{1, 2, 4}, 24},
	{"H200", 143771, 2.40, 3.40, 1.0, []int{1, 2, 8}, 28},
}

// vastGeos are geolocation strings in Vast's "State, CC" / "Country, CC"
// form, weighted roughly like the marketplace: most hosts in the US and
// Europe, a fair number in Asia. ", US" is a host that gave no state.
var vastGeos = []string{
	"Texas, US", "California, US", "Oregon, US", "Virginia, US", "New York, US", "Georgia, US",
	"Michigan, US", "Washington, US", "Utah, US", "Oklahoma, US", "Kansas, US", ", US",
	"Quebec, CA", "British Columbia, CA",
	"Germany, DE", "Bavaria, DE", "France, FR", "Netherlands, NL", "Sweden, SE", "Finland, FI",
	"Czechia, CZ", "Poland, PL", "Bulgaria, BG", "Iceland, IS", "Norway, NO", "Spain, ES",
	"United Kingdom, GB", "Romania, RO",
	"Taiwan, TW", "Japan, JP", "Hong Kong, HK", "Singapore, SG", "South Korea, KR", "Vietnam, VN",
	"Thailand, TH", "India, IN", "Australia, AU",
}

var vastCPUs = []string{"AMD EPYC 7543 32-Core Processor", "AMD EPYC 9354 32-Core Processor",
	"Intel Xeon Platinum 8480+", "AMD Ryzen Threadripper PRO 5975WX", "AMD Ryzen 9 7950X 16-Core Processor"}

// vastInventory builds about fifty host machines; each lists a one-GPU ask
// and, on multi-GPU machines, a whole-machine ask, as Vast's bundling does.
func vastInventory(r *rand.Rand) []Item {
	const machines = 52
	var items []Item
	usedIDs := map[int]bool{}
	for m := range machines {
		g := vastGPUs[m%len(vastGPUs)]
		n := pick(r, g.sizes)
		machineID := 10000 + m*137 + r.IntN(100)
		dc := r.Float64() < g.dcShare
		hosting, verified := "0", r.Float64() < 0.8
		if dc {
			hosting, verified = "1", true
		}
		cores := n * g.coreEach
		ramMiB := n * pick(r, []int{32, 64, 128}) * 1024
		disk := float64(n) * between(r, 200, 1000)
		perGPU := between(r, g.lo, g.hi)
		storage := between(r, 0.05, 0.30) // $/GB/month
		geo := pick(r, vastGeos)
		// The machine's asks share one attribute map; nothing mutates it.
		attrs := map[string]string{
			"machine_id": strconv.Itoa(machineID), "host_id": strconv.Itoa(machineID/7 + 3000),
			"hosting_type": hosting, "verified": strconv.FormatBool(verified),
			"storage_cost": strconv.FormatFloat(storage, 'f', -1, 64),
			"reliability":  strconv.FormatFloat(between(r, 0.95, 0.9999), 'f', -1, 64),
			"cpu_cores":    strconv.Itoa(cores), "cpu_ram": strconv.Itoa(ramMiB),
			"cpu_name": pick(r, vastCPUs), "gpu_mib": strconv.Itoa(g.mib),
			"machine_gpus": strconv.Itoa(n), "inet_down": strconv.Itoa(200 + r.IntN(9000)),
			"inet_up": strconv.Itoa(100 + r.IntN(5000)), "cuda": pick(r, []string{"12.4", "12.8", "13.0"}),
		}
		slices := []int{1}
		if n > 1 {
			slices = append(slices, n)
		}
		for _, k := range slices {
			id := 20000000 + r.IntN(9000000)
			for usedIDs[id] {
				id++
			}
			usedIDs[id] = true
			price := round4(perGPU * float64(k))
			stock := 1
			if r.Float64() < 0.12 {
				stock = 0 // rented out right now
			}
			items = append(items, Item{
				ID: strconv.Itoa(id), GPU: g.name, GPUMemGB: float64(g.mib) / 1024, GPUCount: float64(k),
				VCPUs: float64(cores*k) / float64(n), RAMGB: float64(ramMiB) / 1024 * float64(k) / float64(n),
				DiskGB: math.Round(disk*float64(k)/float64(n)*10) / 10, Region: geo,
				Price: price, Spot: round4(price * between(r, 0.4, 0.7)), Stock: stock, Attrs: attrs,
			})
		}
	}
	return items
}

// vastDefaultStorageGB is the disk the API prices when a search gives no
// allocated_storage.
const vastDefaultStorageGB = 8

func vastHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v0/bundles/{$}", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]json.RawMessage
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil || body == nil {
			vastBadRequest(w, "Invalid json body")
			return
		}
		q, err := parseVastSearch(body)
		if err != nil {
			vastBadRequest(w, err.Error())
			return
		}
		offers := []map[string]any{}
		for _, it := range p.Snapshot() {
			o := vastRender(it, q.storageGB)
			if q.matches(o) {
				offers = append(offers, o)
			}
		}
		q.sort(offers)
		if len(offers) > q.limit {
			offers = offers[:q.limit]
		}
		for _, o := range offers {
			delete(o, "datacenter") // a filter alias, not a response field
		}
		writeJSON(w, http.StatusOK, map[string]any{"offers": offers})
	})
	return mux
}

func vastBadRequest(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "msg": msg})
}

func attrF(it Item, k string) float64 {
	f, _ := strconv.ParseFloat(it.Attrs[k], 64)
	return f
}

// vastRender turns an item into an offer as the search returns it. Item.Price
// is dph_base; dph_total adds the hourly cost of the allocated disk.
func vastRender(it Item, storageGB float64) map[string]any {
	id, _ := strconv.Atoi(it.ID)
	storageHour := round6(storageGB * attrF(it, "storage_cost") / (30 * 24))
	total := round6(it.Price + storageHour)
	verified := it.Attrs["verified"] == "true"
	verification := "unverified"
	if verified {
		verification = "verified"
	}
	hosting := int(attrF(it, "hosting_type"))
	mib := int(attrF(it, "gpu_mib"))
	return map[string]any{
		"id":                  id,
		"ask_contract_id":     id,
		"machine_id":          int(attrF(it, "machine_id")),
		"host_id":             int(attrF(it, "host_id")),
		"gpu_name":            it.GPU,
		"gpu_arch":            "nvidia",
		"num_gpus":            int(it.GPUCount),
		"gpu_ram":             mib,
		"gpu_total_ram":       mib * int(it.GPUCount),
		"gpu_frac":            round6(it.GPUCount / attrF(it, "machine_gpus")),
		"cpu_name":            it.Attrs["cpu_name"],
		"cpu_arch":            "amd64",
		"cpu_cores":           int(attrF(it, "cpu_cores")),
		"cpu_cores_effective": it.VCPUs,
		"cpu_ram":             int(attrF(it, "cpu_ram")),
		"disk_space":          it.DiskGB,
		"dph_base":            it.Price,
		"dph_total":           total,
		"min_bid":             it.Spot,
		"is_bid":              false,
		"storage_cost":        attrF(it, "storage_cost"),
		"storage_total_cost":  storageHour,
		"search":              map[string]float64{"gpuCostPerHour": it.Price, "diskHour": storageHour, "totalHour": total},
		"geolocation":         it.Region,
		"reliability":         attrF(it, "reliability"),
		"reliability2":        attrF(it, "reliability"),
		"verification":        verification,
		"verified":            verified,
		"rentable":            true,
		"rented":              it.Stock == 0,
		"hosting_type":        hosting,
		"datacenter":          hosting == 1,
		"inet_down":           attrF(it, "inet_down"),
		"inet_up":             attrF(it, "inet_up"),
		"cuda_max_good":       attrF(it, "cuda"),
		"static_ip":           hosting == 1,
		"direct_port_count":   20 + id%80,
	}
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// vastSearch is a parsed search body.
type vastSearch struct {
	limit     int
	storageGB float64
	order     [][2]string
	conds     []vastCond
}

type vastCond struct {
	field, op string
	value     any
}

var vastOps = map[string]bool{"eq": true, "neq": true, "gt": true, "lt": true, "gte": true, "lte": true,
	"in": true, "nin": true, "notin": true}

func parseVastSearch(body map[string]json.RawMessage) (vastSearch, error) {
	// Without a limit the search returns one screenful of offers.
	q := vastSearch{limit: 64, storageGB: vastDefaultStorageGB}
	for k, raw := range body {
		switch k {
		case "limit":
			if err := json.Unmarshal(raw, &q.limit); err != nil || q.limit < 0 {
				return q, fmt.Errorf("limit must be a non-negative integer")
			}
		case "allocated_storage":
			if err := json.Unmarshal(raw, &q.storageGB); err != nil || q.storageGB < 0 {
				return q, fmt.Errorf("allocated_storage must be a non-negative number")
			}
		case "type":
			var t string
			if json.Unmarshal(raw, &t) != nil || (t != "on-demand" && t != "bid" && t != "reserved") {
				return q, fmt.Errorf("type must be one of on-demand, bid, reserved")
			}
		case "order":
			var pairs [][]string
			if json.Unmarshal(raw, &pairs) != nil {
				return q, fmt.Errorf("order must be a list of [field, direction] pairs")
			}
			for _, pr := range pairs {
				if len(pr) != 2 || (pr[1] != "asc" && pr[1] != "desc") {
					return q, fmt.Errorf("order must be a list of [field, direction] pairs")
				}
				q.order = append(q.order, [2]string{pr[0], pr[1]})
			}
		default:
			var ops map[string]any
			if json.Unmarshal(raw, &ops) != nil {
				continue // flags such as disable_bundling
			}
			for op, v := range ops {
				if !vastOps[op] {
					return q, fmt.Errorf("unsupported operator %q for %s", op, k)
				}
				q.conds = append(q.conds, vastCond{field: k, op: op, value: v})
			}
		}
	}
	return q, nil
}

// matches applies every condition on a field the offer has; conditions on
// fields it lacks are ignored.
func (q vastSearch) matches(o map[string]any) bool {
	for _, c := range q.conds {
		v, ok := o[c.field]
		if !ok {
			continue
		}
		if !c.holds(v) {
			return false
		}
	}
	return true
}

func (c vastCond) holds(v any) bool {
	switch c.op {
	case "eq":
		return vastEqual(c.field, v, c.value)
	case "neq":
		return !vastEqual(c.field, v, c.value)
	case "in", "nin", "notin":
		list, _ := c.value.([]any)
		found := false
		for _, x := range list {
			found = found || vastEqual(c.field, v, x)
		}
		return found == (c.op == "in")
	}
	a, okA := vastNum(v)
	b, okB := vastNum(c.value)
	if !okA || !okB {
		return false
	}
	switch c.op {
	case "gt":
		return a > b
	case "lt":
		return a < b
	case "gte":
		return a >= b
	default: // lte
		return a <= b
	}
}

// vastEqual compares an offer value with a filter value. Strings compare
// case-insensitively with "_" standing for a space (the CLI writes
// "RTX_4090"); geolocation filters name a country code, which is matched
// against the code that ends the location text.
func vastEqual(field string, v, want any) bool {
	if a, ok := vastNum(v); ok {
		b, ok := vastNum(want)
		return ok && a == b
	}
	switch x := v.(type) {
	case bool:
		y, ok := want.(bool)
		return ok && x == y
	case string:
		y, ok := want.(string)
		if !ok {
			return false
		}
		if field == "geolocation" {
			if i := strings.LastIndexByte(x, ','); i >= 0 {
				x = x[i+1:]
			}
		}
		norm := func(s string) string { return strings.ToLower(strings.TrimSpace(strings.ReplaceAll(s, "_", " "))) }
		return norm(x) == norm(y)
	}
	return false
}

func vastNum(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}

// sort orders offers by the requested keys, then by id so that equal keys
// come back in a stable order across requests.
func (q vastSearch) sort(offers []map[string]any) {
	sort.SliceStable(offers, func(i, j int) bool {
		for _, k := range q.order {
			c := vastCompare(offers[i][k[0]], offers[j][k[0]])
			if k[1] == "desc" {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return vastCompare(offers[i]["id"], offers[j]["id"]) < 0
	})
}

func vastCompare(a, b any) int {
	if x, ok := vastNum(a); ok {
		if y, ok := vastNum(b); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	sa, _ := a.(string)
	sb, _ := b.(string)
	return strings.Compare(sa, sb)
}
