package adapters

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// gcpDocPayload follows the services.skus.list response documented at
// https://cloud.google.com/billing/docs/reference/rest/v1/services.skus/list:
// units is an int64 written as a string (one SKU writes a bare number),
// Spot SKUs have usageType "Preemptible".
const gcpDocPayload = `{
  "skus": [
    {"name": "services/6F81-5844-456A/skus/0A1B-2C3D-0001", "skuId": "0A1B-2C3D-0001",
     "description": "Nvidia H100 80GB GPU running in Americas",
     "category": {"serviceDisplayName": "Compute Engine", "resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "OnDemand"},
     "serviceRegions": ["us-central1", "us-east4", "us-west1"],
     "pricingInfo": [{"summary": "", "pricingExpression": {"usageUnit": "h", "usageUnitDescription": "hour", "baseUnit": "s",
       "baseUnitDescription": "second", "baseUnitConversionFactor": 3600, "displayQuantity": 1,
       "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "9", "nanos": 796550000}}]},
       "currencyConversionRate": 1, "effectiveTime": "2026-11-23T07:41:09.316Z"}],
     "serviceProviderName": "Google", "geoTaxonomy": {"type": "MULTI_REGIONAL", "regions": ["us-central1", "us-east4", "us-west1"]}},
    {"skuId": "0A1B-2C3D-0002", "description": "Nvidia H100 80GB GPU running in Virginia",
     "category": {"resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "OnDemand"},
     "serviceRegions": ["us-east4"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "11", "nanos": 40000000}}]}}]},
    {"skuId": "0A1B-2C3D-0003", "description": "Nvidia H100 80GB GPU attached to Spot Preemptible VMs running in Americas",
     "category": {"resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "Preemptible"},
     "serviceRegions": ["us-central1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "2", "nanos": 250000000}}]}}]},
    {"skuId": "0A1B-2C3D-0004", "description": "A3 Instance Core running in Americas",
     "category": {"resourceFamily": "Compute", "resourceGroup": "CPU", "usageType": "OnDemand"},
     "serviceRegions": ["us-central1", "us-east4", "us-west1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 29155000}}]}}]},
    {"skuId": "0A1B-2C3D-0005", "description": "A3 Instance Ram running in Americas",
     "category": {"resourceFamily": "Compute", "resourceGroup": "RAM", "usageType": "OnDemand"},
     "serviceRegions": ["us-central1", "us-east4"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "GiBy.h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 2555000}}]}}]},
    {"skuId": "0A1B-2C3D-0006", "description": "Spot Preemptible A3 Instance Core running in Americas",
     "category": {"resourceFamily": "Compute", "resourceGroup": "CPU", "usageType": "Preemptible"},
     "serviceRegions": ["us-central1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 8747000}}]}}]},
    {"skuId": "0A1B-2C3D-0007", "description": "Spot Preemptible A3 Instance Ram running in Americas",
     "category": {"resourceFamily": "Compute", "resourceGroup": "RAM", "usageType": "Preemptible"},
     "serviceRegions": ["us-central1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "GiBy.h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 767000}}]}}]},
    {"skuId": "0A1B-2C3D-0008", "description": "SSD backed Local Storage",
     "category": {"resourceFamily": "Storage", "resourceGroup": "LocalSSD", "usageType": "OnDemand"},
     "serviceRegions": ["us-central1", "us-east4", "us-west1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "GiBy.mo", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 80000000}}]}}]},
    {"skuId": "0A1B-2C3D-0009", "description": "SSD backed Local Storage attached to Spot Preemptible VMs",
     "category": {"resourceFamily": "Storage", "resourceGroup": "LocalSSD", "usageType": "Preemptible"},
     "serviceRegions": ["us-central1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "GiBy.mo", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 48000000}}]}}]},
    {"skuId": "0A1B-2C3D-0010", "description": "Nvidia L4 GPU running in Netherlands",
     "category": {"resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "OnDemand"},
     "serviceRegions": ["europe-west4"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": 0, "nanos": 616232000}}]}}]},
    {"skuId": "0A1B-2C3D-0011", "description": "G2 Instance Core running in Netherlands",
     "category": {"resourceFamily": "Compute", "resourceGroup": "CPU", "usageType": "OnDemand"},
     "serviceRegions": ["europe-west4"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 27487000}}]}}]},
    {"skuId": "0A1B-2C3D-0012", "description": "G2 Instance Ram running in Netherlands",
     "category": {"resourceFamily": "Compute", "resourceGroup": "RAM", "usageType": "OnDemand"},
     "serviceRegions": ["europe-west4"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "GiBy.h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 3220000}}]}}]},
    {"skuId": "0A1B-2C3D-0013", "description": "A4 Nvidia B200 (1 gpu slice) attached to Spot Preemptible VMs running in Americas",
     "category": {"resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "Preemptible"},
     "serviceRegions": ["us-central1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "5", "nanos": 638500000}}]}}]},
    {"skuId": "0A1B-2C3D-0014", "description": "Nvidia Tesla A100 GPU running in Tokyo",
     "category": {"resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "OnDemand"},
     "serviceRegions": ["asia-northeast1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "3", "nanos": 784741000}}]}}]},
    {"skuId": "0A1B-2C3D-0015", "description": "A2 Instance Core running in Tokyo",
     "category": {"resourceFamily": "Compute", "resourceGroup": "CPU", "usageType": "OnDemand"},
     "serviceRegions": ["asia-northeast1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 40778000}}]}}]},
    {"skuId": "0A1B-2C3D-0016", "description": "A2 Instance Ram running in Tokyo",
     "category": {"resourceFamily": "Compute", "resourceGroup": "RAM", "usageType": "OnDemand"},
     "serviceRegions": ["asia-northeast1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "GiBy.h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 5466000}}]}}]},
    {"skuId": "0A1B-2C3D-0017", "description": "Nvidia Tesla T4 GPU running in Mars",
     "category": {"resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "OnDemand"},
     "serviceRegions": ["mars-north1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 350000000}}]}}]},
    {"skuId": "0A1B-2C3D-0018", "description": "N1 Predefined Instance Core running in Mars",
     "category": {"resourceFamily": "Compute", "resourceGroup": "N1Standard", "usageType": "OnDemand"},
     "serviceRegions": ["mars-north1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 31611000}}]}}]},
    {"skuId": "0A1B-2C3D-0019", "description": "N1 Predefined Instance Ram running in Mars",
     "category": {"resourceFamily": "Compute", "resourceGroup": "N1Standard", "usageType": "OnDemand"},
     "serviceRegions": ["mars-north1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "GiBy.h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 4237000}}]}}]},
    {"skuId": "0A1B-2C3D-0020", "description": "Commitment v1: Nvidia H100 80GB GPU in Americas for 1 Year",
     "category": {"resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "Commit1Yr"},
     "serviceRegions": ["us-central1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "6", "nanos": 0}}]}}]},
    {"skuId": "0A1B-2C3D-0021", "description": "Reserved Nvidia H100 80GB GPU running in Americas",
     "category": {"resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "OnDemand"},
     "serviceRegions": ["us-central1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 0}}]}}]},
    {"skuId": "0A1B-2C3D-0022", "description": "Nvidia Tesla V100 GPU running in Americas",
     "category": {"resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "OnDemand"},
     "serviceRegions": ["us-central1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 0}}]}}]},
    {"skuId": "0A1B-2C3D-0023", "description": "N2 Instance Core running in Americas",
     "category": {"resourceFamily": "Compute", "resourceGroup": "CPU", "usageType": "OnDemand"},
     "serviceRegions": ["us-central1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": 31611000}}]}}]},
    {"skuId": "0A1B-2C3D-0024", "description": "Nvidia Tesla P4 GPU running in Americas",
     "category": {"resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "OnDemand"},
     "serviceRegions": "us-central1",
     "pricingInfo": []},
    {"skuId": "0A1B-2C3D-0025", "description": "Nvidia Tesla P100 GPU running in Americas",
     "category": {"resourceFamily": "Compute", "resourceGroup": "GPU", "usageType": "OnDemand"},
     "serviceRegions": ["us-central1"],
     "pricingInfo": [{"pricingExpression": {"usageUnit": "h", "tieredRates": [{"startUsageAmount": 0, "unitPrice": {"currencyCode": "EUR", "units": "1", "nanos": 340000000}}]}}]}
  ],
  "nextPageToken": ""
}`

