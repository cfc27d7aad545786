package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// ociShapesDoc follows shapes.json of the OCI Cost Estimator, with the
// quirks of the real file: a display suffix on GB200, gpuMemoryQty per GPU
// on MI355X, null OCPU and memory quantities on B300, a fractional disk qty,
// null gpuQty on a GPU shape.
const ociShapesDoc = `{"items": [
  {"name": "BM.GPU.H100.8", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 2048, "gpuQty": 8, "gpuMemoryQty": 640,
   "processorType": {"value": "hopper"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B98415", "qty": 112, "type": {"value": "ocpu"}}]},
  {"name": "BM.GPU.H100.8", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 2048, "gpuQty": 8, "gpuMemoryQty": 640,
   "processorType": {"value": "hopper"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B98415", "qty": 112, "type": {"value": "ocpu"}}]},
  {"name": "BM.GPU4.8", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 2048, "gpuQty": 8, "gpuMemoryQty": 320,
   "processorType": {"value": "arm"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B92740", "qty": 64, "type": {"value": "ocpu"}}]},
  {"name": "BM.GPU.A100-v2.8", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 2048, "gpuQty": 8, "gpuMemoryQty": 640,
   "processorType": {"value": "arm"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B95907", "qty": 128, "type": {"value": "ocpu"}}]},
  {"name": "BM.GPU.GB200.4 (NVL72)", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 960, "gpuQty": 4, "gpuMemoryQty": 756,
   "processorType": {"value": "blackwell"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B110979", "qty": 128, "type": {"value": "ocpu"}}]},
  {"name": "VM.GPU3.1", "hidden": false, "status": "ACTIVE", "allowPreemptible": true,
   "bundleMemoryQty": 90, "gpuQty": 1, "gpuMemoryQty": 16,
   "processorType": {"value": "volta"}, "shapeType": {"value": "vm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B89734", "qty": 6, "type": {"value": "ocpu"}}]},
  {"name": "BM.GPU.MI355X.8", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 3072, "gpuQty": 8, "gpuMemoryQty": 288,
   "processorType": {"value": "amd"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B111758", "qty": 128, "type": {"value": "ocpu"}}]},
  {"name": "BM.GPU.X9.8", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 2048, "gpuQty": 8, "gpuMemoryQty": 1024,
   "processorType": {"value": "intel"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B99999", "qty": 112, "type": {"value": "ocpu"}}]},
  {"name": "BM.GPU.L40S.4", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 1024, "gpuQty": null, "gpuMemoryQty": null,
   "processorType": {"value": "intel"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B109479", "qty": 112, "type": {"value": "ocpu"}}]},
  {"name": "BM.GPU.B300.8", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": null, "gpuQty": 8, "gpuMemoryQty": 2100,
   "processorType": {"value": "blackwell"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B112237", "qty": null, "type": {"value": "ocpu"}}]},
  {"name": "VM.GPU2.1", "hidden": true, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 72, "gpuQty": 1, "gpuMemoryQty": 16,
   "processorType": {"value": "intel"}, "shapeType": {"value": "vm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B88514", "qty": 12, "type": {"value": "ocpu"}}]},
  {"name": "BM.GPU3.8", "hidden": false, "status": "DEPRECATED", "allowPreemptible": false,
   "bundleMemoryQty": 768, "gpuQty": 8, "gpuMemoryQty": 128,
   "processorType": {"value": "intel"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B89734", "qty": 52, "type": {"value": "ocpu"}}]},
  {"name": "VM.GPU.A10.1", "hidden": false, "status": "ACTIVE", "allowPreemptible": true,
   "bundleMemoryQty": 240, "gpuQty": 1, "gpuMemoryQty": 24,
   "processorType": {"value": "arm"}, "shapeType": {"value": "vm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B95909", "qty": 15, "type": {"value": "ocpu"}}]},
  {"name": "BM.GPU.H200.8", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 3072, "gpuQty": 8, "gpuMemoryQty": 1128,
   "processorType": {"value": "hopper"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B110519", "qty": 112, "type": {"value": "ocpu"}}]},
  {"name": "BM.GPU.B200.8", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 4096, "gpuQty": 8, "gpuMemoryQty": 1440,
   "processorType": {"value": "blackwell"}, "shapeType": {"value": "bm"}, "subType": {"value": "gpu"},
   "products": [{"partNumber": "B404404", "qty": 128, "type": {"value": "ocpu"}}]},
  {"name": "BM.Standard.E4.128", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 2048, "gpuQty": null, "gpuMemoryQty": null,
   "processorType": {"value": "amd"}, "shapeType": {"value": "bm"}, "subType": {"value": "standard"},
   "products": [{"partNumber": "B93113", "qty": 128, "type": {"value": "ocpu"}},
                {"partNumber": "B93114", "qty": 2048, "type": {"value": "memory"}}]},
  {"name": "VM.Standard.E4.Flex", "hidden": false, "status": "ACTIVE", "allowPreemptible": true,
   "bundleMemoryQty": 0, "gpuQty": null, "gpuMemoryQty": null,
   "processorType": {"value": "amd"}, "shapeType": {"value": "vm"}, "subType": {"value": "flexible"},
   "products": [{"partNumber": "B93113", "qty": 0, "min": 1, "max": 64, "type": {"value": "ocpu"}},
                {"partNumber": "B93114", "qty": 0, "min": 1, "max": 1024, "type": {"value": "memory"}}]},
  {"name": "BM.DenseIO.E5.128", "hidden": false, "status": "ACTIVE", "allowPreemptible": false,
   "bundleMemoryQty": 1536, "gpuQty": null, "gpuMemoryQty": null,
   "processorType": {"value": "amd"}, "shapeType": {"value": "bm"}, "subType": {"value": "dense"},
   "products": [{"partNumber": "B98202", "qty": 128, "type": {"value": "ocpu"}},
                {"partNumber": "B98203", "qty": 1536, "type": {"value": "memory"}},
                {"partNumber": "B98204", "qty": 81.6, "type": {"value": "disk"}}]}
]}`

