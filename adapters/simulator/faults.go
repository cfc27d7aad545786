package simulator

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Fault is the misbehaviour injected into one provider's API. Rates are
// fractions of requests in [0,1]; they are rolled in the order timeout,
// rate limit, error, so their sum should not exceed 1.
type Fault struct {
	LatencyMS     int     `json:"latency_ms,omitempty"`      // added to every request
	JitterMS      int     `json:"jitter_ms,omitempty"`       // uniform extra latency
	TimeoutRate   float64 `json:"timeout_rate,omitempty"`    // requests that hang until the client gives up
	RateLimitRate float64 `json:"rate_limit_rate,omitempty"` // requests answered 429
	ErrorRate     float64 `json:"error_rate,omitempty"`      // requests answered 500
	RetryAfterS   int     `json:"retry_after_s,omitempty"`   // Retry-After on 429s (default 1)
}

func (f Fault) valid() bool {
	ok := func(x float64) bool { return x >= 0 && x <= 1 }
	return f.LatencyMS >= 0 && f.JitterMS >= 0 && f.RetryAfterS >= 0 &&
		ok(f.TimeoutRate) && ok(f.RateLimitRate) && ok(f.ErrorRate) &&
		f.TimeoutRate+f.RateLimitRate+f.ErrorRate <= 1
}

// maxHang bounds a simulated timeout so a forgotten client cannot pin a
// goroutine forever.
const maxHang = 2 * time.Minute

// inject applies f to one request; it returns true when it has answered
// the request itself and the provider handler must not run.
func inject(f Fault, r *rand.Rand, w http.ResponseWriter, req *http.Request) bool {
	delay := time.Duration(f.LatencyMS) * time.Millisecond
	if f.JitterMS > 0 {
		delay += time.Duration(r.IntN(f.JitterMS+1)) * time.Millisecond
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
			return true
		}
	}
	x := r.Float64()
	switch {
	case x < f.TimeoutRate:
		t := time.NewTimer(maxHang)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
		return true
	case x < f.TimeoutRate+f.RateLimitRate:
		ra := f.RetryAfterS
		if ra == 0 {
			ra = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": "rate limit exceeded (simulated)"})
		return true
	case x < f.TimeoutRate+f.RateLimitRate+f.ErrorRate:
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "internal error (simulated)"})
		return true
	}
	return false
}
