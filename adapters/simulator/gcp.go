package simulator

import (
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Google Cloud: GET /v1/services/6F81-5844-456A/skus?key=…&currencyCode=…
// &pageSize=…&pageToken=…, the Cloud Billing Catalog API. The body is
// {"skus": [sku…], "nextPageToken": "…"} ("" on the last page). A SKU prices
// one component of Compute Engine — a GPU, a vCPU or a GiB of RAM of a
// machine family, a GiB-month of local SSD — in the regions it lists; Spot
// rates are separate SKUs with usageType "Preemptible".
//
// Inventory items are therefore price-list components, not machines: one per
// component and billing location (Region is the location's first region,
// Attrs["regions"] all of them), Price the on-demand unit price (0 = no
// on-demand SKU there) and Spot the Spot unit price. GPU items price one
// GPU. The catalog has no stock signal, so Stock is never rendered.
func init() {
	registerProvider(providerSim{name: "gcp", inventory: gcpInventory, handler: gcpHandler})
}

const (
	gcpServiceID = "6F81-5844-456A"
	// gcpSimMaxPage is the most SKUs served per page. The live service has
	// tens of thousands of SKUs, so every real fetch pages; the simulator's
	// hundred-odd are cut small so the adapter's token loop is exercised.
	gcpSimMaxPage = 40
)

// gcpPlace is a billing location as SKU descriptions name it ("running in
// Americas") and the regions its SKUs list.
type gcpPlace struct {
	name    string
	regions []string
	mult    float64 // price relative to Americas
}

var gcpPlaces = map[string]gcpPlace{
	"Americas":    {"Americas", []string{"us-central1", "us-east1", "us-east5", "us-south1", "us-west1"}, 1},
	"Virginia":    {"Virginia", []string{"us-east4"}, 1.127},
	"Las Vegas":   {"Las Vegas", []string{"us-west4"}, 1.127},
	"Montreal":    {"Montreal", []string{"northamerica-northeast1"}, 1.1},
	"Sao Paulo":   {"Sao Paulo", []string{"southamerica-east1"}, 1.59},
	"Netherlands": {"Netherlands", []string{"europe-west4"}, 1.1},
	"Belgium":     {"Belgium", []string{"europe-west1"}, 1.1},
	"Frankfurt":   {"Frankfurt", []string{"europe-west3"}, 1.29},
	"London":      {"London", []string{"europe-west2"}, 1.29},
	"Tokyo":       {"Tokyo", []string{"asia-northeast1"}, 1.29},
	"Seoul":       {"Seoul", []string{"asia-northeast3"}, 1.29},
	"Singapore":   {"Singapore", []string{"asia-southeast1"}, 1.23},
	"Taiwan":      {"Taiwan", []string{"asia-east1"}, 1.1},
	"Mumbai":      {"Mumbai", []string{"asia-south1"}, 1.2},
	"Sydney":      {"Sydney", []string{"australia-southeast1"}, 1.41},
	"Tel Aviv":    {"Tel Aviv", []string{"me-west1"}, 1.1},
}

// gcpSimGPU is one GPU SKU family: its description, the host billing family
// machines with it use ("" when the GPU SKU covers the whole machine), its
// Americas rates and the locations that may sell it (the first always does).
type gcpSimGPU struct {
	desc   string
	family string
	mem    float64
	price  float64
	spot   float64 // fraction of the on-demand rate
	places []string
}

var gcpSimGPUs = []gcpSimGPU{
	{"Nvidia Tesla A100 GPU", "A2 Instance", 40, 2.933908, 0.4, []string{"Americas", "Netherlands", "Tokyo", "Singapore", "Taiwan", "Seoul", "Tel Aviv"}},
	{"Nvidia Tesla A100 80GB GPU", "A2 Instance", 80, 3.92808, 0.4, []string{"Americas", "Netherlands", "Singapore", "Tokyo"}},
	{"Nvidia H100 80GB GPU", "A3 Instance", 80, 9.79655, 0.3, []string{"Americas", "Virginia", "Netherlands", "Frankfurt", "Tokyo", "Singapore", "Taiwan", "Tel Aviv"}},
	{"Nvidia H100 80GB Mega GPU", "A3Plus Instance", 80, 10.34428, 0.3, []string{"Americas", "Virginia", "Netherlands", "Tokyo"}},
	{"H200 141GB GPU", "A3Ultra Instance", 141, 9.31174, 0.4, []string{"Americas", "Belgium", "Netherlands"}},
	{"A4 Nvidia B200 (1 gpu slice)", "", 180, 16.11, 0.35, []string{"Americas", "Netherlands"}},
	{"Nvidia L4 GPU", "G2 Instance", 24, 0.560211, 0.4, []string{"Americas", "Virginia", "Las Vegas", "Netherlands", "Belgium", "Frankfurt", "London", "Tokyo", "Singapore", "Taiwan", "Mumbai", "Sao Paulo"}},
	{"Nvidia Tesla T4 GPU", "N1 Predefined Instance", 16, 0.35, 0.4, []string{"Americas", "Virginia", "Las Vegas", "Montreal", "Sao Paulo", "Netherlands", "Belgium", "London", "Tokyo", "Seoul", "Singapore", "Mumbai", "Sydney"}},
	{"Nvidia Tesla V100 GPU", "N1 Predefined Instance", 16, 2.48, 0.4, []string{"Americas", "Netherlands", "Taiwan"}},
	{"Nvidia Tesla P100 GPU", "N1 Predefined Instance", 16, 1.46, 0.4, []string{"Americas", "Belgium", "Taiwan", "Sydney"}},
	{"Nvidia Tesla P4 GPU", "N1 Predefined Instance", 8, 0.60, 0.4, []string{"Americas", "Virginia", "Montreal", "Netherlands", "Singapore", "Sydney"}},
}

// gcpSimHosts are the Americas vCPU-hour and GiB-hour rates of each host
// billing family and its Spot fraction.
var gcpSimHosts = map[string][3]float64{
	"A2 Instance":            {0.031611, 0.004237, 0.4},
	"A3 Instance":            {0.029155, 0.002555, 0.3},
	"A3Plus Instance":        {0.029155, 0.002555, 0.3},
	"A3Ultra Instance":       {0.031253, 0.002610, 0.35},
	"G2 Instance":            {0.024988, 0.002927, 0.4},
	"N1 Predefined Instance": {0.031611, 0.004237, 0.2},
}

// gcpSimOthers are SKUs the adapter must not mistake for GPU machine
// components: commitments, custom and sole-tenant shapes, reservations,
// DWS, virtual workstation licences, CPU-only families, other resources.
var gcpSimOthers = []struct {
	desc, family, group, usage, unit string
	price                            float64
}{
	{"Commitment v1: A3 Cpu in Americas for 1 Year", "Compute", "CPU", "Commit1Yr", "h", 0.018369},
	{"Commitment v1: Nvidia H100 80GB GPU in Americas for 1 Year", "Compute", "GPU", "Commit1Yr", "h", 6.857585},
	{"Reserved Nvidia H100 80GB GPU running in Americas", "Compute", "GPU", "OnDemand", "h", 9.79655},
	{"DWS Defined Duration A3Ultra Instance Core running in Americas", "Compute", "CPU", "OnDemand", "h", 0.0195},
	{"N1 Custom Instance Core running in Americas", "Compute", "CPU", "OnDemand", "h", 0.033174},
	{"Sole Tenancy Instance Core running in Americas", "Compute", "CPU", "OnDemand", "h", 0.036},
	{"Nvidia Tesla T4 Virtual Workstation GPU running in Americas", "Compute", "GPU", "OnDemand", "h", 0.55},
	{"N2 Instance Core running in Americas", "Compute", "CPU", "OnDemand", "h", 0.031611},
	{"N2 Instance Ram running in Americas", "Compute", "RAM", "OnDemand", "GiBy.h", 0.004237},
	{"Storage PD Capacity", "Storage", "PDStandard", "OnDemand", "GiBy.mo", 0.04},
	{"Network Internet Egress from Americas to Americas", "Network", "PremiumInternetEgress", "OnDemand", "GiBy", 0.12},
}

func gcpInventory(r *rand.Rand) []Item {
	var items []Item
	hostPlaces := map[string]map[string]bool{}
	lssdPlaces := map[string]bool{}
	for _, g := range gcpSimGPUs {
		for i, name := range g.places {
			if i > 0 && r.Float64() < 0.55 {
				continue
			}
			pl := gcpPlaces[name]
			price := round4(g.price * pl.mult * between(r, 0.97, 1.03))
			spot := round4(price * g.spot * between(r, 0.85, 1.15))
			// Now and then a GPU is sold only as Spot in a location.
			if i > 0 && r.Float64() < 0.06 {
				price = 0
			}
			items = append(items, gcpItem(g.desc, pl, "Compute", "GPU", "h", price, spot, g.desc, g.mem))
			if g.family != "" {
				if hostPlaces[g.family] == nil {
					hostPlaces[g.family] = map[string]bool{}
				}
				hostPlaces[g.family][name] = true
				lssdPlaces[name] = true
			}
		}
	}
	families := make([]string, 0, len(hostPlaces))
	for f := range hostPlaces {
		families = append(families, f)
	}
	sort.Strings(families)
	for _, f := range families {
		rates := gcpSimHosts[f]
		for _, name := range gcpSortedPlaces(hostPlaces[f]) {
			pl := gcpPlaces[name]
			m := pl.mult * between(r, 0.98, 1.02)
			core, ram := gcpRound6(rates[0]*m), gcpRound6(rates[1]*m)
			items = append(items,
				gcpItem(f+" Core", pl, "Compute", "CPU", "h", core, gcpRound6(core*rates[2]), "", 0),
				gcpItem(f+" Ram", pl, "Compute", "RAM", "GiBy.h", ram, gcpRound6(ram*rates[2]), "", 0))
		}
	}
	for _, name := range gcpSortedPlaces(lssdPlaces) {
		pl := gcpPlaces[name]
		lssd := round4(0.08 * pl.mult * between(r, 0.98, 1.02))
		items = append(items, gcpItem("SSD backed Local Storage", pl, "Storage", "LocalSSD", "GiBy.mo", lssd, round4(lssd*0.6), "", 0))
	}
	for _, o := range gcpSimOthers {
		it := gcpItem(o.desc, gcpPlaces["Americas"], o.family, o.group, o.unit, gcpRound6(o.price*between(r, 0.98, 1.02)), 0, "", 0)
		it.Attrs["usage"] = o.usage
		it.Attrs["literal"] = "1"
		items = append(items, it)
	}
	return items
}

// gcpItem builds one component item; head is the description without its
// location.
func gcpItem(head string, pl gcpPlace, family, group, unit string, price, spot float64, gpu string, mem float64) Item {
	it := Item{
		ID:     gcpSKUID(head, pl.name, "OnDemand"),
		Region: pl.regions[0],
		Price:  price,
		Spot:   spot,
		Stock:  1,
		Attrs: map[string]string{
			"head": head, "place": pl.name, "regions": joinComma(pl.regions),
			"family": family, "group": group, "unit": unit,
		},
	}
	if gpu != "" {
		it.GPU, it.GPUMemGB, it.GPUCount = gpu, mem, 1
	}
	return it
}

func gcpSortedPlaces(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func gcpRound6(p float64) float64 { return math.Round(p*1e6) / 1e6 }

// gcpSKUID makes a stable SKU id shaped like Google's ("A1B2-C3D4-E5F6").
func gcpSKUID(parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		_, _ = h.Write([]byte(p + "\x00"))
	}
	s := fmt.Sprintf("%012X", h.Sum64()&0xffffffffffff)
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12]
}

