package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gpubroker/gpubroker/shared"
)

// AWS: the public, unauthenticated AWS Price List Bulk API. GET
// {base}/offers/v1.0/aws/AmazonEC2/current/region_index.json names each
// region's current offer file (currentVersionUrl, a path on the same host);
// each offer file is JSON {products: {sku: {attributes}}, terms: {OnDemand:
// {sku: {term: {priceDimensions}}}, Reserved: ...}} of several hundred MB,
// so it is parsed as a token stream and only the on-demand rows of GPU
// instance types running plain Linux on shared tenancy are kept.
// https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-bulk-api.html
// https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-service-price-list-file-for-services.html
//
// Spot prices are not in the bulk API (they need EC2
// DescribeSpotPriceHistory, signed with SigV4 credentials), so offers carry
// on-demand prices only. The price list has no stock signal either: every
// listed instance type is reported shared.Available.
var awsInfo = Info{
	Name:           "aws",
	DisplayName:    "Amazon Web Services (EC2)",
	DefaultBaseURL: "https://pricing.us-east-1.amazonaws.com",
	DocsURL:        "https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/using-the-aws-price-list-bulk-api.html",
}

func init() { register(awsInfo, newAWS) }

const awsRegionIndexPath = "/offers/v1.0/aws/AmazonEC2/current/region_index.json"

// awsParallelRegions bounds concurrent offer-file downloads: each is a large
// stream, and the price list host is shared by everyone.
const awsParallelRegions = 3

// awsDefaultRegions are the regions with the broadest GPU line-up; fetched
// when Config.Regions is empty.
var awsDefaultRegions = []string{
	"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
	"eu-north-1", "ap-northeast-1", "ap-southeast-1", "ap-south-1",
}

type awsAdapter struct{ provider }

func newAWS(cfg Config) *awsAdapter { return &awsAdapter{newProvider(awsInfo, cfg)} }

type awsRegionIndex struct {
	Regions map[string]struct {
		RegionCode        string `json:"regionCode"`
		CurrentVersionURL string `json:"currentVersionUrl"`
	} `json:"regions"`
}

func (a *awsAdapter) Fetch(ctx context.Context) ([]shared.Offer, error) {
	var idx awsRegionIndex
	if err := a.get(ctx, awsRegionIndexPath, &idx); err != nil {
		return nil, err
	}
	regions := a.regions()
	at := a.origin("")
	offers := make([][]shared.Offer, len(regions))
	errs := make([]error, len(regions))
	sem := make(chan struct{}, awsParallelRegions)
	var wg sync.WaitGroup
	for i, region := range regions {
		entry, ok := idx.Regions[region]
		if !ok || entry.CurrentVersionURL == "" {
			errs[i] = a.errorf(shared.ErrKindUpstream, "region %q is not in the price list region index", region)
			continue
		}
		u, err := a.offerURL(entry.CurrentVersionURL)
		if err != nil {
			errs[i] = a.errorf(shared.ErrKindUpstream, "region %q: %v", region, err)
			continue
		}
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = a.cl.transportError(ctx, u, ctx.Err())
				return
			}
			offers[i], errs[i] = a.fetchRegion(ctx, region, u, at)
		})
	}
	wg.Wait()
	// A failing region is skipped; the fetch fails only when every region did.
	var out []shared.Offer
	failed := 0
	for i := range regions {
		if errs[i] != nil {
			failed++
			continue
		}
		out = append(out, offers[i]...)
	}
	if failed == len(regions) {
		return nil, a.firstError(errs)
	}
	return out, nil
}

// regions is Config.Regions without duplicates, or the default set.
func (a *awsAdapter) regions() []string {
	if len(a.cfg.Regions) == 0 {
		return awsDefaultRegions
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range a.cfg.Regions {
		r = strings.TrimSpace(r)
		if r != "" && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return awsDefaultRegions
	}
	return out
}

// offerURL resolves a currentVersionUrl: normally a path on the price list
// host, so against our base URL (which may be the simulator).
func (a *awsAdapter) offerURL(ref string) (string, error) {
	if strings.HasPrefix(ref, "/") && !strings.HasPrefix(ref, "//") {
		return a.base + ref, nil
	}
	u, err := url.Parse(ref)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("unusable currentVersionUrl %q", redactURL(ref))
	}
	return ref, nil
}

// fetchRegion streams one region's offer file; its offers carry the file's
// URL as their source and the fetch's time.
func (a *awsAdapter) fetchRegion(ctx context.Context, region, u string, at origin) ([]shared.Offer, error) {
	at.source = redactURL(u)
	var offers []shared.Offer
	err := a.cl.do(ctx, call{method: http.MethodGet, url: u}, func(r io.Reader) error {
		var perr error
		offers, perr = parseAWSOffers(r, region, at)
		if perr != nil {
			return a.cl.wrap(shared.ErrKindUpstream, 0, u, perr)
		}
		return nil
	})
	return offers, err
}

