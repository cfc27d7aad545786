package adapters

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// cloudriftPayload follows the answer of POST /api/v1/instance-types/list:
// sizes in bytes (vram per GPU), cost_per_hour in US cents.
const cloudriftPayload = `{
  "version": "2025-01-29",
  "data": {
    "instance_types": [
      {"name": "rtx49-8c-nr", "brand_short": "RTX 4090", "manufacturer": "NVIDIA",
       "nvidia_kernel_module_support": "OpenAndProprietary",
       "datacenters": [{"name": "us-east-nc-nr-1", "provider_name": "NeuralRack"}],
       "variants": [
         {"name": "rtx49-8c-nr.1", "gpu_count": 1, "cpu_count": 8, "logical_cpu_count": 16,
          "dram": 53687091200, "vram": 25769803776, "disk": 536870912000, "cost_per_hour": 39,
          "nodes": 4, "nodes_per_dc": {"us-east-nc-nr-1": 4}, "available_nodes": 3,
          "available_nodes_per_dc": {"us-east-nc-nr-1": 3}, "cpu_sharing_policy": "Dedicated",
          "ip_availability_per_dc": {"us-east-nc-nr-1": {"public_ips": true}}, "volume_types_per_dc": {}},
         {"name": "rtx49-8c-nr.2", "gpu_count": 2, "cpu_count": 16, "logical_cpu_count": 32,
          "dram": 107374182400, "vram": 25769803776, "disk": 1073741824000, "cost_per_hour": 78,
          "nodes": 4, "nodes_per_dc": {"us-east-nc-nr-1": 4}, "available_nodes": 1,
          "available_nodes_per_dc": {"us-east-nc-nr-1": 1}}
       ]},
      {"name": "h100-16c-ny", "brand_short": "H100", "manufacturer": "NVIDIA",
       "datacenters": [{"name": "usny01_a01"}, {"name": "eu-central-it-gv-1"}],
       "variants": [
         {"name": "h100-16c-ny.1", "gpu_count": 1, "cpu_count": 16, "logical_cpu_count": 32,
          "dram": 214748364800, "vram": 85899345920, "disk": 2147483648000, "cost_per_hour": 199.5,
          "nodes_per_dc": {"usny01_a01": 2, "eu-central-it-gv-1": 1},
          "available_nodes_per_dc": {"usny01_a01": 0, "eu-central-it-gv-1": 2}}
       ]},
      {"name": "rtxpro6000-11-50-500-1l", "brand_short": "RTX PRO 6000", "manufacturer": "NVIDIA",
       "datacenters": [],
       "variants": [
         {"name": "rtxpro6000-11-50-500-1l.1", "gpu_count": 1, "cpu_count": 11, "logical_cpu_count": 22,
          "dram": 53687091200, "vram": 103079215104, "disk": 536870912000, "cost_per_hour": 139.36,
          "nodes": 0, "nodes_per_dc": {}, "available_nodes": 0, "available_nodes_per_dc": {}}
       ]},
      {"name": "acme-x9", "brand_short": "Acme X9", "manufacturer": "Acme",
       "variants": [
         {"name": "acme-x9.1", "gpu_count": 1, "cpu_count": 4, "dram": 34359738368, "vram": 42949672960,
          "disk": 107374182400, "cost_per_hour": 55, "available_nodes_per_dc": {"ap_northeast_kr_se_1": 5}},
         {"name": "acme-x9.2", "gpu_count": 2, "cost_per_hour": 0, "available_nodes_per_dc": {"ap_northeast_kr_se_1": 5}},
         {"name": "acme-x9.4", "gpu_count": "four", "cost_per_hour": 220}
       ]},
      {"name": "genoa-64c", "brand_short": "Genoa", "manufacturer": "AMD",
       "variants": [{"name": "genoa-64c.0", "gpu_count": 0, "cpu_count": 64, "cost_per_hour": 32,
                     "available_nodes_per_dc": {"ustx1a_a01": 2}}]},
      {"name": "broken", "variants": "none"}
    ]
  }
}`

