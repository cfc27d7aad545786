package adapters

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

const (
	azurePricesPath = "/api/retail/prices"
	azureAPIVersion = "2023-01-01-preview"
	// azureProdHost is where the API's NextPageLink points, whatever base
	// URL we were configured with.
	azureProdHost = "prices.azure.com"
	// azureMaxPages bounds one fetch; the GPU query is a few dozen pages.
	azureMaxPages = 1000
	// azureRegionsPerQuery keeps a region-limited $filter well under the
	// ~20 comparisons the service accepts before answering 400.
	azureRegionsPerQuery = 8
	// azureMaxPrice rejects absurd rows (no VM costs this per hour) before
	// they can overflow the price rounding.
	azureMaxPrice = 100000
)

// Azure: GET {base}/api/retail/prices?api-version=2023-01-01-preview&$filter=…,
// the unauthenticated Retail Prices API. One query asks for every N-series
// (GPU) Linux/Windows pay-as-you-go meter; pages are followed through
// NextPageLink. GPU specs are not in the price data: they come from the
// static size table in azure_sizes.go.
// https://learn.microsoft.com/en-us/rest/api/cost-management/retail-prices/azure-retail-prices
var azureInfo = Info{
	Name:           "azure",
	DisplayName:    "Microsoft Azure",
	DefaultBaseURL: "https://" + azureProdHost,
	DocsURL:        "https://learn.microsoft.com/en-us/rest/api/cost-management/retail-prices/azure-retail-prices",
}

func init() { register(azureInfo, newAzure) }

type azure struct{ provider }

func newAzure(cfg Config) *azure { return &azure{newProvider(azureInfo, cfg)} }

// azurePricesResponse is one page of the Retail Prices API.
type azurePricesResponse struct {
	BillingCurrency    string      `json:"BillingCurrency"`
	CustomerEntityID   string      `json:"CustomerEntityId"`
	CustomerEntityType string      `json:"CustomerEntityType"`
	Items              []azureItem `json:"Items"`
	NextPageLink       *string     `json:"NextPageLink"`
	Count              int         `json:"Count"`
}

// azureItem is one price meter. Only the fields the parser reads are
// declared; the others (meterId, productId, skuId, serviceId, …) are
// ignored by the decoder.
type azureItem struct {
	CurrencyCode         string  `json:"currencyCode"`
	RetailPrice          float64 `json:"retailPrice"`
	ArmRegionName        string  `json:"armRegionName"`
	Location             string  `json:"location"`
	EffectiveStartDate   string  `json:"effectiveStartDate"`
	MeterName            string  `json:"meterName"`
	ProductName          string  `json:"productName"`
	SkuName              string  `json:"skuName"`
	ServiceName          string  `json:"serviceName"`
	UnitOfMeasure        string  `json:"unitOfMeasure"`
	Type                 string  `json:"type"`
	IsPrimaryMeterRegion bool    `json:"isPrimaryMeterRegion"`
	ArmSkuName           string  `json:"armSkuName"`
}

func (a *azure) Fetch(ctx context.Context) ([]shared.Offer, error) {
	filters := azureFilters(a.cfg.Regions)
	if len(filters) == 0 {
		return nil, a.errorf(shared.ErrKindInternal, "none of the %d configured regions is an Azure region code", len(a.cfg.Regions))
	}
	var all azurePricesResponse
	pages := 0
	for _, filter := range filters {
		next := a.base + azurePricesPath + "?api-version=" + azureAPIVersion + "&$filter=" + odataEscape(filter)
		for next != "" {
			if pages++; pages > azureMaxPages {
				return nil, a.errorf(shared.ErrKindUpstream, "more than %d pages of prices", azureMaxPages)
			}
			var page azurePricesResponse
			if err := a.send(ctx, call{method: http.MethodGet, url: next}, &page); err != nil {
				return nil, err
			}
			all.Items = append(all.Items, page.Items...)
			next = ""
			if page.NextPageLink != nil && *page.NextPageLink != "" && len(page.Items) > 0 {
				u, err := a.followLink(*page.NextPageLink)
				if err != nil {
					return nil, a.errorf(shared.ErrKindUpstream, "following NextPageLink: %w", err)
				}
				next = u
			}
		}
	}
	return parseAzure(all, a.origin(azurePricesPath))
}

