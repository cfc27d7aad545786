package adapters

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/gpubroker/gpubroker/shared"
)

// latitudeDocPayload follows the documented JSON:API response of GET /plans.
const latitudeDocPayload = `{
  "data": [
    {
      "id": "plan_2X6KG5mA5yPBM",
      "type": "plans",
      "attributes": {
        "slug": "g3-h100-small",
        "name": "g3.h100.small",
        "features": ["ssh", "raid", "user_data"],
        "specs": {
          "cpu": {"type": "AMD 9354P", "clock": 3.25, "cores": 32, "count": 1},
          "memory": {"total": 384},
          "drives": [{"count": 2, "size": "3.8TB", "type": "NVME"}],
          "nics": [{"count": 2, "type": "25 Gbps"}],
          "gpu": {"count": 1, "type": "NVIDIA H100", "vram_per_gpu": 80, "interconnect": "PCIe"}
        },
        "regions": [
          {
            "name": "United States",
            "deploys_instantly": ["DAL"],
            "locations": {"available": ["DAL", "NYC", "LAX"], "in_stock": ["DAL", "NYC"]},
            "stock_level": "medium",
            "pricing": {"USD": {"hour": 2.21, "month": 1613.3}, "BRL": {"hour": 11.93, "month": 8711.8}}
          },
          {
            "name": "Brazil",
            "deploys_instantly": [],
            "locations": {"available": ["SAO"], "in_stock": ["SAO"]},
            "stock_level": "low",
            "pricing": {"USD": {"hour": 2.76, "month": 2014.8}, "BRL": {"hour": 14.9, "month": 10879.9}}
          },
          {
            "name": "Japan",
            "deploys_instantly": [],
            "locations": {"available": [], "in_stock": []},
            "stock_level": "unavailable",
            "pricing": {"USD": {"hour": 2.54, "month": 1854.2}}
          },
          {
            "name": "Germany",
            "locations": {"available": ["FRA"], "in_stock": ["FRA"]},
            "stock_level": "high",
            "pricing": {"USD": {"month": 1700}}
          }
        ]
      }
    },
    {
      "id": "plan_aNmodj4eDbE8W",
      "type": "plans",
      "attributes": {
        "slug": "g3-h100-large",
        "name": "g3.h100.large",
        "features": ["ssh"],
        "specs": {
          "cpu": {"type": "Intel Xeon 8462Y+", "clock": 2.8, "cores": 32, "count": 2},
          "memory": {"total": "2048 GB"},
          "drives": [{"count": 8, "size": "3.8TB", "type": "NVME"}, {"count": 2, "size": "960GB", "type": "SSD"}],
          "gpu": {"count": 8, "type": "NVIDIA H100", "vram_per_gpu": null, "interconnect": "SXM5"}
        },
        "regions": [
          {
            "name": "United Kingdom",
            "locations": {"available": ["LON"], "in_stock": ["LON"]},
            "stock_level": "unique",
            "pricing": {"USD": {"hour": 23.67}}
          },
          {
            "name": "Colombia",
            "locations": {"available": ["BOG2"], "in_stock": []},
            "stock_level": "unavailable",
            "pricing": {"USD": {"hour": 25.8}}
          }
        ]
      }
    },
    {
      "id": "plan_nX7kq1",
      "type": "plans",
      "attributes": {
        "slug": "g9-mystery-small",
        "name": "g9.mystery.small",
        "specs": {
          "cpu": {"cores": 16, "count": 1},
          "memory": {"total": 128},
          "gpu": {"count": 2, "type": "Acme Tensor X9", "vram_per_gpu": "40GB"}
        },
        "regions": [
          {"name": "Mexico", "locations": {"available": ["MEX"], "in_stock": ["MEX"]}, "stock_level": "high", "pricing": {"USD": {"hour": 1.5}}}
        ]
      }
    },
    {
      "id": "plan_cpu1",
      "type": "plans",
      "attributes": {
        "slug": "c3-medium-x86",
        "name": "c3.medium.x86",
        "specs": {"cpu": {"cores": 16, "count": 1}, "memory": {"total": 128}, "gpu": {"count": 0, "type": null}},
        "regions": [{"name": "United States", "locations": {"available": ["DAL"], "in_stock": ["DAL"]}, "pricing": {"USD": {"hour": 0.46}}}]
      }
    },
    {
      "id": "plan_bad",
      "type": "plans",
      "attributes": {"slug": "g3-broken", "specs": {"gpu": {"count": "eight", "type": "NVIDIA H100"}}}
    }
  ],
  "meta": {}
}`

