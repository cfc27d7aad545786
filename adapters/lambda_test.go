package adapters

import (
	"encoding/json"
	"testing"
)

// lambdaDocPayload follows the response documented for
// GET /api/v1/instance-types.
const lambdaDocPayload = `{
  "data": {
    "gpu_1x_a100": {
      "instance_type": {
        "name": "gpu_1x_a100",
        "description": "1x A100 (40 GB PCIe)",
        "gpu_description": "A100 (40 GB PCIe)",
        "price_cents_per_hour": 129,
        "specs": {"vcpus": 30, "memory_gib": 200, "storage_gib": 512, "gpus": 1}
      },
      "regions_with_capacity_available": [
        {"name": "us-east-1", "description": "Virginia, USA"},
        {"name": "europe-central-1", "description": "Frankfurt, Germany"}
      ]
    },
    "gpu_8x_h100_sxm5": {
      "instance_type": {
        "name": "gpu_8x_h100_sxm5",
        "description": "8x H100 (80 GB SXM5)",
        "gpu_description": "H100 (80 GB SXM5)",
        "price_cents_per_hour": 2392,
        "specs": {"vcpus": 208, "memory_gib": 1800, "storage_gib": 24780, "gpus": 8}
      },
      "regions_with_capacity_available": []
    },
    "cpu_4x_general": {
      "instance_type": {
        "name": "cpu_4x_general",
        "description": "4x CPU",
        "gpu_description": "",
        "price_cents_per_hour": 20,
        "specs": {"vcpus": 4, "memory_gib": 16, "storage_gib": 100, "gpus": 0}
      },
      "regions_with_capacity_available": [{"name": "us-east-1", "description": "Virginia, USA"}]
    }
  }
}`

func TestParseLambda(t *testing.T) {
	var resp lambdaResponse
	if err := json.Unmarshal([]byte(lambdaDocPayload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseLambda(resp, testOrigin(lambdaInfo, "https://cloud.lambda.ai/api/v1/instance-types"))
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
		gpuID                       string
		count, price, perGPU        float64
		region, normRegion, country string
		avail                       string
	}{
		{"lambda:gpu_1x_a100:us-east-1", "nvidia-a100-pcie-40gb", 1, 1.29, 1.29, "us-east-1", "us-east", "US", "available"},
		{"lambda:gpu_1x_a100:europe-central-1", "nvidia-a100-pcie-40gb", 1, 1.29, 1.29, "europe-central-1", "eu-central", "DE", "available"},
		{"lambda:gpu_8x_h100_sxm5:any", "nvidia-h100-sxm-80gb", 8, 23.92, 2.99, "any", "", "", "unavailable"},
	}
	if len(offers) != len(tests) {
		t.Fatalf("got %d offers, want %d (CPU-only type must be skipped)", len(offers), len(tests))
	}
	for _, tc := range tests {
		i, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		o := offers[i]
		if o.GPUID != tc.gpuID || o.GPUCount != tc.count || o.PricePerHour != tc.price || o.PricePerGPUHour != tc.perGPU ||
			o.Region != tc.region || o.NormalizedRegion != tc.normRegion || o.Country != tc.country || string(o.Availability) != tc.avail {
			t.Errorf("%s: got %+v", tc.id, o)
		}
	}
}

func TestLambdaAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "lambda")
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Lambda GPU %q not in catalog", o.ProviderGPUName)
		}
	}
}

func FuzzParseLambda(f *testing.F) {
	f.Add([]byte(lambdaDocPayload))
	f.Add([]byte(`{"data":{"x":{"instance_type":{"specs":{"gpus":-1}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp lambdaResponse
		if json.Unmarshal(b, &resp) != nil {
			return
		}
		offers, err := parseLambda(resp, testOrigin(lambdaInfo, "x"))
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
