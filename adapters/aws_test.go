package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/adapters/simulator"
	"github.com/gpubroker/gpubroker/shared"
)

// The offer file below follows the documented layout of a per-region
// AmazonEC2 price list file: header fields, products keyed by SKU, and
// terms.OnDemand / terms.Reserved keyed by SKU and "<sku>.<offerTermCode>".

const awsTestHead = `"formatVersion":"v1.0","disclaimer":"This pricing list is for informational purposes only.","offerCode":"AmazonEC2","version":"20261101000000","publicationDate":"2026-11-01T00:00:00Z"`

// awsTestProduct renders one product; overrides replace default attributes.
func awsTestProduct(sku, family, instanceType string, overrides map[string]string) string {
	at := map[string]string{
		"servicecode": "AmazonEC2", "location": "US East (N. Virginia)", "locationType": "AWS Region",
		"regionCode": "us-east-1", "instanceType": instanceType, "instanceFamily": "GPU instance",
		"vcpu": "4", "memory": "16 GiB", "storage": "EBS only", "gpu": "1", "tenancy": "Shared",
		"operatingSystem": "Linux", "licenseModel": "No License required", "preInstalledSw": "NA",
		"capacitystatus": "Used", "usagetype": "BoxUsage:" + instanceType, "operation": "RunInstances",
		"marketoption": "OnDemand",
	}
	for k, v := range overrides {
		at[k] = v
	}
	b, _ := json.Marshal(map[string]any{"sku": sku, "productFamily": family, "attributes": at})
	return `"` + sku + `":` + string(b)
}

// awsTestTerm renders one SKU's entry under OnDemand or Reserved.
func awsTestTerm(sku, code, unit, usd string) string {
	rate := sku + "." + code + ".6YS6EN2CT7"
	return `"` + sku + `":{"` + sku + "." + code + `":{"offerTermCode":"` + code + `","sku":"` + sku +
		`","effectiveDate":"2026-11-01T00:00:00Z","priceDimensions":{"` + rate + `":{"rateCode":"` + rate +
		`","description":"per hour","beginRange":"0","endRange":"Inf","unit":"` + unit +
		`","pricePerUnit":{"USD":"` + usd + `"},"appliesTo":[]}},"termAttributes":{}}}`
}

var awsTestProducts = "{" + strings.Join([]string{
	awsTestProduct("P5LINUXUSED00001", "Compute Instance", "p5.48xlarge", map[string]string{
		"vcpu": "192", "memory": "2,048 GiB", "storage": "8 x 3840 NVMe SSD", "gpu": "8"}),
	awsTestProduct("P5WINDOWS0000002", "Compute Instance", "p5.48xlarge", map[string]string{
		"operatingSystem": "Windows", "operation": "RunInstances:0002"}),
	awsTestProduct("P5RHEL0000000003", "Compute Instance", "p5.48xlarge", map[string]string{"operatingSystem": "RHEL"}),
	awsTestProduct("P5DEDICATED00004", "Compute Instance", "p5.48xlarge", map[string]string{"tenancy": "Dedicated"}),
	awsTestProduct("P5UNUSEDCR000005", "Compute Instance", "p5.48xlarge", map[string]string{"capacitystatus": "UnusedCapacityReservation"}),
	awsTestProduct("P5SQLWEB00000006", "Compute Instance", "p5.48xlarge", map[string]string{"preInstalledSw": "SQL Web"}),
	awsTestProduct("P5BYOL0000000007", "Compute Instance", "p5.48xlarge", map[string]string{"licenseModel": "Bring your own license"}),
	awsTestProduct("P5CAPBLOCK000008", "Compute Instance", "p5.48xlarge", map[string]string{"marketoption": "CapacityBlock"}),
	awsTestProduct("G6FLARGE00000009", "Compute Instance", "g6f.large", map[string]string{"vcpu": "2", "memory": "8 GiB"}),
	awsTestProduct("DL1GAUDI00000010", "Compute Instance", "dl1.24xlarge", map[string]string{
		"vcpu": "96", "memory": "768 GiB", "storage": "4 x 1000 NVMe SSD", "gpu": "8",
		"instanceFamily": "Machine Learning ASIC Instances"}),
	awsTestProduct("G4DNMETAL0000011", "Compute Instance (bare metal)", "g4dn.metal", map[string]string{
		"vcpu": "96", "memory": "384 GiB", "storage": "2 x 900 NVMe SSD", "gpu": "8"}),
	awsTestProduct("G6FUTURE00000012", "Compute Instance", "g6.96xlarge", map[string]string{"gpu": "16"}),
	awsTestProduct("M7IXLARGE0000013", "Compute Instance", "m7i.xlarge", map[string]string{
		"gpu": "NA", "instanceFamily": "General purpose"}),
	awsTestProduct("G5ZEROPRICE00014", "Compute Instance", "g5.xlarge", nil),
	awsTestProduct("G4DNNOTERM000015", "Compute Instance", "g4dn.xlarge", nil),
	awsTestProduct("G6ELOCALZONE0016", "Compute Instance", "g6e.xlarge", map[string]string{
		"locationType": "AWS Local Zone", "regionCode": "us-east-1-bos-1"}),
	awsTestProduct("G6NOGPUATTR00017", "Compute Instance", "g6.192xlarge", map[string]string{"gpu": "NA"}),
	`"EBSGP30000000018":{"sku":"EBSGP30000000018","productFamily":"Storage","attributes":{"volumeApiName":"gp3","regionCode":"us-east-1"}}`,
}, ",") + "}"