func TestParseGCP(t *testing.T) {
	var page gcpSKUPage
	if err := json.Unmarshal([]byte(gcpDocPayload), &page); err != nil {
		t.Fatal(err)
	}
	offers, err := parseGCP(page.SKUs, testOrigin(gcpInfo, "https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	// H100 in us-central1, us-east4 (five A3 machines each; us-west1 has no
	// A3 RAM rate), eight G2 shapes in europe-west4, one spot-only A4, five
	// A2 shapes in Tokyo and four N1+T4 shapes in the unknown region. The
	// commitment, the reserved and zero-priced SKUs, N2, the malformed P4 and
	// the EUR-priced P100 add nothing.
	if len(offers) != 10+8+1+5+4 {
		t.Fatalf("got %d offers, want 28", len(offers))
	}
	lssd := 0.08 / 730
	a3 := func(gpu, vcpu, ram, ssd float64) float64 {
		return gpu + vcpu*0.029155 + ram*0.002555 + ssd*lssd
	}
	a3spot := func(gpus, vcpu, ram, ssd float64) float64 {
		return gpus*2.25 + vcpu*0.008747 + ram*0.000767 + ssd*0.048/730
	}
	tests := []struct {
		id                          string
		gpuID                       string
		count, price                float64
		spot                        float64 // 0 = none
		interruptible               bool
		region, normRegion, country string
		disk                        float64
		gdpr                        bool
	}{
		{"gcp:a3-highgpu-1g:us-central1", "nvidia-h100-sxm-80gb", 1, a3(9.79655, 26, 234, 750), a3spot(1, 26, 234, 750), false, "us-central1", "us-central", "US", 750, false},
		{"gcp:a3-highgpu-8g:us-central1", "nvidia-h100-sxm-80gb", 8, a3(8*9.79655, 208, 1872, 6000), a3spot(8, 208, 1872, 6000), false, "us-central1", "us-central", "US", 6000, false},
		// The Virginia SKU is narrower than the Americas one and wins there.
		{"gcp:a3-highgpu-1g:us-east4", "nvidia-h100-sxm-80gb", 1, a3(11.04, 26, 234, 750), 0, false, "us-east4", "us-east", "US", 750, false},
		{"gcp:a3-edgegpu-8g:us-east4", "nvidia-h100-sxm-80gb", 8, a3(8*11.04, 208, 1872, 6000), 0, false, "us-east4", "us-east", "US", 6000, false},
		{"gcp:g2-standard-4:europe-west4", "nvidia-l4-24gb", 1, 0.616232 + 4*0.027487 + 16*0.00322, 0, false, "europe-west4", "eu-west", "NL", 0, true},
		{"gcp:g2-standard-48:europe-west4", "nvidia-l4-24gb", 4, 4*0.616232 + 48*0.027487 + 192*0.00322, 0, false, "europe-west4", "eu-west", "NL", 0, true},
		{"gcp:a4-highgpu-8g:us-central1", "nvidia-b200-sxm-180gb", 8, 8 * 5.6385, 0, true, "us-central1", "us-central", "US", 12000, false},
		{"gcp:a2-highgpu-1g:asia-northeast1", "nvidia-a100-sxm-40gb", 1, 3.784741 + 12*0.040778 + 85*0.005466, 0, false, "asia-northeast1", "ap-northeast", "JP", 0, false},
		{"gcp:a2-megagpu-16g:asia-northeast1", "nvidia-a100-sxm-40gb", 16, 16*3.784741 + 96*0.040778 + 1360*0.005466, 0, false, "asia-northeast1", "ap-northeast", "JP", 0, false},
		{"gcp:n1-standard-8_1xt4:mars-north1", "nvidia-t4-16gb", 1, 0.35 + 8*0.031611 + 30*0.004237, 0, false, "mars-north1", "", "", 0, false},
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 2e-6 }
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Errorf("missing offer %s", tc.id)
			continue
		}
		if o.GPUID != tc.gpuID || o.GPUCount != tc.count || !near(o.PricePerHour, tc.price) || !near(o.PricePerGPUHour, tc.price/tc.count) ||
			o.Interruptible != tc.interruptible || o.Region != tc.region || o.NormalizedRegion != tc.normRegion ||
			o.Country != tc.country || o.DiskGB != tc.disk || o.Availability != shared.Available || o.Currency != "USD" {
			t.Errorf("%s: got %+v (price %v want %v)", tc.id, o, o.PricePerHour, tc.price)
		}
		switch {
		case tc.spot == 0 && o.SpotPricePerHour != nil:
			t.Errorf("%s: unexpected spot %v", tc.id, *o.SpotPricePerHour)
		case tc.spot != 0 && (o.SpotPricePerHour == nil || !near(*o.SpotPricePerHour, tc.spot)):
			t.Errorf("%s: spot %v, want %v", tc.id, o.SpotPricePerHour, tc.spot)
		}
		if slices.Contains(o.ComplianceTags, "gdpr") != tc.gdpr || !slices.Contains(o.ComplianceTags, "soc2") {
			t.Errorf("%s: compliance %v", tc.id, o.ComplianceTags)
		}
	}
	for _, o := range offers {
		if o.Region == "us-west1" {
			t.Errorf("%s: us-west1 has no A3 RAM rate and must be skipped", o.ID)
		}
	}
}