// gcpUnits describes each usage unit as the API does.
var gcpUnits = map[string][4]string{
	"h":       {"hour", "s", "second", "3600"},
	"GiBy.h":  {"gibibyte hour", "By.s", "byte second", "3865470566400"},
	"GiBy.mo": {"gibibyte month", "By.s", "byte second", "2823317729280000"},
	"GiBy":    {"gibibyte", "By", "byte", "1073741824"},
}

// gcpCurrencies are the conversions the simulator offers besides USD.
var gcpCurrencies = map[string]float64{"USD": 1, "EUR": 0.92, "GBP": 0.79, "JPY": 150}

// gcpSKUs renders the snapshot: per item an on-demand SKU (unless its price
// is 0) and a Spot SKU (when it has a Spot rate), sorted by SKU id.
func gcpSKUs(items []Item, currency string, rate float64) []map[string]any {
	var out []map[string]any
	for _, it := range items {
		a := it.Attrs
		regions := splitComma(a["regions"])
		add := func(id, desc, usage string, price float64) {
			if price <= 0 {
				return
			}
			out = append(out, gcpSKUJSON(id, desc, a["family"], a["group"], usage, a["unit"], regions, price*rate, currency))
		}
		if a["literal"] != "" {
			add(it.ID, a["head"], a["usage"], it.Price)
			continue
		}
		add(it.ID, gcpDescription(a, false), "OnDemand", it.Price)
		add(gcpSKUID(a["head"], a["place"], "Preemptible"), gcpDescription(a, true), "Preemptible", it.Spot)
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["skuId"].(string) < out[j]["skuId"].(string) })
	return out
}

