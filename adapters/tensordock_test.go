package adapters

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// tensordockDocPayload follows GET /api/v2/hostnodes: an H100 host with
// three GPUs free, a sold-out RTX 4090 host, a host short of RAM, a host in
// Europe with a displayName, an unknown GPU, an unpriced GPU, a host with no
// id and one of the wrong shape.
const tensordockDocPayload = `{
  "data": {
    "hostnodes": [
      {"id": "hn-h100-austin", "location_id": "loc-austin", "uptime_percentage": 99.9,
       "available_resources": {"gpus": [{"v0Name": "h100-sxm5-80gb", "availableCount": 3, "price_per_hr": 2.2}],
         "vcpu_count": 100, "ram_gb": 500, "storage_gb": 4000, "has_public_ip_available": true},
       "pricing": {"per_vcpu_hr": 0.003, "per_gb_ram_hr": 0.002, "per_gb_storage_hr": 0.00005},
       "location": {"city": "Austin", "stateprovince": "Texas", "country": "United States",
         "network_speed_gbps": 10, "network_speed_upload_gbps": 10, "tier": 3}},
      {"id": "hn-4090-winnipeg", "location_id": "loc-winnipeg",
       "available_resources": {"gpus": [{"v0Name": "geforcertx4090-pcie-24gb", "availableCount": 0, "price_per_hr": 0.35}],
         "vcpu_count": 0, "ram_gb": 0, "storage_gb": 0},
       "pricing": {"per_vcpu_hr": 0.003, "per_gb_ram_hr": 0.002, "per_gb_storage_hr": 0.00005},
       "location": {"city": "Winnipeg", "stateprovince": "Manitoba", "country": "Canada"}},
      {"id": "hn-a6000-dallas",
       "available_resources": {"gpus": [{"v0Name": "rtxa6000-pcie-48gb", "availableCount": 2, "price_per_hr": 0.45}],
         "vcpu_count": 24, "ram_gb": 40, "storage_gb": 800},
       "pricing": {"per_vcpu_hr": 0.002, "per_gb_ram_hr": 0.0015, "per_gb_storage_hr": 0.0001},
       "location": {"city": "Dallas", "stateprovince": "TX", "country": "United States"}},
      {"id": "hn-l40s-helsinki",
       "available_resources": {"gpus": [
           {"v0Name": "l40s-pcie-48gb", "displayName": "NVIDIA L40S PCIe 48GB", "availableCount": 1, "price_per_hr": 0.8},
           {"v0Name": "acme-x9-pcie-64gb", "availableCount": 1, "price_per_hr": 1.5},
           {"v0Name": "a100-pcie-80gb", "availableCount": 1, "price_per_hr": 0}]},
       "pricing": {"per_vcpu_hr": 0.003, "per_gb_ram_hr": 0.002, "per_gb_storage_hr": 0.00005},
       "location": {"city": "Helsinki", "stateprovince": "Uusimaa", "country": "Finland"}},
      {"id": "", "available_resources": {"gpus": [{"v0Name": "h100-sxm5-80gb", "availableCount": 1, "price_per_hr": 2}]}},
      {"id": "hn-broken", "available_resources": {"gpus": "many"}}
    ]
  }
}`

