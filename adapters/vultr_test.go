package adapters

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// vultrDocPayload combines a GET /v2/plans?type=all page and a
// GET /v2/plans-metal page in the documented plan shapes.
const vultrDocPayload = `{
  "plans": [
    {"id": "vcg-a100-1c-6g-4vram", "vcpu_count": 1, "ram": 6144, "disk": 70, "disk_count": 1, "bandwidth": 1024,
     "monthly_cost": 90, "hourly_cost": 0.123, "type": "vcg", "locations": ["fra", "ewr", ""],
     "gpu_vram_gb": 4, "gpu_type": "NVIDIA_A100"},
    {"id": "vcg-l40s-32c-375g-96vram", "vcpu_count": 32, "ram": 384000, "disk": 2200, "disk_count": 1,
     "monthly_cost": 2439.66, "hourly_cost": 3.342, "type": "vcg", "locations": [],
     "gpu_vram_gb": 96, "gpu_type": "NVIDIA_L40S"},
    {"id": "vcg-a40-24c-120g-48vram", "vcpu_count": 24, "ram": 122880, "disk": 1400, "disk_type": "DEDICATEDMETAL",
     "monthly_cost": 1250, "hourly_cost": 1.712, "type": "vdm", "locations": ["blr"],
     "deploy_ondemand": true, "deploy_preemptible": false, "gpu_brand": "NVIDIA"},
    {"id": "vcg-h100-216c-1914gb-640vram", "vcpu_count": 216, "ram": 1959936, "disk": 7000,
     "monthly_cost": 17461.6, "hourly_cost": 23.92, "hourly_cost_preemptible": 18.4, "type": "vdm",
     "locations": ["sea"], "deploy_ondemand": false, "deploy_preemptible": true, "gpu_brand": "NVIDIA"},
    {"id": "vcg-a16-6c-64g-16vram", "vcpu_count": 6, "ram": 65536, "disk": 350, "monthly_cost": 343.1,
     "type": "vcg", "locations": ["ams"], "gpu_vram_gb": 16, "gpu_type": "NVIDIA_A16"},
    {"id": "vcg-a16-2c-8g-2vram", "vcpu_count": 2, "ram": 8192, "disk": 50, "monthly_cost": 0, "hourly_cost": 0,
     "type": "vcg", "locations": ["ewr"], "gpu_vram_gb": 2, "gpu_type": "NVIDIA_A16"},
    {"id": "vcg-x9-4c-32g-24vram", "vcpu_count": 4, "ram": 32768, "disk": 200, "monthly_cost": 365,
     "hourly_cost": 0.5, "type": "vcg", "locations": ["zzz"], "gpu_vram_gb": 24, "gpu_type": "ACME_X9"},
    {"id": "vc2-2c-4gb", "vcpu_count": 2, "ram": 4096, "disk": 80, "monthly_cost": 20, "hourly_cost": 0.03,
     "type": "vc2", "locations": ["ewr", "fra"]},
    {"id": 17, "vcpu_count": "many"}
  ],
  "plans_metal": [
    {"id": "vbm-112c-2048gb-8-h100-gpu", "physical_cpus": 2, "cpu_count": 112, "cpu_cores": 112, "cpu_threads": 224,
     "cpu_model": "Platinum 8480+", "ram": 2097152, "disk": 960, "disk_count": 2, "bandwidth": 15360,
     "monthly_cost": 16074.24, "hourly_cost": 23.92, "monthly_cost_preemptible": 12364.8,
     "hourly_cost_preemptible": 18.4, "type": "NVMe", "locations": ["ewr"]},
    {"id": "vbm-256c-3072gb-8-mi325x-gpu", "cpu_count": 128, "cpu_threads": 256, "ram": 3145728, "disk": "3576",
     "disk_count": 8, "monthly_cost": 13923.84, "hourly_cost": 20.72, "type": "NVMe", "locations": ["ord"],
     "gpu_count": 8, "gpu_vram_gb": 2048},
    {"id": "vbm-72c-480gb-gh200-gpu", "cpu_count": 72, "cpu_threads": 72, "ram": 491520, "disk": 960,
     "disk_count": 1, "monthly_cost": 2009.28, "type": "NVMe", "locations": ["atl"]},
    {"id": "vbm-4c-32gb", "cpu_count": 4, "cpu_threads": 8, "ram": 32768, "disk": 240, "disk_count": 2,
     "monthly_cost": 120, "hourly_cost": 0.179, "type": "SSD", "locations": ["ewr"]}
  ],
  "meta": {"total": 13, "links": {"next": "", "prev": ""}}
}`

