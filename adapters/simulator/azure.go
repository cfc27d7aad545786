package simulator

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Azure: GET /api/retail/prices?api-version=…&$filter=…, unauthenticated.
// The body is {"BillingCurrency","CustomerEntityId","CustomerEntityType",
// "Items":[meter…],"NextPageLink","Count"}; every VM size in a region has a
// Linux and a Windows pay-as-you-go meter and usually Spot twins, some older
// sizes also Low Priority meters. Pages hold azurePageSize meters and link to
// the next with an absolute URL on the production host, as the service does.
func init() {
	registerProvider(providerSim{name: "azure", inventory: azureInventory, handler: azureHandler})
}

const (
	azurePageSize = 100
	// azureMaxComparisons mirrors the service refusing long filters.
	azureMaxComparisons = 20
	// azureWindowsPerVCPU is the Windows licence surcharge per vCPU-hour.
	azureWindowsPerVCPU = 0.046
)

// azureDisplay is the "location" Azure shows next to each armRegionName.
var azureDisplay = map[string]string{
	"eastus": "US East", "eastus2": "US East 2", "westus2": "US West 2", "westus3": "US West 3",
	"southcentralus": "US South Central", "northcentralus": "US North Central", "centralus": "US Central",
	"westeurope": "EU West", "northeurope": "EU North", "swedencentral": "SE Central",
	"uksouth": "UK South", "francecentral": "FR Central", "germanywestcentral": "DE West Central",
	"japaneast": "JA East", "koreacentral": "KR Central", "australiaeast": "AU East",
	"southeastasia": "AP Southeast", "centralindia": "IN Central", "canadacentral": "CA Central",
	"brazilsouth": "BR South", "uaenorth": "AE North", "polandcentral": "PL Central",
}

// azureRegionMult is how much dearer a region is than eastus.
var azureRegionMult = map[string]float64{
	"eastus": 1, "eastus2": 1, "westus2": 1, "westus3": 1, "southcentralus": 1, "northcentralus": 1.02,
	"centralus": 1.04, "westeurope": 1.1, "northeurope": 1.06, "swedencentral": 1.04, "uksouth": 1.12,
	"francecentral": 1.12, "germanywestcentral": 1.14, "japaneast": 1.22, "koreacentral": 1.16,
	"australiaeast": 1.24, "southeastasia": 1.16, "centralindia": 1.08, "canadacentral": 1.08,
	"brazilsouth": 1.45, "uaenorth": 1.18, "polandcentral": 1.12,
}

var (
	azureBroadRegions = []string{"eastus", "eastus2", "westus2", "westus3", "southcentralus", "northcentralus",
		"centralus", "westeurope", "northeurope", "swedencentral", "uksouth", "francecentral",
		"germanywestcentral", "japaneast", "koreacentral", "australiaeast", "southeastasia", "centralindia",
		"canadacentral", "brazilsouth", "uaenorth"}
	azureHPCRegions = []string{"eastus", "eastus2", "southcentralus", "westus3", "swedencentral",
		"westeurope", "uksouth", "japaneast", "polandcentral"}
)

// azureSimSize is one VM size as the price list knows it, plus the specs the
// inventory records for the dashboard (the API itself never shows them).
type azureSimSize struct {
	sku, series, gpu      string
	mem, gpus, vcpus, ram float64
	price                 float64 // Linux pay-as-you-go in eastus
	spot                  float64 // spot as a fraction of the on-demand price; 0 = no Spot meter
	lowPriority           bool
	regions               []string
	share                 float64 // chance of being listed in each candidate region
}

