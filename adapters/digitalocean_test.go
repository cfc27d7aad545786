package adapters

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// doDocPayload follows the documented GET /v2/sizes response.
const doDocPayload = `{
  "sizes": [
    {"slug": "s-1vcpu-512mb-10gb", "memory": 512, "vcpus": 1, "disk": 10, "transfer": 0.5, "price_monthly": 4,
     "price_hourly": 0.00595, "regions": ["ams3", "fra1", "nyc1"], "available": true, "description": "Basic",
     "networking_throughput": 2000, "disk_info": [{"type": "local", "size": {"amount": 10, "unit": "gib"}}]},
    {"slug": "gpu-h100x1-80gb", "memory": 245760, "vcpus": 20, "disk": 720, "transfer": 15, "price_monthly": 2522.16,
     "price_hourly": 3.39, "regions": ["tor1", "nyc2"], "available": true, "description": "H100 GPU - 1X",
     "disk_info": [{"type": "local", "size": {"amount": 720, "unit": "gib"}},
                   {"type": "scratch", "size": {"amount": 5, "unit": "tib"}}],
     "gpu_info": {"count": 1, "vram": {"amount": 80, "unit": "gib"}, "model": "nvidia_h100"}},
    {"slug": "gpu-h100x8-640gb", "memory": 1966080, "vcpus": 160, "disk": 2046, "price_monthly": 17796.48,
     "price_hourly": 23.92, "regions": [], "available": true, "description": "H100 GPU - 8X",
     "gpu_info": {"count": 8, "vram": {"amount": 640, "unit": "gib"}, "model": "nvidia_h100"}},
    {"slug": "gpu-mi300x8-1536gb", "memory": 1966080, "vcpus": 160, "disk": 2046, "price_monthly": 11844.48,
     "price_hourly": 15.92, "regions": ["atl1"], "available": false, "description": "AMD MI300X - 8X",
     "gpu_info": {"count": 8, "vram": {"amount": 1536, "unit": "gib"}, "model": "amd_mi300x"}},
    {"slug": "gpu-6000adax1-48gb", "memory": 65536, "vcpus": 8, "disk": 500, "price_monthly": 1168.08,
     "price_hourly": 1.57, "regions": ["ams3", "xyz9"], "available": true, "description": "RTX 6000 Ada GPU - 1X",
     "gpu_info": {"count": 1, "vram": {"amount": 49152, "unit": "mib"}, "model": "nvidia_rtx6000_ada"}},
    {"slug": "gpu-l40sx2-96gb", "memory": 131072, "vcpus": 16, "disk": 1000, "price_monthly": 2335.2,
     "price_hourly": 0, "regions": ["tor1"], "available": true, "description": "L40S GPU - 2X",
     "gpu_info": {"count": 2, "vram": {"amount": 96, "unit": "gib"}, "model": "nvidia_l40s"}},
    {"slug": "gpu-x9x1-32gb", "memory": 65536, "vcpus": 8, "disk": 400, "price_monthly": 744,
     "price_hourly": 1, "regions": ["sfo3"], "available": true, "description": "X9 - 1X",
     "gpu_info": {"count": 1, "vram": {"amount": 32, "unit": "gib"}, "model": "acme_x9"}},
    {"slug": 42, "memory": "lots"}
  ],
  "links": {"pages": {}},
  "meta": {"total": 8}
}`

