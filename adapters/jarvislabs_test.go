package adapters

import (
	"encoding/json"
	"testing"
)

// jarvisDocPayload follows GET /misc/server_meta as the official SDK models
// it (ServerMetaGPU): numbers arrive both as JSON numbers and as strings.
const jarvisDocPayload = `{
  "server_meta": [
    {"gpu_type": "L4", "region": "india-noida-01", "workload_type": "vm",
     "num_free_devices": 3, "effective_num_free_devices": 3, "spot_num_free_devices": 2,
     "price_per_hour": 0.44, "spot_price": 0.29, "vram": "24", "arc": "x86_64",
     "cpus_per_gpu": 28, "ram_per_gpu": 124, "num_gpus": "8"},
    {"gpu_type": "L4", "region": "india-noida-01", "workload_type": "vm",
     "num_free_devices": 3, "price_per_hour": 0.50, "vram": "24", "cpus_per_gpu": 28, "ram_per_gpu": 124, "num_gpus": "8"},
    {"gpu_type": "A100-80GB", "region": "india-noida-01", "workload_type": "container",
     "num_free_devices": 5, "effective_num_free_devices": 1, "price_per_hour": "1.49", "spot_price": null,
     "vram": "80", "cpus_per_gpu": 28, "ram_per_gpu": 112, "num_gpus": 4},
    {"gpu_type": "H100", "region": "europe-01", "workload_type": null,
     "num_free_devices": 25, "effective_num_free_devices": 25, "price_per_hour": 2.99, "spot_price": null,
     "vram": "80", "cpus_per_gpu": 16, "ram_per_gpu": 200},
    {"gpu_type": "H200", "region": "india-01", "workload_type": "container",
     "num_free_devices": 0, "price_per_hour": 3.80, "vram": "141", "cpus_per_gpu": 16, "ram_per_gpu": 200, "num_gpus": "2"},
    {"gpu_type": "A5000Pro", "region": "india-01", "workload_type": "container",
     "num_free_devices": 2, "price_per_hour": 0.59, "vram": "24", "cpus_per_gpu": 7, "ram_per_gpu": 32},
    {"gpu_type": "RTX6000Ada", "region": "mars-01", "workload_type": "container",
     "num_free_devices": 1, "price_per_hour": null, "spot_price": 0.65, "vram": "48", "cpus_per_gpu": 8, "ram_per_gpu": 48},
    {"gpu_type": "A6000", "region": "india-01", "workload_type": "vm",
     "num_free_devices": 4, "price_per_hour": 0, "vram": "48", "cpus_per_gpu": 7, "ram_per_gpu": 32},
    {"gpu_type": "", "region": "india-01", "price_per_hour": 0.39},
    {"gpu_type": "RTX5000", "region": "", "price_per_hour": 0.39},
    {"gpu_type": 42, "region": "india-01", "price_per_hour": 0.39},
    {"gpu_type": "A5000", "region": "india-01", "workload_type": "container",
     "num_free_devices": "lots", "price_per_hour": "n/a", "vram": "24"}
  ],
  "cpu_meta": {
    "workload_type": "container",
    "combinations": [
      {"vcpus": 4, "ram_gb": 16, "price": 0.0992, "available": true, "regions": {"india-noida-01": true}}
    ]
  }
}`

