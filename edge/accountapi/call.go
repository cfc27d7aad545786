package accountapi

import (
	"context"
	"errors"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/edge/httpx"
)

// call is one account request as an operation sees it: a context bounded
// by the request's time budget, the caller as a principal, and the request.
type call struct {
	ctx context.Context
	p   accounts.Principal
	r   *httpx.Request
}

// spec is how an endpoint differs from the common shape.
type spec struct {
	status  int      // success status; 204 answers without a body
	open    bool     // anonymous callers may call it (signing up, in)
	noStore bool     // the answer carries a secret: Cache-Control no-store
	query   []string // query parameters it reads
}

// none is the input of operations without a body and the output of those
// answering 204.
type none struct{}

// endpoint is the shape every account handler shares: the service (503
// when there is no store), the caller (401 when anonymous, unless open),
// only the query parameters it reads, each once, the JSON body decoded
// strictly into In (unless In is none), then op, whose result is encoded
// with the spec's status or whose error is rendered by fail.
func endpoint[In, Out any](a *API, sp spec, op func(c *call, in In) (Out, error)) func(*httpx.Request) {
	return func(r *httpx.Request) {
		c, ok := a.begin(r, sp)
		if !ok {
			return
		}
		ctx, cancel := r.Context()
		defer cancel()
		c.ctx = ctx
		var in In
		if _, bodiless := any(in).(none); !bodiless && !httpx.DecodeBody(r, &in) {
			return
		}
		out, err := op(c, in)
		if err != nil {
			a.fail(r, err)
			return
		}
		if sp.noStore {
			r.Response.Header.Set("Cache-Control", "no-store")
		}
		if sp.status == fasthttp.StatusNoContent {
			r.SetStatusCode(fasthttp.StatusNoContent)
			return
		}
		httpx.WriteJSON(r.RequestCtx, sp.status, out)
	}
}

// begin runs the checks that come before any operation; ok is false when
// it has answered.
func (a *API) begin(r *httpx.Request, sp spec) (*call, bool) {
	if a.cfg.Accounts == nil {
		httpx.StoreUnavailable(r.RequestCtx, "accounts need a database; this edge runs without one")
		return nil, false
	}
	id := r.Identity
	if !sp.open && id.Kind == httpx.Anonymous {
		r.Response.Header.Set("WWW-Authenticate", `Bearer realm="gpubroker"`)
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusUnauthorized, Code: httpx.CodeUnauthorized,
			Message: "this endpoint needs an API key or a bearer token"})
		return nil, false
	}
	if err := httpx.CheckQuery(r, sp.query...); err != nil {
		httpx.WriteError(r.RequestCtx, err)
		return nil, false
	}
	p := accounts.Principal{UserID: id.UserID, Plan: id.Plan, Service: id.Kind == httpx.Service, Scopes: id.Scopes,
		APIKey: id.Kind == httpx.APIKey}
	return &call{p: p, r: r}, true
}

// fail renders an account-service error. Unexpected errors are logged
// (they carry store context, never secrets) and answered 503.
func (a *API) fail(r *httpx.Request, err error) {
	var (
		fe     *accounts.FieldError
		forbid *accounts.ForbiddenError
		locked *accounts.LockedError
	)
	switch {
	case errors.As(err, &fe):
		e := httpx.BadParam(fe.Field, fe.Message)
		e.Suggestions = fe.Suggestions
		httpx.WriteError(r.RequestCtx, e)
	case errors.Is(err, accounts.ErrInvalidCredentials), errors.Is(err, accounts.ErrInvalidToken):
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusUnauthorized, Code: httpx.CodeUnauthorized, Message: err.Error()})
	case errors.Is(err, accounts.ErrNoUser):
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusForbidden, Code: httpx.CodeForbidden, Message: err.Error()})
	case errors.As(err, &forbid):
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusForbidden, Code: httpx.CodeForbidden, Message: forbid.Reason})
	case errors.Is(err, accounts.ErrNotFound):
		httpx.WriteError(r.RequestCtx, httpx.NotFound("no such resource"))
	case errors.Is(err, accounts.ErrWebhookDisabled):
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusConflict, Code: httpx.CodeConflict, Message: err.Error()})
	case errors.Is(err, accounts.ErrDeliveryUnavailable):
		r.Response.Header.Set("Retry-After", "5")
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusServiceUnavailable, Code: httpx.CodeStoreUnavailable, Message: err.Error()})
	case errors.Is(err, accounts.ErrConflict):
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusConflict, Code: httpx.CodeConflict, Message: "already exists"})
	case errors.As(err, &locked):
		r.Response.Header.Set("Retry-After", strconv.FormatInt(max(httpx.CeilSeconds(locked.RetryAfter), 1), 10))
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusTooManyRequests, Code: httpx.CodeRateLimited, Message: locked.Error()})
	case errors.Is(err, accounts.ErrBusy):
		r.Response.Header.Set("Retry-After", "1")
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusServiceUnavailable, Code: httpx.CodeOverloaded, Message: err.Error()})
	case errors.Is(err, accounts.ErrOffersUnavailable):
		r.Response.Header.Set("Retry-After", "5")
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusServiceUnavailable, Code: httpx.CodeProviderUnavailable,
			Message: accounts.ErrOffersUnavailable.Error()})
	default:
		a.log.Warn("account store error", "err", err, "request_id", r.IDs.RequestID, "trace_id", r.IDs.TraceID)
		httpx.StoreUnavailable(r.RequestCtx, "the account store is unavailable; retry later")
	}
}