// gcpDescription words a component the way Google does: GPU Spot SKUs say
// "attached to Spot Preemptible VMs", vCPU/RAM Spot SKUs start with "Spot
// Preemptible", and local SSD says "in <place>" rather than "running in".
func gcpDescription(a map[string]string, spot bool) string {
	head, place := a["head"], a["place"]
	switch {
	case a["group"] == "LocalSSD" && spot:
		return head + " attached to Spot Preemptible VMs in " + place
	case a["group"] == "LocalSSD":
		return head + " in " + place
	case a["group"] == "GPU" && spot:
		return head + " attached to Spot Preemptible VMs running in " + place
	case spot:
		return "Spot Preemptible " + head + " running in " + place
	}
	return head + " running in " + place
}

func gcpSKUJSON(id, desc, family, group, usage, unit string, regions []string, price float64, currency string) map[string]any {
	units := math.Floor(price)
	nanos := math.Round((price - units) * 1e9)
	if nanos >= 1e9 {
		units, nanos = units+1, 0
	}
	u := gcpUnits[unit]
	factor, _ := strconv.ParseFloat(u[3], 64)
	geo := "REGIONAL"
	if len(regions) > 1 {
		geo = "MULTI_REGIONAL"
	}
	return map[string]any{
		"name":        "services/" + gcpServiceID + "/skus/" + id,
		"skuId":       id,
		"description": desc,
		"category": map[string]string{
			"serviceDisplayName": "Compute Engine", "resourceFamily": family,
			"resourceGroup": group, "usageType": usage,
		},
		"serviceRegions": regions,
		"pricingInfo": []map[string]any{{
			"summary": "",
			"pricingExpression": map[string]any{
				"usageUnit": unit, "displayQuantity": 1,
				"tieredRates": []map[string]any{{
					"startUsageAmount": 0,
					"unitPrice": map[string]any{
						"currencyCode": currency, "units": strconv.FormatInt(int64(units), 10), "nanos": int64(nanos),
					},
				}},
				"usageUnitDescription": u[0], "baseUnit": u[1], "baseUnitDescription": u[2],
				"baseUnitConversionFactor": factor,
			},
			"currencyConversionRate": gcpCurrencies[currency],
			"effectiveTime":          "2026-11-23T07:41:09.316Z",
		}},
		"serviceProviderName": "Google",
		"geoTaxonomy":         map[string]any{"type": geo, "regions": regions},
	}
}

