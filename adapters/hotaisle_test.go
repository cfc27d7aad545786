package adapters

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// hotaisleVMPayload follows GET /api/teams/{team}/virtual_machines/available/:
// sizes in bytes, OnDemandPrice in cents per hour, cpus as one object.
const hotaisleVMPayload = `[
  {"Quantity": 6, "OnDemandPrice": 199, "MinimumReservationMinutes": 0,
   "Specs": {"cpu_cores": 13, "ram_capacity": 240518168576, "disk_capacity": 13194139533312,
             "cpus": {"count": 1, "model": "Xeon Platinum 8470"},
             "gpus": [{"count": 1, "manufacturer": "AMD", "model": "MI300X"}]}},
  {"Quantity": 1, "OnDemandPrice": 398,
   "Specs": {"cpu_cores": 26, "ram_capacity": 481036337152, "disk_capacity": 26388279066624,
             "cpus": {"count": 1, "model": "Xeon Platinum 8470"},
             "gpus": [{"count": 2, "manufacturer": "AMD", "model": "MI300X"}]}},
  {"Quantity": 0, "OnDemandPrice": 279,
   "Specs": {"cpu_cores": 16, "ram_capacity": 412316860416, "disk_capacity": 16492674416640,
             "cpus": {"count": 1, "model": "EPYC 9575F"},
             "gpus": [{"count": 1, "manufacturer": "AMD", "model": "MI355X"}]}},
  {"OnDemandPrice": 149,
   "Specs": {"cpu_cores": 8, "ram_capacity": 137438953472, "disk_capacity": 1099511627776,
             "cpus": {"count": 1, "model": "EPYC 9124"},
             "gpus": [{"count": 1, "manufacturer": "AMD", "model": "MI400Q"}]}},
  {"Quantity": 3, "OnDemandPrice": 0,
   "Specs": {"cpu_cores": 13, "ram_capacity": 240518168576, "disk_capacity": 13194139533312,
             "gpus": [{"count": 1, "model": "MI300X"}]}},
  {"Quantity": 3, "OnDemandPrice": 25,
   "Specs": {"cpu_cores": 4, "ram_capacity": 17179869184, "disk_capacity": 107374182400,
             "cpus": {"count": 1, "model": "Xeon Gold 6430"}, "gpus": []}},
  {"Quantity": "lots", "OnDemandPrice": 199, "Specs": {"gpus": [{"count": 1, "model": "MI300X"}]}},
  {"Quantity": 6, "OnDemandPrice": 199,
   "Specs": {"cpu_cores": 13, "ram_capacity": 240518168576, "disk_capacity": 13194139533312,
             "cpus": {"count": 1, "model": "Xeon Platinum 8470"},
             "gpus": [{"count": 1, "manufacturer": "AMD", "model": "MI300X"}]}}
]`

// hotaisleBareMetalPayload follows .../bare_metal/available/, where cpus is
// a list of sockets.
const hotaisleBareMetalPayload = `[
  {"Quantity": 2, "OnDemandPrice": 2712, "MinimumReservationMinutes": 480,
   "Specs": {"cpu_cores": 104, "ram_capacity": 2199023255552, "disk_capacity": 123839994396672,
             "cpus": [{"count": 2, "manufacturer": "Intel", "model": "Xeon Platinum 8470", "cores": 52, "frequency": 2000000000}],
             "gpus": [{"count": 8, "manufacturer": "AMD", "model": "MI300X"}]}}
]`

func decodeHotAisle(t *testing.T, vm, bm string) map[string]hotaisleListing {
	t.Helper()
	out := map[string]hotaisleListing{}
	for kind, body := range map[string]string{"vm": vm, "bm": bm} {
		var l hotaisleListing
		if err := json.Unmarshal([]byte(body), &l); err != nil {
			t.Fatal(err)
		}
		out[kind] = l
	}
	return out
}

