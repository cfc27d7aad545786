package search

import (
	"slices"
	"strings"
	"testing"

	"github.com/gpubroker/gpubroker/edge/httpx"
)

// Values that name nothing are 400s naming the field, with the closest
// known values; values only offers know (a GPU the catalog lacks, a
// provider's own region code) still search.
func TestUnknownValuesAreRejectedWithSuggestions(t *testing.T) {
	s := newTestServer(t, newFakeSource(61, 20))
	tests := []struct {
		method, uri, body string
		field, suggests   string // suggests: one value the suggestions must hold ("" for none)
	}{
		{"GET", "/api/v2/providers?gpu=H10", "", "gpu", "H100"},
		{"GET", "/api/v2/providers?gpu=Z9000", "", "gpu", ""},
		{"GET", "/api/v2/providers?gpu=H100,Z9000", "", "gpu", ""},
		{"GET", "/api/v2/providers?region=mars", "", "region", ""},
		{"GET", "/api/v2/providers?region=us-esat", "", "region", "us-east"},
		{"GET", "/api/v2/providers?compliance=xyz", "", "compliance", ""},
		{"GET", "/api/v2/providers?compliance=soc", "", "compliance", "soc2"},
		{"POST", "/api/v2/providers/query", `{"gpu_type":"H10"}`, "gpu_type", "H100"},
		{"POST", "/api/v2/providers/bulk/query", `{"queries":[{"gpu":"A100"},{"regions":["mars"]}]}`, "queries[1].regions", ""},
	}
	for _, tc := range tests {
		var body []byte
		if tc.body != "" {
			body = []byte(tc.body)
		}
		r := do(s, tc.method, tc.uri, body)
		var e errBody
		decode(t, r, &e)
		if r.StatusCode() != 400 || e.Error.Code != httpx.CodeInvalidParameter || e.Error.Field != tc.field {
			t.Errorf("%s %s: %d %+v", tc.method, tc.uri, r.StatusCode(), e.Error)
			continue
		}
		if tc.suggests != "" && !slices.Contains(e.Error.Suggestions, tc.suggests) {
			t.Errorf("%s %s: suggestions %v lack %s", tc.method, tc.uri, e.Error.Suggestions, tc.suggests)
		}
	}
	for _, uri := range []string{
		"/api/v2/providers?gpu=Acme%20Tensor%20X9", // unknown to the catalog, sold by the fake providers
		"/api/v2/providers?region=us-east-1",       // a provider's own code
		"/api/v2/providers?gpu=B200",               // in the catalog, on offer nowhere: an empty market
		"/api/v2/providers?region=us&compliance=hipaa",
	} {
		if r := do(s, "GET", uri, nil); r.StatusCode() != 200 {
			t.Errorf("%s: %d %s", uri, r.StatusCode(), r.Body())
		}
	}
}

// GPU counts are whole numbers in range; a fraction of a GPU has its own
// filter.
func TestGPUCountFilters(t *testing.T) {
	s := newTestServer(t, newFakeSource(62, 30))
	for _, tc := range []struct{ method, uri, body, field string }{
		{"GET", "/api/v2/providers?gpu_count=1.5", "", "gpu_count"},
		{"GET", "/api/v2/providers?min_gpu_count=1.5", "", "min_gpu_count"},
		{"GET", "/api/v2/providers?max_gpu_count=0.5", "", "max_gpu_count"},
		{"GET", "/api/v2/providers?gpu_count=99999999999999999999", "", "gpu_count"},
		{"GET", "/api/v2/providers?gpu_count=2000", "", "gpu_count"},
		{"GET", "/api/v2/providers?fractional_gpu=maybe", "", "fractional_gpu"},
		{"POST", "/api/v2/providers/query", `{"gpu_count":1.5}`, "gpu_count"},
		{"POST", "/api/v2/providers/query", `{"min_gpu_count":1e30}`, "min_gpu_count"},
	} {
		var body []byte
		if tc.body != "" {
			body = []byte(tc.body)
		}
		r := do(s, tc.method, tc.uri, body)
		var e errBody
		decode(t, r, &e)
		if r.StatusCode() != 400 || e.Error.Field != tc.field {
			t.Errorf("%s %s %s: %d %+v", tc.method, tc.uri, tc.body, r.StatusCode(), e.Error)
		}
	}
	for _, tc := range []struct {
		uri      string
		fraction bool
	}{{"/api/v2/providers?fractional_gpu=true&per_page=100", true}, {"/api/v2/providers?fractional_gpu=false&per_page=100", false}} {
		var page searchResponse
		r := do(s, "GET", tc.uri, nil)
		decode(t, r, &page)
		if r.StatusCode() != 200 || len(page.Items) == 0 {
			t.Fatalf("%s: %d, %d items", tc.uri, r.StatusCode(), len(page.Items))
		}
		for _, o := range page.Items {
			if (o.GPUCount < 1) != tc.fraction {
				t.Fatalf("%s returned %s with %v GPUs", tc.uri, o.ID, o.GPUCount)
			}
		}
	}
	if r := do(s, "POST", "/api/v2/providers/query", []byte(`{"gpu_count":2.0,"min_gpu_count":0}`)); r.StatusCode() != 200 {
		t.Fatalf("whole numbers written as floats: %d %s", r.StatusCode(), r.Body())
	}
}

