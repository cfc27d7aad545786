package adapters

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// hyperbolicDocPayload follows POST /v1/marketplace: an 8x H100 node with
// three GPUs reserved, a node reserved as a whole, a node that is not
// ready, a node in Europe, a generic region label, an unknown GPU, a node
// with no price, a CPU-only node and one of the wrong shape. Prices are
// cents per GPU-hour; GPU ram is MiB.
const hyperbolicDocPayload = `{
  "instances": [
    {"id": "ns-amd14-78", "status": "node_ready", "cluster_name": "angelic-mushroom-dolphin", "reserved": false,
     "hardware": {"cpus": [{"hardware_type": "cpu", "model": "AMD-23-49", "cores": 96, "virtual_cores": 192}],
       "gpus": [{"hardware_type": "gpu", "model": "NVIDIA-H100-80GB-HBM3", "clock_speed": 1000, "compute_power": 1000, "ram": 81559, "interface": "SXM5"}],
       "storage": [{"hardware_type": "storage", "capacity": 8000}], "ram": [{"hardware_type": "ram", "capacity": 1600}]},
     "instances": [{"id": "i-1", "status": "running", "hardware": [{"gpu": {"hardware_type": "gpu", "model": "NVIDIA-H100-80GB-HBM3", "ram": 81559}}]}],
     "location": {"region": "us-central-1"}, "network": {}, "gpus_total": 8, "gpus_reserved": 3,
     "has_persistent_storage": true, "supplier_id": "s-1",
     "pricing": {"price": {"amount": 149, "period": "hourly", "agent": "platform"}}},
    {"id": "korea-amd11-181", "status": "node_ready", "cluster_name": "beneficial-palm-boar", "reserved": true,
     "hardware": {"cpus": [{"virtual_cores": 32}], "gpus": [{"model": "NVIDIA-GeForce-RTX-4090", "ram": 24564}],
       "storage": [{"capacity": 1000}], "ram": [{"capacity": 128}]},
     "location": {"region": "region-1"}, "gpus_total": 1, "gpus_reserved": 0,
     "pricing": {"price": {"amount": 35, "period": "hourly"}}},
    {"id": "fin-intel3-40", "status": "node_offline", "reserved": false,
     "hardware": {"cpus": [{"virtual_cores": 64}], "gpus": [{"model": "NVIDIA-L40S", "ram": 46068}],
       "storage": [{"capacity": 2000}], "ram": [{"capacity": 256}]},
     "location": {"region": "eu-north-1"}, "gpus_total": 2, "gpus_reserved": 0,
     "pricing": {"price": {"amount": 85, "period": "hourly"}}},
    {"id": "tx-amd2-91", "status": "node_ready", "reserved": false,
     "hardware": {"gpus": [{"model": "Acme-Tensor-X9", "ram": 65536}]},
     "location": {"region": "us-east-1"}, "gpus_total": 1, "gpus_reserved": 0,
     "pricing": {"price": {"amount": 120}}},
    {"id": "tx-amd2-92", "status": "node_ready", "hardware": {"gpus": [{"model": "NVIDIA-A100-SXM4-80GB", "ram": 81920}]},
     "location": {"region": "us-east-1"}, "gpus_total": 4, "gpus_reserved": 0, "pricing": {"price": {"amount": 0}}},
    {"id": "cpu-only-1", "status": "node_ready", "hardware": {"cpus": [{"virtual_cores": 64}], "gpus": []},
     "location": {"region": "us-east-1"}, "gpus_total": 0, "gpus_reserved": 0, "pricing": {"price": {"amount": 40}}},
    {"id": "broken", "status": "node_ready", "gpus_total": "eight"}
  ]
}`

