package httpx

import (
	"encoding/json"

	"github.com/valyala/fasthttp"
)

// Error codes of the JSON error body {"error":{"code","message","field"}}.
const (
	CodeInvalidParameter    = "invalid_parameter"
	CodeUnknownParameter    = "unknown_parameter"
	CodeInvalidBody         = "invalid_body"
	CodeBodyTooLarge        = "body_too_large"
	CodeNotFound            = "not_found"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeProviderUnavailable = "provider_unavailable"
	CodeTimeout             = "timeout"
	CodeInternal            = "internal"
	CodeBadRequest          = "bad_request"
	CodeURITooLong          = "uri_too_long"
	CodeUnauthorized        = "unauthorized"
	CodeRateLimited         = "rate_limited"
	CodeOverloaded          = "overloaded"
	CodeForbidden           = "forbidden"
	CodeInsufficientScope   = "insufficient_scope"
	CodeStoreUnavailable    = "store_unavailable"
	CodeConflict            = "conflict"
)

// Error is a client-visible error. Field names the offending parameter or
// JSON field when there is one; Suggestions are known values close to a
// value that names nothing ("did you mean").
type Error struct {
	Status      int      `json:"-"`
	Code        string   `json:"code"`
	Message     string   `json:"message"`
	Field       string   `json:"field,omitempty"`
	Suggestions []string `json:"suggestions,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// BadParam is a 400 naming field.
func BadParam(field, msg string) *Error {
	return &Error{Status: fasthttp.StatusBadRequest, Code: CodeInvalidParameter, Field: field, Message: field + ": " + msg}
}

// NotFound is a 404 with msg.
func NotFound(msg string) *Error {
	return &Error{Status: fasthttp.StatusNotFound, Code: CodeNotFound, Message: msg}
}

// WriteError answers with e as the JSON error body.
func WriteError(ctx *fasthttp.RequestCtx, e *Error) {
	b, _ := json.Marshal(struct {
		Error *Error `json:"error"`
	}{e})
	ctx.Response.Header.SetContentType("application/json")
	ctx.SetStatusCode(e.Status)
	ctx.SetBody(b)
}

// StoreUnavailable answers 503 store_unavailable with Retry-After.
func StoreUnavailable(ctx *fasthttp.RequestCtx, msg string) {
	ctx.Response.Header.Set("Retry-After", "5")
	WriteError(ctx, &Error{Status: fasthttp.StatusServiceUnavailable, Code: CodeStoreUnavailable, Message: msg})
}

// WriteBody answers with a JSON body already encoded.
func WriteBody(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.Response.Header.SetContentType("application/json")
	ctx.SetStatusCode(status)
	ctx.SetBody(body)
}

// WriteJSON encodes v and answers with it.
func WriteJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteError(ctx, &Error{Status: fasthttp.StatusInternalServerError, Code: CodeInternal, Message: "encoding response"})
		return
	}
	WriteBody(ctx, status, b)
}
