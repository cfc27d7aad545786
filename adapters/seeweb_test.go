package adapters

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// seewebPlansPayload follows GET /ecs/v2/plans as Seeweb's ecsapi SDK
// models it: counts and sizes as strings, ram in MiB, hourly_price in EUR.
const seewebPlansPayload = `{
  "status": "ok",
  "plans": [
    {"id": 7, "name": "ECS1GPU7", "cpu": "8", "ram": "32768", "disk": "500", "gpu": "1",
     "gpu_label": "L40s 48GB", "hourly_price": 0.85, "montly_price": 620.5, "windows": false,
     "host_type": "ECS", "available": true,
     "available_regions": [{"id": 1, "location": "it-fr2", "description": "Frosinone"},
                           {"id": 2, "location": "it-mi2", "description": "Milano"},
                           {"id": 1, "location": "it-fr2", "description": "Frosinone"}]},
    {"id": 10, "name": "ECS1GPU10", "cpu": "16", "ram": "122880", "disk": "1000", "gpu": "1",
     "gpu_label": "H100 80GB", "hourly_price": 2.49, "montly_price": 1817.7, "windows": false,
     "host_type": "ECS", "available": true,
     "available_regions": [{"id": 1, "location": "it-fr2", "description": "Frosinone"},
                           {"id": 3, "location": "ch-lug1", "description": "Lugano"}]},
    {"id": 3, "name": "ECS2GPU3", "cpu": "32", "ram": "245760", "disk": "2000", "gpu": "2",
     "gpu_label": "A100 80GB", "hourly_price": 3.78, "montly_price": 2759.4, "windows": false,
     "host_type": "ECS", "available": true,
     "available_regions": [{"id": 4, "location": "bg-sof1", "description": "Sofia"},
                           {"id": 9, "location": "de-fra1", "description": "Frankfurt"}]},
    {"id": 20, "name": "ECS1GPU20", "cpu": "16", "ram": "65536", "disk": "500", "gpu": "1",
     "gpu_label": "Tenstorrent Wormhole n300", "hourly_price": 0.99, "montly_price": 722.7,
     "windows": false, "host_type": "ECS", "available": true,
     "available_regions": [{"id": 1, "location": "it-fr2", "description": "Frosinone"}]},
    {"id": 40, "name": "eCS4", "cpu": "4", "ram": "8192", "disk": "160", "gpu": "0",
     "gpu_label": null, "hourly_price": 0.063, "montly_price": 46, "windows": false,
     "host_type": "ECS", "available": true,
     "available_regions": [{"id": 1, "location": "it-fr2", "description": "Frosinone"}]},
    {"id": 8, "name": "ECS1GPU2W", "cpu": "8", "ram": "32768", "disk": "500", "gpu": "1",
     "gpu_label": "RTX A6000 48GB", "hourly_price": 0.89, "montly_price": 649.7, "windows": true,
     "host_type": "ECS", "available": true,
     "available_regions": [{"id": 1, "location": "it-fr2", "description": "Frosinone"}]},
    {"id": 4, "name": "ECS1GPU4", "cpu": "4", "ram": "16384", "disk": "200", "gpu": "1",
     "gpu_label": "RTX A4000 16GB", "hourly_price": 0.19, "montly_price": 138.7, "windows": false,
     "host_type": "ECS", "available": false,
     "available_regions": [{"id": 1, "location": "it-fr2", "description": "Frosinone"}]},
    {"id": 5, "name": "ECS1GPU5", "cpu": "8", "ram": "32768", "disk": "500", "gpu": "1",
     "gpu_label": "A30", "hourly_price": 0, "montly_price": 0, "windows": false,
     "host_type": "ECS", "available": true,
     "available_regions": [{"id": 1, "location": "it-fr2", "description": "Frosinone"}]},
    {"id": 6, "name": "ECS1GPU6", "cpu": "4", "ram": "32768", "disk": "200", "gpu": "1",
     "gpu_label": "L4 24GB", "hourly_price": 0.38, "windows": "no",
     "available_regions": [{"id": 1, "location": "it-fr2"}]}
  ]
}`

