package adapters

import (
	"encoding/json"
	"testing"
)

// massedDocPayload follows GET /gpu-inventory (GPUInventoryV1 in the
// Massed Compute VM API): one entry per product, prices in cents per
// instance-hour.
const massedDocPayload = `{
  "gpu_inventory": {
    "gpu_1x_l40": {
      "instance_type": {"name": "gpu_1x_l40", "description": "1x L40 (48GB)", "price_cents_per_hour": 86,
        "specs": {"vcpu_count": 14, "memory_gib": 72, "storage_gb": 625}},
      "regions_with_capacity_available": [
        {"name": "us-central-1", "description": "Wichita, KS"},
        {"name": "us-central-3", "description": "Des Moines, IA"}
      ],
      "capacity_available": 19
    },
    "gpu_8x_h100_sxm5": {
      "instance_type": {"name": "gpu_8x_h100_sxm5", "description": "8x H100 SXM5 (80GB)", "price_cents_per_hour": 2384,
        "specs": {"vcpu_count": 192, "memory_gib": 1920, "storage_gb": 8000}},
      "regions_with_capacity_available": [],
      "capacity_available": 0
    },
    "gpu_2x_a6000_nvlink": {
      "instance_type": {"name": "gpu_2x_a6000_nvlink", "description": "2x RTX A6000 (48GB) NVLink", "price_cents_per_hour": 135,
        "specs": {"vcpu_count": 12, "memory_gib": 96, "storage_gb": 512}},
      "regions_with_capacity_available": [{"name": "us-central-2", "description": "Kansas City, MO"}],
      "capacity_available": 2
    },
    "gpu_4x_h200_nvl_nvlink_discount": {
      "instance_type": {"name": "gpu_4x_h200_nvl_nvlink_discount", "description": "4x H200 NVL (141GB) NVLink [Spot]", "price_cents_per_hour": 916,
        "specs": {"vcpu_count": 112, "memory_gib": 960, "storage_gb": 6000}},
      "regions_with_capacity_available": [{"name": "us-central-3", "description": "Des Moines, IA"}]
    },
    "gpu_8x_DGX_A100": {
      "instance_type": {"name": "gpu_8x_DGX_A100", "description": "8x DGX A100 (80GB)", "price_cents_per_hour": 1432,
        "specs": {"vcpu_count": 240, "memory_gib": 1920, "storage_gb": 14000}},
      "regions_with_capacity_available": [{"name": "us-central-1", "description": "Wichita, KS"}],
      "capacity_available": 0
    },
    "gpu_1x_h100_nvl": {
      "instance_type": {"name": "gpu_1x_h100_nvl", "description": "1x H100 NVL", "price_cents_per_hour": 288,
        "specs": {"vcpu_count": 24, "memory_gib": 192, "storage_gb": 1000}},
      "regions_with_capacity_available": [{"name": "us-west-9", "description": "Somewhere"}]
    },
    "gpu_1x_a6000_high_ram": {
      "instance_type": {"name": "gpu_1x_a6000_high_ram", "description": "1x RTX A6000 (48GB) [Premium]", "price_cents_per_hour": 125,
        "specs": {"vcpu_count": 32, "memory_gib": 256, "storage_gb": 1000}},
      "regions_with_capacity_available": [{"name": "us-central-1", "description": "Wichita, KS"}],
      "capacity_available": 5
    },
    "gpu_1x_mystery": {
      "instance_type": {"name": "gpu_1x_mystery", "description": "1x Acme Tensor X9 (40GB)", "price_cents_per_hour": 150,
        "specs": {"vcpu_count": 8, "memory_gib": 64, "storage_gb": 250}},
      "regions_with_capacity_available": [{"name": "us-central-1", "description": "Wichita, KS"}],
      "capacity_available": 4
    },
    "gpu_1x_a5000": {
      "instance_type": {"name": "gpu_1x_a5000", "description": "1x RTX A5000 (24GB)", "price_cents_per_hour": 0,
        "specs": {"vcpu_count": 8, "memory_gib": 48, "storage_gb": 250}},
      "regions_with_capacity_available": [{"name": "us-central-1"}]
    },
    "cpu_small_amd_epyc": {
      "instance_type": {"name": "cpu_small_amd_epyc", "description": "CPU-only instance", "price_cents_per_hour": 10,
        "specs": {"vcpu_count": 4, "memory_gib": 16, "storage_gb": 250}},
      "regions_with_capacity_available": [{"name": "us-central-1"}],
      "capacity_available": 7
    },
    "gpu_1x_broken": {"instance_type": {"name": 7, "price_cents_per_hour": "lots"}}
  }
}`

