package edge

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/edge/identity"
)

// DefaultPlanLimits are the requests per second of each plan.
var DefaultPlanLimits = map[string]int{"free": 10, "pro": 100, "enterprise": 1000}

// DefaultOpsLimit is each client's requests per window to the operational
// endpoints (/health, /metrics) unless PlanLimits has an "ops" entry. They
// have their own budget so probes and scrapers never compete with, or are
// starved by, a client's API traffic.
const DefaultOpsLimit = 100

// admit identifies the caller and applies its rate limit, setting the
// RateLimit-* headers on every answer, including unknown routes and 401s.
// rt is nil for a request no route takes (charged like any other). It
// reports false when it has answered the request itself (401, 429, or 503
// when a stored API key cannot be checked).
func (s *Server) admit(r *httpx.Request, rt *httpx.Route) bool {
	r.ClientIP = s.id.ClientIP(r.RequestCtx)
	if rt != nil && rt.Ops {
		// Probes are limited by address alone: no credential lookup.
		limit, ok := s.cfg.PlanLimits["ops"]
		if !ok {
			limit = DefaultOpsLimit
		}
		return s.charge(r, "ops:ip:"+r.ClientIP, "ops", limit)
	}
	if rt != nil && rt.QueryToken {
		queryCredential(r.RequestCtx)
	}
	if identity.PresentsCredential(r.RequestCtx) {
		// A client whose bad credentials already used up its address's
		// budget is refused before the credential is looked up, so random
		// keys cannot flood the account store.
		if until, blocked := s.authFails.blocked(r.ClientIP, s.now()); blocked {
			r.Identity = httpx.AnonymousFrom(r.ClientIP)
			s.refuse(r, s.planLimit("free"), until.Sub(s.now()), "free")
			return false
		}
	}
	id, err := s.id.Identify(r.RequestCtx, r.ClientIP)
	if errors.Is(err, identity.ErrStoreUnavailable) {
		httpx.StoreUnavailable(r.RequestCtx, err.Error()+"; retry later")
		return false
	}
	if err != nil {
		// Failed credentials are charged to the client address's anonymous
		// budget: past it the answer becomes 429 and the address is
		// refused without lookups until the window frees up.
		r.Identity = httpx.AnonymousFrom(r.ClientIP)
		if !s.charge(r, r.Identity.Key, "free", s.planLimit("free")) {
			now := s.now()
			s.authFails.block(r.ClientIP, now, now.Add(s.cfg.RateWindow))
			return false
		}
		r.Response.Header.Set("WWW-Authenticate", `Bearer realm="gpubroker", error="invalid_token"`)
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusUnauthorized, Code: httpx.CodeUnauthorized, Message: err.Error()})
		return false
	}
	r.Identity = id
	return s.charge(r, id.Key, id.Plan, s.planLimit(id.Plan))
}

// queryCredential moves a ?token= credential into the header it stands
// for, unless the request already has one, so identification is the same
// code for both. A JWT has three dot-separated parts; an API key has none.
func queryCredential(ctx *fasthttp.RequestCtx) {
	tok := ctx.QueryArgs().Peek("token")
	if len(tok) == 0 || identity.PresentsCredential(ctx) {
		return
	}
	if bytes.Count(tok, []byte(".")) == 2 {
		ctx.Request.Header.Set("Authorization", "Bearer "+string(tok))
	} else {
		ctx.Request.Header.SetBytesV("X-Api-Key", tok)
	}
}

// permitted applies a route's scope: users (their tokens and API keys hold
// every scope) pass; service tokens pass when they hold the scope, and get
// 403 naming it otherwise. It runs after admit, so the identity is known.
func permitted(r *httpx.Request, scope string) bool {
	id := r.Identity
	if scope == "" || id.Kind != httpx.Service || scope != httpx.ScopeUserOnly && slices.Contains(id.Scopes, scope) {
		return true
	}
	if scope == httpx.ScopeUserOnly {
		httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusForbidden, Code: httpx.CodeForbidden,
			Message: "service tokens cannot manage credentials"})
		return false
	}
	r.Response.Header.Set("WWW-Authenticate", `Bearer realm="gpubroker", error="insufficient_scope", scope="`+scope+`"`)
	httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusForbidden, Code: httpx.CodeInsufficientScope,
		Message: "this service token lacks the " + scope + " scope"})
	return false
}

// planLimit is a plan's requests per window; an unknown plan in a token
// gets the least.
func (s *Server) planLimit(plan string) int {
	if limit, ok := s.cfg.PlanLimits[plan]; ok {
		return limit
	}
	return s.cfg.PlanLimits["free"]
}

// charge takes one request from key's budget, sets the RateLimit headers
// and answers 429 itself when the budget is spent.
func (s *Server) charge(r *httpx.Request, key, plan string, limit int) bool {
	d := s.cfg.Limiter.Allow(context.Background(), key, limit)
	s.rateHeaders(r, d.Limit, d.Remaining, d.Reset)
	if d.Allowed {
		return true
	}
	s.refuse(r, d.Limit, d.RetryAfter, plan)
	return false
}

func (s *Server) rateHeaders(r *httpx.Request, limit, remaining int, reset time.Duration) {
	h := &r.Response.Header
	var buf [20]byte
	h.SetBytesV("RateLimit-Limit", strconv.AppendInt(buf[:0], int64(limit), 10))
	h.SetBytesV("RateLimit-Remaining", strconv.AppendInt(buf[:0], int64(remaining), 10))
	h.SetBytesV("RateLimit-Reset", strconv.AppendInt(buf[:0], httpx.CeilSeconds(reset), 10))
	h.SetBytesV("RateLimit-Policy", append(strconv.AppendInt(buf[:0], int64(limit), 10), s.policySuffix...))
}

// refuse answers 429 with Retry-After.
func (s *Server) refuse(r *httpx.Request, limit int, retryAfter time.Duration, plan string) {
	h := &r.Response.Header
	if len(h.Peek("RateLimit-Limit")) == 0 {
		s.rateHeaders(r, limit, 0, retryAfter)
	}
	var buf [20]byte
	retry := max(httpx.CeilSeconds(retryAfter), 1)
	h.SetBytesV("Retry-After", strconv.AppendInt(buf[:0], retry, 10))
	httpx.WriteError(r.RequestCtx, &httpx.Error{Status: fasthttp.StatusTooManyRequests, Code: httpx.CodeRateLimited,
		Message: "rate limit of " + strconv.Itoa(limit) + " requests per " + s.cfg.RateWindow.String() + " for plan " + plan + " exceeded"})
}