// azureFilters builds the $filter of each query: pay-as-you-go VM meters of
// every N-series size (all GPU sizes are N-series; the FPGA NP sizes that
// also match are dropped by the size table). Without configured regions one
// query covers every region; with them the region clause is split so no
// filter grows past what the service accepts, and none is returned when no
// configured region is a valid code. Windows, Spot and Low Priority meters
// are not excluded here: the service rejects not(...) and the parser needs
// the Spot rows anyway.
func azureFilters(regions []string) []string {
	const base = "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and contains(armSkuName, 'Standard_N')"
	var clean []string
	seen := map[string]bool{}
	for _, r := range regions {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == "" || seen[r] || !isAzureRegionCode(r) {
			continue
		}
		seen[r] = true
		clean = append(clean, r)
	}
	if len(regions) == 0 {
		return []string{base}
	}
	var out []string
	for len(clean) > 0 {
		n := min(len(clean), azureRegionsPerQuery)
		terms := make([]string, n)
		for i, r := range clean[:n] {
			terms[i] = "armRegionName eq '" + r + "'"
		}
		out = append(out, base+" and ("+strings.Join(terms, " or ")+")")
		clean = clean[n:]
	}
	return out
}

// isAzureRegionCode accepts armRegionName-shaped codes only, so a configured
// region can never inject OData syntax into the filter.
func isAzureRegionCode(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return len(s) > 0 && len(s) <= 40
}

// odataEscape percent-encodes a $filter value; spaces become %20 rather
// than '+', which not every OData server reads as a space.
func odataEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// followLink turns a NextPageLink into the URL to request. The service
// writes absolute links to its production host (often with an explicit
// :443); when we were pointed elsewhere (the simulator, a proxy) the link is
// moved onto our base URL so paging stays on the same server. Links to any
// other host are refused rather than followed.
func (a *azure) followLink(link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("unparsable link: %w", err)
	}
	base, err := url.Parse(a.base)
	if err != nil {
		return "", fmt.Errorf("invalid base URL: %w", err)
	}
	switch {
	case u.Host != "" && u.Host == base.Host && u.Scheme == base.Scheme:
		return u.String(), nil
	case strings.EqualFold(u.Hostname(), azureProdHost) && strings.HasSuffix(u.EscapedPath(), azurePricesPath):
		next := a.base + azurePricesPath
		if u.RawQuery != "" {
			next += "?" + u.RawQuery
		}
		return next, nil
	}
	return "", errors.New("link points at an unexpected host: " + redactURL(link))
}

// azureMeter is the kind of price one row carries.
type azureMeter int

const (
	azureSkip azureMeter = iota
	azureOnDemand
	azureSpot
)

// azureKind classifies a row: only Linux pay-as-you-go hourly USD meters
// are offers. Windows rows include the licence; Low Priority (Batch) meters
// are being retired and are not VM offers; Spot rows are the spot price of
// the same size and region.
func azureKind(it *azureItem) azureMeter {
	switch {
	case it.Type != "" && it.Type != "Consumption",
		it.ServiceName != "" && it.ServiceName != "Virtual Machines",
		it.CurrencyCode != "" && it.CurrencyCode != "USD",
		!azureHourly(it.UnitOfMeasure),
		strings.Contains(it.ProductName, "Windows"),
		strings.Contains(it.SkuName, "Low Priority") || strings.Contains(it.MeterName, "Low Priority"),
		!(it.RetailPrice > 0) || it.RetailPrice > azureMaxPrice,
		it.ArmRegionName == "":
		return azureSkip
	case strings.Contains(it.SkuName, "Spot") || strings.Contains(it.MeterName, "Spot"):
		return azureSpot
	}
	return azureOnDemand
}

