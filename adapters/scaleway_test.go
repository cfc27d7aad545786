package adapters

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// scwDocTypes follows the documented products/servers response for one
// zone; sizes are bytes and prices EUR.
const scwDocTypes = `{
  "servers": {
    "H100-1-80G": {"monthly_price": 1992.9, "hourly_price": 2.73, "alt_names": [], "ncpus": 24,
      "ram": 257698037760, "arch": "x86_64", "baremetal": false, "gpu": 1, "end_of_service": false,
      "gpu_info": {"gpu_manufacturer": "NVIDIA", "gpu_name": "H100", "gpu_memory": 85899345920},
      "scratch_storage_max_size": 3000000000000},
    "H100-SXM-8-80G": {"hourly_price": 23.028, "ncpus": 128, "ram": 1030792151040, "arch": "x86_64", "gpu": 8,
      "gpu_info": {"gpu_manufacturer": "NVIDIA", "gpu_name": "H100-SXM", "gpu_memory": 85899345920}},
    "L4-2-24G": {"hourly_price": 1.5, "ncpus": 16, "ram": 103079215104, "arch": "x86_64", "gpu": 2,
      "gpu_info": {"gpu_manufacturer": "NVIDIA", "gpu_name": "L4", "gpu_memory": 25769803776}},
    "L40S-1-48G": {"hourly_price": 1.4, "ncpus": 8, "ram": 103079215104, "arch": "x86_64", "gpu": 1,
      "gpu_info": {"gpu_manufacturer": "NVIDIA", "gpu_name": "L40S", "gpu_memory": 51539607552}},
    "RENDER-S": {"hourly_price": 1.221, "ncpus": 10, "ram": 45097156608, "arch": "x86_64", "gpu": 1,
      "end_of_service": true},
    "X9-1-32G": {"hourly_price": 0.9, "ncpus": 8, "ram": 68719476736, "arch": "x86_64", "gpu": 1,
      "gpu_info": {"gpu_manufacturer": "ACME", "gpu_name": "X9", "gpu_memory": 34359738368}},
    "L4-8-24G": {"hourly_price": 0, "ncpus": 64, "ram": 412316860416, "gpu": 8,
      "gpu_info": {"gpu_manufacturer": "NVIDIA", "gpu_name": "L4", "gpu_memory": 25769803776}},
    "PRO2-S": {"hourly_price": 0.219, "ncpus": 8, "ram": 34359738368, "arch": "x86_64", "gpu": 0},
    "DEV1-S": {"hourly_price": 0.0088, "ncpus": 2, "ram": 2147483648, "arch": "x86_64"},
    "BROKEN-1": {"hourly_price": "cheap", "gpu": 1}
  },
  "total_count": 10
}`

// scwDocAvailability follows the documented products/servers/availability
// response for the same zone.
const scwDocAvailability = `{
  "servers": {
    "H100-1-80G": {"availability": "scarce"},
    "H100-SXM-8-80G": {"availability": "shortage"},
    "L4-2-24G": {"availability": "available"},
    "RENDER-S": {"availability": "available"},
    "X9-1-32G": {"availability": "something-new"}
  },
  "total_count": 5
}`

func TestParseScaleway(t *testing.T) {
	var types scwServersResponse
	var avail scwAvailabilityResponse
	if err := json.Unmarshal([]byte(scwDocTypes), &types); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(scwDocAvailability), &avail); err != nil {
		t.Fatal(err)
	}
	src := "https://api.scaleway.com/instance/v1/zones/fr-par-2/products/servers"
	offers := parseScaleway("fr-par-2", types, avail, testOrigin(scalewayInfo, src))
	requireValid(t, offers)
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	tests := []struct {
		id                   string
		gpuID                string
		known                bool
		count, price, perGPU float64
		avail                shared.Availability
	}{
		{"scaleway:H100-1-80G:fr-par-2", "nvidia-h100-pcie-80gb", true, 1, 2.73, 2.73, shared.Limited},
		{"scaleway:H100-SXM-8-80G:fr-par-2", "nvidia-h100-sxm-80gb", true, 8, 23.028, 2.8785, shared.Unavailable},
		{"scaleway:L4-2-24G:fr-par-2", "nvidia-l4-24gb", true, 2, 1.5, 0.75, shared.Available},
		{"scaleway:L40S-1-48G:fr-par-2", "nvidia-l40s-48gb", true, 1, 1.4, 1.4, shared.Available}, // not in the availability list
		{"scaleway:RENDER-S:fr-par-2", "nvidia-p100-pcie-16gb", true, 1, 1.221, 1.221, shared.Unavailable},
		{"scaleway:X9-1-32G:fr-par-2", "unknown-acme-x9-32gb", false, 1, 0.9, 0.9, shared.Available},
	}
	if len(offers) != len(tests) {
		for _, o := range offers {
			t.Log(o.ID)
		}
		t.Fatalf("got %d offers, want %d (CPU-only, unpriced and malformed types must be skipped)", len(offers), len(tests))
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		eur, _ := shared.USDRate("EUR")
		if o.GPUID != tc.gpuID || o.GPUKnown != tc.known || o.GPUCount != tc.count || o.ListPricePerHour != tc.price ||
			math.Abs(o.PricePerHour-tc.price*eur) > 1e-6 || math.Abs(o.PricePerGPUHour-tc.perGPU*eur) > 1e-6 || o.SpotPricePerHour != nil || o.Availability != tc.avail ||
			o.Region != "fr-par-2" || o.NormalizedRegion != "eu-west" || o.Country != "FR" || o.Continent != "EU" ||
			o.Currency != "USD" || o.ListCurrency != "EUR" || o.Source != src {
			t.Errorf("%s: got %+v", tc.id, o)
		}
		if len(o.ComplianceTags) != 2 || o.ComplianceTags[1] != "gdpr" {
			t.Errorf("%s: compliance tags %v", tc.id, o.ComplianceTags)
		}
	}
	h := byID["scaleway:H100-1-80G:fr-par-2"]
	if h.VCPUs != 24 || h.RAMGB != 240 || h.DiskGB != 3000 || h.GPUMemoryGB != 80 {
		t.Errorf("H100 specs: vcpus %v ram %v disk %v gpu mem %v", h.VCPUs, h.RAMGB, h.DiskGB, h.GPUMemoryGB)
	}
}