func TestGCPSKUHead(t *testing.T) {
	for in, want := range map[string]string{
		"Nvidia H100 80GB GPU attached to Spot Preemptible VMs running in Americas": "Nvidia H100 80GB GPU",
		"Spot Preemptible A3 Instance Core running in Americas":                     "A3 Instance Core",
		"A4 Nvidia B200 (1 gpu slice) running in Netherlands":                       "A4 Nvidia B200 (1 gpu slice)",
		"SSD backed Local Storage attached to Spot Preemptible VMs in Belgium":      "SSD backed Local Storage",
		"SSD backed Local Storage":                                                  "SSD backed Local Storage",
		"Commitment v1: A2 Cpu in Americas for 1 Year":                              "Commitment v1: A2 Cpu",
	} {
		if got := gcpSKUHead(in); got != want {
			t.Errorf("gcpSKUHead(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every machine in the table names a GPU the catalog knows, with the
// canonical identity other providers use for the same chip.
func TestGCPMachineTableGPUs(t *testing.T) {
	want := map[string]string{
		"a100-40": "nvidia-a100-sxm-40gb", "a100-80": "nvidia-a100-sxm-80gb", "h100": "nvidia-h100-sxm-80gb",
		"h100mega": "nvidia-h100-sxm-80gb", "h200": "nvidia-h200-sxm-141gb", "b200": "nvidia-b200-sxm-180gb",
		"l4": "nvidia-l4-24gb", "t4": "nvidia-t4-16gb", "v100": "nvidia-v100-sxm-16gb",
		"p100": "nvidia-p100-pcie-16gb", "p4": "nvidia-p4-8gb",
	}
	for _, m := range gcpMachines {
		a, ok := gcpAccels[m.accel]
		if !ok {
			t.Fatalf("%s: unknown accelerator %q", m.name, m.accel)
		}
		spec, known := shared.LookupGPU(a.name, a.memGB)
		if !known || spec.ID != want[m.accel] {
			t.Errorf("%s: %s -> %s (known %v), want %s", m.name, a.name, spec.ID, known, want[m.accel])
		}
		if m.family != "" && !slices.Contains(mapValues(gcpHostFamilies), m.family) {
			t.Errorf("%s: family %q has no vCPU/RAM SKU", m.name, m.family)
		}
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestGCPAgainstSimulator(t *testing.T) {
	sim, base := startSim(t, "gcp", nil)
	ad, err := New("gcp", Config{BaseURL: base, APIKey: shared.NewSecret("sim-key"), Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offers, err := ad.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	if n := sim.Requests("gcp"); n < 2 {
		t.Errorf("simulator served %d pages; the adapter must follow nextPageToken", n)
	}
	families := map[string]bool{}
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated GCP GPU %q not in catalog", o.ProviderGPUName)
		}
		if o.Provider != "gcp" || o.Source != base+gcpSKUsPath {
			t.Errorf("%s: provider %s source %s", o.ID, o.Provider, o.Source)
		}
		families[o.GPUID] = true
	}
	for _, id := range []string{"nvidia-h100-sxm-80gb", "nvidia-a100-sxm-80gb", "nvidia-l4-24gb", "nvidia-t4-16gb", "nvidia-b200-sxm-180gb", "nvidia-h200-sxm-141gb"} {
		if !families[id] {
			t.Errorf("no simulated GCP offer for %s", id)
		}
	}

	// Regions limit the offers to the configured region codes.
	ad, _ = New("gcp", Config{BaseURL: base, APIKey: shared.NewSecret("sim-key"), Regions: []string{"us-central1"}, Now: func() time.Time { return fixedNow }})
	limited, err := ad.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(limited) == 0 || len(limited) >= len(offers) {
		t.Errorf("region filter kept %d of %d offers", len(limited), len(offers))
	}
	for _, o := range limited {
		if o.Region != "us-central1" {
			t.Errorf("%s outside the configured region", o.ID)
		}
	}
}

func TestGCPNeedsKey(t *testing.T) {
	_, base := startSim(t, "gcp", nil)
	ad, _ := New("gcp", Config{BaseURL: base})
	if _, err := ad.Fetch(context.Background()); KindOf(err) != shared.ErrKindAuth {
		t.Errorf("fetch without key: %v, want an auth error", err)
	}
	// The simulator answers a keyless call the way googleapis.com does.
	resp, err := http.Get(base + gcpSKUsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Error struct {
			Code   int    `json:"code"`
			Status string `json:"status"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusForbidden || body.Error.Status != "PERMISSION_DENIED" {
		t.Errorf("keyless call: HTTP %d %+v %v", resp.StatusCode, body, err)
	}
}

func FuzzParseGCP(f *testing.F) {
	f.Add([]byte(gcpDocPayload))
	f.Add([]byte(`{"skus":[{"description":"Nvidia L4 GPU running in X","category":{"resourceFamily":"Compute","usageType":"OnDemand"},"serviceRegions":["x"],"pricingInfo":[{"pricingExpression":{"usageUnit":"h","tieredRates":[{"unitPrice":{"units":"-1","nanos":-5}}]}}]}]}`))
	f.Add([]byte(`{"skus":[{"description":"A4 Nvidia B200 (1 gpu slice) running in X","category":{"resourceFamily":"Compute","usageType":"Preemptible"},"serviceRegions":["x"," "],"pricingInfo":[{"pricingExpression":{"usageUnit":"h","tieredRates":[{"unitPrice":{"units":"99999","nanos":999999999}}]}}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var page gcpSKUPage
		if json.Unmarshal(b, &page) != nil {
			return
		}
		offers, err := parseGCP(page.SKUs, testOrigin(gcpInfo, "x"))
		if err != nil {
			return
		}
		for i := range offers {
			if err := offers[i].Validate(); err != nil {
				t.Fatalf("invalid offer from parser: %v", err)
			}
		}
	})
}
