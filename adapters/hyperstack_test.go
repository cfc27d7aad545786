package adapters

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/gpubroker/gpubroker/shared"
)

// hyperstackFlavorsPayload follows the documented response of
// GET /core/flavors.
const hyperstackFlavorsPayload = `{
  "status": true,
  "message": "Success",
  "data": [
    {
      "gpu": "H100-80G-PCIe",
      "region_name": "CANADA-1",
      "flavors": [
        {"id": 118, "name": "n3-H100x1", "display_name": null, "region_name": "CANADA-1", "cpu": 28, "ram": 180, "disk": 100,
         "ephemeral": 750, "gpu": "H100-80G-PCIe", "gpu_count": 1, "stock_available": true, "created_at": "2024-05-02T10:11:12",
         "labels": [], "features": {}},
        {"id": 121, "name": "n3-H100x8", "region_name": "CANADA-1", "cpu": 252, "ram": 1440, "disk": 100,
         "ephemeral": 6000, "gpu": "H100-80G-PCIe", "gpu_count": 8, "stock_available": false}
      ]
    },
    {
      "gpu": "H100-80G-SXM5",
      "region_name": "US-1",
      "flavors": [
        {"id": 140, "name": "n3-H100-SXM5x8", "cpu": 192, "ram": 1800, "disk": 100, "ephemeral": 32000,
         "gpu": "H100-80G-SXM5", "gpu_count": 8, "stock_available": true}
      ]
    },
    {
      "gpu": "A100-80G-PCIe-NVLink",
      "region_name": "NORWAY-1",
      "flavors": [
        {"id": 77, "name": "n3-A100x8-NVLink", "region_name": "NORWAY-1", "cpu": 252, "ram": 1440.5, "disk": 100, "ephemeral": 6000,
         "gpu": "A100-80G-PCIe-NVLink", "gpu_count": 8, "stock_available": true}
      ]
    },
    {
      "gpu": "H100-80G-PCIe-spot",
      "region_name": "CANADA-1",
      "flavors": [
        {"id": 150, "name": "n3-H100x1-spot", "region_name": "CANADA-1", "cpu": 28, "ram": 180, "disk": 100, "ephemeral": 750,
         "gpu": "H100-80G-PCIe-spot", "gpu_count": 1, "stock_available": true}
      ]
    },
    {
      "gpu": "RTX-PRO6000-SE",
      "region_name": "ICELAND-1",
      "flavors": [
        {"id": 160, "name": "n3-RTX-PRO6000-SEx1", "region_name": "ICELAND-1", "cpu": 24, "ram": 120, "disk": 100, "ephemeral": 500,
         "gpu": "RTX-PRO6000-SE", "gpu_count": 1, "stock_available": true}
      ]
    },
    {
      "gpu": "MI355X-OAM",
      "region_name": "US-1",
      "flavors": [
        {"id": 170, "name": "n3-MI355Xx1", "region_name": "US-1", "cpu": 28, "ram": 240, "disk": 100, "ephemeral": 1000,
         "gpu": "MI355X-OAM", "gpu_count": 1, "stock_available": true},
        {"id": 171, "name": "n3-Q9x1", "region_name": "US-1", "cpu": 16, "ram": 96, "disk": 100, "ephemeral": 0,
         "gpu": "Quasar-Q9", "gpu_count": 1, "stock_available": true}
      ]
    },
    {
      "gpu": "L40",
      "region_name": "NORWAY-1",
      "flavors": [
        {"id": 90, "name": "n3-L40x1", "region_name": "NORWAY-1", "cpu": 28, "ram": 58, "disk": 100, "ephemeral": 725,
         "gpu": "L40", "gpu_count": 1, "stock_available": true},
        {"id": 91, "name": "n3-L40x2", "region_name": "NORWAY-1", "cpu": "many", "gpu": "L40", "gpu_count": 2}
      ]
    },
    {
      "gpu": "",
      "region_name": "NORWAY-1",
      "flavors": [
        {"id": 3287, "name": "n1-cpu-small", "region_name": "NORWAY-1", "cpu": 4, "ram": 4, "disk": 100, "ephemeral": 0,
         "gpu": "", "gpu_count": 0, "stock_available": true}
      ]
    },
    {
      "gpu": "A100-80G-SXM4",
      "region_name": "CANADA-1",
      "flavors": [
        {"id": 80, "name": "n3-A100-SXM4x8", "region_name": "CANADA-1", "cpu": 240, "ram": 1800, "disk": 100, "ephemeral": 32000,
         "gpu": "A100-80G-SXM4", "gpu_count": 8, "stock_available": true}
      ]
    }
  ]
}`

