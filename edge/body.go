package edge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// stringList accepts a JSON string or an array of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil // null means "not given", as for the pointer fields
	}
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		// A type error lets encoding/json fill in the field's path.
		return &json.UnmarshalTypeError{Value: "string list", Type: reflect.TypeFor[stringList]()}
	}
	*l = many
	return nil
}

// queryBody is the JSON form of a query (POST /providers/query and each
// element of a bulk request). Both the seeds' names (gpu_type, regions,
// compliance_tags) and the GET parameter names (gpu, region, compliance)
// are accepted, but not both spellings of one filter at once.
type queryBody struct {
	GPUType         stringList `json:"gpu_type"`
	GPU             stringList `json:"gpu"`
	Regions         stringList `json:"regions"`
	Region          stringList `json:"region"`
	Providers       stringList `json:"providers"`
	Provider        stringList `json:"provider"`
	ComplianceTags  stringList `json:"compliance_tags"`
	Compliance      stringList `json:"compliance"`
	MinPrice        *float64   `json:"min_price"`
	MaxPrice        *float64   `json:"max_price"`
	MinMemoryGB     *float64   `json:"min_memory_gb"`
	MaxMemoryGB     *float64   `json:"max_memory_gb"`
	GPUCount        *float64   `json:"gpu_count"`
	MinGPUCount     *float64   `json:"min_gpu_count"`
	MaxGPUCount     *float64   `json:"max_gpu_count"`
	Availability    *string    `json:"availability"`
	MinAvailability *string    `json:"min_availability"`
	Sort            *string    `json:"sort"`
	PerPage         *int       `json:"per_page"`
	Page            *int       `json:"page"`
	Cursor          *string    `json:"cursor"`
}

// decodeStrict decodes exactly one JSON value into v, rejecting unknown
// fields and trailing data, and names the offending field on error.
func decodeStrict(data []byte, v any, prefix string) *apiError {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] != '{' {
		field := strings.TrimSuffix(prefix, ".")
		msg := "must be a JSON object"
		if field == "" {
			msg = "request body " + msg
		} else {
			msg = field + ": " + msg
		}
		return &apiError{Status: fasthttp.StatusBadRequest, Code: codeInvalidBody, Field: field, Message: msg}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, prefix)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &apiError{Status: fasthttp.StatusBadRequest, Code: codeInvalidBody, Message: "request body must hold a single JSON value"}
	}
	return nil
}

func jsonError(err error, prefix string) *apiError {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return &apiError{Status: fasthttp.StatusBadRequest, Code: codeInvalidBody,
			Message: fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn)}
	case errors.As(err, &typ):
		field := prefix + typ.Field
		if typ.Field == "" {
			return &apiError{Status: fasthttp.StatusBadRequest, Code: codeInvalidBody, Message: "request body must be a JSON object"}
		}
		kind := jsonKind(typ.Type.Kind().String())
		if typ.Type == reflect.TypeFor[stringList]() {
			kind = "a string or an array of strings"
		}
		return &apiError{Status: fasthttp.StatusBadRequest, Code: codeInvalidBody, Field: field,
			Message: field + ": must be " + kind}
	case errors.Is(err, io.EOF):
		return &apiError{Status: fasthttp.StatusBadRequest, Code: codeInvalidBody, Message: "request body is empty; send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &apiError{Status: fasthttp.StatusBadRequest, Code: codeInvalidBody, Message: "request body is truncated JSON"}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ := strconv.Unquote(f)
		return &apiError{Status: fasthttp.StatusBadRequest, Code: codeInvalidBody, Field: prefix + name,
			Message: "unknown field " + strconv.Quote(prefix+name)}
	}
	// Errors from our own UnmarshalJSON methods name no field; keep the text.
	return &apiError{Status: fasthttp.StatusBadRequest, Code: codeInvalidBody, Message: "invalid request body: " + strings.TrimPrefix(msg, "json: ")}
}

func jsonKind(k string) string {
	switch k {
	case "float64", "float32":
		return "a number"
	case "int", "int64", "int32":
		return "an integer"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	case "bool":
		return "a boolean"
	}
	return "of another type"
}

// build validates a decoded body into a Query.
func (qb *queryBody) build(prefix string) (Query, *apiError) {
	b := newBuilder(prefix)
	// pick returns whichever spelling of a list filter was given, and its name.
	pick := func(aName string, a stringList, bName string, bv stringList) (string, []string) {
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
		{"min_gpu_count", qb.MinGPUCount, &b.q.MinGPUCount}, {"max_gpu_count", qb.MaxGPUCount, &b.q.MaxGPUCount},
	} {
		if f.src != nil {
			b.number(f.name, *f.src, f.dst)
		}
	}
	if qb.GPUCount != nil {
		b.gpuCount("gpu_count", *qb.GPUCount)
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
func parseQueryBody(data []byte) (Query, *apiError) {
	var qb queryBody
	if err := decodeStrict(data, &qb, ""); err != nil {
		return Query{}, err
	}
	return qb.build("")
}

const maxBulkQueries = 50

// parseBulkBody decodes {"queries":[...]} with 1–50 queries.
func parseBulkBody(data []byte) ([]Query, *apiError) {
	var body struct {
		Queries []json.RawMessage `json:"queries"`
	}
	if err := decodeStrict(data, &body, ""); err != nil {
		return nil, err
	}
	if len(body.Queries) == 0 || len(body.Queries) > maxBulkQueries {
		return nil, &apiError{Status: fasthttp.StatusBadRequest, Code: codeInvalidBody, Field: "queries",
			Message: "queries: must hold between 1 and " + strconv.Itoa(maxBulkQueries) + " queries"}
	}
	out := make([]Query, len(body.Queries))
	for i, raw := range body.Queries {
		prefix := "queries[" + strconv.Itoa(i) + "]."
		var qb queryBody
		if err := decodeStrict(raw, &qb, prefix); err != nil {
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
