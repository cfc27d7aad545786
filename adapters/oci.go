package adapters

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// Oracle Cloud (OCI): GET {base}/a/ocom/docs/cloudestimator2/data/shapes.json
// and .../products.json, the public, unauthenticated data files behind the
// OCI Cost Estimator (https://www.oracle.com/cloud/costestimator.html). No
// credential is needed.
//
// shapes.json lists every compute shape with its GPU count and memory,
// OCPUs, bundled memory and the price-list part numbers it is billed under;
// products.json is the price list, one item per part number with its
// metric ("GPU Per Hour", "OCPU Per Hour", …) and PAY_AS_YOU_GO prices per
// currency. An offer is a GPU shape joined to the USD prices of its parts:
// a GPU shape's "ocpu" part is billed per GPU-hour, so the instance price is
// that rate times the shape's GPU count.
//
// Regions: OCI list prices are the same in every commercial region and
// neither file says where a shape runs (only an authenticated tenancy can
// list the shapes it may launch per region). Each GPU shape is therefore
// offered in every region of cfg.Regions, or of ociDefaultRegions, the
// commercial regions OCI markets GPU capacity in; an offer means "this shape
// at OCI's list price, if the region hosts it".
//
// Availability: the files carry no stock signal, so every offer is
// shared.Available. Spot: shapes carry an allowPreemptible flag, but neither
// file carries a preemptible price (OCI's documented 50% discount is a
// billing rule, not data), so no spot price is reported.
var ociInfo = Info{
	Name:           "oci",
	DisplayName:    "Oracle Cloud Infrastructure",
	DefaultBaseURL: "https://www.oracle.com",
	DocsURL:        "https://www.oracle.com/cloud/costestimator.html",
}

func init() { register(ociInfo, newOCI) }

const (
	ociShapesPath   = "/a/ocom/docs/cloudestimator2/data/shapes.json"
	ociProductsPath = "/a/ocom/docs/cloudestimator2/data/products.json"
)

type ociAdapter struct{ provider }

func newOCI(cfg Config) *ociAdapter { return &ociAdapter{newProvider(ociInfo, cfg)} }

func (a *ociAdapter) Fetch(ctx context.Context) ([]shared.Offer, error) {
	var shapes ociShapeList
	if err := a.get(ctx, ociShapesPath, &shapes); err != nil {
		return nil, err
	}
	var products ociProductList
	if err := a.get(ctx, ociProductsPath, &products); err != nil {
		return nil, err
	}
	return parseOCI(shapes, products, a.cfg.Regions, a.origin(ociProductsPath))
}

type ociShapeList struct {
	Items []ociShape `json:"items"`
}

// ociShape holds the shapes.json fields the join needs. allowPreemptible
// and processorType are left out on purpose (see the doc comment on init and
// ociArmGPUs).
type ociShape struct {
	Name            string            `json:"name"`
	Hidden          bool              `json:"hidden"`
	Status          string            `json:"status"`
	BundleMemoryQty ociNum            `json:"bundleMemoryQty"`
	GPUQty          ociNum            `json:"gpuQty"`
	GPUMemoryQty    ociNum            `json:"gpuMemoryQty"`
	ShapeType       ociValue          `json:"shapeType"`
	SubType         ociValue          `json:"subType"`
	Products        []ociShapeProduct `json:"products"`
}

type ociShapeProduct struct {
	PartNumber string   `json:"partNumber"`
	Qty        ociNum   `json:"qty"`
	Type       ociValue `json:"type"`
}

type ociValue struct {
	Value string `json:"value"`
}

type ociProductList struct {
	Items []ociProduct `json:"items"`
}

type ociProduct struct {
	PartNumber    string `json:"partNumber"`
	DisplayName   string `json:"displayName"`
	MetricName    string `json:"metricName"`
	PriceType     string `json:"pricetype"`
	Localizations []struct {
		CurrencyCode string `json:"currencyCode"`
		Prices       []struct {
			Model    string `json:"model"`
			Value    ociNum `json:"value"`
			RangeMin ociNum `json:"rangeMin"`
		} `json:"prices"`
	} `json:"currencyCodeLocalizations"`
}

// ociNum reads a JSON number, a numeric string or null. The estimator
// reports some integral quantities as fractions (a DenseIO disk qty of 81.6)
// and leaves others null on new shapes; anything unreadable becomes 0 so one
// odd field cannot fail the whole multi-megabyte document.
type ociNum float64

func (n *ociNum) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(strings.Trim(string(b), `"`), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	*n = ociNum(f)
	return nil
}

// Bounds that keep corrupt quantities from producing absurd offers.
const (
	ociMaxGPUs  = 1024
	ociMaxPrice = 1e6 // USD per hour for one instance
)

