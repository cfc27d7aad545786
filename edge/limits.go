package edge

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// DefaultPlanLimits are the requests per second of each plan.
var DefaultPlanLimits = map[string]int{"free": 10, "pro": 100, "enterprise": 1000}

// DefaultOpsLimit is each client's requests per window to the operational
// endpoints (/health, /metrics) unless PlanLimits has an "ops" entry. They
// have their own budget so probes and scrapers never compete with, or are
// starved by, a client's API traffic.
const DefaultOpsLimit = 100

// operational reports whether a route is a probe/scrape endpoint, limited
// by client address alone: no credential lookup on the probe path.
func operational(route string) bool { return route == "health" || route == "metrics" }

// admit identifies the caller and applies its rate limit, setting the
// RateLimit-* headers on every answer, including unknown routes and 401s.
// It reports false when it has answered the request itself (401, 429, or
// 503 when a stored API key cannot be checked).
func (s *Server) admit(rc *requestCtx, route string) bool {
	if operational(route) {
		ip := s.auth.clientIP(rc.RequestCtx)
		limit, ok := s.cfg.PlanLimits["ops"]
		if !ok {
			limit = DefaultOpsLimit
		}
		return s.charge(rc, "ops:ip:"+ip, "ops", limit)
	}
	ip := ""
	if hasCredential(rc.RequestCtx) {
		// A client whose bad credentials already used up its address's
		// budget is refused before the credential is looked up, so random
		// keys cannot flood the credential store.
		ip = s.auth.clientIP(rc.RequestCtx)
		if until, blocked := s.authFails.blocked(ip, s.now()); blocked {
			rc.identity = Identity{Kind: "anonymous", Subject: ip, Plan: "free", Key: "ip:" + ip}
			s.refuse(rc, s.planLimit("free"), until.Sub(s.now()), "free")
			return false
		}
	}
	id, err := s.auth.identify(rc.RequestCtx)
	if errors.Is(err, errAuthUnavailable) {
		s.unavailable(rc, "the credential store is unavailable; retry later")
		return false
	}
	if err != nil {
		// Failed credentials are charged to the client address's anonymous
		// budget: past it the answer becomes 429 and the address is
		// refused without lookups until the window frees up.
		rc.identity = Identity{Kind: "anonymous", Subject: ip, Plan: "free", Key: "ip:" + ip}
		if !s.charge(rc, rc.identity.Key, "free", s.planLimit("free")) {
			now := s.now()
			s.authFails.block(ip, now, now.Add(s.cfg.RateWindow))
			return false
		}
		rc.Response.Header.Set("WWW-Authenticate", `Bearer realm="gpubroker", error="invalid_token"`)
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusUnauthorized, Code: codeUnauthorized, Message: err.Error()})
		return false
	}
	rc.identity = id
	return s.charge(rc, id.Key, id.Plan, s.planLimit(id.Plan))
}

// planLimit is a plan's requests per window; an unknown plan in a token
// gets the least.
func (s *Server) planLimit(plan string) int {
	if limit, ok := s.cfg.PlanLimits[plan]; ok {
		return limit
	}
	return s.cfg.PlanLimits["free"]
}

// hasCredential reports whether the request presents any credential.
func hasCredential(ctx *fasthttp.RequestCtx) bool {
	return len(ctx.Request.Header.Peek("X-Api-Key")) > 0 || len(ctx.Request.Header.Peek("Authorization")) > 0
}

// charge takes one request from key's budget, sets the RateLimit headers
// and answers 429 itself when the budget is spent.
func (s *Server) charge(rc *requestCtx, key, plan string, limit int) bool {
	d := s.cfg.Limiter.Allow(context.Background(), key, limit)
	s.rateHeaders(rc, d.Limit, d.Remaining, d.Reset)
	if d.Allowed {
		return true
	}
	s.refuse(rc, d.Limit, d.RetryAfter, plan)
	return false
}

func (s *Server) rateHeaders(rc *requestCtx, limit, remaining int, reset time.Duration) {
	h := &rc.Response.Header
	var buf [20]byte
	h.SetBytesV("RateLimit-Limit", strconv.AppendInt(buf[:0], int64(limit), 10))
	h.SetBytesV("RateLimit-Remaining", strconv.AppendInt(buf[:0], int64(remaining), 10))
	h.SetBytesV("RateLimit-Reset", strconv.AppendInt(buf[:0], ceilSeconds(reset), 10))
	h.SetBytesV("RateLimit-Policy", append(strconv.AppendInt(buf[:0], int64(limit), 10), s.policySuffix...))
}

// refuse answers 429 with Retry-After.
func (s *Server) refuse(rc *requestCtx, limit int, retryAfter time.Duration, plan string) {
	h := &rc.Response.Header
	if len(h.Peek("RateLimit-Limit")) == 0 {
		s.rateHeaders(rc, limit, 0, retryAfter)
	}
	var buf [20]byte
	retry := max(ceilSeconds(retryAfter), 1)
	h.SetBytesV("Retry-After", strconv.AppendInt(buf[:0], retry, 10))
	writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusTooManyRequests, Code: codeRateLimited,
		Message: "rate limit of " + strconv.Itoa(limit) + " requests per " + s.cfg.RateWindow.String() + " for plan " + plan + " exceeded"})
}

// ceilSeconds rounds up, so a client waiting that long is never early.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
