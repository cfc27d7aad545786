package adapters

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gpubroker/gpubroker/shared"
)

// shadeformDocPayload follows the documented InstanceTypesResponse of
// GET /instances/types, plus the rental_type/hourly_price spot rows and
// display names that live responses carry.
const shadeformDocPayload = `{
  "instance_types": [
    {
      "cloud": "lambdalabs",
      "shade_instance_type": "H100_sxm5",
      "cloud_instance_type": "gpu_1x_h100_sxm5",
      "configuration": {"memory_in_gb": 225, "storage_in_gb": 2750, "vcpus": 26, "num_gpus": 1, "gpu_type": "H100",
        "interconnect": "sxm5", "vram_per_gpu_in_gb": 80, "os_options": ["ubuntu22.04_cuda12.4_shade_os"]},
      "hourly_price": 329,
      "deployment_type": "vm",
      "availability": [
        {"region": "dulles-usa-1", "available": true, "display_name": "US, Dulles, VA"},
        {"region": "sanjose-usa-2", "available": false, "display_name": "US, San Jose, CA", "rental_type": "on_demand"}
      ]
    },
    {
      "cloud": "crusoe",
      "shade_instance_type": "H100_sxm5x8",
      "cloud_instance_type": "h100-80gb-sxm-ib.8x",
      "configuration": {"memory_in_gb": 1920, "storage_in_gb": 30720, "vcpus": 176, "num_gpus": 8, "gpu_type": "H100",
        "interconnect": "sxm5", "vram_per_gpu_in_gb": 80, "os_options": []},
      "hourly_price": 3120,
      "availability": [{"region": "reykjavik-iceland-1", "available": true}]
    },
    {
      "cloud": "massedcompute",
      "shade_instance_type": "A100_80G",
      "cloud_instance_type": "gpu_1x_A100_80GB",
      "configuration": {"os_options": ["ubuntu22.04_cuda12.2_shade_os"]},
      "memory_in_gb": 64, "storage_in_gb": 256, "vcpus": 12, "num_gpus": 1, "gpu_type": "A100_80G", "interconnect": "pcie",
      "hourly_price": 135,
      "availability": [{"region": "desmoines-usa-1", "available": true}]
    },
    {
      "cloud": "lambdalabs",
      "shade_instance_type": "B200_sxm6x8",
      "cloud_instance_type": "gpu_8x_b200_sxm6",
      "configuration": {"memory_in_gb": 2900, "storage_in_gb": 22000, "vcpus": 208, "num_gpus": 8, "gpu_type": "B200",
        "interconnect": "sxm6", "vram_per_gpu_in_gb": 180, "os_options": []},
      "hourly_price": 5352,
      "availability": [
        {"region": "dulles-usa-1", "display_name": "US, Dulles, VA", "available": false, "rental_type": "on_demand"},
        {"region": "dulles-usa-1", "display_name": "US, Dulles, VA", "available": true, "rental_type": "spot", "hourly_price": "26.76"}
      ]
    },
    {
      "cloud": "excesssupply",
      "shade_instance_type": "A100_80G_sxm4x8",
      "cloud_instance_type": "8x-a100-80gb-sxm4",
      "configuration": {"memory_in_gb": 1800, "storage_in_gb": 20000, "vcpus": 240, "num_gpus": 8, "gpu_type": "A100_80G",
        "interconnect": "sxm4", "vram_per_gpu_in_gb": 80, "os_options": []},
      "hourly_price": 2400,
      "availability": [{"region": "us-west-1", "display_name": "us-west-1", "available": true, "rental_type": "spot", "hourly_price": "11.5"}]
    },
    {
      "cloud": "verda",
      "shade_instance_type": "B300_sxm6x8",
      "cloud_instance_type": "8B300.240V",
      "configuration": {"memory_in_gb": 2040, "storage_in_gb": 7680, "vcpus": 240, "num_gpus": 8, "gpu_type": "B300",
        "interconnect": "sxm6", "vram_per_gpu_in_gb": 288, "os_options": []},
      "hourly_price": 6164,
      "availability": []
    },
    {
      "cloud": "hyperstack",
      "shade_instance_type": "A6000",
      "cloud_instance_type": "n3-RTX-A6000x1",
      "configuration": {"memory_in_gb": 65536, "storage_in_gb": 100, "vcpus": 28, "num_gpus": 1, "gpu_type": "A6000",
        "interconnect": "pcie", "vram_per_gpu_in_gb": 49152, "os_options": []},
      "hourly_price": 50,
      "availability": [{"region": "oslo-norway-1", "available": true, "display_name": "NO, Oslo"}]
    },
    {
      "cloud": "tenstorrent",
      "shade_instance_type": "N300x4",
      "cloud_instance_type": "n300-4x",
      "configuration": {"memory_in_gb": 256, "storage_in_gb": 2000, "vcpus": 32, "num_gpus": 4, "gpu_type": "N300",
        "interconnect": "", "vram_per_gpu_in_gb": 24, "os_options": []},
      "hourly_price": 120,
      "availability": [{"region": "montreal-canada-2", "available": true, "display_name": "CA, Montreal, QC"}]
    },
    {
      "cloud": "lambdalabs",
      "shade_instance_type": "cpu_4x",
      "cloud_instance_type": "cpu_4x_general",
      "configuration": {"memory_in_gb": 16, "storage_in_gb": 100, "vcpus": 4, "num_gpus": 0, "gpu_type": "", "os_options": []},
      "hourly_price": 20,
      "availability": [{"region": "dulles-usa-1", "available": true}]
    },
    {
      "cloud": "paperspace",
      "shade_instance_type": "A4000",
      "cloud_instance_type": "A4000",
      "configuration": {"memory_in_gb": 45, "storage_in_gb": 50, "vcpus": 8, "num_gpus": 1, "gpu_type": "A4000", "os_options": []},
      "hourly_price": 0,
      "availability": [{"region": "newyork-usa-1", "available": true}]
    },
    {
      "cloud": "scaleway",
      "shade_instance_type": "L4",
      "hourly_price": "95",
      "availability": [{"region": "paris-france-5", "available": true}]
    }
  ]
}`