// ociProductsDoc follows products.json: GPU parts billed per GPU-hour in
// several currencies, one part priced only in EUR, one at zero, one tiered,
// plus CPU and non-compute parts.
const ociProductsDoc = `{"lastUpdated": "2026-11-20T09:14:02.117Z", "items": [
  {"partNumber": "B98415", "displayName": "Oracle Cloud Infrastructure - Compute - GPU - H100",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [
     {"currencyCode": "EUR", "prices": [{"model": "PAY_AS_YOU_GO", "value": 9.2}]},
     {"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 10}]}]},
  {"partNumber": "B92740", "displayName": "Compute - GPU - E3",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 3.05}]}]},
  {"partNumber": "B95907", "displayName": "Compute - GPU - A100 - v2",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 4}]}]},
  {"partNumber": "B110979", "displayName": "OCI - Compute - GPU - GB200",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 16}]}]},
  {"partNumber": "B89734", "displayName": "Compute - Virtual Machine GPU Standard - X7",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 2.95}]}]},
  {"partNumber": "B111758", "displayName": "OCI- Compute - GPU - MI355X",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 8.6}]}]},
  {"partNumber": "B99999", "displayName": "OCI - Compute - GPU - X9",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [
     {"model": "PAY_AS_YOU_GO", "value": 4.5, "rangeMin": 100, "rangeMax": 999999},
     {"model": "PAY_AS_YOU_GO", "value": 5, "rangeMin": 0, "rangeMax": 100}]}]},
  {"partNumber": "B109479", "displayName": "Compute - GPU - L40S",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 3.5}]}]},
  {"partNumber": "B112237", "displayName": "Oracle Cloud Infrastructure - Compute - GPU - B300",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 15}]}]},
  {"partNumber": "B88514", "displayName": "Compute - GPU Standard - V2",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 1.275}]}]},
  {"partNumber": "B95909", "displayName": "Compute  - GPU - A10",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "EUR", "prices": [{"model": "PAY_AS_YOU_GO", "value": 1.84}]}]},
  {"partNumber": "B110519", "displayName": "OCI - Compute - GPU - H200",
   "metricName": "GPU Per Hour", "serviceCategory": "Compute - GPU", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 0}]}]},
  {"partNumber": "B93113", "displayName": "Compute - Standard - E4 - OCPU",
   "metricName": "OCPU Per Hour", "serviceCategory": "Compute - Virtual Machine", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 0.025}]}]},
  {"partNumber": "B93114", "displayName": "Compute - Standard - E4 - Memory",
   "metricName": "Gigabyte Per Hour", "serviceCategory": "Compute - Virtual Machine", "billingModel": "UCM", "pricetype": "HOUR",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [{"model": "PAY_AS_YOU_GO", "value": 0.0015}]}]},
  {"partNumber": "B91628", "displayName": "Object Storage - Storage",
   "metricName": "Gigabyte Storage Capacity Per Month", "serviceCategory": "Storage - Object Storage", "billingModel": "UCM", "pricetype": "MONTH",
   "currencyCodeLocalizations": [{"currencyCode": "USD", "prices": [
     {"model": "PAY_AS_YOU_GO", "value": 0, "rangeMin": 0, "rangeMax": 10},
     {"model": "PAY_AS_YOU_GO", "value": 0.0255, "rangeMin": 10, "rangeMax": 999999999999}]}]}
]}`