// firstError is the error of a fetch where every region failed: the first
// *Error, so its kind and status stay visible.
func (a *awsAdapter) firstError(errs []error) error {
	for _, err := range errs {
		var ae *Error
		if errors.As(err, &ae) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return &Error{Provider: a.name, Kind: KindOf(err), Err: err}
		}
	}
	return a.errorf(shared.ErrKindInternal, "no regions to fetch")
}

// awsProduct is one entry of an offer file's "products" object.
type awsProduct struct {
	ProductFamily string `json:"productFamily"`
	Attributes    struct {
		InstanceType    string `json:"instanceType"`
		VCPU            string `json:"vcpu"`
		Memory          string `json:"memory"`
		Storage         string `json:"storage"`
		GPU             string `json:"gpu"`
		LocationType    string `json:"locationType"`
		RegionCode      string `json:"regionCode"`
		OperatingSystem string `json:"operatingSystem"`
		Tenancy         string `json:"tenancy"`
		PreInstalledSw  string `json:"preInstalledSw"`
		CapacityStatus  string `json:"capacitystatus"`
		LicenseModel    string `json:"licenseModel"`
		MarketOption    string `json:"marketoption"`
	} `json:"attributes"`
}

// awsTerm is one offer term of a SKU under terms.OnDemand.
type awsTerm struct {
	PriceDimensions map[string]struct {
		Unit         string            `json:"unit"`
		PricePerUnit map[string]string `json:"pricePerUnit"`
	} `json:"priceDimensions"`
}

// keep reports whether a product is a plain on-demand GPU instance: Linux
// without pre-installed software or a bundled license, shared tenancy, and
// "Used" capacity (the other capacity statuses price capacity reservations).
func (p *awsProduct) keep() bool {
	at := &p.Attributes
	if !strings.HasPrefix(p.ProductFamily, "Compute Instance") || at.InstanceType == "" {
		return false
	}
	if at.OperatingSystem != "Linux" || at.Tenancy != "Shared" || at.PreInstalledSw != "NA" ||
		at.CapacityStatus != "Used" || at.LicenseModel != "No License required" {
		return false
	}
	// Local and Wavelength Zones share the parent region's file; only the
	// region itself is offered here. Capacity Blocks are not on-demand.
	if at.LocationType != "" && at.LocationType != "AWS Region" {
		return false
	}
	if at.MarketOption != "" && at.MarketOption != "OnDemand" {
		return false
	}
	_, ok := awsGPUFamilies[awsFamily(at.InstanceType)]
	return ok
}

// awsOfferStream holds what a streaming pass over one offer file keeps.
type awsOfferStream struct {
	dec          *json.Decoder
	kept         map[string]*awsProduct
	prices       map[string]float64
	productsDone bool // products seen, so terms for other SKUs can be skipped
	sawSection   bool
}

// parseAWSOffers reads one region's offer file as a token stream, so memory
// stays proportional to the GPU rows kept, not to the file. Products are
// listed before terms in AWS's files, but terms arriving first are handled
// too: then every on-demand price is remembered until products are known.
func parseAWSOffers(r io.Reader, region string, at origin) ([]shared.Offer, error) {
	s := &awsOfferStream{dec: json.NewDecoder(r), kept: map[string]*awsProduct{}, prices: map[string]float64{}}
	tok, err := s.dec.Token()
	if err != nil {
		return nil, fmt.Errorf("reading offer file: %w", err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("offer file is not a JSON object")
	}
	for s.dec.More() {
		key, err := s.key()
		if err != nil {
			return nil, err
		}
		switch key {
		case "products":
			err = s.products()
		case "terms":
			err = s.terms()
		default:
			err = skipJSONValue(s.dec)
		}
		if err != nil {
			return nil, fmt.Errorf("offer file %s: %w", key, err)
		}
	}
	if _, err := s.dec.Token(); err != nil {
		return nil, fmt.Errorf("offer file end: %w", err)
	}
	if !s.sawSection {
		return nil, errors.New("offer file has neither products nor terms")
	}
	return s.offers(region, at), nil
}

func (s *awsOfferStream) key() (string, error) {
	tok, err := s.dec.Token()
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("expected an object key, got %v", tok)
	}
	return k, nil
}