var azureSimSizes = []azureSimSize{
	{"Standard_NC6s_v3", "NCSv3", "Tesla V100", 16, 1, 6, 112, 3.06, 0.2, true, azureBroadRegions, 0.2},
	{"Standard_NC24s_v3", "NCSv3", "Tesla V100", 16, 4, 24, 448, 12.24, 0.2, true, azureBroadRegions, 0.2},
	{"Standard_ND40rs_v2", "NDSv2", "Tesla V100 32GB", 32, 8, 40, 672, 22.03, 0.25, true, azureHPCRegions, 0.3},
	{"Standard_NC4as_T4_v3", "NCasT4_v3", "Tesla T4", 16, 1, 4, 28, 0.526, 0.3, false, azureBroadRegions, 0.25},
	{"Standard_NC16as_T4_v3", "NCasT4_v3", "Tesla T4", 16, 1, 16, 110, 1.204, 0.3, false, azureBroadRegions, 0.2},
	{"Standard_NC64as_T4_v3", "NCasT4_v3", "Tesla T4", 16, 4, 64, 440, 4.352, 0.3, false, azureBroadRegions, 0.15},
	{"Standard_NC24ads_A100_v4", "NCadsA100v4", "A100 80GB PCIe", 80, 1, 24, 220, 3.673, 0.4, false, azureBroadRegions, 0.2},
	{"Standard_NC96ads_A100_v4", "NCadsA100v4", "A100 80GB PCIe", 80, 4, 96, 880, 14.692, 0.4, false, azureBroadRegions, 0.15},
	{"Standard_ND96asr_v4", "NDasrA100v4", "A100 40GB SXM", 40, 8, 96, 900, 27.197, 0.4, false, azureHPCRegions, 0.4},
	{"Standard_ND96amsr_A100_v4", "NDamsrA100v4", "A100 80GB SXM", 80, 8, 96, 1900, 32.77, 0.4, false, azureHPCRegions, 0.4},
	{"Standard_ND96isr_H100_v5", "NDSH100v5", "H100 80GB SXM", 80, 8, 96, 1900, 98.32, 0.35, false, azureHPCRegions, 0.5},
	{"Standard_NC40ads_H100_v5", "NCadsH100v5", "H100 NVL", 94, 1, 40, 320, 6.98, 0.35, false, azureHPCRegions, 0.5},
	{"Standard_NC80adis_H100_v5", "NCadsH100v5", "H100 NVL", 94, 2, 80, 640, 13.96, 0.35, false, azureHPCRegions, 0.4},
	{"Standard_ND96isr_H200_v5", "NDSH200v5", "H200", 141, 8, 96, 1850, 84.8, 0, false, azureHPCRegions, 0.4},
	{"Standard_ND96isr_MI300X_v5", "NDSMI300Xv5", "MI300X", 192, 8, 96, 1850, 48.0, 0, false, azureHPCRegions, 0.3},
	{"Standard_NV6ads_A10_v5", "NVadsA10v5", "A10", 24, 1.0 / 6, 6, 55, 0.454, 0.25, false, azureBroadRegions, 0.25},
	{"Standard_NV18ads_A10_v5", "NVadsA10v5", "A10", 24, 0.5, 18, 220, 1.6, 0.25, false, azureBroadRegions, 0.2},
	{"Standard_NV36ads_A10_v5", "NVadsA10v5", "A10", 24, 1, 36, 440, 3.2, 0.25, false, azureBroadRegions, 0.2},
	{"Standard_NV72ads_A10_v5", "NVadsA10v5", "A10", 24, 2, 72, 880, 6.52, 0.25, false, azureBroadRegions, 0.15},
	{"Standard_NG8ads_V620_v1", "NGadsV620v1", "Radeon PRO V620", 32, 0.25, 8, 16, 0.41, 0.3, false, azureBroadRegions, 0.15},
	{"Standard_NG32ads_V620_v1", "NGadsV620v1", "Radeon PRO V620", 32, 1, 32, 64, 1.64, 0.3, false, azureBroadRegions, 0.15},
	{"Standard_NV12s_v3", "NVSv3", "Tesla M60", 8, 1, 12, 112, 1.14, 0.2, true, azureBroadRegions, 0.2},
	// Not GPU sizes: D/E are dropped by the adapter's filter, the FPGA
	// NP-series passes it and must be skipped by the adapter itself.
	{"Standard_D4s_v5", "Dsv5", "", 0, 0, 4, 16, 0.192, 0.2, false, []string{"eastus", "westeurope"}, 1},
	{"Standard_E8s_v5", "Esv5", "", 0, 0, 8, 64, 0.504, 0.2, false, []string{"eastus"}, 1},
	{"Standard_NP10s", "NPs", "", 0, 0, 10, 168, 1.65, 0, false, []string{"eastus", "westus2"}, 1},
}

