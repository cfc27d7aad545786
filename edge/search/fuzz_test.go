package search

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// Query strings from clients: parsing never panics, and anything accepted
// is a usable query.
func FuzzListParams(f *testing.F) {
	for _, s := range []string{"gpu=H100&max_price=4", "per_page=100&sort=-price&cursor=abc", "region=us,eu&page=2",
		"gpu_count=0.5&min_availability=limited", "%zz=1", "gpu=%00", "max_price=1e309"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, qs string) {
		var a fasthttp.Args
		a.Parse(qs)
		q, err := parseListParams(&a)
		if err != nil {
			if err.Status != 400 || err.Code == "" || err.Message == "" {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		if q.PerPage < 1 || q.PerPage > maxPerPage || q.MinPrice > q.MaxPrice {
			t.Fatalf("accepted invalid query %+v", q)
		}
	})
}

// JSON bodies of POST /providers/query.
func FuzzQueryBody(f *testing.F) {
	for _, s := range []string{`{"gpu_type":"A100","min_memory_gb":80,"max_price":2.0,"regions":["us-east"]}`, `{}`, `[]`, `{"per_page":1e400}`,
		`{"gpu_type":["a","b"],"cursor":"x"}`, `{"max_price":null}`, "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := parseQueryBody(b)
		if err != nil {
			if err.Status != 400 || err.Code == "" {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		if q.PerPage < 1 || q.PerPage > maxPerPage {
			t.Fatalf("accepted invalid per_page %d", q.PerPage)
		}
	})
}

// JSON bodies of POST /providers/bulk/query.
func FuzzBulkBody(f *testing.F) {
	for _, s := range []string{`{"queries":[{"gpu":"A100"},{"gpu":"H100","max_price":4}]}`, `{"queries":[]}`, `{"queries":[1]}`, `{"queries":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		qs, err := parseBulkBody(b)
		if err != nil {
			if err.Status != 400 {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		if len(qs) == 0 || len(qs) > maxBulkQueries {
			t.Fatalf("accepted %d queries", len(qs))
		}
	})
}

// Whole requests: whatever the method, path, query and body, the edge
// answers with a status below 500 and a JSON or documented content type.
func FuzzHandler(f *testing.F) {
	f.Add("GET", "/api/v2/providers?gpu=H100", []byte(nil))
	f.Add("POST", "/api/v2/providers/query", []byte(`{"gpu_type":"A100"}`))
	f.Add("POST", "/api/v2/providers/bulk/query", []byte(`{"queries":[{"gpu":"A100"}]}`))
	f.Add("GET", "/api/v2/providers/alpha:i1", []byte(nil))
	f.Add("PATCH", "/api/v2/providers/../../etc", []byte("x"))
	s := newTestServer(f, newFakeSource(11, 5))
	f.Fuzz(func(t *testing.T, method, uri string, body []byte) {
		if len(method) == 0 || len(method) > 16 {
			return
		}
		r := do(s, method, uri, body)
		if r.StatusCode() >= 500 {
			t.Fatalf("%s %q -> %d: %s", method, uri, r.StatusCode(), r.Body())
		}
	})
}