func TestParseLatitude(t *testing.T) {
	var resp latitudeResponse
	if err := json.Unmarshal([]byte(latitudeDocPayload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseLatitude(resp, testOrigin(latitudeInfo, "https://api.latitude.sh/plans"))
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
	}{
		{"latitude:g3-h100-small:DAL", "nvidia-h100-pcie-80gb", 1, 2.21, 2.21, "DAL", "us-central", "US", shared.Available},
		{"latitude:g3-h100-small:NYC", "nvidia-h100-pcie-80gb", 1, 2.21, 2.21, "NYC", "us-east", "US", shared.Available},
		// Deployable but not in stock.
		{"latitude:g3-h100-small:LAX", "nvidia-h100-pcie-80gb", 1, 2.21, 2.21, "LAX", "us-west", "US", shared.Unavailable},
		// In stock but the region's stock level is low.
		{"latitude:g3-h100-small:SAO", "nvidia-h100-pcie-80gb", 1, 2.76, 2.76, "SAO", "sa-east", "BR", shared.Limited},
		// Priced region without sites: kept under the country's name.
		{"latitude:g3-h100-small:Japan", "nvidia-h100-pcie-80gb", 1, 2.54, 2.54, "Japan", "ap-northeast", "JP", shared.Unavailable},
		{"latitude:g3-h100-large:LON", "nvidia-h100-sxm-80gb", 8, 23.67, 2.95875, "LON", "eu-west", "GB", shared.Limited},
		// Site code missing from our table: placed by the region's country.
		{"latitude:g3-h100-large:BOG2", "nvidia-h100-sxm-80gb", 8, 25.8, 3.225, "BOG2", "sa-west", "CO", shared.Unavailable},
		{"latitude:g9-mystery-small:MEX", "unknown-acme-tensor-x9-40gb", 2, 1.5, 0.75, "MEX", "mx-central", "MX", shared.Available},
	}
	if len(offers) != len(tests) {
		ids := make([]string, len(offers))
		for i := range offers {
			ids[i] = offers[i].ID
		}
		t.Fatalf("got %d offers %v, want %d (CPU-only, malformed and unpriced entries must be skipped)", len(offers), ids, len(tests))
	}
	for _, tc := range tests {
		i, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		o := offers[i]
		if o.GPUID != tc.gpuID || o.GPUCount != tc.count || o.PricePerHour != tc.price || o.PricePerGPUHour != tc.perGPU ||
			o.Region != tc.region || o.NormalizedRegion != tc.normRegion || o.Country != tc.country || o.Availability != tc.avail ||
			o.SpotPricePerHour != nil || o.Interruptible {
			t.Errorf("%s: got %+v", tc.id, o)
		}
	}
	small := offers[byID["latitude:g3-h100-small:DAL"]]
	if small.VCPUs != 32 || small.RAMGB != 384 || small.DiskGB != 7600 || small.InstanceType != "g3.h100.small" {
		t.Errorf("small specs: vcpus %v ram %v disk %v type %q", small.VCPUs, small.RAMGB, small.DiskGB, small.InstanceType)
	}
	large := offers[byID["latitude:g3-h100-large:LON"]]
	if large.VCPUs != 64 || large.RAMGB != 2048 || large.DiskGB != 32320 || !slices.Equal(large.ComplianceTags, []string{"gdpr"}) {
		t.Errorf("large specs: vcpus %v ram %v disk %v tags %v", large.VCPUs, large.RAMGB, large.DiskGB, large.ComplianceTags)
	}
	if offers[byID["latitude:g9-mystery-small:MEX"]].GPUKnown {
		t.Error("Acme Tensor X9 should be unknown to the catalog")
	}
}

func TestLatitudeAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "latitude")
	levels := map[shared.Availability]int{}
	cheapH100 := 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Latitude GPU %q not in catalog", o.ProviderGPUName)
		}
		levels[o.Availability]++
		if o.GPUModel == "H100" && o.GPUCount == 1 && o.PricePerHour < 4 {
			cheapH100++
		}
	}
	if levels[shared.Available] == 0 || levels[shared.Unavailable] == 0 {
		t.Errorf("availability levels %v: want both in-stock and sold-out sites", levels)
	}
	if cheapH100 < 2 {
		t.Errorf("%d single-GPU H100 offers under $4/h, want >= 2", cheapH100)
	}
}

func TestLatitudeSimulatorRequiresKey(t *testing.T) {
	_, base := startSim(t, "latitude", nil)
	resp, err := http.Get(base + "/plans")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous GET /plans: status %d, want 401", resp.StatusCode)
	}
	ad, err := New("latitude", Config{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ad.Fetch(t.Context()); KindOf(err) != shared.ErrKindAuth {
		t.Fatalf("fetch without key: %v", err)
	}
}

func FuzzParseLatitude(f *testing.F) {
	f.Add([]byte(latitudeDocPayload))
	f.Add([]byte(`{"data":[{"attributes":{"slug":"x","specs":{"gpu":{"count":1e308,"type":"H100","vram_per_gpu":"1e400TB"},"drives":[{"count":999,"size":"9e8TB"}]},"regions":[{"name":"","pricing":{"USD":{"hour":1e-9}}}]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp latitudeResponse
		if json.Unmarshal(b, &resp) != nil {
			return
		}
		offers, err := parseLatitude(resp, testOrigin(latitudeInfo, "x"))
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