func TestParseHotAisle(t *testing.T) {
	offers, err := parseHotAisle(decodeHotAisle(t, hotaisleVMPayload, hotaisleBareMetalPayload), testOrigin(hotaisleInfo, "https://admin.hotaisle.app/api/teams/{team}/"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	tests := []struct {
		id, instanceType, gpuID string
		count, price, perGPU    float64
		vcpus, ramGB, diskGB    float64
		avail                   shared.Availability
		known                   bool
		source                  string
	}{
		{"hotaisle:vm:1x-MI300X:13c-224g-12288g", "vm-1x-mi300x-13c", "amd-mi300x-oam-192gb", 1, 1.99, 1.99, 13, 224, 12288, shared.Available, true, "virtual_machines/available/"},
		{"hotaisle:vm:2x-MI300X:26c-448g-24576g", "vm-2x-mi300x-26c", "amd-mi300x-oam-192gb", 2, 3.98, 1.99, 26, 448, 24576, shared.Limited, true, "virtual_machines/available/"},
		{"hotaisle:vm:1x-MI355X:16c-384g-15360g", "vm-1x-mi355x-16c", "amd-mi355x-oam-288gb", 1, 2.79, 2.79, 16, 384, 15360, shared.Unavailable, true, "virtual_machines/available/"},
		// No Quantity: listed, so in stock. An unknown model is kept and flagged.
		{"hotaisle:vm:1x-MI400Q:8c-128g-1024g", "vm-1x-mi400q-8c", "unknown-mi400q", 1, 1.49, 1.49, 8, 128, 1024, shared.Available, false, "virtual_machines/available/"},
		{"hotaisle:bm:8x-MI300X:104c-2048g-115335g", "bm-8x-mi300x-104c", "amd-mi300x-oam-192gb", 8, 27.12, 3.39, 104, 2048, 115334.98, shared.Available, true, "bare_metal/available/"},
	}
	if len(offers) != len(tests) {
		t.Fatalf("got %d offers, want %d (unpriced, GPU-less, malformed and duplicate entries skipped): %v", len(offers), len(tests), listOfferIDs(offers))
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s (have %v)", tc.id, listOfferIDs(offers))
		}
		if o.InstanceType != tc.instanceType || o.GPUID != tc.gpuID || o.GPUCount != tc.count || o.PricePerHour != tc.price ||
			o.PricePerGPUHour != tc.perGPU || o.VCPUs != tc.vcpus || o.RAMGB != tc.ramGB || o.DiskGB != tc.diskGB ||
			o.Availability != tc.avail || o.GPUKnown != tc.known {
			t.Errorf("%s: got %+v", tc.id, o)
		}
		if o.GPUVendor != "amd" || !strings.HasPrefix(o.ProviderGPUName, "AMD ") {
			t.Errorf("%s: vendor %q provider name %q", tc.id, o.GPUVendor, o.ProviderGPUName)
		}
		if o.Region != "us-michigan-1" || o.NormalizedRegion != "us-east" || o.Country != "US" || o.Currency != "USD" ||
			len(o.ComplianceTags) != 0 || o.Source != "https://admin.hotaisle.app/api/teams/{team}/"+tc.source {
			t.Errorf("%s: location/currency/source: %+v", tc.id, o)
		}
	}
}

func TestParseHotAisleEmptyAndBroken(t *testing.T) {
	// Sold out everywhere: both listings are null. Nothing to report, no error.
	offers, err := parseHotAisle(decodeHotAisle(t, "null", "null"), testOrigin(hotaisleInfo, "x"))
	if err != nil || len(offers) != 0 {
		t.Fatalf("null listings: %v %v", offers, err)
	}
	// Entries, none usable: the response is not what we expect.
	if _, err := parseHotAisle(decodeHotAisle(t, `[{"OnDemandPrice": 0, "Specs": {"gpus": [{"count": 1, "model": "MI300X"}]}}]`, "[]"), testOrigin(hotaisleInfo, "x")); err == nil {
		t.Fatal("unusable entries should be an error")
	}
	var l hotaisleListing
	if err := json.Unmarshal([]byte(`{"detail": "nope"}`), &l); err == nil {
		t.Fatal("an object is not a listing")
	}
}

func TestHotAisleAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "hotaisle")
	kinds := map[string]int{}
	for _, o := range offers {
		if !o.GPUKnown || o.GPUVendor != "amd" {
			t.Errorf("simulated Hot Aisle GPU %q: known %v vendor %s", o.ProviderGPUName, o.GPUKnown, o.GPUVendor)
		}
		kinds[o.InstanceType[:2]]++
	}
	if kinds["vm"] == 0 || kinds["bm"] == 0 {
		t.Errorf("want VM and bare-metal offers, got %v", kinds)
	}
}

