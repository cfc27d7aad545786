package adapters

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// verdaTypesPayload follows GET /v1/instance-types: prices as decimal
// strings (one as a number), gpu_memory as the total of all GPUs, a CPU-only
// type, a spot-only type, an unpriced type, an unknown GPU and an entry of
// the wrong shape.
const verdaTypesPayload = `[
  {"id": "c01dd00d-0000-480b-ae4e-d429115d055b", "instance_type": "1H100.80S.30V", "model": "H100",
   "name": "H100 SXM5 80GB", "description": "Dedicated Hardware Instance", "manufacturer": "NVIDIA",
   "cpu": {"description": "30 CPU", "number_of_cores": 30},
   "gpu": {"description": "1x H100 SXM5 80GB", "number_of_gpus": 1},
   "gpu_memory": {"description": "80GB GPU RAM", "size_in_gigabytes": 80},
   "memory": {"description": "120GB RAM", "size_in_gigabytes": 120},
   "storage": {"description": "dynamic"},
   "price_per_hour": "2.29", "spot_price": "0.95", "dynamic_price": "1.99", "currency": "usd",
   "supported_os": ["ubuntu-24.04"], "p2p": null, "display_name": null},
  {"id": "07cf5dc1-a5d2-4972-ae4e-d429115d055b", "instance_type": "2A6000.20V", "model": "RTX A6000",
   "name": "RTX A6000 48GB", "cpu": {"description": "20 CPU", "number_of_cores": 20},
   "gpu": {"description": "2x RTX A6000 48GB", "number_of_gpus": 2},
   "gpu_memory": {"description": "96GB GPU RAM", "size_in_gigabytes": 96},
   "memory": {"description": "120GB RAM", "size_in_gigabytes": 120}, "storage": {"description": "dynamic"},
   "price_per_hour": "0.98", "spot_price": "0.42", "currency": "usd"},
  {"id": "ccc00007-a5d2-4972-ae4e-d429115d055b", "instance_type": "CPU.120V.480G", "model": "CPU Node",
   "name": "AMD EPYC", "cpu": {"description": "120 CPU", "number_of_cores": 120},
   "gpu": {"description": "", "number_of_gpus": 0}, "gpu_memory": {"description": "", "size_in_gigabytes": 0},
   "memory": {"description": "480GB RAM", "size_in_gigabytes": 480}, "storage": {"description": "dynamic"},
   "price_per_hour": "3.00", "spot_price": "1.50", "currency": "usd"},
  {"id": "b3000000-0000-4000-a000-000000000008", "instance_type": "8B300.240V", "model": "B300",
   "name": "B300 SXM6 262GB", "cpu": {"description": "240 CPU", "number_of_cores": 240},
   "gpu": {"description": "8x B300 SXM6 262GB", "number_of_gpus": 8},
   "gpu_memory": {"description": "2096GB GPU RAM", "size_in_gigabytes": 2096},
   "memory": {"description": "2200GB RAM", "size_in_gigabytes": 2200}, "storage": {"description": "dynamic"},
   "price_per_hour": "0.00", "spot_price": "15.84", "currency": "usd"},
  {"id": "04cf5dc1-a5d2-4972-ae4e-d429115d055b", "instance_type": "1V100.6V", "model": "Tesla V100",
   "name": "Tesla V100 16GB", "cpu": {"description": "6 CPU", "number_of_cores": 6},
   "gpu": {"description": "1x Tesla V100 16GB", "number_of_gpus": 1},
   "gpu_memory": {"description": "16GB GPU RAM", "size_in_gigabytes": 16},
   "memory": {"description": "23GB RAM", "size_in_gigabytes": 23},
   "storage": {"description": "225GB NVME", "size_in_gigabytes": 225},
   "price_per_hour": 0.39, "spot_price": null, "currency": "usd"},
  {"id": "aaaa0000-0000-4000-a000-000000000001", "instance_type": "1X9.64V", "model": "X9",
   "name": "Acme Tensor X9 64GB", "cpu": {"number_of_cores": 64},
   "gpu": {"description": "1x Acme Tensor X9 64GB", "number_of_gpus": 1},
   "gpu_memory": {"size_in_gigabytes": 64}, "memory": {"size_in_gigabytes": 256},
   "price_per_hour": "1.10", "spot_price": "", "currency": "usd"},
  {"id": "aaaa0000-0000-4000-a000-000000000002", "instance_type": "1L40S.20V", "model": "L40S",
   "gpu": {"description": "1x L40S 48GB", "number_of_gpus": 1}, "gpu_memory": {"size_in_gigabytes": 48},
   "price_per_hour": null, "spot_price": null, "currency": "usd"},
  {"id": "aaaa0000-0000-4000-a000-000000000003", "instance_type": "1BROKEN.1V", "gpu": "one H100",
   "price_per_hour": "1.00"}
]`