// gcpError writes Google's JSON error envelope.
func gcpError(w http.ResponseWriter, code int, status, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}

func gcpHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/services/"+gcpServiceID+"/skus", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("key") == "" && bearer(r) == "" {
			// What googleapis.com answers a call without a key.
			gcpError(w, http.StatusForbidden, "PERMISSION_DENIED", "The request is missing a valid API key.")
			return
		}
		currency := q.Get("currencyCode")
		if currency == "" {
			currency = "USD"
		}
		rate, ok := gcpCurrencies[currency]
		if !ok {
			gcpError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Currency code "+currency+" is not supported.")
			return
		}
		size := gcpSimMaxPage
		if s := q.Get("pageSize"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				gcpError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid value for page_size.")
				return
			}
			if n > 0 {
				size = min(n, gcpSimMaxPage)
			}
		}
		offset := 0
		if t := q.Get("pageToken"); t != "" {
			n, ok := gcpDecodeToken(t)
			if !ok {
				gcpError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid page token.")
				return
			}
			offset = n
		}
		skus := gcpSKUs(p.Snapshot(), currency, rate)
		page := []map[string]any{}
		if offset < len(skus) {
			page = skus[offset:min(offset+size, len(skus))]
		}
		next := ""
		if offset+size < len(skus) {
			next = gcpEncodeToken(offset + size)
		}
		writeJSON(w, http.StatusOK, map[string]any{"skus": page, "nextPageToken": next})
	})
	return mux
}

// Page tokens are opaque to clients; these encode an offset.
func gcpEncodeToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("skus:" + strconv.Itoa(offset)))
}

func gcpDecodeToken(t string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return 0, false
	}
	s, ok := strings.CutPrefix(string(b), "skus:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}