var awsTestTerms = `{"OnDemand":{` + strings.Join([]string{
	awsTestTerm("P5LINUXUSED00001", "JRTCKXETXF", "Hrs", "55.0400000000"),
	awsTestTerm("P5WINDOWS0000002", "JRTCKXETXF", "Hrs", "63.8720000000"),
	awsTestTerm("P5RHEL0000000003", "JRTCKXETXF", "Hrs", "55.1700000000"),
	awsTestTerm("P5DEDICATED00004", "JRTCKXETXF", "Hrs", "60.5440000000"),
	awsTestTerm("P5UNUSEDCR000005", "JRTCKXETXF", "Hrs", "55.0400000000"),
	awsTestTerm("P5SQLWEB00000006", "JRTCKXETXF", "Hrs", "76.7360000000"),
	awsTestTerm("P5BYOL0000000007", "JRTCKXETXF", "Hrs", "55.0400000000"),
	awsTestTerm("P5CAPBLOCK000008", "JRTCKXETXF", "Hrs", "31.4640000000"),
	awsTestTerm("G6FLARGE00000009", "JRTCKXETXF", "Hrs", "0.2018000000"),
	awsTestTerm("DL1GAUDI00000010", "JRTCKXETXF", "Hrs", "13.1090000000"),
	awsTestTerm("G4DNMETAL0000011", "JRTCKXETXF", "Hrs", "7.8240000000"),
	awsTestTerm("G6FUTURE00000012", "JRTCKXETXF", "Hrs", "26.7008000000"),
	awsTestTerm("M7IXLARGE0000013", "JRTCKXETXF", "Hrs", "0.2016000000"),
	awsTestTerm("G5ZEROPRICE00014", "JRTCKXETXF", "Hrs", "0.0000000000"),
	awsTestTerm("G6ELOCALZONE0016", "JRTCKXETXF", "Hrs", "2.2330000000"),
	awsTestTerm("G6NOGPUATTR00017", "JRTCKXETXF", "Hrs", "40.0000000000"),
	awsTestTerm("EBSGP30000000018", "JRTCKXETXF", "GB-Mo", "0.0800000000"),
}, ",") + `},"Reserved":{` + strings.Join([]string{
	awsTestTerm("P5LINUXUSED00001", "4NA7Y494T4", "Hrs", "34.1248000000"),
	awsTestTerm("G6FLARGE00000009", "4NA7Y494T4", "Hrs", "0.1251000000"),
}, ",") + `}}`

var (
	awsDocPayload   = "{" + awsTestHead + `,"products":` + awsTestProducts + `,"terms":` + awsTestTerms + "}"
	awsTermsFirstPL = "{" + awsTestHead + `,"terms":` + awsTestTerms + `,"products":` + awsTestProducts + "}"
)