func TestScalewayLocation(t *testing.T) {
	for zone, want := range map[string][2]string{
		"fr-par-1": {"FR", "eu-west"}, "nl-ams-3": {"NL", "eu-west"}, "pl-waw-2": {"PL", "eu-central"},
		"it-mil-1": {"IT", "eu-south"}, "de-fra-1": {"DE", "eu-central"}, "moon-1": {"", ""},
	} {
		loc := scwLocation(zone)
		if loc.Country != want[0] || loc.Region != want[1] {
			t.Errorf("%s: got %+v, want %v", zone, loc, want)
		}
	}
}

func TestScalewayAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "scaleway")
	zones := map[string]bool{}
	cheapH100 := 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Scaleway GPU %q not in catalog", o.ProviderGPUName)
		}
		zones[o.Region] = true
		if o.GPUModel == "H100" && o.GPUCount == 1 && o.PricePerHour < 4 {
			cheapH100++
		}
	}
	if len(zones) < 3 {
		t.Errorf("GPU offers from zones %v; want several", zones)
	}
	if cheapH100 < 2 {
		t.Errorf("%d single-GPU H100 offers under 4/h, want 2", cheapH100)
	}
}

func TestScalewayPaginationAndZones(t *testing.T) {
	sim, base := startSim(t, "scaleway", nil)
	cfg := Config{BaseURL: base, APIKey: shared.NewSecret("sim-key"), Now: func() time.Time { return fixedNow },
		Regions: []string{"fr-par-2", "fr-par-2", "bad/zone", "moon-9"}}
	ad := newScaleway(cfg)
	ad.pageSize = 3
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	offers, err := ad.Fetch(ctx)
	if err != nil {
		t.Fatalf("one unknown zone must not fail the fetch: %v", err)
	}
	// fr-par-2 has over 20 types: several pages of 3 for each listing.
	if n := sim.Requests("scaleway"); n < 10 {
		t.Fatalf("%d requests; pagination did not happen", n)
	}
	full := newScaleway(Config{BaseURL: base, APIKey: shared.NewSecret("sim-key"), Now: func() time.Time { return fixedNow },
		Regions: []string{"fr-par-2"}})
	want, err := full.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(offers) != len(want) || len(want) == 0 {
		t.Fatalf("paged fetch gave %d offers, unpaged %d", len(offers), len(want))
	}
	for _, o := range offers {
		if o.Region != "fr-par-2" {
			t.Fatalf("offer from zone %s, only fr-par-2 was asked for", o.Region)
		}
	}
	only := newScaleway(Config{BaseURL: base, APIKey: shared.NewSecret("sim-key"), Regions: []string{"moon-9"}})
	if _, err := only.Fetch(ctx); err == nil {
		t.Fatal("every zone failing must fail the fetch")
	}
	if _, err := newScaleway(Config{BaseURL: base}).Fetch(ctx); KindOf(err) != shared.ErrKindAuth {
		t.Fatalf("no key: got %v, want an auth error", err)
	}
}

func FuzzParseScaleway(f *testing.F) {
	f.Add([]byte(scwDocTypes))
	f.Add([]byte(scwDocAvailability))
	f.Add([]byte(`{"servers":{"A-64-1G":{"hourly_price":1e-300,"gpu":1e-9,"gpu_info":{"gpu_name":"H100","gpu_memory":1e300}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		// The same bytes are read as both listings: each ignores the other's fields.
		var types scwServersResponse
		var avail scwAvailabilityResponse
		if json.Unmarshal(b, &types) != nil {
			return
		}
		_ = json.Unmarshal(b, &avail)
		requireValid(t, parseScaleway("fr-par-2", types, avail, testOrigin(scalewayInfo, "x")))
	})
}
