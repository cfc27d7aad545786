package edge

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
)

// table is the route table assembled from the feature packages' routes:
// literal paths are one map lookup; paths with {name} segments are tried
// after, the most literal first, so a literal path always wins.
type table struct {
	exact    map[string]*endpoint
	patterns []*endpoint
	all      []httpx.Route // as registered, for Routes
}

// endpoint is every route of one path.
type endpoint struct {
	path     string
	name     string
	segments []string // of a pattern; {name} segments are parameters
	params   map[string]func(string) bool
	routes   []httpx.Route // in registration order: the order Allow lists
}

func newTable(routes []httpx.Route) (*table, error) {
	t := &table{exact: map[string]*endpoint{}}
	byPath := map[string]*endpoint{}
	for _, r := range routes {
		if err := checkRoute(r); err != nil {
			return nil, err
		}
		ep := byPath[r.Path]
		if ep == nil {
			ep = &endpoint{path: r.Path, name: r.Name, params: r.Params}
			byPath[r.Path] = ep
			if strings.Contains(r.Path, "{") {
				ep.segments = strings.Split(strings.TrimPrefix(r.Path, "/"), "/")
				for _, seg := range ep.segments {
					if name, ok := paramName(seg); ok && r.Params[name] == nil {
						return nil, fmt.Errorf("edge: route %s %s: no validator for {%s}", r.Method, r.Path, name)
					}
				}
				t.patterns = append(t.patterns, ep)
			} else {
				t.exact[r.Path] = ep
			}
		}
		if slices.ContainsFunc(ep.routes, func(x httpx.Route) bool { return x.Method == r.Method }) {
			return nil, fmt.Errorf("edge: route %s %s registered twice", r.Method, r.Path)
		}
		ep.routes = append(ep.routes, r)
		t.all = append(t.all, r)
	}
	// More literal segments first; registration order among equals.
	slices.SortStableFunc(t.patterns, func(a, b *endpoint) int { return cmp.Compare(b.literals(), a.literals()) })
	return t, nil
}

func checkRoute(r httpx.Route) error {
	switch {
	case r.Method == "" || r.Path == "" || r.Path[0] != '/' || r.Name == "":
		return fmt.Errorf("edge: route %q %q needs a method, a path from / and a name", r.Method, r.Path)
	case (r.Handler == nil) == (r.Stream == nil):
		return fmt.Errorf("edge: route %s %s needs exactly one of Handler and Stream", r.Method, r.Path)
	}
	return nil
}

func paramName(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

func (ep *endpoint) literals() int {
	n := 0
	for _, s := range ep.segments {
		if _, ok := paramName(s); !ok {
			n++
		}
	}
	return n
}

// match reports whether path fits the pattern, recording its parameters.
func (ep *endpoint) match(path string, r *httpx.Request) bool {
	rest := strings.TrimPrefix(path, "/")
	var found [4]struct{ name, value string }
	n := 0
	for i, seg := range ep.segments {
		part, tail, more := strings.Cut(rest, "/")
		if (i < len(ep.segments)-1) != more {
			return false // fewer or more segments than the pattern
		}
		rest = tail
		name, isParam := paramName(seg)
		switch {
		case !isParam:
			if part != seg {
				return false
			}
		case part == "" || !ep.params[name](part) || n == len(found):
			return false
		default:
			found[n].name, found[n].value = name, part
			n++
		}
	}
	for _, p := range found[:n] {
		r.SetParam(p.name, p.value)
	}
	return true
}

// resolve finds the route for method and path, setting path parameters on
// r. Without one it returns the 404 or 405 answer and, for a 405, the
// path's name, so the refusal is counted under the route it was aimed at.
func (t *table) resolve(method, path string, r *httpx.Request) (*httpx.Route, string, *httpx.Error) {
	ep := t.exact[path]
	if ep == nil {
		for _, p := range t.patterns {
			if p.match(path, r) {
				ep = p
				break
			}
		}
	}
	if ep == nil {
		return nil, "not_found", httpx.NotFound("no such endpoint: " + path)
	}
	for i := range ep.routes {
		if rt := &ep.routes[i]; rt.Method == method || (method == "HEAD" && rt.Method == "GET") {
			return rt, rt.Name, nil
		}
	}
	allowed := make([]string, len(ep.routes))
	for i, rt := range ep.routes {
		allowed[i] = rt.Method
	}
	return nil, ep.name, &httpx.Error{Status: fasthttp.StatusMethodNotAllowed, Code: httpx.CodeMethodNotAllowed,
		Message: method + " is not allowed here; use " + strings.Join(allowed, ", "), Field: strings.Join(allowed, ", ")}
}