// verdaOnDemandPayload and verdaSpotPayload follow GET
// /v1/instance-availability?is_spot=false|true.
const verdaOnDemandPayload = `[
  {"location_code": "FIN-01", "availabilities": ["1H100.80S.30V", "1V100.6V", "CPU.120V.480G", "1X9.64V"]},
  {"location_code": "ICE-01", "availabilities": ["CPU.120V.480G"]},
  {"location_code": "", "availabilities": ["1V100.6V"]}
]`

const verdaSpotPayload = `[
  {"location_code": "FIN-01", "availabilities": ["1H100.80S.30V"]},
  {"location_code": "ICE-01", "availabilities": ["1H100.80S.30V", "1L40S.20V"]},
  {"location_code": "FIN-03", "availabilities": ["8B300.240V"]},
  {"location_code": "XYZ-07", "availabilities": ["1X9.64V"]}
]`

func decodeVerda(t testing.TB, types, od, spot string) ([]verdaType, []verdaAvailability, []verdaAvailability) {
	t.Helper()
	var ty []verdaType
	var a, b []verdaAvailability
	for _, x := range []struct {
		s   string
		out any
	}{{types, &ty}, {od, &a}, {spot, &b}} {
		if err := json.Unmarshal([]byte(x.s), x.out); err != nil {
			t.Fatal(err)
		}
	}
	return ty, a, b
}