const ociTestSource = "https://www.oracle.com/a/ocom/docs/cloudestimator2/data/products.json"

func ociDocs(t *testing.T) (ociShapeList, ociProductList) {
	t.Helper()
	var shapes ociShapeList
	var products ociProductList
	if err := json.Unmarshal([]byte(ociShapesDoc), &shapes); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(ociProductsDoc), &products); err != nil {
		t.Fatal(err)
	}
	return shapes, products
}

func TestParseOCI(t *testing.T) {
	shapes, products := ociDocs(t)
	// Duplicates, case and blanks in the configured regions are tolerated;
	// xx-newcity-1 stands for a region newer than the location table.
	regions := []string{"us-ashburn-1", "eu-frankfurt-1", " AP-TOKYO-1 ", "us-ashburn-1", "", "xx-newcity-1"}
	offers, err := parseOCI(shapes, products, regions, testOrigin(ociInfo, ociTestSource))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	// Priced GPU shapes: H100 (listed twice), GPU4, A100-v2, GB200, GPU3.1,
	// MI355X, X9, L40S, B300; skipped: hidden, deprecated, EUR-only, zero
	// price, unknown part, CPU-only.
	if want := 9 * 4; len(offers) != want {
		t.Fatalf("got %d offers, want %d", len(offers), want)
	}
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	tests := []struct {
		id, instance, gpuID         string
		known                       bool
		count, price, perGPU, vcpus float64
		ram                         float64
		region, normRegion, country string
		gdpr                        bool
	}{
		{"oci:BM.GPU.H100.8:us-ashburn-1", "BM.GPU.H100.8", "nvidia-h100-sxm-80gb", true, 8, 80, 10, 224, 2048, "us-ashburn-1", "us-east", "US", false},
		{"oci:BM.GPU.H100.8:eu-frankfurt-1", "BM.GPU.H100.8", "nvidia-h100-sxm-80gb", true, 8, 80, 10, 224, 2048, "eu-frankfurt-1", "eu-central", "DE", true},
		{"oci:BM.GPU4.8:ap-tokyo-1", "BM.GPU4.8", "nvidia-a100-sxm-40gb", true, 8, 24.4, 3.05, 128, 2048, "ap-tokyo-1", "ap-northeast", "JP", false},
		{"oci:BM.GPU.A100-v2.8:us-ashburn-1", "BM.GPU.A100-v2.8", "nvidia-a100-sxm-80gb", true, 8, 32, 4, 256, 2048, "us-ashburn-1", "us-east", "US", false},
		// Grace host: one vCPU per OCPU; the display suffix is dropped.
		{"oci:BM.GPU.GB200.4:us-ashburn-1", "BM.GPU.GB200.4", "nvidia-gb200-186gb", true, 4, 64, 16, 128, 960, "us-ashburn-1", "us-east", "US", false},
		{"oci:VM.GPU3.1:eu-frankfurt-1", "VM.GPU3.1", "nvidia-v100-sxm-16gb", true, 1, 2.95, 2.95, 12, 90, "eu-frankfurt-1", "eu-central", "DE", true},
		{"oci:BM.GPU.MI355X.8:us-ashburn-1", "BM.GPU.MI355X.8", "amd-mi355x-oam-288gb", true, 8, 68.8, 8.6, 256, 3072, "us-ashburn-1", "us-east", "US", false},
		// Unknown model kept, priced at the first tier of its part.
		{"oci:BM.GPU.X9.8:us-ashburn-1", "BM.GPU.X9.8", "unknown-x9-128gb", false, 8, 40, 5, 224, 2048, "us-ashburn-1", "us-east", "US", false},
		// gpuQty null: the count comes from the shape name.
		{"oci:BM.GPU.L40S.4:ap-tokyo-1", "BM.GPU.L40S.4", "nvidia-l40s-48gb", true, 4, 14, 3.5, 224, 1024, "ap-tokyo-1", "ap-northeast", "JP", false},
		// OCPU and memory quantities missing: still priced, specs unknown.
		{"oci:BM.GPU.B300.8:xx-newcity-1", "BM.GPU.B300.8", "nvidia-b300-sxm-288gb", true, 8, 120, 15, 0, 0, "xx-newcity-1", "", "", false},
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Errorf("missing offer %s", tc.id)
			continue
		}
		if o.InstanceType != tc.instance || o.GPUID != tc.gpuID || o.GPUKnown != tc.known || o.GPUCount != tc.count ||
			o.PricePerHour != tc.price || o.PricePerGPUHour != tc.perGPU || o.VCPUs != tc.vcpus || o.RAMGB != tc.ram ||
			o.Region != tc.region || o.NormalizedRegion != tc.normRegion || o.Country != tc.country {
			t.Errorf("%s: got %+v", tc.id, o)
		}
		wantTags := []string{"soc2", "hipaa", "iso27001", "pci-dss"}
		if tc.gdpr {
			wantTags = append(wantTags, "gdpr")
		}
		if !slices.Equal(o.ComplianceTags, wantTags) {
			t.Errorf("%s: compliance %v, want %v", tc.id, o.ComplianceTags, wantTags)
		}
	}
	for _, o := range offers {
		// No stock signal, no preemptible price in the data.
		if o.Availability != shared.Available || o.SpotPricePerHour != nil || o.Interruptible {
			t.Errorf("%s: availability %q spot %v interruptible %v", o.ID, o.Availability, o.SpotPricePerHour, o.Interruptible)
		}
		if o.Currency != "USD" || o.Source != ociTestSource || !o.FetchedAt.Equal(fixedNow) {
			t.Errorf("%s: currency %q source %q fetched %v", o.ID, o.Currency, o.Source, o.FetchedAt)
		}
	}
	for _, skipped := range []string{"VM.GPU2.1", "BM.GPU3.8", "VM.GPU.A10.1", "BM.GPU.H200.8", "BM.GPU.B200.8", "BM.Standard.E4.128", "VM.Standard.E4.Flex", "BM.DenseIO.E5.128"} {
		if _, ok := byID[shared.OfferID("oci", skipped, "us-ashburn-1")]; ok {
			t.Errorf("shape %s must be skipped", skipped)
		}
	}
}