func TestParseDigitalOcean(t *testing.T) {
	var resp doSizesResponse
	if err := json.Unmarshal([]byte(doDocPayload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseDigitalOcean(resp, testOrigin(digitaloceanInfo, "https://api.digitalocean.com/v2/sizes"))
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
		region, normRegion, country string
		avail                       shared.Availability
	}{
		{"digitalocean:gpu-h100x1-80gb:nyc2", "nvidia-h100-sxm-80gb", true, 1, 3.39, 3.39, "nyc2", "us-east", "US", shared.Available},
		{"digitalocean:gpu-h100x1-80gb:tor1", "nvidia-h100-sxm-80gb", true, 1, 3.39, 3.39, "tor1", "ca-central", "CA", shared.Available},
		{"digitalocean:gpu-h100x8-640gb:any", "nvidia-h100-sxm-80gb", true, 8, 23.92, 2.99, "any", "", "", shared.Unavailable},
		{"digitalocean:gpu-mi300x8-1536gb:any", "amd-mi300x-oam-192gb", true, 8, 15.92, 1.99, "any", "", "", shared.Unavailable},
		{"digitalocean:gpu-6000adax1-48gb:ams3", "nvidia-rtx-6000-ada-48gb", true, 1, 1.57, 1.57, "ams3", "eu-west", "NL", shared.Available},
		{"digitalocean:gpu-6000adax1-48gb:xyz9", "nvidia-rtx-6000-ada-48gb", true, 1, 1.57, 1.57, "xyz9", "", "", shared.Available},
		{"digitalocean:gpu-x9x1-32gb:sfo3", "unknown-acme-x9-32gb", false, 1, 1, 1, "sfo3", "us-west", "US", shared.Available},
	}
	if len(offers) != len(tests) {
		for _, o := range offers {
			t.Log(o.ID)
		}
		t.Fatalf("got %d offers, want %d (CPU-only, unpriced and malformed sizes must be skipped)", len(offers), len(tests))
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		if o.GPUID != tc.gpuID || o.GPUKnown != tc.known || o.GPUCount != tc.count || o.PricePerHour != tc.price ||
			o.PricePerGPUHour != tc.perGPU || o.SpotPricePerHour != nil || o.Interruptible ||
			o.Region != tc.region || o.NormalizedRegion != tc.normRegion || o.Country != tc.country ||
			o.Availability != tc.avail || o.Currency != "USD" || o.Source != "https://api.digitalocean.com/v2/sizes" {
			t.Errorf("%s: got %+v", tc.id, o)
		}
	}
	h := byID["digitalocean:gpu-h100x1-80gb:nyc2"]
	if h.VCPUs != 20 || h.RAMGB != 240 || h.DiskGB != 720+5*1024 {
		t.Errorf("H100 specs: vcpus %v ram %v disk %v", h.VCPUs, h.RAMGB, h.DiskGB)
	}
	if tags := byID["digitalocean:gpu-6000adax1-48gb:ams3"].ComplianceTags; len(tags) != 2 || tags[1] != "gdpr" {
		t.Errorf("EU compliance tags %v", tags)
	}
}

func TestDoPerGPUMemory(t *testing.T) {
	for _, tc := range []struct {
		name         string
		total, count float64
		want         float64
	}{
		{"nvidia h100", 640, 8, 80},
		{"nvidia h100", 80, 8, 80}, // an amount that is one card's memory is not divided
		{"amd mi300x", 192, 1, 192},
		{"acme x9", 64, 2, 32},
		{"nvidia h100", 0, 8, 0},
	} {
		if got := doPerGPUMemory(tc.name, tc.total, tc.count); got != tc.want {
			t.Errorf("%s %v/%v: got %v, want %v", tc.name, tc.total, tc.count, got, tc.want)
		}
	}
}

func TestDigitalOceanAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "digitalocean")
	cheapH100 := 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated DigitalOcean GPU %q not in catalog", o.ProviderGPUName)
		}
		if o.GPUID == "nvidia-h100-sxm-80gb" && o.GPUCount == 1 && o.PricePerHour < 4 {
			cheapH100++
		}
	}
	if cheapH100 == 0 {
		t.Error("no single-GPU H100 offer under $4/h")
	}
}

func TestDigitalOceanPagination(t *testing.T) {
	sim, base := startSim(t, "digitalocean", nil)
	ad := newDigitalOcean(Config{BaseURL: base, APIKey: shared.NewSecret("sim-key"), Now: func() time.Time { return fixedNow }})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	want, err := ad.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := sim.Requests("digitalocean")
	ad.pageSize = 5
	got, err := ad.Fetch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := sim.Requests("digitalocean") - before; n < 5 {
		t.Fatalf("%d requests with 5 sizes a page; pagination did not happen", n)
	}
	if len(got) != len(want) {
		t.Fatalf("paged fetch gave %d offers, unpaged %d", len(got), len(want))
	}
}

func TestDigitalOceanNeedsToken(t *testing.T) {
	_, base := startSim(t, "digitalocean", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := newDigitalOcean(Config{BaseURL: base}).Fetch(ctx)
	if KindOf(err) != shared.ErrKindAuth {
		t.Fatalf("no token: got %v, want an auth error", err)
	}
}

func TestDoNextPage(t *testing.T) {
	for link, want := range map[string]int{
		"https://api.digitalocean.com/v2/sizes?page=2&per_page=200": 2,
		"https://evil.example/v2/sizes?page=7":                      7, // only the number is used
		"":                                                          0,
		"https://api.digitalocean.com/v2/sizes?page=zero": 0,
		"https://api.digitalocean.com/v2/sizes?page=-3":   0,
	} {
		got, ok := doNextPage(link)
		if got != want || ok != (want > 0) {
			t.Errorf("%q: got %d %v, want %d", link, got, ok, want)
		}
	}
}

func FuzzParseDigitalOcean(f *testing.F) {
	f.Add([]byte(doDocPayload))
	f.Add([]byte(`{"sizes":[{"slug":"g","price_hourly":1e-300,"regions":["nyc1"],"available":true,"gpu_info":{"count":1e-9,"vram":{"amount":1e300,"unit":"tib"}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp doSizesResponse
		if json.Unmarshal(b, &resp) != nil {
			return
		}
		offers, err := parseDigitalOcean(resp, testOrigin(digitaloceanInfo, "x"))
		if err != nil {
			return
		}
		requireValid(t, offers)
	})
}