func TestParseAWS(t *testing.T) {
	for name, payload := range map[string]string{"products first": awsDocPayload, "terms first": awsTermsFirstPL} {
		t.Run(name, func(t *testing.T) {
			offers, err := parseAWSOffers(strings.NewReader(payload), "us-east-1", testOrigin(awsInfo, "https://pricing.us-east-1.amazonaws.com/x/index.json"))
			if err != nil {
				t.Fatal(err)
			}
			requireValid(t, offers)
			byID := map[string]shared.Offer{}
			for _, o := range offers {
				byID[o.ID] = o
			}
			tests := []struct {
				id, gpuID, fraction  string
				known                bool
				count, price, perGPU float64
				vcpus, ram, disk     float64
			}{
				{"aws:p5.48xlarge:us-east-1", "nvidia-h100-sxm-80gb", "", true, 8, 55.04, 6.88, 192, 2048, 30720},
				{"aws:g6f.large:us-east-1", "nvidia-l4-24gb", "1/8", true, 0.125, 0.2018, 1.6144, 2, 8, 0},
				{"aws:dl1.24xlarge:us-east-1", "intel-gaudi-oam-32gb", "", true, 8, 13.109, 1.638625, 96, 768, 4000},
				{"aws:g4dn.metal:us-east-1", "nvidia-t4-16gb", "", true, 8, 7.824, 0.978, 96, 384, 1800},
				{"aws:g6.96xlarge:us-east-1", "nvidia-l4-24gb", "", true, 16, 26.7008, 1.6688, 4, 16, 0},
			}
			if len(offers) != len(tests) {
				t.Fatalf("got %d offers %v, want %d (Windows/RHEL/Dedicated/reservation/SQL/BYOL/capacity-block rows, CPU-only, zero-priced, unpriced, Local Zone and countless rows must be skipped)", len(offers), awsIDs(offers), len(tests))
			}
			for _, tc := range tests {
				o, ok := byID[tc.id]
				if !ok {
					t.Fatalf("missing offer %s in %v", tc.id, awsIDs(offers))
				}
				if o.GPUID != tc.gpuID || o.GPUKnown != tc.known || o.GPUFraction != tc.fraction || o.GPUCount != tc.count ||
					o.PricePerHour != tc.price || o.PricePerGPUHour != tc.perGPU || o.VCPUs != tc.vcpus || o.RAMGB != tc.ram || o.DiskGB != tc.disk {
					t.Errorf("%s: got %+v", tc.id, o)
				}
				if o.Region != "us-east-1" || o.NormalizedRegion != "us-east" || o.Country != "US" || o.Continent != "NA" {
					t.Errorf("%s: location %q %q %q", tc.id, o.Region, o.NormalizedRegion, o.Country)
				}
				if o.Availability != shared.Available || o.SpotPricePerHour != nil || o.Interruptible || o.Currency != "USD" {
					t.Errorf("%s: availability %q spot %v", tc.id, o.Availability, o.SpotPricePerHour)
				}
				if !awsHasTag(o, "fedramp") || awsHasTag(o, "gdpr") || o.FetchedAt != fixedNow {
					t.Errorf("%s: tags %v fetched %v", tc.id, o.ComplianceTags, o.FetchedAt)
				}
			}
		})
	}
}

func TestParseAWSEuropeanRegion(t *testing.T) {
	payload := `{"products":{` + awsTestProduct("G6EFRANKFURT0001", "Compute Instance", "g6e.12xlarge", map[string]string{
		"regionCode": "eu-central-1", "location": "EU (Frankfurt)", "gpu": "4"}) +
		`},"terms":{"OnDemand":{` + awsTestTerm("G6EFRANKFURT0001", "JRTCKXETXF", "Hrs", "12.5911000000") + `}}}`
	offers, err := parseAWSOffers(strings.NewReader(payload), "eu-central-1", testOrigin(awsInfo, "x"))
	if err != nil || len(offers) != 1 {
		t.Fatalf("offers %v, err %v", offers, err)
	}
	o := offers[0]
	if o.ID != "aws:g6e.12xlarge:eu-central-1" || o.GPUID != "nvidia-l40s-48gb" || o.NormalizedRegion != "eu-central" ||
		o.Country != "DE" || !awsHasTag(o, "gdpr") || awsHasTag(o, "fedramp") || o.PricePerGPUHour != 3.147775 {
		t.Errorf("got %+v", o)
	}
}

func TestParseAWSRejectsNonOfferFiles(t *testing.T) {
	for _, in := range []string{``, `[]`, `"x"`, `{}`, `{"products":{"A":`, `<html>AccessDenied</html>`} {
		if offers, err := parseAWSOffers(strings.NewReader(in), "us-east-1", testOrigin(awsInfo, "x")); err == nil {
			t.Errorf("%q: want error, got %d offers", in, len(offers))
		}
	}
}

func TestAWSInstanceTable(t *testing.T) {
	for it, n := range awsGPUCounts {
		g, ok := awsGPUFamilies[awsFamily(it)]
		if !ok || n <= 0 {
			t.Errorf("%s: count %v without a GPU family", it, n)
			continue
		}
		spec, known := shared.LookupGPU(g.name, g.memGB)
		if !known {
			t.Errorf("%s: GPU %q not in catalog", it, g.name)
		}
		if known && float64(spec.MemoryGB) < g.memGB*0.9 {
			t.Errorf("%s: %q resolved to %s", it, g.name, spec.ID)
		}
	}
	for fam := range awsGPUFamilies {
		found := false
		for it := range awsGPUCounts {
			found = found || awsFamily(it) == fam
		}
		if !found {
			t.Errorf("family %s has no sizes", fam)
		}
	}
}

func TestAWSAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "aws")
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated AWS GPU %q (%s) not in catalog", o.ProviderGPUName, o.InstanceType)
		}
	}
	// Independent count: decode every simulated file whole and count the
	// Linux/Shared/Used/no-software GPU rows the adapter should have kept.
	_, base := startSim(t, "aws", nil)
	var idx awsRegionIndex
	awsGetJSON(t, base+awsRegionIndexPath, &idx)
	want := 0
	perRegion := map[string]int{}
	for code, e := range idx.Regions {
		var file struct {
			Products map[string]awsProduct `json:"products"`
		}
		awsGetJSON(t, base+e.CurrentVersionURL, &file)
		for _, p := range file.Products {
			at := p.Attributes
			if at.OperatingSystem == "Linux" && at.Tenancy == "Shared" && at.CapacityStatus == "Used" &&
				at.PreInstalledSw == "NA" && at.GPU != "NA" && p.ProductFamily == "Compute Instance" {
				want++
				perRegion[code]++
			}
		}
	}
	if len(offers) != want {
		t.Errorf("adapter kept %d offers, simulator files hold %d GPU on-demand Linux rows", len(offers), want)
	}
	got := map[string]int{}
	for _, o := range offers {
		got[o.Region]++
	}
	for code, n := range perRegion {
		if got[code] != n {
			t.Errorf("region %s: %d offers, want %d", code, got[code], n)
		}
	}
	if got["eu-central-1"] == 0 {
		t.Error("no offers from eu-central-1, whose file lists terms before products")
	}
}

// TestAWSRegionFailures: a failing region is skipped; only all failing is an error.
func TestAWSRegionFailures(t *testing.T) {
	sim, err := simulator.New(simulator.Config{Seed: 7, Providers: []string{"aws"}})
	if err != nil {
		t.Fatal(err)
	}
	h := sim.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/us-east-2/") {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if strings.Contains(r.URL.Path, "/us-west-2/") {
			_, _ = io.WriteString(w, `{"products":{"X":{"sku":"X"`) // truncated download
			return
		}
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	fetch := func(regions ...string) ([]shared.Offer, error) {
		ad := newAWS(Config{BaseURL: srv.URL + "/aws", Regions: regions, Now: func() time.Time { return fixedNow }})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return ad.Fetch(ctx)
	}
	offers, err := fetch("us-east-1", "us-east-2", "us-west-2", "us-east-1", "nowhere-1")
	if err != nil {
		t.Fatalf("one good region should be enough: %v", err)
	}
	requireValid(t, offers)
	for _, o := range offers {
		if o.Region != "us-east-1" {
			t.Fatalf("offer from failed region: %s", o.ID)
		}
	}
	for _, regions := range [][]string{{"us-east-2"}, {"us-west-2", "nowhere-1"}} {
		if _, err := fetch(regions...); KindOf(err) != shared.ErrKindUpstream {
			t.Errorf("%v: want upstream error, got %v", regions, err)
		}
	}
}

func TestAWSTimeout(t *testing.T) {
	_, base := startSim(t, "aws", map[string]simulator.Fault{"aws": {TimeoutRate: 1}})
	ad := newAWS(Config{BaseURL: base})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := ad.Fetch(ctx); KindOf(err) != shared.ErrKindTimeout {
		t.Fatalf("want timeout, got %v", err)
	}
}

func FuzzParseAWS(f *testing.F) {
	f.Add([]byte(awsDocPayload))
	f.Add([]byte(awsTermsFirstPL))
	f.Add([]byte(`{"products":[1,{"a":[]}],"terms":{"OnDemand":[],"Reserved":{"x":[[[{}]]]}}}`))
	f.Add([]byte(`{"terms":{"OnDemand":{"S":{"S.T":{"priceDimensions":{"R":{"unit":"Hrs","pricePerUnit":{"USD":"1e308"}}}}}}},` +
		`"products":{"S":{"sku":"S","productFamily":"Compute Instance","attributes":{"instanceType":"p5.48xlarge","operatingSystem":"Linux","tenancy":"Shared","preInstalledSw":"NA","capacitystatus":"Used","licenseModel":"No License required","vcpu":"1e999"}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		offers, err := parseAWSOffers(bytes.NewReader(b), "us-east-1", testOrigin(awsInfo, "x"))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for i := range offers {
			if err := offers[i].Validate(); err != nil {
				t.Fatalf("invalid offer from parser: %v", err)
			}
			if seen[offers[i].ID] {
				t.Fatalf("duplicate id %s", offers[i].ID)
			}
			seen[offers[i].ID] = true
		}
	})
}

func awsGetJSON(t *testing.T, u string, out any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func awsIDs(offers []shared.Offer) []string {
	out := make([]string, len(offers))
	for i, o := range offers {
		out[i] = o.ID
	}
	return out
}

func awsHasTag(o shared.Offer, tag string) bool {
	for _, t := range o.ComplianceTags {
		if t == tag {
			return true
		}
	}
	return false
}