// ociDefaultRegions are the commercial regions OCI markets GPU shapes in;
// cfg.Regions replaces them.
var ociDefaultRegions = []string{
	"us-ashburn-1", "us-phoenix-1", "us-chicago-1", "us-sanjose-1", "ca-toronto-1", "sa-saopaulo-1",
	"uk-london-1", "eu-frankfurt-1", "eu-amsterdam-1", "ap-tokyo-1", "ap-osaka-1", "ap-seoul-1",
	"ap-mumbai-1", "ap-singapore-1", "ap-sydney-1",
}

// ociCompliance is what OCI attests for its commercial regions
// (https://www.oracle.com/corporate/cloud-compliance/).
var ociCompliance = []string{"soc2", "hipaa", "iso27001", "pci-dss"}

var errOCINoOffers = errors.New("no GPU shape could be priced")

// parseOCI joins GPU shapes to their USD part prices and emits one offer per
// shape and region. Shapes that are hidden, not ACTIVE, CPU-only, or whose
// parts lack an hourly USD price are skipped.
func parseOCI(shapes ociShapeList, products ociProductList, regions []string, at origin) ([]shared.Offer, error) {
	byPart := make(map[string]*ociProduct, len(products.Items))
	for i := range products.Items {
		p := &products.Items[i]
		if _, dup := byPart[p.PartNumber]; !dup && p.PartNumber != "" {
			byPart[p.PartNumber] = p
		}
	}
	regions = ociRegionList(regions)
	var set offerSet
	gpuShapes := 0
	for i := range shapes.Items {
		base, ok := ociShapeOffer(&shapes.Items[i], byPart)
		if !ok {
			continue
		}
		gpuShapes++
		base = at.stamp(base)
		for _, region := range regions {
			o := base
			o.ID = at.id(o.InstanceType, region)
			loc := ociLocation(region)
			o.SetLocation(region, loc)
			o.ComplianceTags = append([]string(nil), ociCompliance...)
			if ociGDPRCountries[loc.Country] {
				o.ComplianceTags = append(o.ComplianceTags, "gdpr")
			}
			// The same shape listed twice (display-name variants) keeps its
			// first valid offer.
			set.add(o)
		}
	}
	if gpuShapes == 0 && len(shapes.Items) > 0 {
		return nil, at.fail("%d shapes, %d products: %w", len(shapes.Items), len(products.Items), errOCINoOffers)
	}
	return set.offers(), nil
}

// ociShapeOffer builds the region-independent part of a GPU shape's offer.
func ociShapeOffer(s *ociShape, byPart map[string]*ociProduct) (shared.Offer, bool) {
	name := ociShapeName(s.Name)
	if name == "" || s.Hidden || !strings.EqualFold(s.Status, "ACTIVE") {
		return shared.Offer{}, false
	}
	if t := strings.ToLower(s.ShapeType.Value); t != "" && t != "vm" && t != "bm" {
		return shared.Offer{}, false // dedicated hosts and the like are not rentable instances
	}
	gpus := float64(s.GPUQty)
	if gpus <= 0 && (strings.EqualFold(s.SubType.Value, "gpu") || ociHasGPUToken(name)) {
		gpus = ociTrailingCount(name) // new shapes sometimes lack gpuQty; the name ends in it
	}
	if gpus <= 0 || gpus > ociMaxGPUs {
		return shared.Offer{}, false // CPU-only shape
	}
	price, ocpus, gpuPart, ok := ociShapePrice(s, gpus, byPart)
	if !ok {
		return shared.Offer{}, false
	}
	o := shared.Offer{InstanceType: name, RAMGB: max(float64(s.BundleMemoryQty), 0), Currency: "USD", Availability: shared.Available}
	gpuName := ociGPUName(name)
	if gpuName == "" {
		gpuName = ociGPUNameFromProduct(gpuPart.DisplayName)
	}
	if gpuName == "" {
		gpuName = name
	}
	var memHint float64
	if s.GPUMemoryQty > 0 {
		// gpuMemoryQty is the shape total for almost every shape; where it
		// is not (MI355X reports one GPU's 288 GB) the catalog has a single
		// variant, so the hint cannot mislead the lookup.
		memHint = float64(s.GPUMemoryQty) / gpus
	}
	o.SetGPU(gpuName, memHint, gpus)
	o.VCPUs = ocpus * 2 // an x86 OCPU is one core with two hardware threads
	if ociArmGPUs[o.GPUModel] {
		// Grace superchips: an Arm OCPU is one core, one vCPU. The estimator
		// labels them "blackwell" and mislabels x86 A10/A100 hosts as "arm",
		// so processorType cannot be trusted here.
		o.VCPUs = ocpus
	}
	o.SetPrices(price, 0)
	return o, true
}