func TestParseOCIDefaultRegions(t *testing.T) {
	shapes, products := ociDocs(t)
	offers, err := parseOCI(shapes, products, nil, testOrigin(ociInfo, ociTestSource))
	if err != nil {
		t.Fatal(err)
	}
	if want := 9 * len(ociDefaultRegions); len(offers) != want {
		t.Fatalf("got %d offers, want %d", len(offers), want)
	}
	for _, o := range offers {
		if o.Country == "" || o.NormalizedRegion == "" {
			t.Errorf("default region %s is not in the location table", o.Region)
		}
	}
}

// TestOCIShapePriceParts covers parts metered per OCPU and per gigabyte,
// which GPU shapes may carry besides their GPU rate.
func TestOCIShapePriceParts(t *testing.T) {
	usd := func(part, metric string, v float64) ociProduct {
		var p ociProduct
		raw := `{"partNumber":"` + part + `","metricName":"` + metric + `","pricetype":"HOUR","currencyCodeLocalizations":[{"currencyCode":"USD","prices":[{"model":"PAY_AS_YOU_GO","value":` + ociNumText(v) + `}]}]}`
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	byPart := map[string]*ociProduct{}
	for _, p := range []ociProduct{usd("P-OCPU", "OCPU Per Hour", 0.5), usd("P-MEM", "Gigabyte Per Hour", 0.002), usd("P-GPU", "", 2)} {
		byPart[p.PartNumber] = &p
	}
	shape := func(ocpuPart string, memQty float64) *ociShape {
		return &ociShape{Products: []ociShapeProduct{
			{PartNumber: ocpuPart, Qty: 30, Type: ociValue{"ocpu"}},
			{PartNumber: "P-MEM", Qty: ociNum(memQty), Type: ociValue{"memory"}},
			{PartNumber: "P-DISK", Qty: 6.8, Type: ociValue{"disk"}},
		}}
	}
	tests := []struct {
		name  string
		shape *ociShape
		price float64
	}{
		{"per OCPU plus memory", shape("P-OCPU", 480), 30*0.5 + 480*0.002},
		{"no metric: per GPU", shape("P-GPU", 480), 2*2 + 480*0.002},
		{"memory part without qty adds nothing", shape("P-GPU", 0), 2 * 2},
	}
	for _, tc := range tests {
		price, ocpus, _, ok := ociShapePrice(tc.shape, 2, byPart)
		if !ok || ocpus != 30 || price != tc.price {
			t.Errorf("%s: price %v ocpus %v ok %v, want %v", tc.name, price, ocpus, ok, tc.price)
		}
	}
}

func ociNumText(v float64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestParseOCINoGPUShapes(t *testing.T) {
	var shapes ociShapeList
	if err := json.Unmarshal([]byte(`{"items":[{"name":"VM.Standard2.8","status":"ACTIVE","gpuQty":null,
		"products":[{"partNumber":"B88317","qty":8,"type":{"value":"ocpu"}}]}]}`), &shapes); err != nil {
		t.Fatal(err)
	}
	_, err := parseOCI(shapes, ociProductList{}, nil, testOrigin(ociInfo, ociTestSource))
	if !errors.Is(err, errOCINoOffers) {
		t.Fatalf("got %v, want errOCINoOffers: a file without GPU shapes means the format changed", err)
	}
}

func TestOCIGPUName(t *testing.T) {
	tests := map[string]string{
		"BM.GPU.H100.8":    "H100",
		"VM.GPU.A10.2":     "A10",
		"BM.GPU.A100-v2.8": "A100 SXM4 80GB",
		"BM.GPU4.8":        "A100 SXM4 40GB",
		"VM.GPU3.4":        "V100 SXM2 16GB",
		"VM.GPU2.1":        "P100 16GB",
		"BM.GPU.RTXPRO.8":  "RTX PRO 6000",
		"BM.GPU.GB200.4":   "GB200",
		"BM.GPU.8":         "",
		"VM.Standard2.8":   "",
	}
	for shape, want := range tests {
		if got := ociGPUName(shape); got != want {
			t.Errorf("ociGPUName(%q) = %q, want %q", shape, got, want)
		}
	}
}

// ociSimGPUShapes are the active GPU shapes the simulator lists.
var ociSimGPUShapes = []string{
	"BM.GPU.A10.4", "BM.GPU.A100-v2.8", "BM.GPU.B200.8", "BM.GPU.GB200.4", "BM.GPU.H100.8", "BM.GPU.H200.8",
	"BM.GPU.L40S.4", "BM.GPU.MI300X.8", "BM.GPU.MI355X.8", "BM.GPU4.8", "VM.GPU.A10.1", "VM.GPU3.1",
}

func TestOCIAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "oci")
	types := map[string]bool{}
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated OCI GPU %q not in catalog", o.ProviderGPUName)
		}
		types[o.InstanceType] = true
		if o.ID == "oci:BM.GPU.H100.8:us-ashburn-1" && (o.PricePerHour != 80 || o.VCPUs != 224) {
			t.Errorf("H100 shape: price %v vcpus %v, want 80 and 224", o.PricePerHour, o.VCPUs)
		}
	}
	var got []string
	for k := range types {
		got = append(got, k)
	}
	slices.Sort(got)
	if !slices.Equal(got, ociSimGPUShapes) {
		t.Errorf("instance types %v, want %v (hidden and CPU shapes must be skipped)", got, ociSimGPUShapes)
	}
	if want := len(ociSimGPUShapes) * len(ociDefaultRegions); len(offers) != want {
		t.Errorf("got %d offers, want %d", len(offers), want)
	}
}