// seewebAvailablesPayload follows GET /ecs/v2/plans/availables.
const seewebAvailablesPayload = `{
  "status": "ok",
  "plans": [
    {"id": 7, "name": "ECS1GPU7", "cpu": "8", "ram": "32768", "disk": "500", "gpu": "1",
     "gpu_label": "L40s 48GB", "hourly_price": 0.85, "montly_price": 620.5, "windows": false,
     "host_type": "ECS", "available": true,
     "os_availables": [{"name": "ubuntu-2204-uefi-nvidia-driver", "active_flag": true}],
     "region_availables": [{"region": "it-fr2", "hosts": [{"host": "fr2-gpu03", "servers": []},
                                                          {"host": "fr2-gpu07", "servers": []}]}]},
    {"id": 10, "name": "ECS1GPU10", "host_type": "ECS", "available": true,
     "region_availables": [{"region": "it-fr2", "hosts": [{"host": "fr2-h100-01"}]},
                           {"region": "ch-lug1", "hosts": []}]},
    {"id": 3, "name": "ECS2GPU3", "region_availables": [{"region": "bg-sof1", "hosts": [{"host": "a"}, {"host": "b"}, {"host": "c"}]}]},
    {"id": 20, "name": "ECS1GPU20", "region_availables": "garbled"}
  ]
}`

func parseSeewebPayloads(t *testing.T, plansJSON, availJSON string) []shared.Offer {
	t.Helper()
	var plans seewebPlansResponse
	var avail seewebAvailablesResponse
	if err := json.Unmarshal([]byte(plansJSON), &plans); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(availJSON), &avail); err != nil {
		t.Fatal(err)
	}
	offers, err := parseSeeweb(plans, avail, testOrigin(seewebInfo, "https://api.seeweb.it/ecs/v2/plans"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	return offers
}

func TestParseSeeweb(t *testing.T) {
	offers := parseSeewebPayloads(t, seewebPlansPayload, seewebAvailablesPayload)
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	tests := []struct {
		id, gpuID                   string
		count, price, perGPU, ramGB float64
		region, normRegion, country string
		avail                       shared.Availability
		known                       bool
	}{
		{"seeweb:ECS1GPU7:it-fr2", "nvidia-l40s-48gb", 1, 0.85, 0.85, 32, "it-fr2", "eu-south", "IT", shared.Available, true},
		{"seeweb:ECS1GPU7:it-mi2", "nvidia-l40s-48gb", 1, 0.85, 0.85, 32, "it-mi2", "eu-south", "IT", shared.Unavailable, true},
		{"seeweb:ECS1GPU10:it-fr2", "nvidia-h100-sxm-80gb", 1, 2.49, 2.49, 120, "it-fr2", "eu-south", "IT", shared.Limited, true},
		// Listed in availables without itemised hosts: it can be created, room unknown.
		{"seeweb:ECS1GPU10:ch-lug1", "nvidia-h100-sxm-80gb", 1, 2.49, 2.49, 120, "ch-lug1", "eu-central", "CH", shared.Limited, true},
		{"seeweb:ECS2GPU3:bg-sof1", "nvidia-a100-sxm-80gb", 2, 3.78, 1.89, 240, "bg-sof1", "eu-east", "BG", shared.Available, true},
		// A region code the table does not know still yields its country.
		{"seeweb:ECS2GPU3:de-fra1", "nvidia-a100-sxm-80gb", 2, 3.78, 1.89, 240, "de-fra1", "eu-central", "DE", shared.Unavailable, true},
		// Unknown accelerators are kept and flagged; their garbled availability entry is ignored.
		{"seeweb:ECS1GPU20:it-fr2", "unknown-tenstorrent-wormhole-n300", 1, 0.99, 0.99, 64, "it-fr2", "eu-south", "IT", shared.Unavailable, false},
	}
	if len(offers) != len(tests) {
		t.Fatalf("got %d offers, want %d (CPU, Windows, inactive, unpriced and malformed plans skipped, duplicate regions merged): %v",
			len(offers), len(tests), listOfferIDs(offers))
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s (have %v)", tc.id, listOfferIDs(offers))
		}
		eur, _ := shared.USDRate("EUR")
		if o.GPUID != tc.gpuID || o.GPUCount != tc.count || o.ListPricePerHour != tc.price || o.ListCurrency != "EUR" ||
			math.Abs(o.PricePerHour-tc.price*eur) > 1e-6 || math.Abs(o.PricePerGPUHour-tc.perGPU*eur) > 1e-6 ||
			o.RAMGB != tc.ramGB || o.Region != tc.region || o.NormalizedRegion != tc.normRegion || o.Country != tc.country ||
			o.Availability != tc.avail || o.GPUKnown != tc.known {
			t.Errorf("%s: got %+v", tc.id, o)
		}
		if o.Currency != "USD" || o.Interruptible || o.SpotPricePerHour != nil {
			t.Errorf("%s: currency %q interruptible %v spot %v", tc.id, o.Currency, o.Interruptible, o.SpotPricePerHour)
		}
		if strings.Join(o.ComplianceTags, ",") != "iso27001,gdpr" {
			t.Errorf("%s: compliance %v", tc.id, o.ComplianceTags)
		}
	}
	if o := byID["seeweb:ECS1GPU7:it-fr2"]; o.VCPUs != 8 || o.DiskGB != 500 || o.InstanceType != "ECS1GPU7" || !o.FetchedAt.Equal(fixedNow) {
		t.Errorf("specs: %+v", o)
	}
}