func TestParseVultr(t *testing.T) {
	var resp vultrPage
	if err := json.Unmarshal([]byte(vultrDocPayload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseVultr(resp, testOrigin(vultrInfo, "https://api.vultr.com"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	tests := []struct {
		id                          string
		gpuID                       string
		known                       bool
		count, price, perGPU        float64
		spot                        float64 // 0: none
		interruptible               bool
		region, normRegion, country string
		avail                       shared.Availability
		source                      string
	}{
		{"vultr:vcg-a100-1c-6g-4vram:ewr", "nvidia-a100-sxm-80gb", true, 0.05, 0.123, 2.46, 0, false, "ewr", "us-east", "US", shared.Available, "/v2/plans"},
		{"vultr:vcg-a100-1c-6g-4vram:fra", "nvidia-a100-sxm-80gb", true, 0.05, 0.123, 2.46, 0, false, "fra", "eu-central", "DE", shared.Available, "/v2/plans"},
		{"vultr:vcg-l40s-32c-375g-96vram:any", "nvidia-l40s-48gb", true, 2, 3.342, 1.671, 0, false, "any", "", "", shared.Unavailable, "/v2/plans"},
		{"vultr:vcg-a40-24c-120g-48vram:blr", "nvidia-a40-48gb", true, 1, 1.712, 1.712, 0, false, "blr", "ap-south", "IN", shared.Available, "/v2/plans"},
		{"vultr:vcg-h100-216c-1914gb-640vram:sea", "nvidia-h100-sxm-80gb", true, 8, 18.4, 2.3, 0, true, "sea", "us-west", "US", shared.Available, "/v2/plans"},
		{"vultr:vcg-a16-6c-64g-16vram:ams", "nvidia-a16-16gb", true, 1, 0.47, 0.47, 0, false, "ams", "eu-west", "NL", shared.Available, "/v2/plans"},
		{"vultr:vcg-x9-4c-32g-24vram:zzz", "unknown-acme-x9-24gb", false, 1, 0.5, 0.5, 0, false, "zzz", "", "", shared.Available, "/v2/plans"},
		{"vultr:vbm-112c-2048gb-8-h100-gpu:ewr", "nvidia-h100-sxm-80gb", true, 8, 23.92, 2.99, 18.4, false, "ewr", "us-east", "US", shared.Available, "/v2/plans-metal"},
		{"vultr:vbm-256c-3072gb-8-mi325x-gpu:ord", "amd-mi325x-oam-256gb", true, 8, 20.72, 2.59, 0, false, "ord", "us-central", "US", shared.Available, "/v2/plans-metal"},
		{"vultr:vbm-72c-480gb-gh200-gpu:atl", "nvidia-gh200-96gb", true, 1, 2.99, 2.99, 0, false, "atl", "us-east", "US", shared.Available, "/v2/plans-metal"},
	}
	if len(offers) != len(tests) {
		for _, o := range offers {
			t.Log(o.ID)
		}
		t.Fatalf("got %d offers, want %d (CPU-only, unpriced and malformed plans must be skipped)", len(offers), len(tests))
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		spot := 0.0
		if o.SpotPricePerHour != nil {
			spot = *o.SpotPricePerHour
		}
		if o.GPUID != tc.gpuID || o.GPUKnown != tc.known || o.GPUCount != tc.count || o.PricePerHour != tc.price ||
			o.PricePerGPUHour != tc.perGPU || spot != tc.spot || o.Interruptible != tc.interruptible ||
			o.Region != tc.region || o.NormalizedRegion != tc.normRegion || o.Country != tc.country ||
			o.Availability != tc.avail || o.Source != "https://api.vultr.com"+tc.source || o.Currency != "USD" {
			t.Errorf("%s: got %+v (spot %v)", tc.id, o, spot)
		}
	}
	a100 := byID["vultr:vcg-a100-1c-6g-4vram:fra"]
	if a100.GPUFraction != "1/20" || a100.VCPUs != 1 || a100.RAMGB != 6 || a100.DiskGB != 70 {
		t.Errorf("fractional A100: fraction %q vcpus %v ram %v disk %v", a100.GPUFraction, a100.VCPUs, a100.RAMGB, a100.DiskGB)
	}
	if tags := a100.ComplianceTags; len(tags) != 3 || tags[2] != "gdpr" {
		t.Errorf("EU offer compliance tags %v", tags)
	}
	if tags := byID["vultr:vcg-a100-1c-6g-4vram:ewr"].ComplianceTags; len(tags) != 2 {
		t.Errorf("US offer compliance tags %v", tags)
	}
	metal := byID["vultr:vbm-112c-2048gb-8-h100-gpu:ewr"]
	if metal.VCPUs != 224 || metal.RAMGB != 2048 || metal.DiskGB != 1920 {
		t.Errorf("bare metal specs: vcpus %v ram %v disk %v", metal.VCPUs, metal.RAMGB, metal.DiskGB)
	}
	if d := byID["vultr:vbm-256c-3072gb-8-mi325x-gpu:ord"].DiskGB; d != 3576*8 {
		t.Errorf("string disk size: %v", d)
	}
}

func TestVultrGPUFromID(t *testing.T) {
	for id, want := range map[string]struct {
		model       string
		count, vram float64
	}{
		"vcg-h100-216c-1914gb-640vram": {"H100", 0, 640},
		"vcg-a40-2c-10g-4vram":         {"A40", 0, 4},
		"vbm-112c-2048gb-8-h100-gpu":   {"H100", 8, 0},
		"vbm-72c-480gb-gh200-gpu":      {"GH200", 1, 0},
		"vbm-4c-32gb":                  {"", 0, 0},
		"vc2-1c-1gb":                   {"", 0, 0},
	} {
		m, c, v := vultrGPUFromID(id)
		if m != want.model || c != want.count || v != want.vram {
			t.Errorf("%s: got %q %v %v, want %+v", id, m, c, v, want)
		}
	}
}

func TestVultrAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "vultr")
	var fractional, interruptible, h100 int
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Vultr GPU %q not in catalog", o.ProviderGPUName)
		}
		if o.GPUFraction != "" {
			fractional++
		}
		if o.Interruptible {
			interruptible++
		}
		if o.GPUID == "nvidia-h100-sxm-80gb" {
			h100++
		}
	}
	if fractional == 0 || interruptible == 0 || h100 == 0 {
		t.Errorf("want fractional, interruptible and H100 offers; got %d, %d, %d", fractional, interruptible, h100)
	}
}

