package edge

import (
	"encoding/json"

	"github.com/valyala/fasthttp"
)

// Error codes of the JSON error body {"error":{"code","message","field"}}.
const (
	codeInvalidParameter    = "invalid_parameter"
	codeUnknownParameter    = "unknown_parameter"
	codeInvalidBody         = "invalid_body"
	codeBodyTooLarge        = "body_too_large"
	codeNotFound            = "not_found"
	codeMethodNotAllowed    = "method_not_allowed"
	codeProviderUnavailable = "provider_unavailable"
	codeTimeout             = "timeout"
	codeInternal            = "internal"
	codeBadRequest          = "bad_request"
	codeUnauthorized        = "unauthorized"
	codeRateLimited         = "rate_limited"
	codeOverloaded          = "overloaded"
	codeForbidden           = "forbidden"
	codeStoreUnavailable    = "store_unavailable"
	codeConflict            = "conflict"
)

// apiError is a client-visible error; field names the offending parameter
// or JSON field when there is one.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func badParam(field, msg string) *apiError {
	return &apiError{Status: fasthttp.StatusBadRequest, Code: codeInvalidParameter, Field: field, Message: field + ": " + msg}
}

func writeError(ctx *fasthttp.RequestCtx, e *apiError) {
	b, _ := json.Marshal(struct {
		Error *apiError `json:"error"`
	}{e})
	ctx.Response.Header.SetContentType("application/json")
	ctx.SetStatusCode(e.Status)
	ctx.SetBody(b)
}
