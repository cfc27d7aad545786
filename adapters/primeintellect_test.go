package adapters

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// piDocPayload follows the GET /api/v1/availability/gpus response documented
// at https://docs.primeintellect.ai/api-reference/check-gpu-availability
// ({"items": [...], "totalCount": N}; nullable fields written as null).
const piDocPayload = `{
  "items": [
    {"cloudId": "NVIDIA H100 PCIe", "gpuType": "H100_80GB", "socket": "PCIe", "provider": "runpod",
     "dataCenter": "US-KS-2", "country": "US", "gpuCount": 1, "gpuMemory": 80,
     "disk": {"minCount": 80, "defaultCount": 80, "maxCount": 1000, "pricePerUnit": 0.00014, "step": 1, "defaultIncludedInPrice": false, "additionalInfo": null},
     "vcpu": {"minCount": null, "defaultCount": 16, "maxCount": null, "pricePerUnit": null, "step": null, "defaultIncludedInPrice": null, "additionalInfo": null},
     "memory": {"minCount": null, "defaultCount": 251, "maxCount": null, "pricePerUnit": null, "step": null, "defaultIncludedInPrice": null, "additionalInfo": null},
     "internetSpeed": null, "interconnect": null, "interconnectType": null, "provisioningTime": null,
     "stockStatus": "Low", "security": "secure_cloud",
     "prices": {"onDemand": 2.69, "communityPrice": null, "isVariable": null, "currency": "USD"},
     "images": ["ubuntu_22_cuda_12", "cuda_12_1_pytorch_2_2"], "isSpot": false, "prepaidTime": null},
    {"cloudId": "n3-H100x8", "gpuType": "H100_80GB", "socket": "SXM5", "provider": "hyperstack",
     "dataCenter": "CANADA-1", "country": "CA", "gpuCount": 8, "gpuMemory": 640,
     "disk": {"defaultCount": 800}, "vcpu": {"defaultCount": 192}, "memory": {"defaultCount": 1800},
     "stockStatus": "Available", "security": "secure_cloud",
     "prices": {"onDemand": 19.2, "communityPrice": null, "isVariable": null, "currency": "USD"},
     "isSpot": null},
    {"cloudId": "NVIDIA GeForce RTX 4090", "gpuType": "RTX4090_24GB", "socket": "PCIe", "provider": "runpod",
     "dataCenter": "EU-RO-1", "country": "RO", "gpuCount": 2, "gpuMemory": 48,
     "disk": {"defaultCount": 40}, "vcpu": {"defaultCount": 12}, "memory": {"defaultCount": 82},
     "stockStatus": "High", "security": "community_cloud",
     "prices": {"onDemand": null, "communityPrice": 0.68, "isVariable": null, "currency": "USD"},
     "isSpot": false},
    {"cloudId": "NVIDIA GeForce RTX 4090", "gpuType": "RTX4090_24GB", "socket": "PCIe", "provider": "runpod",
     "dataCenter": "EU-RO-1", "country": "RO", "gpuCount": 2, "gpuMemory": 48,
     "disk": {"defaultCount": 40}, "vcpu": {"defaultCount": 12}, "memory": {"defaultCount": 82},
     "stockStatus": "Medium", "security": "community_cloud",
     "prices": {"onDemand": null, "communityPrice": 0.41, "isVariable": null, "currency": "USD"},
     "isSpot": true},
    {"cloudId": "1H200.141S.44V", "gpuType": "H200_141GB", "socket": "SXM5", "provider": "datacrunch",
     "dataCenter": "FIN-01", "country": "FI", "gpuCount": 1, "gpuMemory": 141,
     "disk": {"defaultCount": 100}, "vcpu": {"defaultCount": 44}, "memory": {"defaultCount": 185},
     "stockStatus": "Unavailable", "security": "secure_cloud",
     "prices": {"onDemand": 3.19, "communityPrice": null, "currency": "USD"}, "isSpot": false},
    {"cloudId": "gpu_1x_acme_x9", "gpuType": "ACME_X9_64GB", "socket": null, "provider": "lambdalabs",
     "dataCenter": "", "country": "US", "gpuCount": 1, "gpuMemory": 64,
     "disk": {"defaultCount": 512}, "vcpu": {"defaultCount": 30}, "memory": {"defaultCount": 200},
     "stockStatus": "Trickle", "security": "secure_cloud",
     "prices": {"onDemand": 1.1, "currency": "USD"}, "isSpot": false},
    {"cloudId": "cpu3c-8-16", "gpuType": "CPU_NODE", "socket": null, "provider": "runpod",
     "dataCenter": "US-TX-3", "country": "US", "gpuCount": 0, "gpuMemory": 0,
     "disk": {"defaultCount": 40}, "vcpu": {"defaultCount": 8}, "memory": {"defaultCount": 16},
     "stockStatus": "High", "security": "secure_cloud", "prices": {"onDemand": 0.16, "currency": "USD"}},
    {"cloudId": "n3-A100x4", "gpuType": "A100_80GB", "socket": "PCIe", "provider": "hyperstack",
     "dataCenter": "NORWAY-1", "country": "NO", "gpuCount": 4, "gpuMemory": 320,
     "stockStatus": "Available", "security": "secure_cloud",
     "prices": {"onDemand": null, "communityPrice": null, "isVariable": null, "currency": "USD"}},
    {"cloudId": "1A100.80S.22V", "gpuType": "A100_80GB", "socket": "SXM4", "provider": "datacrunch",
     "dataCenter": "ICE-01", "country": "IS", "gpuCount": 1, "gpuMemory": 80,
     "stockStatus": "High", "security": "secure_cloud",
     "prices": {"onDemand": 1.65, "currency": "EUR"}},
    {"cloudId": 17, "gpuType": "L40S_48GB", "gpuCount": "one"},
    {"cloudId": "NVIDIA H100 PCIe", "gpuType": "H100_80GB", "socket": "PCIe", "provider": "runpod",
     "dataCenter": "US-KS-2", "country": "US", "gpuCount": 1, "gpuMemory": 80,
     "disk": {"defaultCount": 80}, "vcpu": {"defaultCount": 16}, "memory": {"defaultCount": 251},
     "stockStatus": "Low", "security": "secure_cloud",
     "prices": {"onDemand": 2.59, "currency": "USD"}, "isSpot": false}
  ],
  "totalCount": 11
}`

