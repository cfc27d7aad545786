package edge

import (
	"strings"
	"testing"

	"github.com/gpubroker/gpubroker/edge/httpx"
)

func named(name string) func(*httpx.Request) {
	return func(r *httpx.Request) { r.SetBodyString(name + ":" + r.Param("id") + r.Param("rest")) }
}

var hexID = map[string]func(string) bool{"id": httpx.ResourceID}

// The table: literal paths beat patterns, the more literal pattern wins,
// parameters are validated, HEAD answers as GET, and a wrong method is a
// 405 listing the path's methods in registration order.
func TestRouteTable(t *testing.T) {
	s := newTestServer(t, Config{Routes: []httpx.Route{
		{Method: "GET", Path: "/t/items", Name: "items", Handler: named("list")},
		{Method: "POST", Path: "/t/items", Name: "items", Handler: named("create")},
		{Method: "GET", Path: "/t/items/{id}", Name: "item", Params: hexID, Handler: named("one")},
		{Method: "DELETE", Path: "/t/items/{id}", Name: "item", Params: hexID, Handler: named("del")},
		{Method: "GET", Path: "/t/items/special", Name: "special", Handler: named("special")},
		{Method: "GET", Path: "/t/{rest}/x", Name: "loose", Params: map[string]func(string) bool{"rest": func(string) bool { return true }}, Handler: named("loose")},
		{Method: "GET", Path: "/t/items/{id}/x", Name: "deep", Params: hexID, Handler: named("deep")},
	}})
	for _, tc := range []struct {
		method, path string
		status       int
		body, allow  string
	}{
		{"GET", "/t/items", 200, "list:", ""},
		{"HEAD", "/t/items", 200, "", ""},
		{"POST", "/t/items", 200, "create:", ""},
		{"PUT", "/t/items", 405, "", "GET, POST"},
		{"GET", "/t/items/ab12", 200, "one:ab12", ""},
		{"DELETE", "/t/items/ab12", 200, "del:ab12", ""},
		{"POST", "/t/items/ab12", 405, "", "GET, DELETE"},
		{"GET", "/t/items/special", 200, "special:", ""},
		{"GET", "/t/items/not-hex!", 404, "", ""},
		{"GET", "/t/items/ab12/", 404, "", ""},
		{"GET", "/t/items/ab12/x", 200, "deep:ab12", ""},
		{"GET", "/t/other/x", 200, "loose:other", ""},
		{"GET", "/t/items/zz/x", 404, "", ""}, // zz fails deep's validator; loose has fewer segments
		{"GET", "/t/items/x", 200, "loose:items", ""},
	} {
		r := do(s, tc.method, tc.path, nil)
		if r.StatusCode() != tc.status || (tc.body != "" && string(r.Body()) != tc.body) || string(r.Header.Peek("Allow")) != tc.allow {
			t.Errorf("%s %s: %d %q allow=%q; want %d %q allow=%q", tc.method, tc.path, r.StatusCode(), r.Body(), r.Header.Peek("Allow"), tc.status, tc.body, tc.allow)
		}
	}
}

func TestRouteTableRejectsBadRoutes(t *testing.T) {
	ok := named("x")
	for name, routes := range map[string][]httpx.Route{
		"twice":          {{Method: "GET", Path: "/a", Name: "a", Handler: ok}, {Method: "GET", Path: "/a", Name: "a", Handler: ok}},
		"no validator":   {{Method: "GET", Path: "/a/{id}", Name: "a", Handler: ok}},
		"no handler":     {{Method: "GET", Path: "/a", Name: "a"}},
		"both handlers":  {{Method: "GET", Path: "/a", Name: "a", Handler: ok, Stream: func(*httpx.Request, *httpx.Stream) {}}},
		"no name":        {{Method: "GET", Path: "/a", Handler: ok}},
		"relative path":  {{Method: "GET", Path: "a", Name: "a", Handler: ok}},
		"missing method": {{Path: "/a", Name: "a", Handler: ok}},
	} {
		if _, err := newTable(routes); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "edge: route") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