func azureInventory(r *rand.Rand) []Item {
	var items []Item
	for _, s := range azureSimSizes {
		var regions []string
		for _, reg := range s.regions {
			if r.Float64() < s.share {
				regions = append(regions, reg)
			}
		}
		// Every size is listed in at least two of its regions.
		if n := min(2, len(s.regions)); len(regions) < n {
			regions = s.regions[:n]
		}
		for _, reg := range regions {
			price := round4(s.price * azureRegionMult[reg] * between(r, 0.98, 1.02))
			spot := 0.0
			if s.spot > 0 {
				spot = round4(price * s.spot * between(r, 0.8, 1.2))
			}
			// A few sizes are sold only as Spot in a region.
			if spot > 0 && s.gpus > 0 && r.Float64() < 0.06 {
				price = 0
			}
			attrs := map[string]string{"series": s.series}
			if s.lowPriority {
				attrs["lowPriority"] = "1"
			}
			items = append(items, Item{
				ID: s.sku, GPU: s.gpu, GPUMemGB: s.mem, GPUCount: s.gpus, VCPUs: s.vcpus, RAMGB: s.ram,
				Region: reg, Price: price, Spot: spot,
				// The price list has no stock signal; Stock drifts like every
				// provider's but is never rendered.
				Stock: r.IntN(12),
				Attrs: attrs,
			})
		}
	}
	return items
}

// azureRow is one meter in the service's JSON shape.
type azureRow struct {
	CurrencyCode         string  `json:"currencyCode"`
	TierMinimumUnits     float64 `json:"tierMinimumUnits"`
	RetailPrice          float64 `json:"retailPrice"`
	UnitPrice            float64 `json:"unitPrice"`
	ArmRegionName        string  `json:"armRegionName"`
	Location             string  `json:"location"`
	EffectiveStartDate   string  `json:"effectiveStartDate"`
	MeterID              string  `json:"meterId"`
	MeterName            string  `json:"meterName"`
	ProductID            string  `json:"productId"`
	SkuID                string  `json:"skuId"`
	ProductName          string  `json:"productName"`
	SkuName              string  `json:"skuName"`
	ServiceName          string  `json:"serviceName"`
	ServiceID            string  `json:"serviceId"`
	ServiceFamily        string  `json:"serviceFamily"`
	UnitOfMeasure        string  `json:"unitOfMeasure"`
	Type                 string  `json:"type"`
	IsPrimaryMeterRegion bool    `json:"isPrimaryMeterRegion"`
	ArmSkuName           string  `json:"armSkuName"`
}

// field returns the value a $filter names; ok is false for fields the
// service does not filter on.
func (r *azureRow) field(name string) (string, bool) {
	switch name {
	case "armRegionName":
		return r.ArmRegionName, true
	case "location":
		return r.Location, true
	case "meterId":
		return r.MeterID, true
	case "meterName":
		return r.MeterName, true
	case "productId":
		return r.ProductID, true
	case "skuId":
		return r.SkuID, true
	case "productName":
		return r.ProductName, true
	case "skuName":
		return r.SkuName, true
	case "serviceName":
		return r.ServiceName, true
	case "serviceId":
		return r.ServiceID, true
	case "serviceFamily":
		return r.ServiceFamily, true
	case "priceType":
		return r.Type, true
	case "armSkuName":
		return r.ArmSkuName, true
	}
	return "", false
}