func TestParsePrimeIntellect(t *testing.T) {
	var page piPage
	if err := json.Unmarshal([]byte(piDocPayload), &page); err != nil {
		t.Fatal(err)
	}
	offers, err := parsePrimeIntellect(page.Items, testOrigin(primeintellectInfo, "https://api.primeintellect.ai/api/v1/availability/gpus"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	tests := []struct {
		id                          string
		instance                    string
		gpuID                       string
		known                       bool
		count, price, perGPU        float64
		interruptible               bool
		region, normRegion, country string
		avail                       shared.Availability
		gdpr                        bool
	}{
		// Listed twice: the cheaper listing wins.
		{"primeintellect:runpod:NVIDIA_H100_PCIe:1:US-KS-2:secure_cloud", "runpod:NVIDIA H100 PCIe", "nvidia-h100-pcie-80gb", true, 1, 2.59, 2.59, false, "US-KS-2", "us-central", "US", shared.Limited, false},
		{"primeintellect:hyperstack:n3-H100x8:8:CANADA-1:secure_cloud", "hyperstack:n3-H100x8", "nvidia-h100-sxm-80gb", true, 8, 19.2, 2.4, false, "CANADA-1", "ca-central", "CA", shared.Available, false},
		{"primeintellect:runpod:NVIDIA_GeForce_RTX_4090:2:EU-RO-1:community_cloud", "runpod:NVIDIA GeForce RTX 4090", "nvidia-rtx-4090-24gb", true, 2, 0.68, 0.34, false, "EU-RO-1", "eu-east", "RO", shared.Available, true},
		{"primeintellect:runpod:NVIDIA_GeForce_RTX_4090:2:EU-RO-1:community_cloud:spot", "runpod:NVIDIA GeForce RTX 4090", "nvidia-rtx-4090-24gb", true, 2, 0.41, 0.205, true, "EU-RO-1", "eu-east", "RO", shared.Available, true},
		{"primeintellect:datacrunch:1H200.141S.44V:1:FIN-01:secure_cloud", "datacrunch:1H200.141S.44V", "nvidia-h200-sxm-141gb", true, 1, 3.19, 3.19, false, "FIN-01", "eu-north", "FI", shared.Unavailable, true},
		// No data centre: the country stands in; unknown GPU and stock level kept.
		{"primeintellect:lambdalabs:gpu_1x_acme_x9:1:US:secure_cloud", "lambdalabs:gpu_1x_acme_x9", "unknown-acme-x9-64gb", false, 1, 1.1, 1.1, false, "US", "us", "US", shared.Limited, false},
	}
	if len(offers) != len(tests) {
		for _, o := range offers {
			t.Logf("%s", o.ID)
		}
		t.Fatalf("got %d offers, want %d (CPU node, unpriced, EUR and malformed items skipped)", len(offers), len(tests))
	}
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Errorf("missing offer %s", tc.id)
			continue
		}
		if o.InstanceType != tc.instance || o.GPUID != tc.gpuID || o.GPUKnown != tc.known || o.GPUCount != tc.count ||
			o.PricePerHour != tc.price || o.PricePerGPUHour != tc.perGPU || o.Interruptible != tc.interruptible ||
			o.SpotPricePerHour != nil || o.Region != tc.region || o.NormalizedRegion != tc.normRegion ||
			o.Country != tc.country || o.Availability != tc.avail || slices.Contains(o.ComplianceTags, "gdpr") != tc.gdpr {
			t.Errorf("%s: got %+v", tc.id, o)
		}
	}
	if o := byID["primeintellect:runpod:NVIDIA_H100_PCIe:1:US-KS-2:secure_cloud"]; o.VCPUs != 16 || o.RAMGB != 251 || o.DiskGB != 80 {
		t.Errorf("resources: %v vCPU %v GB RAM %v GB disk", o.VCPUs, o.RAMGB, o.DiskGB)
	}
}