func TestParseVerda(t *testing.T) {
	types, od, spot := decodeVerda(t, verdaTypesPayload, verdaOnDemandPayload, verdaSpotPayload)
	offers, err := parseVerda(types, od, spot, testOrigin(verdaInfo, "https://api.verda.com/v1/instance-types"))
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, offers)
	spotOf := func(o shared.Offer) float64 {
		if o.SpotPricePerHour == nil {
			return 0
		}
		return *o.SpotPricePerHour
	}
	tests := []struct {
		id                          string
		gpuID                       string
		known                       bool
		count, price, perGPU, spot  float64
		interruptible               bool
		region, normRegion, country string
		avail                       shared.Availability
	}{
		{"verda:1H100.80S.30V:FIN-01", "nvidia-h100-sxm-80gb", true, 1, 2.29, 2.29, 0.95, false, "FIN-01", "eu-north", "FI", shared.Available},
		// Spot capacity only: can be had now, but only interruptibly.
		{"verda:1H100.80S.30V:ICE-01", "nvidia-h100-sxm-80gb", true, 1, 2.29, 2.29, 0.95, false, "ICE-01", "eu-north", "IS", shared.Limited},
		// No capacity anywhere: one unavailable offer keeps the price visible.
		{"verda:2A6000.20V:any", "nvidia-rtx-a6000-48gb", true, 2, 0.98, 0.49, 0.42, false, "any", "", "", shared.Unavailable},
		// Spot-only type: the spot price is the price.
		{"verda:8B300.240V:FIN-03", "nvidia-b300-sxm-288gb", true, 8, 15.84, 1.98, 0, true, "FIN-03", "eu-north", "FI", shared.Available},
		{"verda:1V100.6V:FIN-01", "nvidia-v100-sxm-16gb", true, 1, 0.39, 0.39, 0, false, "FIN-01", "eu-north", "FI", shared.Available},
		// Unknown GPU kept; unknown location code keeps its raw region.
		{"verda:1X9.64V:FIN-01", "unknown-acme-tensor-x9-64gb", false, 1, 1.10, 1.10, 0, false, "FIN-01", "eu-north", "FI", shared.Available},
		{"verda:1X9.64V:XYZ-07", "unknown-acme-tensor-x9-64gb", false, 1, 1.10, 1.10, 0, false, "XYZ-07", "", "", shared.Limited},
	}
	if len(offers) != len(tests) {
		for _, o := range offers {
			t.Log(o.ID)
		}
		t.Fatalf("got %d offers, want %d (CPU-only, unpriced and malformed types must be skipped)", len(offers), len(tests))
	}
	byID := map[string]shared.Offer{}
	for _, o := range offers {
		byID[o.ID] = o
	}
	for _, tc := range tests {
		o, ok := byID[tc.id]
		if !ok {
			t.Fatalf("missing offer %s", tc.id)
		}
		if o.GPUID != tc.gpuID || o.GPUKnown != tc.known || o.GPUCount != tc.count || o.PricePerHour != tc.price ||
			o.PricePerGPUHour != tc.perGPU || spotOf(o) != tc.spot || o.Interruptible != tc.interruptible ||
			o.Region != tc.region || o.NormalizedRegion != tc.normRegion || o.Country != tc.country || o.Availability != tc.avail {
			t.Errorf("%s: got %+v", tc.id, o)
		}
		if len(o.ComplianceTags) != 1 || o.ComplianceTags[0] != "gdpr" || o.Currency != "USD" || o.Provider != "verda" {
			t.Errorf("%s: tags %v currency %s", tc.id, o.ComplianceTags, o.Currency)
		}
	}
	h := byID["verda:1H100.80S.30V:FIN-01"]
	if h.VCPUs != 30 || h.RAMGB != 120 || h.DiskGB != 0 || h.InstanceType != "1H100.80S.30V" || h.ProviderGPUName != "H100 SXM5 80GB" {
		t.Errorf("H100 specs: %+v", h)
	}
	if v := byID["verda:1V100.6V:FIN-01"]; v.DiskGB != 225 {
		t.Errorf("V100 disk = %v, want 225", v.DiskGB)
	}
}

func TestParseVerdaNothingUsable(t *testing.T) {
	types, _, _ := decodeVerda(t, `[{"instance_type": "CPU.4V.16G", "gpu": {"number_of_gpus": 0}, "price_per_hour": "0.12"}]`, `[]`, `[]`)
	if _, err := parseVerda(types, nil, nil, testOrigin(verdaInfo, "x")); err == nil {
		t.Fatal("a list with no GPU type must be an error, not an empty market")
	}
	if offers, err := parseVerda(nil, nil, nil, testOrigin(verdaInfo, "x")); err != nil || len(offers) != 0 {
		t.Fatalf("empty list: %v %v", offers, err)
	}
}

func TestVerdaNumber(t *testing.T) {
	for in, want := range map[string]float64{`3.95`: 3.95, `"3.95"`: 3.95, `" 2 "`: 2, `null`: 0, `""`: 0,
		`"NaN"`: 0, `"Inf"`: 0, `"-Inf"`: 0, `"abc"`: 0, `true`: 0, `{}`: 0} {
		var n verdaNumber
		if err := json.Unmarshal([]byte(in), &n); err != nil || float64(n) != want {
			t.Errorf("%s: got %v, %v; want %v", in, n, err, want)
		}
	}
}