// The team handle is discovered once per adapter and used in the listing
// paths; the key travels as "Token <key>" and never shows in errors.
func TestHotAisleTeamDiscovery(t *testing.T) {
	var userCalls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/user/", func(w http.ResponseWriter, r *http.Request) {
		userCalls.Add(1)
		if r.Header.Get("Authorization") != "Token hk-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"teams": [{"handle": ""}, {"handle": "team a"}]}`))
	})
	mux.HandleFunc("GET /api/teams/{team}/virtual_machines/available/", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("team") != "team a" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_, _ = w.Write([]byte(hotaisleVMPayload))
	})
	mux.HandleFunc("GET /api/teams/{team}/bare_metal/available/", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("null"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	ad := newHotAisle(Config{BaseURL: srv.URL, APIKey: shared.NewSecret("hk-secret"), Now: func() time.Time { return fixedNow }})
	for range 2 {
		offers, err := ad.Fetch(context.Background())
		if err != nil || len(offers) != 4 {
			t.Fatalf("fetch: %d offers, %v", len(offers), err)
		}
	}
	if n := userCalls.Load(); n != 1 {
		t.Fatalf("/api/user/ called %d times, want once", n)
	}
	bad := newHotAisle(Config{BaseURL: srv.URL, APIKey: shared.NewSecret("wrong-secret")})
	if _, err := bad.Fetch(context.Background()); KindOf(err) != shared.ErrKindAuth || strings.Contains(err.Error(), "wrong-secret") {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := newHotAisle(Config{BaseURL: srv.URL}).Fetch(context.Background()); KindOf(err) != shared.ErrKindAuth {
		t.Fatalf("no key: %v", err)
	}
}

func TestHotAisleNoTeam(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"teams": []}`))
	}))
	defer srv.Close()
	_, err := newHotAisle(Config{BaseURL: srv.URL, APIKey: shared.NewSecret("k")}).Fetch(context.Background())
	if KindOf(err) != shared.ErrKindAuth {
		t.Fatalf("no team: %v", err)
	}
}

// A team that has vanished (404 on its listings) is looked up again on the
// next fetch.
func TestHotAisleForgetsVanishedTeam(t *testing.T) {
	var userCalls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/user/" {
			userCalls.Add(1)
			_, _ = w.Write([]byte(`{"teams": [{"handle": "old"}]}`))
			return
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"detail": "Not found."}`))
	}))
	defer srv.Close()
	ad := newHotAisle(Config{BaseURL: srv.URL, APIKey: shared.NewSecret("k")})
	for range 2 {
		if _, err := ad.Fetch(context.Background()); KindOf(err) != shared.ErrKindUpstream {
			t.Fatalf("vanished team: %v", err)
		}
	}
	if n := userCalls.Load(); n != 2 {
		t.Fatalf("/api/user/ called %d times, want 2", n)
	}
}

func FuzzParseHotAisle(f *testing.F) {
	f.Add([]byte(hotaisleVMPayload))
	f.Add([]byte(hotaisleBareMetalPayload))
	f.Add([]byte(`[{"Quantity": -1, "OnDemandPrice": 1e-300, "Specs": {"cpu_cores": 1e300, "gpus": [{"count": 64, "model": "MI300X"}, {"count": 1, "model": "mi300x"}]}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var l hotaisleListing
		if json.Unmarshal(b, &l) != nil {
			return
		}
		offers, err := parseHotAisle(map[string]hotaisleListing{"vm": l, "bm": l}, testOrigin(hotaisleInfo, "x"))
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