// azureRows renders the snapshot as the service's meters: per size and
// region a Linux and a Windows meter, their Spot twins, a Windows Dev/Test
// meter and, for older sizes, a Low Priority meter.
func azureRows(items []Item) []azureRow {
	var rows []azureRow
	for _, it := range items {
		short := strings.ReplaceAll(strings.TrimPrefix(it.ID, "Standard_"), "_", " ")
		product := "Virtual Machines " + it.Attrs["series"] + " Series"
		win := azureWindowsPerVCPU * it.VCPUs
		add := func(productName, skuName, typ string, price float64) {
			if price <= 0 {
				return
			}
			price = round4(price)
			productID := azureSimID("DZH318Z0", productName, 4)
			rows = append(rows, azureRow{
				CurrencyCode: "USD", RetailPrice: price, UnitPrice: price,
				ArmRegionName: it.Region, Location: azureDisplay[it.Region],
				EffectiveStartDate: "2025-03-01T00:00:00Z",
				MeterID:            azureMeterID(it.ID, it.Region, productName, skuName, typ),
				MeterName:          skuName, ProductID: productID,
				SkuID:       productID + "/" + azureSimID("", skuName+it.Region, 4),
				ProductName: productName, SkuName: skuName,
				ServiceName: "Virtual Machines", ServiceID: "DZH313Z7MMC8", ServiceFamily: "Compute",
				UnitOfMeasure: "1 Hour", Type: typ, IsPrimaryMeterRegion: true, ArmSkuName: it.ID,
			})
		}
		add(product, short, "Consumption", it.Price)
		add(product, short+" Spot", "Consumption", it.Spot)
		if it.Price > 0 {
			add(product+" Windows", short, "Consumption", it.Price+win)
			add(product+" Windows", short, "DevTestConsumption", it.Price)
		}
		if it.Spot > 0 {
			add(product+" Windows", short+" Spot", "Consumption", it.Spot+win)
		}
		if it.Attrs["lowPriority"] != "" && it.Price > 0 {
			add(product, short+" Low Priority", "Consumption", it.Price*0.2)
		}
	}
	return rows
}

// azureSimID makes a stable upper-case id of n characters from s.
func azureSimID(prefix, s string, n int) string {
	const alphabet = "0123456789BCDFGHJKLMNPQRSTVWXZ"
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	v := h.Sum64()
	b := []byte(prefix)
	for range n {
		b = append(b, alphabet[v%uint64(len(alphabet))])
		v /= uint64(len(alphabet))
	}
	return string(b)
}

// azureMeterID makes a stable GUID-shaped meter id.
func azureMeterID(parts ...string) string {
	h1, h2 := fnv.New64a(), fnv.New64()
	for _, p := range parts {
		_, _ = h1.Write([]byte(p + "\x00"))
		_, _ = h2.Write([]byte(p + "\x00"))
	}
	a, b := h1.Sum64(), h2.Sum64()
	return fmt.Sprintf("%08x-%04x-5%03x-%04x-%012x", uint32(a>>32), uint16(a>>16), uint16(a)&0xfff, uint16(b>>48)&0x3fff|0x8000, b&0xffffffffffff)
}

func azureBadRequest(w http.ResponseWriter) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"Error": map[string]string{
		"Code": "BadRequest", "Message": "Invalid OData parameters supplied"}})
}

func azureHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/retail/prices", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		match := func(*azureRow) bool { return true }
		if f := q.Get("$filter"); f != "" {
			m, err := parseOData(f)
			if err != nil {
				azureBadRequest(w)
				return
			}
			match = m
		}
		skip := 0
		if s := q.Get("$skip"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				azureBadRequest(w)
				return
			}
			skip = n
		}
		var matched []azureRow
		for _, row := range azureRows(p.Snapshot()) {
			if match(&row) {
				matched = append(matched, row)
			}
		}
		page := []azureRow{}
		if skip < len(matched) {
			page = matched[skip:min(skip+azurePageSize, len(matched))]
		}
		var next *string
		if skip+azurePageSize < len(matched) {
			q.Set("$skip", strconv.Itoa(skip+azurePageSize))
			link := "https://prices.azure.com:443/api/retail/prices?" + azureQuery(q)
			next = &link
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"BillingCurrency": "USD", "CustomerEntityId": "Default", "CustomerEntityType": "Retail",
			"Items": page, "NextPageLink": next, "Count": len(page),
		})
	})
	return mux
}

// azureQuery encodes a query the way the service writes its links: "$"
// parameter names stay literal and spaces are %20.
func azureQuery(q url.Values) string {
	return strings.NewReplacer("%24", "$", "+", "%20").Replace(q.Encode())
}