func azureHourly(unit string) bool {
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "1 hour", "1/hour", "":
		return true
	}
	return false
}

// azurePair collects the on-demand and spot meter of one size in one region.
type azurePair struct {
	size, region   string
	spec           azureSize
	onDemand, spot *azureItem
}

// parseAzure merges each size's on-demand and Spot meters per region into
// one offer. Sizes the table does not know are not GPU offers we can
// describe and are skipped; so are Windows, Low Priority and non-hourly
// meters. A size priced only as Spot becomes an interruptible offer.
//
// Availability: the price list says nothing about capacity, so every priced
// size is reported Available; a listed price means Azure sells the size in
// that region, not that quota or stock is free right now.
func parseAzure(resp azurePricesResponse, at origin) ([]shared.Offer, error) {
	pairs := map[[2]string]*azurePair{}
	wellFormed := 0
	for i := range resp.Items {
		it := &resp.Items[i]
		if it.ArmSkuName != "" && it.RetailPrice > 0 {
			wellFormed++
		}
		kind := azureKind(it)
		if kind == azureSkip {
			continue
		}
		size, spec, ok := lookupAzureSize(it.ArmSkuName)
		if !ok {
			continue
		}
		key := [2]string{size, it.ArmRegionName}
		p := pairs[key]
		if p == nil {
			p = &azurePair{size: size, region: it.ArmRegionName, spec: spec}
			pairs[key] = p
		}
		slot := &p.onDemand
		if kind == azureSpot {
			slot = &p.spot
		}
		if *slot == nil || azurePrefer(it, *slot) {
			*slot = it
		}
	}
	if len(resp.Items) > 0 && wellFormed == 0 {
		return nil, at.fail("%d price rows but none with an armSkuName and a price", len(resp.Items))
	}
	keys := make([][2]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	out := make([]shared.Offer, 0, len(keys))
	for _, k := range keys {
		out = append(out, azureOffer(pairs[k], at))
	}
	return out, nil
}

// azurePrefer picks between two meters for the same size, region and kind:
// the preview API also returns non-primary meters, so the primary one wins,
// then the most recent price, then the cheaper one so the choice does not
// depend on row order.
func azurePrefer(a, b *azureItem) bool {
	if a.IsPrimaryMeterRegion != b.IsPrimaryMeterRegion {
		return a.IsPrimaryMeterRegion
	}
	if a.EffectiveStartDate != b.EffectiveStartDate {
		return a.EffectiveStartDate > b.EffectiveStartDate // RFC 3339 sorts as text
	}
	return a.RetailPrice < b.RetailPrice
}

func azureOffer(p *azurePair, at origin) shared.Offer {
	o := at.stamp(shared.Offer{
		ID:           at.id(p.size, p.region),
		InstanceType: p.size,
		VCPUs:        p.spec.vcpus,
		RAMGB:        p.spec.ramGB,
		Currency:     "USD",
		Availability: shared.Available,
	})
	o.SetGPU(p.spec.gpu, p.spec.gpuMemGB, p.spec.gpus)
	switch {
	case p.onDemand != nil && p.spot != nil:
		o.SetPrices(p.onDemand.RetailPrice, p.spot.RetailPrice)
	case p.onDemand != nil:
		o.SetPrices(p.onDemand.RetailPrice, 0)
	default:
		o.SetPrices(p.spot.RetailPrice, 0)
		o.Interruptible = true
	}
	display := ""
	if p.onDemand != nil {
		display = p.onDemand.Location
	} else {
		display = p.spot.Location
	}
	loc := azureLocation(p.region, display)
	o.SetLocation(p.region, loc)
	o.ComplianceTags = withGDPR(loc, "soc2", "hipaa", "iso27001", "pci-dss")
	return o
}

// azureRegions maps armRegionName to a country and, where it matters for
// the canonical region, a state or city.
var azureRegions = map[string][2]string{
	"eastus": {"US", "VA"}, "eastus2": {"US", "VA"}, "centralus": {"US", "IA"},
	"northcentralus": {"US", "IL"}, "southcentralus": {"US", "TX"}, "westcentralus": {"US", "WY"},
	"westus": {"US", "CA"}, "westus2": {"US", "WA"}, "westus3": {"US", "AZ"},
	"usgovvirginia": {"US", "VA"}, "usgovarizona": {"US", "AZ"}, "usgovtexas": {"US", "TX"},
	"canadacentral": {"CA", "ON"}, "canadaeast": {"CA", "QC"},
	"mexicocentral": {"MX", ""}, "brazilsouth": {"BR", ""}, "brazilsoutheast": {"BR", ""},
	"chilecentral": {"CL", ""},
	"northeurope":  {"IE", ""}, "westeurope": {"NL", ""}, "uksouth": {"GB", ""}, "ukwest": {"GB", ""},
	"francecentral": {"FR", ""}, "francesouth": {"FR", ""}, "germanywestcentral": {"DE", ""},
	"germanynorth": {"DE", ""}, "switzerlandnorth": {"CH", ""}, "switzerlandwest": {"CH", ""},
	"swedencentral": {"SE", ""}, "swedensouth": {"SE", ""}, "norwayeast": {"NO", ""}, "norwaywest": {"NO", ""},
	"polandcentral": {"PL", ""}, "italynorth": {"IT", ""}, "spaincentral": {"ES", ""},
	"austriaeast": {"AT", ""}, "belgiumcentral": {"BE", ""}, "denmarkeast": {"DK", ""},
	"japaneast": {"JP", ""}, "japanwest": {"JP", ""}, "koreacentral": {"KR", ""}, "koreasouth": {"KR", ""},
	"eastasia": {"HK", ""}, "southeastasia": {"SG", ""}, "centralindia": {"IN", ""},
	"southindia": {"IN", ""}, "westindia": {"IN", ""}, "jioindiawest": {"IN", ""}, "jioindiacentral": {"IN", ""},
	"indonesiacentral": {"ID", ""}, "malaysiawest": {"MY", ""}, "taiwannorth": {"TW", ""},
	"australiaeast": {"AU", "NSW"}, "australiasoutheast": {"AU", "VIC"}, "australiacentral": {"AU", "ACT"},
	"australiacentral2": {"AU", "ACT"}, "newzealandnorth": {"NZ", ""},
	"uaenorth": {"AE", ""}, "uaecentral": {"AE", ""}, "qatarcentral": {"QA", ""},
	"israelcentral": {"IL", ""}, "southafricanorth": {"ZA", ""}, "southafricawest": {"ZA", ""},
}

// azureLocationPrefix reads the country from the display location of a
// region the table does not know yet ("US West 3", "PL Central"). Most
// prefixes are ISO codes; these are the exceptions Azure uses.
var azureLocationPrefix = map[string]string{"JA": "JP", "UK": "GB", "EU": "", "AP": "", "US GOV": "US"}

func azureLocation(region, display string) shared.Location {
	if r, ok := azureRegions[region]; ok {
		return shared.Locate(r[0], r[1])
	}
	fields := strings.Fields(strings.ToUpper(display))
	if len(fields) == 0 {
		return shared.Location{}
	}
	cc := fields[0]
	if len(fields) > 1 {
		if c, ok := azureLocationPrefix[fields[0]+" "+fields[1]]; ok {
			cc = c
		}
	}
	if c, ok := azureLocationPrefix[cc]; ok {
		cc = c
	}
	return shared.Locate(cc, "")
}
