package adapters

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

const (
	// gcpSKUsPath lists the SKUs of the Compute Engine service.
	gcpSKUsPath = "/v1/services/6F81-5844-456A/skus"
	// gcpPageSize is the largest page the API serves; Compute Engine has
	// tens of thousands of SKUs, so a fetch is still several pages.
	gcpPageSize = 5000
	// gcpMaxPages bounds one fetch far above the real page count.
	gcpMaxPages = 1000
	// gcpMaxUnitPrice rejects absurd rates (no component costs this per
	// unit-hour) before they can overflow a machine's sum.
	gcpMaxUnitPrice = 100000
	// gcpMinPrice is the cheapest machine-hour we believe; below it the
	// per-GPU price would round to zero.
	gcpMinPrice = 0.001
	// gcpHoursPerMonth converts per-GiB-month local SSD rates, as Google's
	// own pricing pages do.
	gcpHoursPerMonth = 730
)

// Google Cloud: GET {base}/v1/services/6F81-5844-456A/skus?key=…&currencyCode=USD
// &pageSize=…&pageToken=…, the Cloud Billing Catalog API, with an API key in
// the query. The response is {"skus": [...], "nextPageToken": "..."}; each SKU
// prices one component (a GPU, a vCPU or a GiB of RAM of one machine family,
// a GiB of local SSD) in the regions listed in serviceRegions, on demand or
// as Spot ("Preemptible"). Machine prices are assembled from the static
// machine table in gcp_machines.go.
// https://cloud.google.com/billing/docs/reference/rest/v1/services.skus/list
var gcpInfo = Info{
	Name:           "gcp",
	DisplayName:    "Google Cloud",
	DefaultBaseURL: "https://cloudbilling.googleapis.com",
	DocsURL:        "https://cloud.google.com/billing/docs/reference/rest/v1/services.skus/list",
	NeedsKey:       true,
	KeyEnv:         "GCP_API_KEY",
	sendKey:        keyScheme{query: "key"},
}

func init() { register(gcpInfo, newGCP) }

type gcp struct{ provider }

func newGCP(cfg Config) *gcp { return &gcp{newProvider(gcpInfo, cfg)} }

// gcpSKUPage is one page of services.skus.list.
type gcpSKUPage struct {
	SKUs          []gcpSKU `json:"skus"`
	NextPageToken string   `json:"nextPageToken"`
}

// gcpSKU holds the fields of one SKU that we use; geoTaxonomy, name and
// the pricing summary are ignored by the decoder.
type gcpSKU struct {
	SKUID       string `json:"skuId"`
	Description string `json:"description"`
	Category    struct {
		ResourceFamily string `json:"resourceFamily"`
		ResourceGroup  string `json:"resourceGroup"`
		UsageType      string `json:"usageType"`
	} `json:"category"`
	ServiceRegions []string         `json:"serviceRegions"`
	PricingInfo    []gcpPricingInfo `json:"pricingInfo"`

	// malformed marks a SKU whose fields had unexpected JSON types; it is
	// skipped rather than failing the whole page.
	malformed bool
}

func (s *gcpSKU) UnmarshalJSON(b []byte) error {
	type plain gcpSKU
	s.malformed = !decodeLenient(b, (*plain)(s))
	return nil
}

type gcpPricingInfo struct {
	PricingExpression struct {
		UsageUnit   string `json:"usageUnit"`
		TieredRates []struct {
			StartUsageAmount float64  `json:"startUsageAmount"`
			UnitPrice        gcpMoney `json:"unitPrice"`
		} `json:"tieredRates"`
	} `json:"pricingExpression"`
}

// gcpMoney is google.type.Money: whole units (an int64, which the JSON
// mapping writes as a string) plus nanos.
type gcpMoney struct {
	CurrencyCode string   `json:"currencyCode"`
	Units        gcpInt64 `json:"units"`
	Nanos        int64    `json:"nanos"`
}

// gcpInt64 accepts an int64 written as a JSON string, as the API does, or
// as a bare number.
type gcpInt64 int64

func (n *gcpInt64) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(bytes.TrimSpace(b), `"`)
	if len(b) == 0 || string(b) == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("units %q: %w", b, err)
	}
	*n = gcpInt64(v)
	return nil
}