// ociArmGPUs are the GPU models OCI ships on NVIDIA Grace (Arm) hosts.
var ociArmGPUs = map[string]bool{"GB200": true, "GB300": true, "GH200": true}

// ociShapePrice sums a shape's hourly USD price over its "ocpu" part (the
// GPU rate on GPU shapes) and its "memory" part, if any. Other part types
// (local NVMe) are included in GPU shape rates and are not billed apart.
func ociShapePrice(s *ociShape, gpus float64, byPart map[string]*ociProduct) (price, ocpus float64, gpuPart *ociProduct, ok bool) {
	for _, sp := range s.Products {
		kind := strings.ToLower(sp.Type.Value)
		if kind != "ocpu" && kind != "memory" {
			continue
		}
		p := byPart[sp.PartNumber]
		if p == nil {
			return 0, 0, nil, false
		}
		rate, found := p.usdHourly()
		if !found {
			return 0, 0, nil, false
		}
		units := ociBilledUnits(kind, p.MetricName, float64(sp.Qty), gpus)
		if kind == "ocpu" {
			if rate <= 0 || units <= 0 || gpuPart != nil {
				return 0, 0, nil, false // unpriced GPU, or two GPU rates we cannot tell apart
			}
			gpuPart, ocpus = p, max(float64(sp.Qty), 0)
		}
		if units > 0 {
			price += rate * units
		}
	}
	if gpuPart == nil || !(price > 0) || price > ociMaxPrice {
		return 0, 0, nil, false
	}
	return price, ocpus, gpuPart, true
}

// ociBilledUnits is how many units of a part one instance-hour uses. Parts
// metered "GPU Per Hour" count GPUs; other metrics (OCPU, Gigabyte) count
// the part's qty. A GPU shape's "ocpu" part without a metric is billed per
// GPU, as the estimator itself prices it.
func ociBilledUnits(kind, metric string, qty, gpus float64) float64 {
	m := strings.ToUpper(metric)
	switch {
	case strings.Contains(m, "GPU"):
		return gpus
	case m == "" && kind == "ocpu":
		return gpus
	default:
		return qty
	}
}

// usdHourly returns the PAY_AS_YOU_GO USD rate of an hourly part. A tiered
// part lists one price per usage range; the first range is what a single
// instance pays.
func (p *ociProduct) usdHourly() (float64, bool) {
	if p.PriceType != "" && !strings.EqualFold(p.PriceType, "HOUR") {
		return 0, false
	}
	for _, l := range p.Localizations {
		if l.CurrencyCode != "USD" {
			continue
		}
		rate, lowest, found := 0.0, math.Inf(1), false
		for _, pr := range l.Prices {
			if pr.Model != "PAY_AS_YOU_GO" || pr.Value < 0 || float64(pr.RangeMin) >= lowest {
				continue
			}
			rate, lowest, found = float64(pr.Value), float64(pr.RangeMin), true
		}
		return rate, found
	}
	return 0, false
}

