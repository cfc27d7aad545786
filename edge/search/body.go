package search

import (
	"encoding/json"
	"strconv"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/valyala/fasthttp"
)

// queryBody is the JSON form of a query (POST /providers/query and each
// element of a bulk request). Both the seeds' names (gpu_type, regions,
// compliance_tags) and the GET parameter names (gpu, region, compliance)
// are accepted, but not both spellings of one filter at once.
type queryBody struct {
	GPUType         httpx.StringList `json:"gpu_type"`
	GPU             httpx.StringList `json:"gpu"`
	Regions         httpx.StringList `json:"regions"`
	Region          httpx.StringList `json:"region"`
	Providers       httpx.StringList `json:"providers"`
	Provider        httpx.StringList `json:"provider"`
	ComplianceTags  httpx.StringList `json:"compliance_tags"`
	Compliance      httpx.StringList `json:"compliance"`
	MinPrice        *float64         `json:"min_price"`
	MaxPrice        *float64         `json:"max_price"`
	MinMemoryGB     *float64         `json:"min_memory_gb"`
	MaxMemoryGB     *float64         `json:"max_memory_gb"`
	GPUCount        *float64         `json:"gpu_count"`
	MinGPUCount     *float64         `json:"min_gpu_count"`
	MaxGPUCount     *float64         `json:"max_gpu_count"`
	FractionalGPU   *bool            `json:"fractional_gpu"`
	Availability    *string          `json:"availability"`
	MinAvailability *string          `json:"min_availability"`
	Sort            *string          `json:"sort"`
	PerPage         *int             `json:"per_page"`
	Page            *int             `json:"page"`
	Cursor          *string          `json:"cursor"`
}

// build validates a decoded body into a Query.
func (qb *queryBody) build(prefix string) (Query, *httpx.Error) {
	b := newBuilder(prefix)
	// pick returns whichever spelling of a list filter was given, and its name.
	pick := func(aName string, a httpx.StringList, bName string, bv httpx.StringList) (string, []string) {
		switch {
		case a != nil && bv != nil:
			b.fail(aName, "give only one of "+aName+" and "+bName)
			return "", nil
		case a != nil:
			return aName, a
		}
		return bName, bv
	}
	if name, v := pick("gpu_type", qb.GPUType, "gpu", qb.GPU); v != nil {
		b.gpus(name, v)
	}
	if name, v := pick("regions", qb.Regions, "region", qb.Region); v != nil {
		b.regions(name, v)
	}
	if name, v := pick("providers", qb.Providers, "provider", qb.Provider); v != nil {
		b.providers(name, v)
	}
	if name, v := pick("compliance_tags", qb.ComplianceTags, "compliance", qb.Compliance); v != nil {
		b.compliance(name, v)
	}
	for _, f := range []struct {
		name string
		src  *float64
		dst  *float64
	}{
		{"min_price", qb.MinPrice, &b.q.MinPrice}, {"max_price", qb.MaxPrice, &b.q.MaxPrice},
		{"min_memory_gb", qb.MinMemoryGB, &b.q.MinMemoryGB}, {"max_memory_gb", qb.MaxMemoryGB, &b.q.MaxMemoryGB},
	} {
		if f.src != nil {
			b.number(f.name, *f.src, f.dst)
		}
	}
	if qb.GPUCount != nil {
		b.count("gpu_count", *qb.GPUCount, 1, &b.q.GPUCount)
	}
	if qb.MinGPUCount != nil {
		b.count("min_gpu_count", *qb.MinGPUCount, 0, &b.q.MinGPUCount)
	}
	if qb.MaxGPUCount != nil {
		b.count("max_gpu_count", *qb.MaxGPUCount, 0, &b.q.MaxGPUCount)
	}
	if qb.FractionalGPU != nil {
		b.fractional(*qb.FractionalGPU)
	}
	if qb.Availability != nil {
		b.availability("availability", *qb.Availability, &b.q.Availability)
	}
	if qb.MinAvailability != nil {
		b.availability("min_availability", *qb.MinAvailability, &b.q.MinAvailability)
	}
	if qb.Sort != nil {
		b.sort("sort", *qb.Sort)
	}
	if qb.PerPage != nil {
		b.perPage("per_page", *qb.PerPage)
	}
	if qb.Page != nil {
		b.page("page", *qb.Page)
	}
	if qb.Cursor != nil {
		b.cursor("cursor", *qb.Cursor)
	}
	return b.finish()
}

// parseQueryBody decodes and validates one query body.
func parseQueryBody(data []byte) (Query, *httpx.Error) {
	var qb queryBody
	if err := httpx.DecodeStrict(data, &qb, ""); err != nil {
		return Query{}, err
	}
	return qb.build("")
}

const maxBulkQueries = 50

// parseBulkBody decodes {"queries":[...]} with 1–50 queries.
func parseBulkBody(data []byte) ([]Query, *httpx.Error) {
	var body struct {
		Queries []json.RawMessage `json:"queries"`
	}
	if err := httpx.DecodeStrict(data, &body, ""); err != nil {
		return nil, err
	}
	if len(body.Queries) == 0 || len(body.Queries) > maxBulkQueries {
		return nil, &httpx.Error{Status: fasthttp.StatusBadRequest, Code: httpx.CodeInvalidBody, Field: "queries",
			Message: "queries: must hold between 1 and " + strconv.Itoa(maxBulkQueries) + " queries"}
	}
	out := make([]Query, len(body.Queries))
	for i, raw := range body.Queries {
		prefix := "queries[" + strconv.Itoa(i) + "]."
		var qb queryBody
		if err := httpx.DecodeStrict(raw, &qb, prefix); err != nil {
			return nil, err
		}
		q, err := qb.build(prefix)
		if err != nil {
			return nil, err
		}
		out[i] = q
	}
	return out, nil
}
