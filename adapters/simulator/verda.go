package simulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Verda (formerly DataCrunch): POST /v1/oauth2/token exchanges client
// credentials (JSON body, grant_type "client_credentials") for a Bearer
// token; GET /v1/instance-types?currency=usd lists every type with its
// specs and prices (decimal strings, as the API sends them); GET
// /v1/instance-availability?is_spot=true|false lists, per location, the
// types that can be deployed now. Every read needs a Bearer token; any
// non-empty one is accepted.
func init() {
	registerProvider(providerSim{name: "verda", inventory: verdaInventory, handler: verdaHandler})
}

var verdaLocations = []string{"FIN-01", "FIN-02", "FIN-03", "ICE-01"}

// verdaInventory holds one item per instance type: Price is the on-demand
// price of the whole instance (0 for spot-only types), Spot its spot price,
// Stock > 0 while it has capacity in the locations of Attrs "od" (on demand)
// and "spot".
func verdaInventory(r *rand.Rand) []Item {
	type family struct {
		code, desc, model string
		mem               float64 // per GPU, GB
		perGPU, spotShare float64
		cpus, ram         float64 // per GPU
		sizes             []int
		locs              []string
		spotOnly          bool
	}
	families := []family{
		{"H100.80S", "H100 SXM5 80GB", "H100", 80, 2.29, 0.42, 30, 120, []int{1, 2, 4, 8}, []string{"FIN-01", "FIN-02", "FIN-03", "ICE-01"}, false},
		{"H200.141S", "H200 SXM5 141GB", "H200", 141, 3.09, 0.40, 44, 185, []int{1, 2, 4, 8}, []string{"FIN-02", "FIN-03", "ICE-01"}, false},
		{"B200", "B200 SXM6 180GB", "B200", 180, 3.79, 0.40, 30, 184, []int{1, 2, 4, 8}, []string{"FIN-03", "ICE-01"}, false},
		{"B300", "B300 SXM6 262GB", "B300", 262, 4.95, 0.40, 30, 275, []int{8}, []string{"FIN-03"}, true},
		{"A100.80S", "A100 SXM4 80GB", "A100", 80, 1.797, 0.40, 22, 120, []int{1, 2, 4, 8}, []string{"FIN-01", "FIN-02", "ICE-01"}, false},
		{"A100", "A100 SXM4 40GB", "A100", 40, 1.282, 0.40, 22, 120, []int{1, 8}, []string{"FIN-01"}, false},
		{"L40S", "L40S 48GB", "L40S", 48, 0.91, 0.45, 20, 60, []int{1, 2, 4, 8}, []string{"FIN-01", "FIN-02"}, false},
		{"RTX6000ADA", "RTX 6000 Ada 48GB", "RTX 6000 Ada", 48, 0.83, 0.45, 10, 60, []int{1, 2, 4, 8}, []string{"FIN-01", "ICE-01"}, false},
		{"RTXPRO6000", "RTX PRO 6000 96GB", "RTX PRO 6000", 96, 1.39, 0.42, 30, 120, []int{1, 2, 4, 8}, []string{"FIN-02", "FIN-03"}, false},
		{"A6000", "RTX A6000 48GB", "RTX A6000", 48, 0.49, 0.45, 10, 60, []int{1, 2, 4, 8}, []string{"FIN-01"}, false},
		{"V100", "Tesla V100 16GB", "Tesla V100", 16, 0.39, 0.40, 6, 23, []int{1, 2, 4, 8}, []string{"FIN-01"}, false},
	}
	var items []Item
	for _, f := range families {
		for _, n := range f.sizes {
			cpus := int(f.cpus) * n
			id := fmt.Sprintf("%d%s.%dV", n, f.code, cpus)
			price := round4(f.perGPU * float64(n) * between(r, 0.97, 1.03))
			spot := round4(price * f.spotShare)
			var od, sp []string
			for _, l := range f.locs {
				if r.Float64() < 0.6 {
					od = append(od, l)
				}
				if r.Float64() < 0.7 {
					sp = append(sp, l)
				}
			}
			if f.spotOnly {
				od, price = nil, 0
				spot = round4(f.perGPU * float64(n) * 0.4)
			}
			stock := 1 + r.IntN(4)
			if r.Float64() < 0.15 {
				stock = 0 // sold out everywhere
			}
			items = append(items, Item{
				ID: id, GPU: f.desc, GPUMemGB: f.mem, GPUCount: float64(n), VCPUs: float64(cpus),
				RAMGB: f.ram * float64(n), Price: price, Spot: spot, Stock: stock,
				Attrs: map[string]string{"model": f.model, "od": joinComma(od), "spot": joinComma(sp)},
			})
		}
	}
	// CPU-only types share the same list.
	for _, c := range []struct {
		vcpus, ram int
		price      float64
	}{{4, 16, 0.12}, {32, 128, 0.96}, {120, 480, 3.0}} {
		items = append(items, Item{
			ID: fmt.Sprintf("CPU.%dV.%dG", c.vcpus, c.ram), VCPUs: float64(c.vcpus), RAMGB: float64(c.ram),
			Price: c.price, Spot: round4(c.price * 0.5), Stock: 5,
			Attrs: map[string]string{"model": "CPU Node", "od": "FIN-01,FIN-02,ICE-01", "spot": "FIN-01"},
		})
	}
	return items
}

func verdaHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			GrantType    string `json:"grant_type"`
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
			verdaError(w, http.StatusBadRequest, "invalid_request", "Request body is not valid JSON")
			return
		}
		if req.GrantType != "client_credentials" {
			verdaError(w, http.StatusBadRequest, "invalid_request", "grant_type not specified or unsupported grant type")
			return
		}
		if req.ClientID == "" || req.ClientSecret == "" {
			verdaError(w, http.StatusUnauthorized, "unauthorized_request", "Invalid client credentials")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"access_token": "sim-access-" + req.ClientID, "refresh_token": "sim-refresh-" + req.ClientID,
			"scope": "cloud-api-v1", "token_type": "Bearer", "expires_in": 3600,
		})
	})
	mux.HandleFunc("GET /v1/instance-types", func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) == "" {
			verdaError(w, http.StatusUnauthorized, "unauthorized_request", "Access token is missing or invalid")
			return
		}
		currency := strings.ToLower(r.URL.Query().Get("currency"))
		if currency == "" {
			currency = "usd"
		}
		if currency != "usd" && currency != "eur" {
			verdaError(w, http.StatusBadRequest, "invalid_request", "Invalid currency")
			return
		}
		out := []map[string]any{}
		for _, it := range p.Snapshot() {
			out = append(out, verdaRender(it, currency))
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("GET /v1/instance-availability", func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) == "" {
			verdaError(w, http.StatusUnauthorized, "unauthorized_request", "Access token is missing or invalid")
			return
		}
		q := r.URL.Query()
		key := "od"
		if spot, _ := strconv.ParseBool(q.Get("is_spot")); spot {
			key = "spot"
		}
		only := q.Get("location_code")
		byLoc := map[string][]string{}
		for _, it := range p.Snapshot() {
			if it.Stock <= 0 {
				continue
			}
			for _, l := range splitComma(it.Attrs[key]) {
				byLoc[l] = append(byLoc[l], it.ID)
			}
		}
		out := []map[string]any{}
		for _, l := range verdaLocations {
			if only != "" && only != l {
				continue
			}
			types := byLoc[l]
			sort.Strings(types)
			if types == nil {
				types = []string{}
			}
			out = append(out, map[string]any{"location_code": l, "availabilities": types})
		}
		writeJSON(w, http.StatusOK, out)
	})
	return mux
}

// verdaRender renders one item as an /v1/instance-types element. Prices are
// decimal strings; a spot-only type has "0.00" as its on-demand price.
func verdaRender(it Item, currency string) map[string]any {
	n := int(it.GPUCount)
	gpuDesc, memDesc := "", ""
	if n > 0 {
		gpuDesc = fmt.Sprintf("%dx %s", n, it.GPU)
		memDesc = fmt.Sprintf("%dGB GPU RAM", int(it.GPUMemGB)*n)
	}
	name := it.GPU
	if n == 0 {
		name = "AMD EPYC"
	}
	return map[string]any{
		"id":                verdaUUID(it.ID),
		"instance_type":     it.ID,
		"model":             it.Attrs["model"],
		"name":              name,
		"description":       "Dedicated Hardware Instance",
		"manufacturer":      map[bool]string{true: "NVIDIA", false: "AMD"}[n > 0],
		"cpu":               map[string]any{"description": fmt.Sprintf("%d CPU", int(it.VCPUs)), "number_of_cores": int(it.VCPUs)},
		"gpu":               map[string]any{"description": gpuDesc, "number_of_gpus": n},
		"gpu_memory":        map[string]any{"description": memDesc, "size_in_gigabytes": int(it.GPUMemGB) * n},
		"memory":            map[string]any{"description": fmt.Sprintf("%dGB RAM", int(it.RAMGB)), "size_in_gigabytes": int(it.RAMGB)},
		"storage":           map[string]any{"description": "dynamic"},
		"price_per_hour":    strconv.FormatFloat(it.Price, 'f', 2, 64),
		"spot_price":        strconv.FormatFloat(it.Spot, 'f', 2, 64),
		"dynamic_price":     strconv.FormatFloat(it.Price*0.9, 'f', 2, 64),
		"currency":          currency,
		"best_for":          []string{},
		"supported_os":      []string{"ubuntu-22.04", "ubuntu-24.04"},
		"p2p":               nil,
		"display_name":      nil,
		"deploy_warning":    nil,
		"max_dynamic_price": strconv.FormatFloat(it.Price*1.2, 'f', 2, 64),
	}
}

// verdaUUID derives a stable uuid-shaped id from an instance type name.
func verdaUUID(s string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", uint32(h>>32), uint16(h>>16), uint16(h)&0xfff, uint16(h>>4)&0xfff, h&0xffffffffffff)
}

func verdaError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}