func TestParseHyperbolic(t *testing.T) {
	var resp hyperbolicResponse
	if err := json.Unmarshal([]byte(hyperbolicDocPayload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseHyperbolic(resp, testOrigin(hyperbolicInfo, "https://api.hyperbolic.xyz/v1/marketplace"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	tests := []struct {
		id                          string
		gpuID                       string
		known                       bool
		count, price, perGPU        float64
		region, normRegion, country string
		avail                       shared.Availability
		tags                        int
	}{
		{"hyperbolic:ns-amd14-78:1x", "nvidia-h100-sxm-80gb", true, 1, 1.49, 1.49, "us-central-1", "us-central", "US", shared.Available, 0},
		{"hyperbolic:ns-amd14-78:2x", "nvidia-h100-sxm-80gb", true, 2, 2.98, 1.49, "us-central-1", "us-central", "US", shared.Available, 0},
		{"hyperbolic:ns-amd14-78:4x", "nvidia-h100-sxm-80gb", true, 4, 5.96, 1.49, "us-central-1", "us-central", "US", shared.Available, 0},
		// Five GPUs free: the whole node is not.
		{"hyperbolic:ns-amd14-78:8x", "nvidia-h100-sxm-80gb", true, 8, 11.92, 1.49, "us-central-1", "us-central", "US", shared.Unavailable, 0},
		// Reserved as a whole; a generic region label stays unlocated.
		{"hyperbolic:korea-amd11-181:1x", "nvidia-rtx-4090-24gb", true, 1, 0.35, 0.35, "region-1", "", "", shared.Unavailable, 0},
		{"hyperbolic:fin-intel3-40:1x", "nvidia-l40s-48gb", true, 1, 0.85, 0.85, "eu-north-1", "eu-north", "", shared.Unavailable, 1},
		{"hyperbolic:fin-intel3-40:2x", "nvidia-l40s-48gb", true, 2, 1.70, 0.85, "eu-north-1", "eu-north", "", shared.Unavailable, 1},
		{"hyperbolic:tx-amd2-91:1x", "unknown-acme-tensor-x9-64gb", false, 1, 1.20, 1.20, "us-east-1", "us-east", "US", shared.Available, 0},
	}
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	if len(offers) != len(tests) {
		for _, o := range offers {
			t.Log(o.ID)
		}
		t.Fatalf("got %d offers, want %d (unpriced, CPU-only and malformed nodes must be skipped)", len(offers), len(tests))
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		if o.GPUID != tc.gpuID || o.GPUKnown != tc.known || o.GPUCount != tc.count || o.PricePerHour != tc.price ||
			o.PricePerGPUHour != tc.perGPU || o.SpotPricePerHour != nil || o.Interruptible ||
			o.Region != tc.region || o.NormalizedRegion != tc.normRegion || o.Country != tc.country ||
			o.Availability != tc.avail || len(o.ComplianceTags) != tc.tags {
			t.Errorf("%s: got %+v", tc.id, o)
		}
	}
	// One GPU of eight gets an eighth of the node.
	if o := byID["hyperbolic:ns-amd14-78:1x"]; o.VCPUs != 24 || o.RAMGB != 200 || o.DiskGB != 1000 || o.ProviderGPUName != "NVIDIA-H100-80GB-HBM3" {
		t.Errorf("1x share: %+v", o)
	}
}

func TestHyperbolicRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]map[string]any
		if r.Method != http.MethodPost || r.URL.Path != "/v1/marketplace" || json.Unmarshal(b, &body) != nil || body["filters"] == nil {
			t.Errorf("request %s %s %s", r.Method, r.URL.Path, b)
		}
		if got := r.Header.Get("Authorization"); got != "" && got != "Bearer hb-key" {
			t.Errorf("authorization %q", got)
		}
		_, _ = w.Write([]byte(hyperbolicDocPayload))
	}))
	defer srv.Close()
	for _, key := range []string{"", "hb-key"} {
		ad := newHyperbolic(Config{BaseURL: srv.URL, APIKey: shared.NewSecret(key), Now: func() time.Time { return fixedNow }})
		offers, err := ad.Fetch(context.Background())
		if err != nil || len(offers) != 8 {
			t.Fatalf("key %q: %d offers, %v", key, len(offers), err)
		}
	}
}

func TestHyperbolicAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "hyperbolic")
	cheapH100 := 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Hyperbolic GPU %q not in catalog", o.ProviderGPUName)
		}
		if o.GPUID == "nvidia-h100-sxm-80gb" && o.GPUCount == 1 && o.PricePerHour < 4 {
			cheapH100++
		}
	}
	if cheapH100 < 2 {
		t.Errorf("%d single-GPU H100 offers under $4/h, want >= 2", cheapH100)
	}
}

func FuzzParseHyperbolic(f *testing.F) {
	f.Add([]byte(hyperbolicDocPayload))
	f.Add([]byte(`{"instances":[{"id":"a","hardware":{"gpus":[{"model":"x"}]},"gpus_total":1e300,"pricing":{"price":{"amount":1e-9}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp hyperbolicResponse
		if json.Unmarshal(b, &resp) != nil {
			return
		}
		offers, err := parseHyperbolic(resp, testOrigin(hyperbolicInfo, "x"))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for i := range offers {
			if err := offers[i].Validate(); err != nil {
				t.Fatalf("invalid offer from parser: %v", err)
			}
			if seen[offers[i].ID] {
				t.Fatalf("duplicate id %s", offers[i].ID)
			}
			seen[offers[i].ID] = true
		}
	})
}