// The adapter exchanges "client_id:client_secret" for a token and sends it
// on every read.
func TestVerdaTokenExchange(t *testing.T) {
	var sawToken, sawTypes bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/oauth2/token":
			var body map[string]string
			_ = json.NewDecoder(r.Body).Decode(&body)
			if r.Method != http.MethodPost || body["grant_type"] != "client_credentials" || body["client_id"] != "cid" || body["client_secret"] != "s:e:c" {
				t.Errorf("token request %s %v", r.Method, body)
			}
			sawToken = true
			_, _ = w.Write([]byte(`{"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok-1" {
			t.Errorf("%s sent %q", r.URL.Path, r.Header.Get("Authorization"))
		}
		switch r.URL.Path {
		case "/v1/instance-types":
			sawTypes = r.URL.Query().Get("currency") == "usd"
			_, _ = w.Write([]byte(verdaTypesPayload))
		case "/v1/instance-availability":
			if r.URL.Query().Get("is_spot") == "true" {
				_, _ = w.Write([]byte(verdaSpotPayload))
			} else {
				_, _ = w.Write([]byte(verdaOnDemandPayload))
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ad := newVerda(Config{BaseURL: srv.URL, APIKey: shared.NewSecret("cid:s:e:c"), Now: func() time.Time { return fixedNow }})
	offers, err := ad.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !sawToken || !sawTypes || len(offers) != 7 {
		t.Fatalf("token %v types %v offers %d", sawToken, sawTypes, len(offers))
	}
	if offers[0].Source != srv.URL+"/v1/instance-types" {
		t.Errorf("source %q", offers[0].Source)
	}
}

func TestVerdaCredentialErrors(t *testing.T) {
	for _, key := range []string{"", ":QWERTY42", "ABCDEF17:"} {
		ad := newVerda(Config{BaseURL: "http://127.0.0.1:1", APIKey: shared.NewSecret(key)})
		_, err := ad.Fetch(context.Background())
		if KindOf(err) != shared.ErrKindAuth {
			t.Errorf("key %q: got %v, want an auth error", key, err)
		}
		if key != "" && (strings.Contains(err.Error(), "QWERTY42") || strings.Contains(err.Error(), "ABCDEF17")) {
			t.Errorf("error leaks the credential: %v", err)
		}
	}
}

func TestVerdaAgainstSimulator(t *testing.T) {
	offers := fetchFromSim(t, "verda")
	h100 := 0
	for _, o := range offers {
		if !o.GPUKnown {
			t.Errorf("simulated Verda GPU %q not in catalog", o.ProviderGPUName)
		}
		if o.GPUID == "nvidia-h100-sxm-80gb" && o.GPUCount == 1 && o.PricePerHour < 4 {
			h100++
		}
	}
	if h100 == 0 {
		t.Error("no single-GPU H100 offer under $4/h")
	}
}

// The simulator's token endpoint speaks the same OAuth2 exchange.
func TestVerdaSimulatorClientCredentials(t *testing.T) {
	_, base := startSim(t, "verda", nil)
	ad := newVerda(Config{BaseURL: base, APIKey: shared.NewSecret("client-1:secret-1"), Now: func() time.Time { return fixedNow }})
	offers, err := ad.Fetch(context.Background())
	if err != nil || len(offers) == 0 {
		t.Fatalf("fetch with client credentials: %d offers, %v", len(offers), err)
	}
	bare := newVerda(Config{BaseURL: base, APIKey: shared.NewSecret(""), Now: func() time.Time { return fixedNow }})
	if _, err := bare.Fetch(context.Background()); KindOf(err) != shared.ErrKindAuth {
		t.Fatalf("no credentials: %v", err)
	}
}

func FuzzParseVerda(f *testing.F) {
	f.Add([]byte(verdaTypesPayload), []byte(verdaOnDemandPayload), []byte(verdaSpotPayload))
	f.Add([]byte(`[{"instance_type":"x","gpu":{"number_of_gpus":"1e308"},"price_per_hour":"1e-300"}]`), []byte(`[]`), []byte(`[{"location_code":"A","availabilities":["x"]}]`))
	f.Add([]byte(`[{"instance_type":"y","gpu":{"number_of_gpus":1},"gpu_memory":{"size_in_gigabytes":"NaN"},"price_per_hour":"Inf","spot_price":"2"}]`), []byte(`[{"location_code":"B","availabilities":["y"]}]`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, tb, ob, sb []byte) {
		var types []verdaType
		var od, spot []verdaAvailability
		if json.Unmarshal(tb, &types) != nil || json.Unmarshal(ob, &od) != nil || json.Unmarshal(sb, &spot) != nil {
			return
		}
		offers, err := parseVerda(types, od, spot, testOrigin(verdaInfo, "x"))
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