func TestOCIConfiguredRegions(t *testing.T) {
	sim, base := startSim(t, "oci", nil)
	ad, err := New("oci", Config{BaseURL: base, Regions: []string{"eu-frankfurt-1"}, Now: func() time.Time { return fixedNow }})
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
	if len(offers) != len(ociSimGPUShapes) {
		t.Fatalf("got %d offers, want one per GPU shape", len(offers))
	}
	for _, o := range offers {
		if o.Region != "eu-frankfurt-1" || !slices.Contains(o.ComplianceTags, "gdpr") {
			t.Errorf("%s: region %s tags %v", o.ID, o.Region, o.ComplianceTags)
		}
	}
	if n := sim.Requests("oci"); n != 2 {
		t.Errorf("simulator saw %d requests, want 2 (shapes and products)", n)
	}
}

func FuzzParseOCI(f *testing.F) {
	f.Add([]byte(ociShapesDoc), []byte(ociProductsDoc))
	f.Add([]byte(`{"items":[{"name":"BM.GPU.H100.8","status":"ACTIVE","gpuQty":"8","gpuMemoryQty":1e400,
		"products":[{"partNumber":"B1","qty":-3,"type":{"value":"ocpu"}}]}]}`),
		[]byte(`{"items":[{"partNumber":"B1","currencyCodeLocalizations":[{"currencyCode":"USD","prices":[{"model":"PAY_AS_YOU_GO","value":1e-9}]}]}]}`))
	f.Add([]byte(`{"items":[{"name":"(x)","status":"active","gpuQty":1024},{"name":"a.GPU.b.9","status":"ACTIVE","subType":{"value":"gpu"}}]}`),
		[]byte(`{"items":[{"partNumber":""}]}`))
	f.Fuzz(func(t *testing.T, shapesJSON, productsJSON []byte) {
		var shapes ociShapeList
		var products ociProductList
		if json.Unmarshal(shapesJSON, &shapes) != nil || json.Unmarshal(productsJSON, &products) != nil {
			return
		}
		offers, err := parseOCI(shapes, products, []string{"us-ashburn-1", "eu-frankfurt-1"}, testOrigin(ociInfo, "x"))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for i := range offers {
			if err := offers[i].Validate(); err != nil {
				t.Fatalf("invalid offer from parser: %v", err)
			}
			if seen[offers[i].ID] {
				t.Fatalf("duplicate offer id %s", offers[i].ID)
			}
			seen[offers[i].ID] = true
		}
	})
}