func (s *awsOfferStream) products() error {
	s.sawSection = true
	if ok, err := openJSONObject(s.dec); !ok {
		return err
	}
	for s.dec.More() {
		sku, err := s.key()
		if err != nil {
			return err
		}
		var p awsProduct
		ok, err := decodeJSONMember(s.dec, &p)
		if err != nil {
			return fmt.Errorf("product %q: %w", sku, err)
		}
		if ok && p.keep() {
			s.kept[sku] = &p // terms are keyed by the same SKU
		}
	}
	_, err := s.dec.Token()
	s.productsDone = true
	return err
}

func (s *awsOfferStream) terms() error {
	s.sawSection = true
	if ok, err := openJSONObject(s.dec); !ok {
		return err
	}
	for s.dec.More() {
		termType, err := s.key()
		if err != nil {
			return err
		}
		if termType == "OnDemand" {
			err = s.onDemand()
		} else {
			err = skipJSONMembers(s.dec) // Reserved is the bulk of the file
		}
		if err != nil {
			return fmt.Errorf("%s: %w", termType, err)
		}
	}
	_, err := s.dec.Token()
	return err
}

func (s *awsOfferStream) onDemand() error {
	if ok, err := openJSONObject(s.dec); !ok {
		return err
	}
	for s.dec.More() {
		sku, err := s.key()
		if err != nil {
			return err
		}
		var terms map[string]awsTerm
		var ok bool
		if s.productsDone && s.kept[sku] == nil {
			_, err = decodeJSONMember(s.dec, &struct{}{})
		} else {
			ok, err = decodeJSONMember(s.dec, &terms)
		}
		if err != nil {
			return fmt.Errorf("sku %q: %w", sku, err)
		}
		if !ok {
			continue
		}
		if p, ok := awsHourlyUSD(terms); ok {
			s.prices[sku] = p
		}
	}
	_, err := s.dec.Token()
	return err
}

// awsHourlyUSD picks the lowest positive hourly USD rate of a SKU's
// on-demand terms (there is normally exactly one).
func awsHourlyUSD(terms map[string]awsTerm) (float64, bool) {
	best, ok := 0.0, false
	for _, t := range terms {
		for _, d := range t.PriceDimensions {
			if d.Unit != "Hrs" {
				continue
			}
			p, err := strconv.ParseFloat(strings.TrimSpace(d.PricePerUnit["USD"]), 64)
			if err != nil || !awsSanePrice(p) {
				continue
			}
			if !ok || p < best {
				best, ok = p, true
			}
		}
	}
	return best, ok
}

// awsSanePrice rejects zero rows (AWS lists $0 placeholders) and values no
// instance costs: below a tenth of a cent an hour the per-GPU price of a
// 16-GPU type rounds to zero, and above $10,000 it is a data error.
func awsSanePrice(p float64) bool {
	return p >= 0.001 && p <= 10000
}