func TestPrimeIntellectAgainstSimulator(t *testing.T) {
	sim, base := startSim(t, "primeintellect", nil)
	ad, err := New("primeintellect", Config{BaseURL: base, APIKey: shared.NewSecret("sim-key"), Now: func() time.Time { return fixedNow }})
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
	if n := sim.Requests("primeintellect"); n < 2 {
		t.Errorf("simulator served %d pages; the adapter must page through totalCount", n)
	}
	cheapH100, spot, unavailable := 0, 0, 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Prime Intellect GPU %q not in catalog", o.ProviderGPUName)
		}
		if o.GPUModel == "H100" && o.GPUCount == 1 && o.PricePerHour < 4 && !o.Interruptible {
			cheapH100++
		}
		if o.Interruptible {
			spot++
		}
		if o.Availability == shared.Unavailable {
			unavailable++
		}
	}
	if cheapH100 < 2 || spot == 0 || unavailable == 0 {
		t.Errorf("simulated market: %d single H100 under $4, %d spot, %d sold out", cheapH100, spot, unavailable)
	}

	ad, _ = New("primeintellect", Config{BaseURL: base})
	if _, err := ad.Fetch(ctx); KindOf(err) != shared.ErrKindAuth {
		t.Errorf("fetch without key: %v, want an auth error", err)
	}
}

func FuzzParsePrimeIntellect(f *testing.F) {
	f.Add([]byte(piDocPayload))
	f.Add([]byte(`{"items":[{"gpuType":"H100_80GB","gpuCount":1e-300,"gpuMemory":1e308,"prices":{"onDemand":1e-7},"vcpu":{"defaultCount":-5}}]}`))
	f.Add([]byte(`{"items":[{"gpuType":" ","gpuCount":3,"prices":{"communityPrice":-1,"onDemand":99999.9},"isSpot":true,"country":"zz"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var page piPage
		if json.Unmarshal(b, &page) != nil {
			return
		}
		offers, err := parsePrimeIntellect(page.Items, testOrigin(primeintellectInfo, "x"))
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
