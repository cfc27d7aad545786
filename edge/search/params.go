package search

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/valyala/fasthttp"
)

// listParams are the GET /api/v2/providers query parameters; list-valued
// ones accept repeats and comma-separated values.
var listParams = map[string]bool{
	"gpu": true, "region": true, "provider": true, "compliance": true,
}

var scalarParams = map[string]bool{
	"min_price": true, "max_price": true, "availability": true, "min_availability": true,
	"min_memory_gb": true, "max_memory_gb": true, "gpu_count": true, "min_gpu_count": true,
	"max_gpu_count": true, "fractional_gpu": true, "sort": true, "per_page": true, "cursor": true, "page": true,
}

const maxParams = 64

// parseListParams validates a query string. Unknown parameters are rejected
// rather than ignored so a typo ("max_prise") cannot silently widen a search.
func parseListParams(args *fasthttp.Args) (Query, *httpx.Error) {
	if args.Len() > maxParams {
		return Query{}, &httpx.Error{Status: fasthttp.StatusBadRequest, Code: httpx.CodeBadRequest, Message: "too many query parameters: at most " + strconv.Itoa(maxParams) + " are read"}
	}
	vals := map[string][]string{}
	for k, v := range args.All() {
		if err := addParam(vals, string(k), string(v)); err != nil {
			return Query{}, err
		}
	}
	return buildFromValues(newBuilder(""), vals)
}

// addParam adds one parameter of the list endpoint to vals: unknown names,
// control characters and repeated scalars are refused.
func addParam(vals map[string][]string, key, v string) *httpx.Error {
	if (listParams[key] || scalarParams[key]) && httpx.HasControl(v) {
		return httpx.BadParam(key, "must not contain control characters")
	}
	switch {
	case listParams[key]:
		vals[key] = append(vals[key], strings.Split(v, ",")...)
	case scalarParams[key]:
		if _, dup := vals[key]; dup {
			return httpx.BadParam(key, "given more than once")
		}
		vals[key] = []string{v}
	default:
		return httpx.UnknownParam(key)
	}
	return nil
}

// ParseFilters validates filters given as name → values (a WebSocket
// get_offers request) exactly as the list endpoint's query string.
func ParseFilters(filters map[string][]string) (Query, *httpx.Error) {
	if len(filters) > maxParams {
		return Query{}, &httpx.Error{Status: fasthttp.StatusBadRequest, Code: httpx.CodeBadRequest, Message: "too many filters: at most " + strconv.Itoa(maxParams) + " are read"}
	}
	vals := map[string][]string{}
	for _, k := range slices.Sorted(maps.Keys(filters)) { // the first error does not depend on map order
		for _, v := range filters[k] {
			if err := addParam(vals, k, v); err != nil {
				return Query{}, err
			}
		}
	}
	return buildFromValues(newBuilder(""), vals)
}

// buildFromValues applies string-valued filters in a fixed order, so the
// first error reported does not depend on map iteration.
func buildFromValues(b *queryBuilder, vals map[string][]string) (Query, *httpx.Error) {
	one := func(k string) (string, bool) {
		v, ok := vals[k]
		if !ok {
			return "", false
		}
		return v[0], true
	}
	if v, ok := vals["gpu"]; ok {
		b.gpus("gpu", v)
	}
	if v, ok := vals["region"]; ok {
		b.regions("region", v)
	}
	if v, ok := vals["provider"]; ok {
		b.providers("provider", v)
	}
	if v, ok := vals["compliance"]; ok {
		b.compliance("compliance", v)
	}
	for _, f := range []struct {
		name string
		dst  *float64
	}{
		{"min_price", &b.q.MinPrice}, {"max_price", &b.q.MaxPrice},
		{"min_memory_gb", &b.q.MinMemoryGB}, {"max_memory_gb", &b.q.MaxMemoryGB},
	} {
		if v, ok := one(f.name); ok {
			b.numberText(f.name, v, f.dst)
		}
	}
	if v, ok := one("gpu_count"); ok {
		b.countText("gpu_count", v, 1, &b.q.GPUCount)
	}
	if v, ok := one("min_gpu_count"); ok {
		b.countText("min_gpu_count", v, 0, &b.q.MinGPUCount)
	}
	if v, ok := one("max_gpu_count"); ok {
		b.countText("max_gpu_count", v, 0, &b.q.MaxGPUCount)
	}
	if v, ok := one("fractional_gpu"); ok {
		f, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			b.fail("fractional_gpu", "must be true or false")
		} else {
			b.fractional(f)
		}
	}
	if v, ok := one("availability"); ok {
		b.availability("availability", v, &b.q.Availability)
	}
	if v, ok := one("min_availability"); ok {
		b.availability("min_availability", v, &b.q.MinAvailability)
	}
	if v, ok := one("sort"); ok {
		b.sort("sort", v)
	}
	if v, ok := one("per_page"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			b.fail("per_page", "must be an integer")
		} else {
			b.perPage("per_page", n)
		}
	}
	if v, ok := one("page"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			b.fail("page", "must be an integer")
		} else {
			b.page("page", n)
		}
	}
	if v, ok := one("cursor"); ok {
		b.cursor("cursor", v)
	}
	return b.finish()
}