func TestParseJarvisLabs(t *testing.T) {
	var resp jarvisResponse
	if err := json.Unmarshal([]byte(jarvisDocPayload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseJarvisLabs(resp, testOrigin(jarvislabsInfo, "https://backendprod.jarvislabs.net/misc/server_meta"))
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
		count, price, perGPU, spot  float64 // spot 0 = none
		vcpus, ram                  float64
		region, normRegion, country string
		avail                       string
		interruptible               bool
	}{
		// 3 L4s free: one is plenty, two is the last pair, four cannot launch.
		{"jarvislabs:india-noida-01:L4:vm:1", "nvidia-l4-24gb", 1, 0.44, 0.44, 0.29, 28, 124, "india-noida-01", "ap-south", "IN", "available", false},
		{"jarvislabs:india-noida-01:L4:vm:2", "nvidia-l4-24gb", 2, 0.88, 0.44, 0.58, 56, 248, "india-noida-01", "ap-south", "IN", "limited", false},
		{"jarvislabs:india-noida-01:L4:vm:8", "nvidia-l4-24gb", 8, 3.52, 0.44, 2.32, 224, 992, "india-noida-01", "ap-south", "IN", "unavailable", false},
		// The effective free count (1) wins over the raw one (5); the price was a string.
		{"jarvislabs:india-noida-01:A100-80GB:container:1", "nvidia-a100-sxm-80gb", 1, 1.49, 1.49, 0, 28, 112, "india-noida-01", "ap-south", "IN", "limited", false},
		{"jarvislabs:india-noida-01:A100-80GB:container:4", "nvidia-a100-sxm-80gb", 4, 5.96, 1.49, 0, 112, 448, "india-noida-01", "ap-south", "IN", "unavailable", false},
		// EU1 rows have a null workload and no num_gpus: one size, 1 GPU.
		{"jarvislabs:europe-01:H100:any:1", "nvidia-h100-sxm-80gb", 1, 2.99, 2.99, 0, 16, 200, "europe-01", "", "", "available", false},
		{"jarvislabs:india-01:H200:container:2", "nvidia-h200-sxm-141gb", 2, 7.60, 3.80, 0, 32, 400, "india-01", "ap-south", "IN", "unavailable", false},
		// Unknown to the catalog, but still a priced GPU offer.
		{"jarvislabs:india-01:A5000Pro:container:1", "unknown-a5000pro-24gb", 1, 0.59, 0.59, 0, 7, 32, "india-01", "ap-south", "IN", "available", false},
		// Only a spot price: listed as interruptible, in an unmapped region.
		{"jarvislabs:mars-01:RTX6000Ada:container:1", "nvidia-rtx-6000-ada-48gb", 1, 0.65, 0.65, 0, 8, 48, "mars-01", "", "", "limited", true},
	}
	// Expected sizes: L4 1,2,4,8; A100-80GB 1,2,4; H100 1; H200 1,2; A5000Pro 1; RTX6000Ada 1.
	if want := 4 + 3 + 1 + 2 + 1 + 1; len(offers) != want {
		t.Fatalf("got %d offers, want %d (duplicates, zero prices, nameless, malformed and CPU rows skipped)", len(offers), want)
	}
	for _, tc := range tests {
		i, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		o := offers[i]
		if o.GPUID != tc.gpuID || o.GPUCount != tc.count || o.PricePerHour != tc.price || o.PricePerGPUHour != tc.perGPU ||
			o.VCPUs != tc.vcpus || o.RAMGB != tc.ram || o.Region != tc.region || o.NormalizedRegion != tc.normRegion ||
			o.Country != tc.country || string(o.Availability) != tc.avail || o.Interruptible != tc.interruptible {
			t.Errorf("%s: got %+v", tc.id, o)
		}
		if (tc.spot == 0) != (o.SpotPricePerHour == nil) || (o.SpotPricePerHour != nil && *o.SpotPricePerHour != tc.spot) {
			t.Errorf("%s: spot %v, want %v", tc.id, o.SpotPricePerHour, tc.spot)
		}
	}
	// The duplicate L4 row (0.50) must not replace the first one.
	if o := offers[byID["jarvislabs:india-noida-01:L4:vm:1"]]; o.PricePerHour != 0.44 {
		t.Errorf("duplicate row overrode the first: %v", o.PricePerHour)
	}
	eu := offers[byID["jarvislabs:europe-01:H100:any:1"]]
	if eu.Continent != "EU" || len(eu.ComplianceTags) != 1 || eu.ComplianceTags[0] != "gdpr" {
		t.Errorf("EU1 offer: continent %q tags %v", eu.Continent, eu.ComplianceTags)
	}
	if in := offers[byID["jarvislabs:india-01:H200:container:2"]]; len(in.ComplianceTags) != 0 || in.InstanceType != "H200 x2 (container)" {
		t.Errorf("IN1 offer: %q tags %v", in.InstanceType, in.ComplianceTags)
	}
}

func TestParseJarvisLabsNothingUsable(t *testing.T) {
	var resp jarvisResponse
	if err := json.Unmarshal([]byte(`{"server_meta": [{"gpu_type": "L4", "region": "india-01"}]}`), &resp); err != nil {
		t.Fatal(err)
	}
	if _, err := parseJarvisLabs(resp, testOrigin(jarvislabsInfo, "x")); err == nil {
		t.Fatal("a catalogue without any priced row must be an error")
	}
	empty, err := parseJarvisLabs(jarvisResponse{}, testOrigin(jarvislabsInfo, "x"))
	if err != nil || len(empty) != 0 {
		t.Fatalf("empty catalogue: %v, %d offers", err, len(empty))
	}
}

func TestJarvisLabsAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "jarvislabs")
	cheapH100 := 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated JarvisLabs GPU %q not in catalog", o.ProviderGPUName)
		}
		if o.GPUID == "nvidia-h100-sxm-80gb" && o.GPUCount == 1 && o.PricePerHour < 4 {
			cheapH100++
		}
	}
	if cheapH100 < 2 {
		t.Errorf("%d single-GPU H100 offers under $4/h, want >= 2", cheapH100)
	}
}

func TestJarvisLabsNeedsKey(t *testing.T) {
	ad := newJarvisLabs(Config{BaseURL: "http://127.0.0.1:1"})
	if _, err := ad.Fetch(t.Context()); KindOf(err) != "auth" {
		t.Fatalf("fetch without key: %v", err)
	}
}

func FuzzParseJarvisLabs(f *testing.F) {
	f.Add([]byte(jarvisDocPayload))
	f.Add([]byte(`{"server_meta":[{"gpu_type":"H100","region":"europe-01","price_per_hour":"1e308","num_gpus":"1e9"}]}`))
	f.Add([]byte(`{"server_meta":[{"gpu_type":"H100","region":"x","price_per_hour":-1,"spot_price":"0.000000001"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp jarvisResponse
		if json.Unmarshal(b, &resp) != nil {
			return
		}
		offers, err := parseJarvisLabs(resp, testOrigin(jarvislabsInfo, "x"))
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