// hyperstackPricebookPayload follows GET /pricebook: a bare array.
const hyperstackPricebookPayload = `[
  {"id": 1, "name": "H100-80G-PCIe", "value": "1.90", "original_value": "1.90", "discount_applied": false, "start_time": null, "end_time": null},
  {"id": 2, "name": "H100-80G-SXM5", "value": 2.4, "original_value": 2.4, "discount_applied": false, "start_time": null, "end_time": null},
  {"id": 3, "name": "A100-80G-PCIe-NVLink", "value": "1.40", "original_value": "1.40", "discount_applied": false, "start_time": null, "end_time": null},
  {"id": 4, "name": "A100-80G-PCIe-NVLink", "value": "1.10", "original_value": "1.40", "discount_applied": true,
   "start_time": "2026-11-01T00:00:00Z", "end_time": "2026-12-01T00:00:00Z"},
  {"id": 5, "name": "H100-80G-PCIe-spot", "value": "1.52", "original_value": "1.52", "discount_applied": false, "start_time": null, "end_time": null},
  {"id": 6, "name": "RTX-PRO6000-SE", "value": "1.80", "original_value": "1.80", "discount_applied": false, "start_time": null, "end_time": null},
  {"id": 7, "name": "MI355X-OAM", "value": "0", "original_value": "2.95", "discount_applied": false, "start_time": null, "end_time": null},
  {"id": 8, "name": "Quasar-Q9", "value": "0.99", "original_value": "0.99", "discount_applied": false, "start_time": null, "end_time": null},
  {"id": 9, "name": "L40", "value": "1.00", "original_value": "1.00", "discount_applied": false, "start_time": null, "end_time": null},
  {"id": 10, "name": "A100-80G-SXM4", "value": "1.20", "original_value": "1.60", "discount_applied": true,
   "start_time": "2025-01-01T00:00:00Z", "end_time": "2025-02-01T00:00:00Z"},
  {"id": 11, "name": "vCPU", "value": "0.0053", "original_value": "0.0053", "discount_applied": false, "start_time": null, "end_time": null},
  {"id": 12, "name": 12, "value": "0.01"}
]`