func TestParseCloudRift(t *testing.T) {
	var resp cloudriftResponse
	if err := json.Unmarshal([]byte(cloudriftPayload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseCloudRift(resp, testOrigin(cloudriftInfo, "https://api.cloudrift.ai/api/v1/instance-types/list"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	tests := []struct {
		id, gpuID                   string
		count, price, perGPU        float64
		vcpus, ramGB                float64
		region, normRegion, country string
		avail                       shared.Availability
		known                       bool
		tags                        string
	}{
		{"cloudrift:rtx49-8c-nr.1:us-east-nc-nr-1", "nvidia-rtx-4090-24gb", 1, 0.39, 0.39, 16, 50, "us-east-nc-nr-1", "us-east", "US", shared.Available, true, ""},
		{"cloudrift:rtx49-8c-nr.2:us-east-nc-nr-1", "nvidia-rtx-4090-24gb", 2, 0.78, 0.39, 32, 100, "us-east-nc-nr-1", "us-east", "US", shared.Limited, true, ""},
		{"cloudrift:h100-16c-ny.1:usny01_a01", "nvidia-h100-sxm-80gb", 1, 1.995, 1.995, 32, 200, "usny01_a01", "us-east", "US", shared.Unavailable, true, ""},
		{"cloudrift:h100-16c-ny.1:eu-central-it-gv-1", "nvidia-h100-sxm-80gb", 1, 1.995, 1.995, 32, 200, "eu-central-it-gv-1", "eu-south", "IT", shared.Available, true, "gdpr"},
		// Nowhere to run: kept once, unavailable, so the price stays visible.
		{"cloudrift:rtxpro6000-11-50-500-1l.1:any", "nvidia-rtx-pro-6000-96gb", 1, 1.3936, 1.3936, 22, 50, "any", "", "", shared.Unavailable, true, ""},
		// An unknown GPU is kept and flagged, its memory from vram; vCPUs fall back to cpu_count.
		{"cloudrift:acme-x9.1:ap_northeast_kr_se_1", "unknown-acme-x9-40gb", 1, 0.55, 0.55, 4, 32, "ap_northeast_kr_se_1", "ap-northeast", "KR", shared.Available, false, ""},
	}
	if len(offers) != len(tests) {
		t.Fatalf("got %d offers, want %d (CPU-only, unpriced and malformed variants skipped): %v", len(offers), len(tests), listOfferIDs(offers))
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s (have %v)", tc.id, listOfferIDs(offers))
		}
		if o.GPUID != tc.gpuID || o.GPUCount != tc.count || o.PricePerHour != tc.price || o.PricePerGPUHour != tc.perGPU ||
			o.VCPUs != tc.vcpus || o.RAMGB != tc.ramGB || o.Region != tc.region || o.NormalizedRegion != tc.normRegion ||
			o.Country != tc.country || o.Availability != tc.avail || o.GPUKnown != tc.known ||
			strings.Join(o.ComplianceTags, ",") != tc.tags || o.Currency != "USD" {
			t.Errorf("%s: got %+v", tc.id, o)
		}
	}
}

func TestCloudRiftLocation(t *testing.T) {
	for dc, want := range map[string]string{
		"us-east-nc-nr-1":      "US/us-east",
		"ustx1a_a01":           "US/us-central",
		"usca02_b01":           "US/us-west",
		"us-west-or-xy-3":      "US/us-west",
		"eu-north-se-st-1":     "SE/eu-north",
		"ap-southeast-sg-sg-1": "SG/ap-southeast",
		"mystery-dc":           "/",
	} {
		loc := cloudriftLocation(dc)
		if got := loc.Country + "/" + loc.Region; got != want {
			t.Errorf("%s: got %s, want %s", dc, got, want)
		}
	}
}

func TestCloudRiftAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "cloudrift")
	anywhere, cheapH100 := 0, 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated CloudRift GPU %q not in catalog", o.ProviderGPUName)
		}
		if o.Region == "any" {
			anywhere++
		}
		if o.GPUID == "nvidia-h100-sxm-80gb" && o.GPUCount == 1 && o.PricePerHour < 4 {
			cheapH100++
		}
	}
	if anywhere == 0 || cheapH100 < 2 {
		t.Errorf("want a variant with no datacenter and >= 2 single-GPU H100 offers under $4, got %d and %d", anywhere, cheapH100)
	}
}

// The request carries the {version, data: {selector}} envelope; a key, when
// configured, goes in X-API-Key and never into an error.
func TestCloudRiftRequest(t *testing.T) {
	var got struct {
		Version string `json:"version"`
		Data    struct {
			Selector map[string]struct {
				Services []string `json:"services"`
			} `json:"selector"`
		} `json:"data"`
	}
	var key string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &got)
		key = r.Header.Get("X-API-Key")
		if r.URL.Path != "/api/v1/instance-types/list" || r.Method != http.MethodPost || key == "cr-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(cloudriftPayload))
	}))
	defer srv.Close()
	offers, err := newCloudRift(Config{BaseURL: srv.URL, Now: func() time.Time { return fixedNow }}).Fetch(context.Background())
	if err != nil || len(offers) == 0 {
		t.Fatalf("anonymous fetch: %d offers, %v", len(offers), err)
	}
	if got.Version == "" || len(got.Data.Selector["ByServiceAndLocation"].Services) != 1 || key != "" {
		t.Fatalf("request: %+v, key %q", got, key)
	}
	_, err = newCloudRift(Config{BaseURL: srv.URL, APIKey: shared.NewSecret("cr-secret")}).Fetch(context.Background())
	if KindOf(err) != shared.ErrKindAuth || key != "cr-secret" || strings.Contains(err.Error(), "cr-secret") {
		t.Fatalf("keyed fetch: %v (key sent %q)", err, key)
	}
}

func FuzzParseCloudRift(f *testing.F) {
	f.Add([]byte(cloudriftPayload))
	f.Add([]byte(`{"data":{"instance_types":[{"brand_short":"H100","variants":[{"name":"x","gpu_count":64,"cost_per_hour":1e-9,"nodes_per_dc":{" ":1}}]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp cloudriftResponse
		if json.Unmarshal(b, &resp) != nil {
			return
		}
		offers, err := parseCloudRift(resp, testOrigin(cloudriftInfo, "x"))
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
