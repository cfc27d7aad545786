package edge

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/accounts"
)

// accountCall is what every account endpoint starts with: the service (503
// when there is no store), the caller as a principal (401 when anonymous,
// unless open), only the allowed query parameters, each at most once, and a
// context bounded by the request timeout. ok is false when the request has
// been answered.
func (s *Server) accountCall(rc *requestCtx, open bool, allowed ...string) (p accounts.Principal, ctx context.Context, cancel context.CancelFunc, ok bool) {
	if s.accounts == nil {
		s.unavailable(rc, "accounts need a database; this edge runs without one")
		return p, nil, nil, false
	}
	if !open && rc.identity.Kind == "anonymous" {
		rc.Response.Header.Set("WWW-Authenticate", `Bearer realm="gpubroker"`)
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusUnauthorized, Code: codeUnauthorized,
			Message: "this endpoint needs an API key or a bearer token"})
		return p, nil, nil, false
	}
	if aerr := checkQueryParams(rc, allowed); aerr != nil {
		writeError(rc.RequestCtx, aerr)
		return p, nil, nil, false
	}
	id := rc.identity
	p = accounts.Principal{UserID: id.UserID, Plan: id.Plan, Service: id.Kind == "service", Scopes: id.Scopes,
		APIKey: id.Kind == "api_key"}
	ctx, cancel = s.deadline(rc)
	return p, ctx, cancel, true
}

// checkQueryParams rejects unknown and repeated query parameters, so that
// a typo cannot pass silently.
func checkQueryParams(rc *requestCtx, allowed []string) *apiError {
	args := rc.QueryArgs()
	for k := range args.All() {
		switch {
		case !slices.Contains(allowed, string(k)):
			return &apiError{Status: fasthttp.StatusBadRequest, Code: codeUnknownParameter, Field: string(k),
				Message: "unknown query parameter " + strconv.Quote(string(k))}
		case len(args.PeekMulti(string(k))) > 1:
			return badParam(string(k), "given more than once")
		}
	}
	return nil
}

// accountError renders an account-service error. Unexpected errors are
// logged (they carry store context, never secrets) and answered 503.
func (s *Server) accountError(rc *requestCtx, err error) {
	var (
		fe     *accounts.FieldError
		forbid *accounts.ForbiddenError
		locked *accounts.LockedError
	)
	switch {
	case errors.As(err, &fe):
		writeError(rc.RequestCtx, badParam(fe.Field, fe.Message))
	case errors.Is(err, accounts.ErrInvalidCredentials), errors.Is(err, accounts.ErrInvalidToken):
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusUnauthorized, Code: codeUnauthorized, Message: err.Error()})
	case errors.Is(err, accounts.ErrNoUser):
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusForbidden, Code: codeForbidden, Message: err.Error()})
	case errors.As(err, &forbid):
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusForbidden, Code: codeForbidden, Message: forbid.Reason})
	case errors.Is(err, accounts.ErrNotFound):
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusNotFound, Code: codeNotFound, Message: "no such resource"})
	case errors.Is(err, accounts.ErrConflict):
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusConflict, Code: codeConflict, Message: "already exists"})
	case errors.As(err, &locked):
		rc.Response.Header.Set("Retry-After", strconv.FormatInt(max(ceilSeconds(locked.RetryAfter), 1), 10))
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusTooManyRequests, Code: codeRateLimited, Message: locked.Error()})
	case errors.Is(err, accounts.ErrBusy):
		rc.Response.Header.Set("Retry-After", "1")
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusServiceUnavailable, Code: codeOverloaded, Message: err.Error()})
	default:
		s.log.Warn("account store error", "err", err, "request_id", rc.ids.RequestID, "trace_id", rc.ids.TraceID)
		s.unavailable(rc, "the account store is unavailable; retry later")
	}
}

// unavailable answers 503 store_unavailable with Retry-After.
func (s *Server) unavailable(rc *requestCtx, msg string) {
	rc.Response.Header.Set("Retry-After", "5")
	writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusServiceUnavailable, Code: codeStoreUnavailable, Message: msg})
}

// timeOrNil renders a zero time as JSON null.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
