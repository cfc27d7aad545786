package simulator

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// Hot Aisle: every call needs "Authorization: Token <key>" (else 401 with
// a {"detail": ...} body). GET /api/user/ names the caller's teams; GET
// /api/teams/{team}/virtual_machines/available/ and
// /api/teams/{team}/bare_metal/available/ list the configurations in stock
// as a JSON array, or null when nothing is. Prices are US cents per hour.
func init() {
	registerProvider(providerSim{name: "hotaisle", inventory: hotaisleInventory, handler: hotaisleHandler})
}

// hotaisleSimTeam is the one team the simulator's keys belong to.
const hotaisleSimTeam = "gpubroker-sim"

// hotaisleInventory holds one item per listed configuration: Stock is its
// Quantity, Attrs["kind"] is "vm" or "bm" and Attrs["cpu"] the CPU model.
// Hot Aisle sells only a handful of shapes, so the list is short.
func hotaisleInventory(r *rand.Rand) []Item {
	type host struct {
		gpu              string
		mem              float64 // GiB per GPU
		cpu              string
		sockets          int
		cores, ramGiB    float64 // whole host
		diskGiB          float64
		vmCents, bmCents float64 // per GPU-hour
	}
	hosts := []host{
		{gpu: "MI300X", mem: 192, cpu: "Xeon Platinum 8470", sockets: 2, cores: 104, ramGiB: 1792, diskGiB: 98304,
			vmCents: 199, bmCents: 339},
		{gpu: "MI300X", mem: 192, cpu: "EPYC 9654", sockets: 2, cores: 192, ramGiB: 2048, diskGiB: 61440,
			vmCents: 209, bmCents: 325},
		{gpu: "MI355X", mem: 288, cpu: "EPYC 9575F", sockets: 2, cores: 128, ramGiB: 3072, diskGiB: 122880,
			vmCents: 279, bmCents: 349},
	}
	var items []Item
	add := func(h host, kind string, gpus, cores, ramGiB, diskGiB, cents float64) {
		stock := 1 + r.IntN(6)
		if r.Float64() < 0.15 {
			stock = 0
		}
		id := kind + "-" + strconv.Itoa(int(gpus)) + "x-" + strings.ToLower(h.gpu) + "-" + strconv.Itoa(int(cores)) + "c"
		items = append(items, Item{
			ID: id, GPU: h.gpu, GPUMemGB: h.mem, GPUCount: gpus, VCPUs: cores, RAMGB: ramGiB, DiskGB: diskGiB,
			Region: "us-michigan-1", Price: round4(cents * gpus / 100 * between(r, 0.97, 1.03)), Stock: stock,
			Attrs: map[string]string{"kind": kind, "cpu": h.cpu, "sockets": strconv.Itoa(h.sockets)},
		})
	}
	// Each 8-GPU host is sold as 1-, 2-, 4- and 8-GPU VMs (a matching share
	// of its cores, memory and disk) and whole as bare metal.
	for _, h := range hosts {
		for _, n := range []float64{1, 2, 4, 8} {
			share := n / 8
			add(h, "vm", n, h.cores*share, h.ramGiB*share, h.diskGiB*share, h.vmCents)
		}
		add(h, "bm", 8, h.cores, h.ramGiB+256, h.diskGiB+16384, h.bmCents)
	}
	return items
}

func hotaisleHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	authed := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			auth := r.Header.Get("Authorization")
			if !strings.HasPrefix(auth, "Token ") || strings.TrimSpace(auth[6:]) == "" {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "Authentication credentials were not provided."})
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /api/user/", authed(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"email": "sim@gpubroker.invalid", "name": "Simulated user",
			"teams": []map[string]any{{"handle": hotaisleSimTeam, "name": "GPUBroker simulator", "role": "owner"}},
		})
	}))
	listing := func(kind string) http.HandlerFunc {
		return authed(func(w http.ResponseWriter, r *http.Request) {
			if r.PathValue("team") != hotaisleSimTeam {
				writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
				return
			}
			var out []map[string]any
			for _, it := range p.Snapshot() {
				if it.Attrs["kind"] != kind || it.Stock <= 0 {
					continue
				}
				out = append(out, hotaisleEntry(it))
			}
			writeJSON(w, http.StatusOK, out) // nil renders as null, as Hot Aisle answers when sold out
		})
	}
	mux.HandleFunc("GET /api/teams/{team}/virtual_machines/available/", listing("vm"))
	mux.HandleFunc("GET /api/teams/{team}/bare_metal/available/", listing("bm"))
	return mux
}

// hotaisleEntry renders one configuration: the VM listing describes its
// CPU as one object, the bare-metal listing as a list of sockets.
func hotaisleEntry(it Item) map[string]any {
	const gib = 1 << 30
	sockets, _ := strconv.Atoi(it.Attrs["sockets"])
	gpus := []map[string]any{{"count": int(it.GPUCount), "manufacturer": "AMD", "model": it.GPU}}
	var cpus any = map[string]any{"count": 1, "model": it.Attrs["cpu"]}
	minutes := 0
	if it.Attrs["kind"] == "bm" {
		cpus = []map[string]any{{"count": sockets, "manufacturer": hotaisleCPUMaker(it.Attrs["cpu"]), "model": it.Attrs["cpu"],
			"cores": int(it.VCPUs) / max(sockets, 1), "frequency": 2000000000}}
		minutes = 480
	}
	return map[string]any{
		"Quantity":                  it.Stock,
		"OnDemandPrice":             int64(it.Price*100 + 0.5),
		"MinimumReservationMinutes": minutes,
		"Specs": map[string]any{
			"cpu_cores":     int(it.VCPUs),
			"ram_capacity":  int64(it.RAMGB * gib),
			"disk_capacity": int64(it.DiskGB * gib),
			"cpus":          cpus,
			"gpus":          gpus,
		},
	}
}

func hotaisleCPUMaker(model string) string {
	if strings.HasPrefix(model, "EPYC") {
		return "AMD"
	}
	return "Intel"
}