// ociShapeName strips the estimator's display decoration, e.g.
// "BM.GPU.GB200.4 (NVL72)", to the name the Compute API uses.
func ociShapeName(s string) string {
	if i := strings.IndexByte(s, '('); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// ociGenerationGPUs names the GPUs of shape families that do not spell the
// model: BM.GPU4.8 is 8x A100 40 GB SXM4, VM.GPU3.* are V100 16 GB SXM2,
// VM.GPU2.1 is a P100 16 GB.
var ociGenerationGPUs = map[string]string{
	"GPU2": "P100 16GB",
	"GPU3": "V100 SXM2 16GB",
	"GPU4": "A100 SXM4 40GB",
}

// ociModelAliases spell out shape-name model tokens the catalog would not
// resolve on their own.
var ociModelAliases = map[string]string{
	"A100-V2": "A100 SXM4 80GB",
	"RTXPRO":  "RTX PRO 6000",
}

// ociGPUName reads the GPU model from a shape name: "BM.GPU.H100.8" → H100,
// "VM.GPU3.1" → V100; "" when the name does not say.
func ociGPUName(shape string) string {
	parts := strings.Split(shape, ".")
	for i, p := range parts {
		u := strings.ToUpper(p)
		if g, ok := ociGenerationGPUs[u]; ok {
			return g
		}
		// "GPU.<model>.<count>": the model is never the last token.
		if u == "GPU" && i+2 < len(parts) {
			model := strings.ToUpper(parts[i+1])
			if a, ok := ociModelAliases[model]; ok {
				return a
			}
			return parts[i+1]
		}
	}
	return ""
}

func ociHasGPUToken(shape string) bool {
	for _, p := range strings.Split(shape, ".") {
		if strings.HasPrefix(strings.ToUpper(p), "GPU") {
			return true
		}
	}
	return false
}

// ociGPUNameFromProduct takes the model from a price-list name such as
// "OCI - Compute - GPU - H100".
func ociGPUNameFromProduct(display string) string {
	i := strings.Index(strings.ToUpper(display), "GPU - ")
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(display[i+len("GPU - "):])
}

// ociTrailingCount reads the instance size that ends a shape name ("….8").
func ociTrailingCount(shape string) float64 {
	n, err := strconv.Atoi(shape[strings.LastIndexByte(shape, '.')+1:])
	if err != nil || n <= 0 {
		return 0
	}
	return float64(n)
}

// ociRegionList returns the configured regions, trimmed, lower-cased and
// de-duplicated, or the default GPU regions.
func ociRegionList(cfg []string) []string {
	if out := lowerUnique(cfg); len(out) > 0 {
		return out
	}
	return ociDefaultRegions
}

// ociRegions maps OCI commercial (OC1) region identifiers to a country and
// city (https://docs.oracle.com/en-us/iaas/Content/General/Concepts/regions.htm).
var ociRegions = map[string][2]string{
	"us-ashburn-1":      {"US", "Ashburn"},
	"us-phoenix-1":      {"US", "Phoenix"},
	"us-chicago-1":      {"US", "Chicago"},
	"us-sanjose-1":      {"US", "San Jose"},
	"ca-toronto-1":      {"CA", "Toronto"},
	"ca-montreal-1":     {"CA", "Montreal"},
	"mx-queretaro-1":    {"MX", "Queretaro"},
	"mx-monterrey-1":    {"MX", "Monterrey"},
	"sa-saopaulo-1":     {"BR", "Sao Paulo"},
	"sa-vinhedo-1":      {"BR", "Vinhedo"},
	"sa-santiago-1":     {"CL", "Santiago"},
	"sa-valparaiso-1":   {"CL", "Valparaiso"},
	"sa-bogota-1":       {"CO", "Bogota"},
	"uk-london-1":       {"GB", "London"},
	"uk-cardiff-1":      {"GB", "Newport"},
	"eu-frankfurt-1":    {"DE", "Frankfurt"},
	"eu-amsterdam-1":    {"NL", "Amsterdam"},
	"eu-zurich-1":       {"CH", "Zurich"},
	"eu-paris-1":        {"FR", "Paris"},
	"eu-marseille-1":    {"FR", "Marseille"},
	"eu-milan-1":        {"IT", "Milan"},
	"eu-turin-1":        {"IT", "Turin"},
	"eu-madrid-1":       {"ES", "Madrid"},
	"eu-madrid-3":       {"ES", "Madrid"},
	"eu-stockholm-1":    {"SE", "Stockholm"},
	"eu-jovanovac-1":    {"RS", "Jovanovac"},
	"il-jerusalem-1":    {"IL", "Jerusalem"},
	"me-dubai-1":        {"AE", "Dubai"},
	"me-abudhabi-1":     {"AE", "Abu Dhabi"},
	"me-jeddah-1":       {"SA", "Jeddah"},
	"me-riyadh-1":       {"SA", "Riyadh"},
	"af-johannesburg-1": {"ZA", "Johannesburg"},
	"af-casablanca-1":   {"MA", "Casablanca"},
	"ap-tokyo-1":        {"JP", "Tokyo"},
	"ap-osaka-1":        {"JP", "Osaka"},
	"ap-seoul-1":        {"KR", "Seoul"},
	"ap-chuncheon-1":    {"KR", "Chuncheon"},
	"ap-mumbai-1":       {"IN", "Mumbai"},
	"ap-hyderabad-1":    {"IN", "Hyderabad"},
	"ap-singapore-1":    {"SG", "Singapore"},
	"ap-singapore-2":    {"SG", "Singapore"},
	"ap-sydney-1":       {"AU", "Sydney"},
	"ap-melbourne-1":    {"AU", "Melbourne"},
	"ap-batam-1":        {"ID", "Batam"},
	"ap-kulai-2":        {"MY", "Kulai"},
}

// ociGDPRCountries are the EEA members and the UK among OCI's region
// countries; Switzerland and Serbia have their own data-protection laws.
var ociGDPRCountries = map[string]bool{
	"DE": true, "NL": true, "FR": true, "IT": true, "ES": true, "SE": true, "GB": true,
}

// ociLocation locates a region code; an unknown code (a region newer than
// the table) keeps its raw name and an empty location.
func ociLocation(code string) shared.Location {
	if r, ok := ociRegions[code]; ok {
		return shared.Locate(r[0], r[1])
	}
	return shared.Location{}
}
