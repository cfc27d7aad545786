package search

import (
	"math"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
)

func parseQS(qs string) (Query, *httpx.Error) {
	var a fasthttp.Args
	a.Parse(qs)
	return parseListParams(&a)
}

func TestParseListParamsErrors(t *testing.T) {
	tests := []struct {
		qs, field, code string
	}{
		{"max_price=abc", "max_price", httpx.CodeInvalidParameter},
		{"max_price=-1", "max_price", httpx.CodeInvalidParameter},
		{"max_price=NaN", "max_price", httpx.CodeInvalidParameter},
		{"max_price=Inf", "max_price", httpx.CodeInvalidParameter},
		{"min_price=5&max_price=2", "min_price", httpx.CodeInvalidParameter},
		{"max_price=1&max_price=2", "max_price", httpx.CodeInvalidParameter},
		{"max_prise=1", "max_prise", httpx.CodeUnknownParameter},
		{"per_page=0", "per_page", httpx.CodeInvalidParameter},
		{"per_page=101", "per_page", httpx.CodeInvalidParameter},
		{"per_page=ten", "per_page", httpx.CodeInvalidParameter},
		{"gpu_count=0", "gpu_count", httpx.CodeInvalidParameter},
		{"gpu_count=-2", "gpu_count", httpx.CodeInvalidParameter},
		{"min_memory_gb=x", "min_memory_gb", httpx.CodeInvalidParameter},
		{"min_memory_gb=100&max_memory_gb=80", "min_memory_gb", httpx.CodeInvalidParameter},
		{"availability=plenty", "availability", httpx.CodeInvalidParameter},
		{"min_availability=", "min_availability", httpx.CodeInvalidParameter},
		{"sort=cheapest", "sort", httpx.CodeInvalidParameter},
		{"cursor=%%%", "cursor", httpx.CodeInvalidParameter},
		{"cursor=eyJ4IjoxfQ", "cursor", httpx.CodeInvalidParameter},
		{"gpu=", "gpu", httpx.CodeInvalidParameter},
		{"gpu=-,", "gpu", httpx.CodeInvalidParameter},
		{"provider=Not%20A%20Name", "provider", httpx.CodeInvalidParameter},
		{"region=", "region", httpx.CodeInvalidParameter},
		{"page=0", "page", httpx.CodeInvalidParameter},
	}
	for _, tc := range tests {
		_, err := parseQS(tc.qs)
		if err == nil {
			t.Errorf("%q: accepted", tc.qs)
			continue
		}
		if err.Field != tc.field || err.Code != tc.code || err.Status != 400 {
			t.Errorf("%q: got field=%q code=%q status=%d, want field=%q code=%q", tc.qs, err.Field, err.Code, err.Status, tc.field, tc.code)
		}
	}
}

func TestParseListParams(t *testing.T) {
	q, err := parseQS("gpu=H100,a100&gpu=L40S&min_price=0.5&max_price=4&region=us-east&region=eu&availability=available" +
		"&provider=lambda,vastai&min_memory_gb=40&gpu_count=8&compliance=SOC2&sort=-price_per_gpu&per_page=50")
	if err != nil {
		t.Fatal(err)
	}
	if len(q.GPUs) != 3 || q.MinPrice != 0.5 || q.MaxPrice != 4 || len(q.Regions) != 2 || q.Availability != shared.Available ||
		len(q.Providers) != 2 || q.MinMemoryGB != 40 || q.GPUCount != 8 || q.ComplianceTags[0] != "soc2" ||
		q.Sort.name != "-price_per_gpu" || !q.Sort.desc || q.PerPage != 50 {
		t.Fatalf("parsed %+v", q)
	}
	d, err := parseQS("")
	if err != nil || d.PerPage != defaultPerPage || d.Sort.name != "price" || !math.IsInf(d.MaxPrice, 1) {
		t.Fatalf("defaults: %+v %v", d, err)
	}
}

func TestParseQueryBody(t *testing.T) {
	tests := []struct {
		body  string
		ok    bool
		field string
	}{
		{`{"gpu_type":"A100","min_memory_gb":80,"max_price":2.0,"min_availability":"available","regions":["us-east","us-west"],"compliance_tags":["soc2","hipaa"]}`, true, ""},
		{`{"gpu":"A100","region":"us-east"}`, true, ""},
		{`{"gpu_type":["A100","H100"],"providers":["lambda"],"regions":null}`, true, ""},
		{`{}`, true, ""},
		{`{"gpu_type":"A100","gpu":"H100"}`, false, "gpu_type"},
		{`{"max_price":"cheap"}`, false, "max_price"},
		{`{"max_price":-3}`, false, "max_price"},
		{`{"per_page":1.5}`, false, "per_page"},
		{`{"per_page":1000}`, false, "per_page"},
		{`{"regions":[1,2]}`, false, "regions"},
		{`{"gpu_type":5}`, false, "gpu_type"},
		{`{"provider":{}}`, false, "provider"},
		{`{"compliance_tags":true}`, false, "compliance_tags"},
		{`{"bogus":1}`, false, "bogus"},
		{`{"min_availability":"sometimes"}`, false, "min_availability"},
		{`{"min_price":3,"max_price":1}`, false, "min_price"},
		{`[1,2]`, false, ""},
		{`{"gpu_type":"A100"} {"x":1}`, false, ""},
		{`{"gpu_type":`, false, ""},
		{``, false, ""},
		{`null`, false, ""},
	}
	for _, tc := range tests {
		_, err := parseQueryBody([]byte(tc.body))
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: rejected: %v", tc.body, err)
		case !tc.ok && err == nil:
			t.Errorf("%s: accepted", tc.body)
		case !tc.ok && (err.Status != 400 || err.Field != tc.field):
			t.Errorf("%s: status %d field %q, want 400 field %q", tc.body, err.Status, err.Field, tc.field)
		}
	}
}

func TestParseBulkBody(t *testing.T) {
	qs, err := parseBulkBody([]byte(`{"queries":[{"gpu":"A100","region":"us-east"},{"gpu_type":"H100","max_price":4}]}`))
	if err != nil || len(qs) != 2 {
		t.Fatalf("%v %d", err, len(qs))
	}
	_, err = parseBulkBody([]byte(`{"queries":[{"gpu":"A100"},{"max_price":"x"}]}`))
	if err == nil || err.Field != "queries[1].max_price" {
		t.Fatalf("field not named: %+v", err)
	}
	_, err = parseBulkBody([]byte(`{"queries":[{"gpu":"A100"},{"nope":1}]}`))
	if err == nil || err.Field != "queries[1].nope" {
		t.Fatalf("unknown field not named: %+v", err)
	}
	_, err = parseBulkBody([]byte(`{"queries":[{"gpu":"A100"},{"gpu":5}]}`))
	if err == nil || err.Field != "queries[1].gpu" {
		t.Fatalf("list field not named: %+v", err)
	}
	_, err = parseBulkBody([]byte(`{"queries":[{"gpu":"A100"},7]}`))
	if err == nil || err.Field != "queries[1]" {
		t.Fatalf("non-object query not named: %+v", err)
	}
	_, err = parseBulkBody([]byte(`{"queries":[]}`))
	if err == nil || err.Field != "queries" {
		t.Fatalf("empty accepted: %+v", err)
	}
	many := `{"queries":[` + repeat(`{"gpu":"A10"},`, 50) + `{"gpu":"A10"}]}`
	if _, err = parseBulkBody([]byte(many)); err == nil {
		t.Fatal("51 queries accepted")
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}