func TestParseHyperstack(t *testing.T) {
	var flavors hyperstackFlavors
	if err := json.Unmarshal([]byte(hyperstackFlavorsPayload), &flavors); err != nil {
		t.Fatal(err)
	}
	var prices hyperstackPricebook
	if err := json.Unmarshal([]byte(hyperstackPricebookPayload), &prices); err != nil {
		t.Fatal(err)
	}
	offers, err := parseHyperstack(flavors, prices, testOrigin(hyperstackInfo, "https://infrahub-api.nexgencloud.com/v1/core/flavors"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	byID := map[string]int{}
	for i, o := range offers {
		byID[o.ID] = i
	}
	tests := []struct {
		id, gpuID                   string
		count, price, perGPU        float64
		region, normRegion, country string
		avail                       shared.Availability
		interruptible               bool
	}{
		{"hyperstack:CANADA-1:n3-H100x1", "nvidia-h100-pcie-80gb", 1, 1.9, 1.9, "CANADA-1", "ca-central", "CA", shared.Available, false},
		{"hyperstack:CANADA-1:n3-H100x8", "nvidia-h100-pcie-80gb", 8, 15.2, 1.9, "CANADA-1", "ca-central", "CA", shared.Unavailable, false},
		// Region only on the group.
		{"hyperstack:US-1:n3-H100-SXM5x8", "nvidia-h100-sxm-80gb", 8, 19.2, 2.4, "US-1", "us", "US", shared.Available, false},
		// A dated rate running now beats the open-ended one.
		{"hyperstack:NORWAY-1:n3-A100x8-NVLink", "nvidia-a100-pcie-80gb", 8, 8.8, 1.1, "NORWAY-1", "eu-north", "NO", shared.Available, false},
		{"hyperstack:CANADA-1:n3-H100x1-spot", "nvidia-h100-pcie-80gb", 1, 1.52, 1.52, "CANADA-1", "ca-central", "CA", shared.Available, true},
		// Region missing from our table: read from its name.
		{"hyperstack:ICELAND-1:n3-RTX-PRO6000-SEx1", "nvidia-rtx-pro-6000-96gb", 1, 1.8, 1.8, "ICELAND-1", "eu-north", "IS", shared.Available, false},
		// Zero current rate: the list rate applies.
		{"hyperstack:US-1:n3-MI355Xx1", "amd-mi355x-oam-288gb", 1, 2.95, 2.95, "US-1", "us", "US", shared.Available, false},
		{"hyperstack:US-1:n3-Q9x1", "unknown-quasar-q9", 1, 0.99, 0.99, "US-1", "us", "US", shared.Available, false},
		{"hyperstack:NORWAY-1:n3-L40x1", "nvidia-l40-48gb", 1, 1, 1, "NORWAY-1", "eu-north", "NO", shared.Available, false},
	}
	if len(offers) != len(tests) {
		ids := make([]string, len(offers))
		for i := range offers {
			ids[i] = offers[i].ID
		}
		t.Fatalf("got %d offers %v, want %d (CPU-only, malformed and expired-price flavors must be skipped)", len(offers), ids, len(tests))
	}
	for _, tc := range tests {
		i, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		o := offers[i]
		if o.GPUID != tc.gpuID || o.GPUCount != tc.count || o.PricePerHour != tc.price || o.PricePerGPUHour != tc.perGPU ||
			o.Region != tc.region || o.NormalizedRegion != tc.normRegion || o.Country != tc.country || o.Availability != tc.avail ||
			o.Interruptible != tc.interruptible || o.SpotPricePerHour != nil {
			t.Errorf("%s: got %+v", tc.id, o)
		}
	}
	h := offers[byID["hyperstack:CANADA-1:n3-H100x1"]]
	if h.VCPUs != 28 || h.RAMGB != 180 || h.DiskGB != 850 || h.InstanceType != "n3-H100x1" || !slices.Equal(h.ComplianceTags, []string{}) {
		t.Errorf("specs: %+v", h)
	}
	if n := offers[byID["hyperstack:NORWAY-1:n3-L40x1"]]; !slices.Equal(n.ComplianceTags, []string{"gdpr"}) {
		t.Errorf("NORWAY-1 tags %v, want gdpr", n.ComplianceTags)
	}
}

func TestHyperstackAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "hyperstack")
	spot, cheapH100 := 0, 0
	regions := map[string]bool{}
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Hyperstack GPU %q not in catalog", o.ProviderGPUName)
		}
		if o.Interruptible {
			spot++
		}
		regions[o.Region] = true
		if o.GPUModel == "H100" && o.GPUCount == 1 && !o.Interruptible && o.PricePerHour < 4 {
			cheapH100++
		}
	}
	if spot == 0 || len(regions) != 3 {
		t.Errorf("%d spot offers in regions %v: want spot flavors and all three regions", spot, regions)
	}
	if cheapH100 < 2 {
		t.Errorf("%d single-GPU on-demand H100 offers under $4/h, want >= 2", cheapH100)
	}
}

func TestHyperstackSimulatorRequiresKey(t *testing.T) {
	_, base := startSim(t, "hyperstack", nil)
	for _, path := range []string{"/core/flavors", "/pricebook"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s: status %d, want 401", path, resp.StatusCode)
		}
	}
	ad, err := New("hyperstack", Config{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ad.Fetch(t.Context()); KindOf(err) != shared.ErrKindAuth {
		t.Fatalf("fetch without key: %v", err)
	}
}

func FuzzParseHyperstack(f *testing.F) {
	f.Add([]byte(hyperstackFlavorsPayload), []byte(hyperstackPricebookPayload))
	f.Add([]byte(`{"data":[{"gpu":"H100","region_name":"X","flavors":[{"name":"a","gpu_count":1e308}]}]}`), []byte(`[{"name":"H100","value":"1e-300"},{"name":"H100","value":"9e9","start_time":"2026-01-01T00:00:00Z"}]`))
	f.Fuzz(func(t *testing.T, fb, pb []byte) {
		var flavors hyperstackFlavors
		var prices hyperstackPricebook
		if json.Unmarshal(fb, &flavors) != nil || json.Unmarshal(pb, &prices) != nil {
			return
		}
		offers, err := parseHyperstack(flavors, prices, testOrigin(hyperstackInfo, "x"))
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