func TestParseSeewebRejectsGPUPlansWithoutOffers(t *testing.T) {
	var plans seewebPlansResponse
	_ = json.Unmarshal([]byte(`{"plans":[{"name":"ECS1GPU7","gpu":"1","gpu_label":"L40s 48GB","hourly_price":0,"available_regions":[{"location":"it-fr2"}]}]}`), &plans)
	if _, err := parseSeeweb(plans, seewebAvailablesResponse{}, testOrigin(seewebInfo, "x")); err == nil {
		t.Fatal("a list of GPU plans none of which is priced should be an error")
	}
	// Only CPU plans: nothing to report, and nothing wrong.
	_ = json.Unmarshal([]byte(`{"plans":[{"name":"eCS1","gpu":"0","hourly_price":0.019,"available_regions":[{"location":"it-fr2"}]}]}`), &plans)
	if offers, err := parseSeeweb(plans, seewebAvailablesResponse{}, testOrigin(seewebInfo, "x")); err != nil || len(offers) != 0 {
		t.Fatalf("CPU-only list: %v %v", offers, err)
	}
}

func TestSeewebNumber(t *testing.T) {
	for in, want := range map[string]float64{
		`"8"`: 8, `8`: 8, `"32768 MB"`: 32768, `"€0.85"`: 0.85, `"$1.5/h"`: 1.5, `null`: 0, `"n/a"`: 0, `true`: 0, `"12."`: 12,
	} {
		var n seewebNumber
		if err := json.Unmarshal([]byte(in), &n); err != nil || float64(n) != want {
			t.Errorf("%s: got %v, %v; want %v", in, n, err, want)
		}
	}
}

func TestSeewebAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "seeweb")
	cheapH100 := 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Seeweb GPU %q not in catalog", o.ProviderGPUName)
		}
		if strings.HasSuffix(o.InstanceType, "W") {
			t.Errorf("Windows plan %s emitted", o.InstanceType)
		}
		if o.InstanceType == "ECS1GPU4" {
			t.Errorf("inactive plan emitted")
		}
		if o.GPUID == "nvidia-h100-sxm-80gb" && o.GPUCount == 1 && o.PricePerHour < 4 {
			cheapH100++
		}
	}
	if cheapH100 < 2 {
		t.Errorf("%d single-GPU H100 offers under 4/h, want >= 2", cheapH100)
	}
}

func TestSeewebNeedsToken(t *testing.T) {
	_, base := startSim(t, "seeweb", nil)
	ad, err := New("seeweb", Config{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ad.Fetch(context.Background()); KindOf(err) != shared.ErrKindAuth {
		t.Fatalf("no token: %v", err)
	}
	// The simulator, like Seeweb, refuses a request without the header.
	resp, err := http.Get(base + "/ecs/v2/plans")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no X-APITOKEN: status %d", resp.StatusCode)
	}
	// A token reaches the data, and nowhere in an error does it appear.
	ad, _ = New("seeweb", Config{BaseURL: base + "/nope", APIKey: shared.NewSecret("tok-secret"), Now: func() time.Time { return fixedNow }})
	if _, err := ad.Fetch(context.Background()); err == nil || strings.Contains(err.Error(), "tok-secret") {
		t.Fatalf("bad path: %v", err)
	}
}

func FuzzParseSeeweb(f *testing.F) {
	f.Add([]byte(seewebPlansPayload))
	f.Add([]byte(seewebAvailablesPayload))
	f.Add([]byte(`{"plans":[{"name":"x","gpu":"1e308","gpu_label":"H100","hourly_price":"1e999","available_regions":[{"location":"-"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var plans seewebPlansResponse
		if json.Unmarshal(b, &plans) != nil {
			return
		}
		var avail seewebAvailablesResponse
		_ = json.Unmarshal(b, &avail)
		offers, err := parseSeeweb(plans, avail, testOrigin(seewebInfo, "x"))
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

// listOfferIDs is for failure messages.
func listOfferIDs(offers []shared.Offer) []string {
	out := make([]string, len(offers))
	for i := range offers {
		out[i] = offers[i].ID
	}
	return out
}