// TestVultrPagination walks both listings with a page size small enough
// that each takes several cursor pages, and checks nothing is lost.
func TestVultrPagination(t *testing.T) {
	sim, base := startSim(t, "vultr", nil)
	full := newVultr(Config{BaseURL: base, Now: func() time.Time { return fixedNow }})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want, err := full.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := sim.Requests("vultr")
	paged := newVultr(Config{BaseURL: base, Now: func() time.Time { return fixedNow }})
	paged.pageSize = 4
	got, err := paged.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := sim.Requests("vultr") - before; n < 6 {
		t.Fatalf("%d requests with 4 plans a page; pagination did not happen", n)
	}
	if len(got) != len(want) {
		t.Fatalf("paged fetch gave %d offers, unpaged %d", len(got), len(want))
	}
}

func FuzzParseVultr(f *testing.F) {
	f.Add([]byte(vultrDocPayload))
	f.Add([]byte(`{"plans":[{"id":"vcg-a1-1c-1g-0vram","gpu_type":"X_Y","hourly_cost":1e300,"gpu_count":1e-9}]}`))
	f.Add([]byte(`{"plans_metal":[{"id":"vbm-1c-1gb-64-h100-gpu","monthly_cost":1,"locations":["ewr","ewr"]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp vultrPage
		if json.Unmarshal(b, &resp) != nil {
			return
		}
		offers, err := parseVultr(resp, testOrigin(vultrInfo, "x"))
		if err != nil {
			return
		}
		requireValid(t, offers)
	})
}