func TestParseMassedCompute(t *testing.T) {
	var resp massedResponse
	if err := json.Unmarshal([]byte(massedDocPayload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseMassedCompute(resp, testOrigin(massedcomputeInfo, "https://vm.massedcompute.com/api/v1/gpu-inventory"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	byID := map[string]int{}
	for i, o := range offers {
		byID[o.ID] = i
	}
	tests := []struct {
		id                          string
		gpuID, providerGPU          string
		count, price, perGPU        float64
		region, normRegion, country string
		avail                       string
		interruptible               bool
	}{
		{"massedcompute:gpu_1x_l40:us-central-1", "nvidia-l40-48gb", "L40 (48GB)", 1, 0.86, 0.86, "us-central-1", "us-central", "US", "available", false},
		{"massedcompute:gpu_1x_l40:us-central-3", "nvidia-l40-48gb", "L40 (48GB)", 1, 0.86, 0.86, "us-central-3", "us-central", "US", "available", false},
		// Capacity nowhere: one unavailable offer keeps the price visible.
		{"massedcompute:gpu_8x_h100_sxm5:any", "nvidia-h100-sxm-80gb", "H100 SXM5 (80GB)", 8, 23.84, 2.98, "any", "", "", "unavailable", false},
		// Two units left; an unmapped region is located from its description.
		{"massedcompute:gpu_2x_a6000_nvlink:us-central-2", "nvidia-rtx-a6000-48gb", "RTX A6000 (48GB) NVLink", 2, 1.35, 0.675, "us-central-2", "us-central", "US", "limited", false},
		// [Spot]: interruptible at its only price; no capacity count means available.
		{"massedcompute:gpu_4x_h200_nvl_nvlink_discount:us-central-3", "nvidia-h200-nvl-141gb", "H200 NVL (141GB) NVLink", 4, 9.16, 2.29, "us-central-3", "us-central", "US", "available", true},
		// DGX A100 is looked up as an SXM A100; the region is listed with zero units.
		{"massedcompute:gpu_8x_DGX_A100:us-central-1", "nvidia-a100-sxm-80gb", "DGX A100 (80GB)", 8, 14.32, 1.79, "us-central-1", "us-central", "US", "limited", false},
		// No memory in the description: the catalog default for H100 NVL.
		{"massedcompute:gpu_1x_h100_nvl:us-west-9", "nvidia-h100-nvl-94gb", "H100 NVL", 1, 2.88, 2.88, "us-west-9", "", "", "available", false},
		{"massedcompute:gpu_1x_a6000_high_ram:us-central-1", "nvidia-rtx-a6000-48gb", "RTX A6000 (48GB)", 1, 1.25, 1.25, "us-central-1", "us-central", "US", "available", false},
		{"massedcompute:gpu_1x_mystery:us-central-1", "unknown-acme-tensor-x9-40gb", "Acme Tensor X9 (40GB)", 1, 1.5, 1.5, "us-central-1", "us-central", "US", "available", false},
	}
	if len(offers) != len(tests) {
		t.Fatalf("got %d offers, want %d (zero price, CPU and malformed products skipped)", len(offers), len(tests))
	}
	for _, tc := range tests {
		i, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		o := offers[i]
		if o.GPUID != tc.gpuID || o.ProviderGPUName != tc.providerGPU || o.GPUCount != tc.count || o.PricePerHour != tc.price ||
			o.PricePerGPUHour != tc.perGPU || o.Region != tc.region || o.NormalizedRegion != tc.normRegion ||
			o.Country != tc.country || string(o.Availability) != tc.avail || o.Interruptible != tc.interruptible ||
			o.SpotPricePerHour != nil || o.ComplianceTags == nil || len(o.ComplianceTags) != 0 {
			t.Errorf("%s: got %+v", tc.id, o)
		}
	}
	l40 := offers[byID["massedcompute:gpu_1x_l40:us-central-1"]]
	if l40.VCPUs != 14 || l40.RAMGB != 72 || l40.DiskGB != 625 || l40.InstanceType != "gpu_1x_l40" {
		t.Errorf("specs: %+v", l40)
	}
}

func TestParseMassedDescription(t *testing.T) {
	tests := []struct {
		desc         string
		ok           bool
		count, mem   float64
		name, lookup string
		spot         bool
	}{
		{"1x L40 (48GB)", true, 1, 48, "L40 (48GB)", "L40 (48GB)", false},
		{"8x B200 SXM6", true, 8, 0, "B200 SXM6", "B200 SXM6", false},
		{"4x H200 NVL (141GB) NVLink [Spot]", true, 4, 141, "H200 NVL (141GB) NVLink", "H200 NVL (141GB) NVLink", true},
		{"1x RTX A6000 (48GB) [ALT Config]", true, 1, 48, "RTX A6000 (48GB)", "RTX A6000 (48GB)", false},
		{"8x DGX A100 (80GB)", true, 8, 80, "DGX A100 (80GB)", "A100 (80GB) SXM", false},
		{"CPU-only instance", false, 0, 0, "", "", false},
		{"0x L40", false, 0, 0, "", "", false},
		{"2x [Spot]", false, 0, 0, "", "", false},
		{"", false, 0, 0, "", "", false},
	}
	for _, tc := range tests {
		g, ok := parseMassedDescription(tc.desc)
		if ok != tc.ok || (ok && (g.count != tc.count || g.memGB != tc.mem || g.providerName != tc.name || g.lookupName != tc.lookup || g.spot != tc.spot)) {
			t.Errorf("%q: got %+v, %v", tc.desc, g, ok)
		}
	}
}

func TestMassedComputeAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "massedcompute")
	cheapH100, spot := 0, 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Massed Compute GPU %q not in catalog", o.ProviderGPUName)
		}
		if o.GPUModel == "H100" && o.GPUCount == 1 && !o.Interruptible && o.PricePerHour < 4 {
			cheapH100++
		}
		if o.Interruptible {
			spot++
		}
	}
	if cheapH100 < 2 {
		t.Errorf("%d single-GPU on-demand H100 offers under $4/h, want >= 2", cheapH100)
	}
	if spot == 0 {
		t.Error("no [Spot] products came through")
	}
}

func TestMassedComputeNeedsKey(t *testing.T) {
	ad := newMassedCompute(Config{BaseURL: "http://127.0.0.1:1"})
	if _, err := ad.Fetch(t.Context()); KindOf(err) != "auth" {
		t.Fatalf("fetch without key: %v", err)
	}
}

func FuzzParseMassedCompute(f *testing.F) {
	f.Add([]byte(massedDocPayload))
	f.Add([]byte(`{"gpu_inventory":{"x":{"instance_type":{"description":"999x H100","price_cents_per_hour":1}}}}`))
	f.Add([]byte(`{"gpu_inventory":{"":{"instance_type":{"name":"","description":"1x A10","price_cents_per_hour":1e300},"regions_with_capacity_available":[{"name":" "}]}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp massedResponse
		if json.Unmarshal(b, &resp) != nil {
			return
		}
		offers, err := parseMassedCompute(resp, testOrigin(massedcomputeInfo, "x"))
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