func TestParseShadeform(t *testing.T) {
	var resp shadeformResponse
	if err := json.Unmarshal([]byte(shadeformDocPayload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseShadeform(resp, testOrigin(shadeformInfo, "https://api.shadeform.ai/v1/instances/types"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	byID := map[string]int{}
	for i, o := range offers {
		byID[o.ID] = i
	}
	tests := []struct {
		id, instanceType            string
		gpuID                       string
		count, price, perGPU, spot  float64
		region, normRegion, country string
		avail                       string
		interruptible               bool
	}{
		{"shadeform:lambdalabs:H100_sxm5:dulles-usa-1", "lambdalabs/gpu_1x_h100_sxm5", "nvidia-h100-sxm-80gb", 1, 3.29, 3.29, 0, "dulles-usa-1", "us-east", "US", "available", false},
		{"shadeform:lambdalabs:H100_sxm5:sanjose-usa-2", "lambdalabs/gpu_1x_h100_sxm5", "nvidia-h100-sxm-80gb", 1, 3.29, 3.29, 0, "sanjose-usa-2", "us-west", "US", "unavailable", false},
		{"shadeform:crusoe:H100_sxm5x8:reykjavik-iceland-1", "crusoe/h100-80gb-sxm-ib.8x", "nvidia-h100-sxm-80gb", 8, 31.2, 3.9, 0, "reykjavik-iceland-1", "eu-north", "IS", "available", false},
		// Specs only at the top level, as in the quickstart's sample.
		{"shadeform:massedcompute:A100_80G:desmoines-usa-1", "massedcompute/gpu_1x_A100_80GB", "nvidia-a100-pcie-80gb", 1, 1.35, 1.35, 0, "desmoines-usa-1", "us-central", "US", "available", false},
		// On demand sold out, spot open: on-demand offer with the spot price.
		{"shadeform:lambdalabs:B200_sxm6x8:dulles-usa-1", "lambdalabs/gpu_8x_b200_sxm6", "nvidia-b200-sxm-180gb", 8, 53.52, 6.69, 26.76, "dulles-usa-1", "us-east", "US", "unavailable", false},
		// Only a spot row: interruptible at the spot price; another cloud's region style.
		{"shadeform:excesssupply:A100_80G_sxm4x8:us-west-1", "excesssupply/8x-a100-80gb-sxm4", "nvidia-a100-sxm-80gb", 8, 11.5, 1.4375, 0, "us-west-1", "us", "US", "available", true},
		// No regions at all: kept, unavailable, region "any".
		{"shadeform:verda:B300_sxm6x8:any", "verda/8B300.240V", "nvidia-b300-sxm-288gb", 8, 61.64, 7.705, 0, "any", "", "", "unavailable", false},
		// Memory fields holding MiB.
		{"shadeform:hyperstack:A6000:oslo-norway-1", "hyperstack/n3-RTX-A6000x1", "nvidia-rtx-a6000-48gb", 1, 0.5, 0.5, 0, "oslo-norway-1", "eu-north", "NO", "available", false},
		// Unknown accelerator: kept, flagged unknown.
		{"shadeform:tenstorrent:N300x4:montreal-canada-2", "tenstorrent/n300-4x", "unknown-n300-24gb", 4, 1.2, 0.3, 0, "montreal-canada-2", "ca-central", "CA", "available", false},
	}
	if len(offers) != len(tests) {
		ids := make([]string, len(offers))
		for i := range offers {
			ids[i] = offers[i].ID
		}
		t.Fatalf("got %d offers %v, want %d (CPU-only, unpriced and malformed types must be skipped)", len(offers), ids, len(tests))
	}
	for _, tc := range tests {
		i, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		o := offers[i]
		spot := 0.0
		if o.SpotPricePerHour != nil {
			spot = *o.SpotPricePerHour
		}
		if o.InstanceType != tc.instanceType || o.GPUID != tc.gpuID || o.GPUCount != tc.count || o.PricePerHour != tc.price ||
			o.PricePerGPUHour != tc.perGPU || spot != tc.spot || o.Region != tc.region || o.NormalizedRegion != tc.normRegion ||
			o.Country != tc.country || string(o.Availability) != tc.avail || o.Interruptible != tc.interruptible {
			t.Errorf("%s: got %+v (spot %v)", tc.id, o, spot)
		}
	}
	a6000 := offers[byID["shadeform:hyperstack:A6000:oslo-norway-1"]]
	if a6000.RAMGB != 64 || !slices.Equal(a6000.ComplianceTags, []string{"gdpr"}) {
		t.Errorf("MiB RAM or EU compliance: got ram %v tags %v", a6000.RAMGB, a6000.ComplianceTags)
	}
	if o := offers[byID["shadeform:tenstorrent:N300x4:montreal-canada-2"]]; o.GPUKnown {
		t.Errorf("N300 should be unknown to the catalog")
	}
}

func TestShadeformAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "shadeform")
	clouds := map[string]bool{}
	cheapH100 := 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Shadeform GPU %q not in catalog", o.ProviderGPUName)
		}
		cloud, _, _ := strings.Cut(o.InstanceType, "/")
		clouds[cloud] = true
		if o.GPUModel == "H100" && o.GPUCount == 1 && o.PricePerHour < 4 {
			cheapH100++
		}
	}
	if len(clouds) < 5 {
		t.Errorf("offers from %d underlying clouds, want several", len(clouds))
	}
	if cheapH100 < 2 {
		t.Errorf("%d single-GPU H100 offers under $4/h, want >= 2", cheapH100)
	}
}

func TestShadeformSimulatorRequiresKey(t *testing.T) {
	_, base := startSim(t, "shadeform", nil)
	resp, err := http.Get(base + "/instances/types")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous GET /instances/types: status %d, want 401", resp.StatusCode)
	}
	ad, err := New("shadeform", Config{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ad.Fetch(t.Context()); KindOf(err) != shared.ErrKindAuth {
		t.Fatalf("fetch without key: %v", err)
	}
}

func FuzzParseShadeform(f *testing.F) {
	f.Add([]byte(shadeformDocPayload))
	f.Add([]byte(`{"instance_types":[{"cloud":"x","shade_instance_type":"y","configuration":{"num_gpus":1e308,"gpu_type":"H100"},"hourly_price":1e-300,"availability":[{"region":"a","rental_type":"spot","hourly_price":"1e400"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp shadeformResponse
		if json.Unmarshal(b, &resp) != nil {
			return
		}
		offers, err := parseShadeform(resp, testOrigin(shadeformInfo, "x"))
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