// Bodies say one thing only: duplicate keys, keys not spelled exactly as a
// field, and control characters are refused; so are query parameters on
// routes that read none, and control characters in parameters.
func TestStrictInput(t *testing.T) {
	s := newTestServer(t, newFakeSource(63, 5))
	for _, tc := range []struct{ method, uri, body, code, field string }{
		{"POST", "/api/v2/providers/query", `{"max_price":1,"MAX_PRICE":100}`, httpx.CodeInvalidBody, "MAX_PRICE"},
		{"POST", "/api/v2/providers/query", `{"max_price":1,"max_price":100}`, httpx.CodeInvalidBody, "max_price"},
		{"POST", "/api/v2/providers/query", `{"Max_Price":1}`, httpx.CodeInvalidBody, "Max_Price"},
		{"POST", "/api/v2/providers/bulk/query", `{"queries":[{"gpu":"A100","GPU":"H100"}]}`, httpx.CodeInvalidBody, "queries[0].GPU"},
		{"POST", "/api/v2/providers/query", `{"gpu":"H1\u000000"}`, httpx.CodeInvalidBody, ""},
		{"POST", "/api/v2/providers/query", `{"gpu":["A100","x\u0007"]}`, httpx.CodeInvalidBody, ""},
		{"GET", "/api/v2/providers?gpu=H1%0000", "", httpx.CodeInvalidParameter, "gpu"},
		{"GET", "/api/v2/providers?region=us%0A", "", httpx.CodeInvalidParameter, "region"},
		{"GET", "/api/v2/providers?max_price=1%0A", "", httpx.CodeInvalidParameter, "max_price"},
		{"POST", "/api/v2/providers/query?debug=1", `{}`, httpx.CodeUnknownParameter, "debug"},
		{"POST", "/api/v2/providers/bulk/query?x=1", `{"queries":[{}]}`, httpx.CodeUnknownParameter, "x"},
		{"GET", "/api/v2/gpus?gpu=A100", "", httpx.CodeUnknownParameter, "gpu"},
		{"GET", "/api/v2/providers/alpha:i0?verbose=1", "", httpx.CodeUnknownParameter, "verbose"},
		{"GET", "/health?verbose=1", "", httpx.CodeUnknownParameter, "verbose"},
		{"GET", "/metrics?x", "", httpx.CodeUnknownParameter, "x"},
		{"GET", "/api/v2/openapi.json?v=2", "", httpx.CodeUnknownParameter, "v"},
	} {
		var body []byte
		if tc.body != "" {
			body = []byte(tc.body)
		}
		r := do(s, tc.method, tc.uri, body)
		var e errBody
		decode(t, r, &e)
		if r.StatusCode() != 400 || e.Error.Code != tc.code || e.Error.Field != tc.field {
			t.Errorf("%s %s %s: %d %+v", tc.method, tc.uri, tc.body, r.StatusCode(), e.Error)
		}
		if strings.ContainsAny(e.Error.Message, "\x00\x07\n") {
			t.Errorf("%s %s: the message echoes a control character: %q", tc.method, tc.uri, e.Error.Message)
		}
	}
	// The same query cached once is still refused with a parameter.
	do(s, "POST", "/api/v2/providers/query", []byte(`{"gpu":"A100"}`))
	if r := do(s, "POST", "/api/v2/providers/query?nocache=1", []byte(`{"gpu":"A100"}`)); r.StatusCode() != 400 {
		t.Fatalf("a cached answer served despite an unknown parameter: %d", r.StatusCode())
	}
}
