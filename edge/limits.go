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

// limited reports whether a route counts against the caller's plan.
// Operational endpoints stay reachable for probes and scrapers.
func limited(route string) bool {
	switch route {
	case "health", "metrics", "not_found":
		return false
	}
	return true
}

// admit identifies the caller and applies its plan's rate limit, setting
// the RateLimit-* headers on every answer. It reports false when it has
// answered the request itself (401, 429, or 503 when a stored API key
// cannot be checked).
func (s *Server) admit(rc *requestCtx) bool {
	id, err := s.auth.identify(rc.RequestCtx)
	if errors.Is(err, errAuthUnavailable) {
		s.unavailable(rc, "the credential store is unavailable; retry later")
		return false
	}
	if err != nil {
		rc.Response.Header.Set("WWW-Authenticate", `Bearer realm="gpubroker", error="invalid_token"`)
		writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusUnauthorized, Code: codeUnauthorized, Message: err.Error()})
		return false
	}
	rc.identity = id
	limit, ok := s.cfg.PlanLimits[id.Plan]
	if !ok {
		limit = s.cfg.PlanLimits["free"] // an unknown plan in a token gets the least
	}
	d := s.cfg.Limiter.Allow(context.Background(), id.Key, limit)
	h := &rc.Response.Header
	var buf [20]byte
	h.SetBytesV("RateLimit-Limit", strconv.AppendInt(buf[:0], int64(d.Limit), 10))
	h.SetBytesV("RateLimit-Remaining", strconv.AppendInt(buf[:0], int64(d.Remaining), 10))
	h.SetBytesV("RateLimit-Reset", strconv.AppendInt(buf[:0], ceilSeconds(d.Reset), 10))
	h.SetBytesV("RateLimit-Policy", append(strconv.AppendInt(buf[:0], int64(d.Limit), 10), s.policySuffix...))
	if d.Allowed {
		return true
	}
	retry := max(ceilSeconds(d.RetryAfter), 1)
	h.SetBytesV("Retry-After", strconv.AppendInt(buf[:0], retry, 10))
	writeError(rc.RequestCtx, &apiError{Status: fasthttp.StatusTooManyRequests, Code: codeRateLimited,
		Message: "rate limit of " + strconv.Itoa(d.Limit) + " requests per " + s.cfg.RateWindow.String() + " for plan " + id.Plan + " exceeded"})
	return false
}

// ceilSeconds rounds up, so a client waiting that long is never early.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