// offers joins kept products with their prices.
func (s *awsOfferStream) offers(region string, at origin) []shared.Offer {
	byID := map[string]shared.Offer{}
	for sku, p := range s.kept {
		price, ok := s.prices[sku]
		if !ok {
			continue
		}
		o, ok := awsOffer(p, price, region, at)
		if !ok {
			continue
		}
		// One SKU per type and region is expected; if AWS ever lists two, the
		// cheaper one wins so ids stay unique and the result deterministic.
		if prev, dup := byID[o.ID]; dup && prev.PricePerHour <= o.PricePerHour {
			continue
		}
		byID[o.ID] = o
	}
	out := make([]shared.Offer, 0, len(byID))
	for _, o := range byID {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func awsOffer(p *awsProduct, price float64, fileRegion string, at origin) (shared.Offer, bool) {
	attr := &p.Attributes
	gpuName, memGB, count, ok := awsInstanceGPU(attr.InstanceType, attr.GPU)
	if !ok {
		return shared.Offer{}, false
	}
	region := fileRegion
	if attr.RegionCode != "" {
		region = attr.RegionCode
	}
	o := at.stamp(shared.Offer{
		ID:           at.id(attr.InstanceType, region),
		InstanceType: attr.InstanceType,
		VCPUs:        awsNumber(attr.VCPU),
		RAMGB:        awsNumber(strings.TrimSuffix(strings.TrimSpace(attr.Memory), "GiB")),
		DiskGB:       awsStorageGB(attr.Storage),
		Currency:     "USD",
		Availability: shared.Available, // the price list has no stock signal
	})
	o.SetGPU(gpuName, memGB, count)
	o.SetPrices(price, 0)
	loc := awsLocation(region)
	o.SetLocation(region, loc)
	o.ComplianceTags = awsCompliance(region, loc)
	return o, o.Validate() == nil
}

// awsNumber parses "192" or "2,048"; anything else is 0 (unknown).
func awsNumber(s string) float64 {
	f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) || f > 1e9 {
		return 0
	}
	return f
}

// awsStorageGB reads local instance storage such as "8 x 3840 NVMe SSD"
// (count x GB); "EBS only" and anything unrecognised is 0.
func awsStorageGB(s string) float64 {
	f := strings.Fields(s)
	if len(f) < 3 || f[1] != "x" {
		return 0
	}
	return awsNumber(f[0]) * awsNumber(f[2])
}

// awsRegions maps AWS region codes to country and state or province.
var awsRegions = map[string][2]string{
	"us-east-1":      {"US", "VA"},
	"us-east-2":      {"US", "OH"},
	"us-west-1":      {"US", "CA"},
	"us-west-2":      {"US", "OR"},
	"us-gov-east-1":  {"US", ""},
	"us-gov-west-1":  {"US", ""},
	"ca-central-1":   {"CA", "QC"},
	"ca-west-1":      {"CA", "AB"},
	"mx-central-1":   {"MX", ""},
	"sa-east-1":      {"BR", ""},
	"eu-west-1":      {"IE", ""},
	"eu-west-2":      {"GB", ""},
	"eu-west-3":      {"FR", ""},
	"eu-central-1":   {"DE", ""},
	"eu-central-2":   {"CH", ""},
	"eu-north-1":     {"SE", ""},
	"eu-south-1":     {"IT", ""},
	"eu-south-2":     {"ES", ""},
	"il-central-1":   {"IL", ""},
	"me-central-1":   {"AE", ""},
	"me-south-1":     {"BH", ""},
	"af-south-1":     {"ZA", ""},
	"ap-northeast-1": {"JP", ""},
	"ap-northeast-2": {"KR", ""},
	"ap-northeast-3": {"JP", ""},
	"ap-east-1":      {"HK", ""},
	"ap-east-2":      {"TW", ""},
	"ap-south-1":     {"IN", ""},
	"ap-south-2":     {"IN", ""},
	"ap-southeast-1": {"SG", ""},
	"ap-southeast-2": {"AU", ""},
	"ap-southeast-3": {"ID", ""},
	"ap-southeast-4": {"AU", ""},
	"ap-southeast-5": {"MY", ""},
	"ap-southeast-6": {"NZ", ""},
	"ap-southeast-7": {"TH", ""},
}

func awsLocation(region string) shared.Location {
	if r, ok := awsRegions[region]; ok {
		return shared.Locate(r[0], r[1])
	}
	return shared.Location{}
}

// awsCompliance lists the attestations AWS publishes for EC2 in every
// commercial region (SOC 2, ISO 27001, PCI DSS, HIPAA eligibility), FedRAMP
// for the US and GovCloud regions, and GDPR for European ones.
func awsCompliance(region string, loc shared.Location) []string {
	certs := []string{"soc2", "iso27001", "pci-dss", "hipaa"}
	if strings.HasPrefix(region, "us-") {
		certs = append(certs, "fedramp")
	}
	return withGDPR(loc, certs...)
}

// openJSONObject consumes the start of a value: true when it is an object
// to iterate; arrays and scalars are consumed whole and yield false.
func openJSONObject(dec *json.Decoder) (bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	switch tok {
	case json.Delim('{'):
		return true, nil
	case json.Delim('['):
		return false, skipJSONRest(dec, 1)
	}
	return false, nil
}

// skipJSONMembers skips a large object of small members (the Reserved
// terms, keyed by SKU): Decoder.Decode would buffer the whole section, so
// only one member at a time is decoded (into nothing, which is far faster
// than walking it token by token).
func skipJSONMembers(dec *json.Decoder) error {
	if ok, err := openJSONObject(dec); !ok {
		return err
	}
	for dec.More() {
		if _, err := dec.Token(); err != nil {
			return err
		}
		if _, err := decodeJSONMember(dec, &struct{}{}); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// decodeJSONMember decodes the next value into v. A value of the wrong shape
// is consumed and reported as ok=false, so one odd entry does not sink a
// whole region; only malformed JSON is an error.
func decodeJSONMember(dec *json.Decoder, v any) (bool, error) {
	err := dec.Decode(v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return false, nil
	}
	return err == nil, err
}

// skipJSONValue consumes one value of unknown size token by token, so it is
// never buffered whole the way Decoder.Decode would.
func skipJSONValue(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == json.Delim('{') || tok == json.Delim('[') {
		return skipJSONRest(dec, 1)
	}
	return nil
}

func skipJSONRest(dec *json.Decoder, depth int) error {
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}