func TestParseTensorDock(t *testing.T) {
	var resp tensordockResponse
	if err := json.Unmarshal([]byte(tensordockDocPayload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseTensorDock(resp, testOrigin(tensordockInfo, "https://dashboard.tensordock.com/api/v2/hostnodes"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	// GPU price x n + 8n vCPU + 32n GB RAM + 100 GB disk at the host's rates.
	vm := func(n, gpu, cpu, ram, disk float64) float64 { return n*gpu + 8*n*cpu + 32*n*ram + 100*disk }
	tests := []struct {
		id                          string
		gpuID                       string
		known                       bool
		count, price                float64
		region, normRegion, country string
		avail                       shared.Availability
		tags                        int
	}{
		{"tensordock:hn-h100-austin:h100-sxm5-80gb:1x", "nvidia-h100-sxm-80gb", true, 1, vm(1, 2.2, 0.003, 0.002, 0.00005), "Austin, Texas, United States", "us-central", "US", shared.Available, 0},
		{"tensordock:hn-h100-austin:h100-sxm5-80gb:2x", "nvidia-h100-sxm-80gb", true, 2, vm(2, 2.2, 0.003, 0.002, 0.00005), "Austin, Texas, United States", "us-central", "US", shared.Available, 0},
		// Sold out: one 1-GPU quote, unavailable, at the default VM size.
		{"tensordock:hn-4090-winnipeg:geforcertx4090-pcie-24gb:1x", "nvidia-rtx-4090-24gb", true, 1, vm(1, 0.35, 0.003, 0.002, 0.00005), "Winnipeg, Manitoba, Canada", "ca-west", "CA", shared.Unavailable, 0},
		// 2 GPUs want 64 GB RAM but the host has 40 left: limited.
		{"tensordock:hn-a6000-dallas:rtxa6000-pcie-48gb:1x", "nvidia-rtx-a6000-48gb", true, 1, vm(1, 0.45, 0.002, 0.0015, 0.0001), "Dallas, TX, United States", "us-central", "US", shared.Available, 0},
		{"tensordock:hn-a6000-dallas:rtxa6000-pcie-48gb:2x", "nvidia-rtx-a6000-48gb", true, 2, 2*0.45 + 16*0.002 + 40*0.0015 + 100*0.0001, "Dallas, TX, United States", "us-central", "US", shared.Limited, 0},
		{"tensordock:hn-l40s-helsinki:l40s-pcie-48gb:1x", "nvidia-l40s-48gb", true, 1, vm(1, 0.8, 0.003, 0.002, 0.00005), "Helsinki, Uusimaa, Finland", "eu-north", "FI", shared.Available, 1},
		{"tensordock:hn-l40s-helsinki:acme-x9-pcie-64gb:1x", "unknown-acme-x9-64gb", false, 1, vm(1, 1.5, 0.003, 0.002, 0.00005), "Helsinki, Uusimaa, Finland", "eu-north", "FI", shared.Available, 1},
	}
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	if len(offers) != len(tests) {
		for _, o := range offers {
			t.Log(o.ID)
		}
		t.Fatalf("got %d offers, want %d", len(offers), len(tests))
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		if o.GPUID != tc.gpuID || o.GPUKnown != tc.known || o.GPUCount != tc.count || math.Abs(o.PricePerHour-tc.price) > 1e-6 ||
			math.Abs(o.PricePerGPUHour-tc.price/tc.count) > 1e-6 || o.SpotPricePerHour != nil ||
			o.Region != tc.region || o.NormalizedRegion != tc.normRegion || o.Country != tc.country ||
			o.Availability != tc.avail || len(o.ComplianceTags) != tc.tags {
			t.Errorf("%s: got %+v", tc.id, o)
		}
	}
	// A sold-out quote is the default VM even though the host has nothing left.
	if o := byID["tensordock:hn-4090-winnipeg:geforcertx4090-pcie-24gb:1x"]; o.RAMGB != 32 || o.ProviderGPUName != "geforcertx4090-pcie-24gb" {
		t.Errorf("sold-out host: %+v", o)
	}
	if o := byID["tensordock:hn-h100-austin:h100-sxm5-80gb:2x"]; o.VCPUs != 16 || o.RAMGB != 64 || o.DiskGB != 100 {
		t.Errorf("2x VM size: %+v", o)
	}
}

// The older marketplace answered hostnodes as a map keyed by id.
func TestParseTensorDockHostnodeMap(t *testing.T) {
	const payload = `{"data": {"hostnodes": {"hn-1": {"available_resources": {"gpus": [
	  {"v0Name": "a100-sxm4-80gb", "availableCount": 8, "price_per_hr": 1.0}]},
	  "location": {"city": "Chicago", "stateprovince": "Illinois", "country": "United States"}}}}}`
	var resp tensordockResponse
	if err := json.Unmarshal([]byte(payload), &resp); err != nil {
		t.Fatal(err)
	}
	offers, err := parseTensorDock(resp, testOrigin(tensordockInfo, "x"))
	if err != nil || len(offers) != 4 {
		t.Fatalf("got %d offers (%v), want sizes 1, 2, 4 and 8", len(offers), err)
	}
	if offers[0].ID != "tensordock:hn-1:a100-sxm4-80gb:1x" || offers[0].GPUID != "nvidia-a100-sxm-80gb" {
		t.Errorf("got %+v", offers[0])
	}
}

func TestTensorDockSendsToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/hostnodes" || r.Header.Get("Authorization") != "Bearer td-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(tensordockDocPayload))
	}))
	defer srv.Close()
	ad := newTensorDock(Config{BaseURL: srv.URL, APIKey: shared.NewSecret("td-token"), Now: func() time.Time { return fixedNow }})
	offers, err := ad.Fetch(context.Background())
	if err != nil || len(offers) != 7 {
		t.Fatalf("%d offers, %v", len(offers), err)
	}
	noKey := newTensorDock(Config{BaseURL: srv.URL})
	if _, err := noKey.Fetch(context.Background()); KindOf(err) != shared.ErrKindAuth {
		t.Fatalf("no key: %v", err)
	}
}

func TestTensorDockAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "tensordock")
	cheapH100 := 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated TensorDock GPU %q not in catalog", o.ProviderGPUName)
		}
		if o.GPUModel == "H100" && o.GPUCount == 1 && o.PricePerHour < 4 && o.Availability != shared.Unavailable {
			cheapH100++
		}
	}
	if cheapH100 < 2 {
		t.Errorf("%d single-GPU H100 offers under $4/h, want >= 2", cheapH100)
	}
}

func FuzzParseTensorDock(f *testing.F) {
	f.Add([]byte(tensordockDocPayload))
	f.Add([]byte(`{"data":{"hostnodes":[{"id":"a","available_resources":{"gpus":[{"v0Name":"-","availableCount":1e300,"price_per_hr":1e-300}],"vcpu_count":-1}}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var resp tensordockResponse
		if json.Unmarshal(b, &resp) != nil {
			return
		}
		offers, err := parseTensorDock(resp, testOrigin(tensordockInfo, "x"))
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