func (g *gcp) Fetch(ctx context.Context) ([]shared.Offer, error) {
	var all []gcpSKU
	seen := map[string]bool{}
	token := ""
	for pages := 0; ; pages++ {
		if pages >= gcpMaxPages {
			return nil, g.errorf(shared.ErrKindUpstream, "more than %d pages of SKUs", gcpMaxPages)
		}
		q := url.Values{}
		q.Set("currencyCode", "USD")
		q.Set("pageSize", strconv.Itoa(gcpPageSize))
		if token != "" {
			q.Set("pageToken", token)
		}
		var page gcpSKUPage
		if err := g.get(ctx, gcpSKUsPath+"?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		all = append(all, page.SKUs...)
		token = page.NextPageToken
		if token == "" {
			break
		}
		if seen[token] {
			return nil, g.errorf(shared.ErrKindUpstream, "page token repeated after %d pages", pages+1)
		}
		seen[token] = true
	}
	offers, err := parseGCP(all, g.origin(gcpSKUsPath))
	if err != nil {
		return nil, err
	}
	return gcpFilterRegions(offers, g.cfg.Regions), nil
}

// gcpFilterRegions keeps the offers in the configured regions; none configured
// keeps all.
func gcpFilterRegions(offers []shared.Offer, regions []string) []shared.Offer {
	if len(regions) == 0 {
		return offers
	}
	want := map[string]bool{}
	for _, r := range regions {
		want[strings.ToLower(strings.TrimSpace(r))] = true
	}
	out := offers[:0]
	for _, o := range offers {
		if want[o.Region] {
			out = append(out, o)
		}
	}
	return out
}

// gcpRateKey names one component's rate in one region.
type gcpRateKey struct {
	comp   string // "gpu:<accel>", "core:<family>", "ram:<family>" or "lssd"
	region string
	spot   bool
}

// gcpRate is a component rate per unit-hour. scope is how many regions the
// SKU it came from covers: when two SKUs price the same component in a
// region (an "Americas" SKU and a "Virginia" one), the narrower one wins.
type gcpRate struct {
	price float64
	scope int
}

// gcpGPUBySKU maps a GPU SKU description to its gcpAccels key.
var gcpGPUBySKU = func() map[string]string {
	m := map[string]string{}
	for k, a := range gcpAccels {
		for _, d := range a.skus {
			m[d] = k
		}
	}
	return m
}()

// parseGCP builds the rate table from the SKUs and prices every machine in
// every region where its GPU and (for unbundled families) its vCPU, RAM and
// local SSD have a rate. The catalog has no stock signal: a GPU SKU lists
// only the regions where Google sells that GPU, so every priced machine is
// reported "available".
func parseGCP(skus []gcpSKU, at origin) ([]shared.Offer, error) {
	rates := map[gcpRateKey]gcpRate{}
	gpuRegions := map[string]map[string]bool{}
	for i := range skus {
		comp, spot, price, ok := gcpComponent(&skus[i])
		if !ok {
			continue
		}
		scope := len(skus[i].ServiceRegions)
		for _, region := range skus[i].ServiceRegions {
			region = strings.ToLower(strings.TrimSpace(region))
			if region == "" {
				continue
			}
			k := gcpRateKey{comp, region, spot}
			if old, dup := rates[k]; dup && old.scope <= scope {
				continue
			}
			rates[k] = gcpRate{price, scope}
			if strings.HasPrefix(comp, "gpu:") {
				if gpuRegions[comp] == nil {
					gpuRegions[comp] = map[string]bool{}
				}
				gpuRegions[comp][region] = true
			}
		}
	}
	var out []shared.Offer
	for _, m := range gcpMachines {
		acc := gcpAccels[m.accel]
		for _, region := range slices.Sorted(maps.Keys(gpuRegions["gpu:"+m.accel])) {
			od, okOD := gcpMachinePrice(rates, m, region, false)
			sp, okSP := gcpMachinePrice(rates, m, region, true)
			okOD, okSP = okOD && od >= gcpMinPrice, okSP && sp >= gcpMinPrice
			if !okOD && !okSP {
				continue
			}
			o := at.stamp(shared.Offer{
				ID:           at.id(m.name, region),
				InstanceType: m.name,
				VCPUs:        m.vcpus,
				RAMGB:        m.ramGiB,
				DiskGB:       m.lssdGiB,
				Currency:     "USD",
				Availability: shared.Available,
			})
			o.SetGPU(acc.name, acc.memGB, m.gpus)
			switch {
			case okOD && okSP:
				o.SetPrices(od, sp)
			case okOD:
				o.SetPrices(od, 0)
			default:
				// Sold only as Spot in this region.
				o.SetPrices(sp, 0)
				o.Interruptible = true
			}
			loc := gcpLocation(region)
			o.SetLocation(region, loc)
			o.ComplianceTags = withGDPR(loc, "soc2", "iso27001", "hipaa", "pci-dss")
			out = append(out, o)
		}
	}
	if len(skus) > 0 && len(gpuRegions) > 0 && len(out) == 0 {
		return nil, at.fail("%d SKUs price GPUs but no machine has all its components priced", len(skus))
	}
	return out, nil
}

// gcpComponent classifies one SKU: which component it prices, whether it is
// the Spot rate, and the price per unit-hour (per GPU, vCPU or GiB). SKUs
// for commitments, sole tenancy, custom shapes, reservations, DWS and
// virtual workstations fall through, as do other services and families:
// only the exact descriptions in gcp_machines.go are recognised.
func gcpComponent(s *gcpSKU) (comp string, spot bool, price float64, ok bool) {
	if s.malformed {
		return "", false, 0, false
	}
	switch s.Category.UsageType {
	case "OnDemand":
	case "Preemptible":
		spot = true
	default:
		return "", false, 0, false
	}
	unit, price, ok := gcpUnitPrice(s.PricingInfo)
	if !ok {
		return "", false, 0, false
	}
	head := gcpSKUHead(s.Description)
	switch {
	case s.Category.ResourceFamily == "Storage":
		if head == gcpLocalSSD && unit == "GiBy.mo" {
			return "lssd", spot, price / gcpHoursPerMonth, true
		}
	case s.Category.ResourceFamily != "Compute":
	case gcpGPUBySKU[head] != "":
		if unit == "h" {
			return "gpu:" + gcpGPUBySKU[head], spot, price, true
		}
	case strings.HasSuffix(head, " Core"):
		if fam := gcpHostFamilies[strings.TrimSuffix(head, " Core")]; fam != "" && unit == "h" {
			return "core:" + fam, spot, price, true
		}
	case strings.HasSuffix(head, " Ram"):
		if fam := gcpHostFamilies[strings.TrimSuffix(head, " Ram")]; fam != "" && unit == "GiBy.h" {
			return "ram:" + fam, spot, price, true
		}
	}
	return "", false, 0, false
}

// gcpUnitPrice reads the current price: the last pricingInfo entry (the
// list is chronological) and its first tier, in USD.
func gcpUnitPrice(infos []gcpPricingInfo) (unit string, price float64, ok bool) {
	if len(infos) == 0 {
		return "", 0, false
	}
	pe := infos[len(infos)-1].PricingExpression
	if len(pe.TieredRates) == 0 {
		return "", 0, false
	}
	m := pe.TieredRates[0].UnitPrice
	if m.CurrencyCode != "" && m.CurrencyCode != "USD" {
		return "", 0, false
	}
	if m.Units < 0 || m.Units > gcpMaxUnitPrice || m.Nanos < 0 || m.Nanos >= 1e9 {
		return "", 0, false
	}
	price = float64(m.Units) + float64(m.Nanos)/1e9
	if !(price > 0) {
		return "", 0, false
	}
	return pe.UsageUnit, price, true
}

// gcpSKUHead strips the location and the Spot wording from a description:
// "Nvidia H100 80GB GPU attached to Spot Preemptible VMs running in
// Americas" and "Spot Preemptible A3 Instance Core running in Americas"
// become "Nvidia H100 80GB GPU" and "A3 Instance Core"; local SSD SKUs say
// "in <place>" rather than "running in <place>".
func gcpSKUHead(desc string) string {
	d := strings.TrimSpace(desc)
	d = strings.TrimPrefix(d, "Spot Preemptible ")
	d = strings.TrimPrefix(d, "Preemptible ")
	d = strings.Replace(d, " attached to Spot Preemptible VMs", "", 1)
	if i := strings.Index(d, " running in "); i >= 0 {
		return d[:i]
	}
	if i := strings.LastIndex(d, " in "); i >= 0 {
		return d[:i]
	}
	return d
}

// gcpMachinePrice sums a machine's components in one region; ok is false
// when any component has no rate there.
func gcpMachinePrice(rates map[gcpRateKey]gcpRate, m gcpMachine, region string, spot bool) (float64, bool) {
	rate := func(comp string) (float64, bool) {
		r, ok := rates[gcpRateKey{comp, region, spot}]
		return r.price, ok
	}
	gpu, ok := rate("gpu:" + m.accel)
	if !ok {
		return 0, false
	}
	total := m.gpus * gpu
	if m.family == "" {
		return total, true
	}
	core, okC := rate("core:" + m.family)
	ram, okR := rate("ram:" + m.family)
	if !okC || !okR {
		return 0, false
	}
	total += m.vcpus*core + m.ramGiB*ram
	if m.lssdGiB > 0 {
		lssd, ok := rate("lssd")
		if !ok {
			return 0, false
		}
		total += m.lssdGiB * lssd
	}
	return total, true
}

func gcpLocation(region string) shared.Location {
	if r, ok := gcpRegions[region]; ok {
		return shared.Locate(r[0], r[1])
	}
	return shared.Location{}
}