// parseOData compiles the subset of OData $filter the Retail Prices API
// accepts: "field eq 'v'", "field ne 'v'", contains/startswith/endswith
// (optionally compared to true/false), "and", "or" and parentheses. Field
// names and values are case-sensitive; anything else is an error, answered
// with the service's 400.
func parseOData(s string) (func(*azureRow) bool, error) {
	toks, err := odataTokens(s)
	if err != nil {
		return nil, err
	}
	p := &odataParser{toks: toks}
	m, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	if p.comparisons > azureMaxComparisons {
		return nil, fmt.Errorf("%d comparisons, at most %d", p.comparisons, azureMaxComparisons)
	}
	return m, nil
}

type odataToken struct {
	text  string
	quote bool // a string literal, text unescaped
}

func odataTokens(s string) ([]odataToken, error) {
	var out []odataToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',':
			out = append(out, odataToken{text: string(c)})
			i++
		case c == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, fmt.Errorf("unterminated string")
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			out = append(out, odataToken{text: b.String(), quote: true})
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			out = append(out, odataToken{text: s[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return out, nil
}

type odataParser struct {
	toks        []odataToken
	pos         int
	comparisons int
	depth       int
}

func (p *odataParser) peek(word string) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].quote && p.toks[p.pos].text == word
}

func (p *odataParser) expect(word string) error {
	if !p.peek(word) {
		return fmt.Errorf("expected %q", word)
	}
	p.pos++
	return nil
}

func (p *odataParser) ident() (string, error) {
	if p.pos >= len(p.toks) || p.toks[p.pos].quote {
		return "", fmt.Errorf("expected a field name")
	}
	t := p.toks[p.pos].text
	p.pos++
	return t, nil
}

func (p *odataParser) literal() (string, error) {
	if p.pos >= len(p.toks) || !p.toks[p.pos].quote {
		return "", fmt.Errorf("expected a string literal")
	}
	t := p.toks[p.pos].text
	p.pos++
	return t, nil
}

func (p *odataParser) or() (func(*azureRow) bool, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek("or") {
		p.pos++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(r *azureRow) bool { return l(r) || right(r) }
	}
	return left, nil
}

func (p *odataParser) and() (func(*azureRow) bool, error) {
	left, err := p.term()
	if err != nil {
		return nil, err
	}
	for p.peek("and") {
		p.pos++
		right, err := p.term()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(r *azureRow) bool { return l(r) && right(r) }
	}
	return left, nil
}

var odataFuncs = map[string]func(s, sub string) bool{
	"contains": strings.Contains, "startswith": strings.HasPrefix, "endswith": strings.HasSuffix,
}

func (p *odataParser) term() (func(*azureRow) bool, error) {
	if p.peek("(") {
		if p.depth++; p.depth > 32 {
			return nil, fmt.Errorf("filter nested too deeply")
		}
		p.pos++
		m, err := p.or()
		if err != nil {
			return nil, err
		}
		p.depth--
		return m, p.expect(")")
	}
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	p.comparisons++
	if fn, ok := odataFuncs[name]; ok {
		return p.call(fn)
	}
	if _, ok := (&azureRow{}).field(name); !ok {
		return nil, fmt.Errorf("unknown field %q", name)
	}
	negate := false
	switch {
	case p.peek("eq"):
	case p.peek("ne"):
		negate = true
	default:
		return nil, fmt.Errorf("expected eq or ne after %s", name)
	}
	p.pos++
	want, err := p.literal()
	if err != nil {
		return nil, err
	}
	return func(r *azureRow) bool {
		v, _ := r.field(name)
		return (v == want) != negate
	}, nil
}

// call parses "(field, 'value')" and an optional "eq true|false".
func (p *odataParser) call(fn func(s, sub string) bool) (func(*azureRow) bool, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	if _, ok := (&azureRow{}).field(name); !ok {
		return nil, fmt.Errorf("unknown field %q", name)
	}
	if err := p.expect(","); err != nil {
		return nil, err
	}
	sub, err := p.literal()
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	want := true
	if p.peek("eq") || p.peek("ne") {
		ne := p.peek("ne")
		p.pos++
		switch {
		case p.peek("true"):
		case p.peek("false"):
			want = false
		default:
			return nil, fmt.Errorf("expected true or false")
		}
		p.pos++
		want = want != ne
	}
	return func(r *azureRow) bool {
		v, _ := r.field(name)
		return fn(v, sub) == want
	}, nil
}
