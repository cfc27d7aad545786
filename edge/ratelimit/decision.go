package ratelimit

import "time"

// Decision is the answer to one request.
type Decision struct {
	Allowed bool
	// Limit is the limit the request was judged against.
	Limit int
	// Remaining is how many more requests would be admitted now.
	Remaining int
	// Reset is the time until a permit frees up (RateLimit-Reset).
	Reset time.Duration
	// RetryAfter is > 0 only when denied: the time until a permit frees up.
	RetryAfter time.Duration
}

func allow(limit, remaining, reset int64) Decision {
	return Decision{
		Allowed:   true,
		Limit:     int(limit),
		Remaining: int(max(0, remaining)),
		Reset:     time.Duration(max(0, reset)),
	}
}

func deny(limit, retry int64) Decision {
	return Decision{Limit: int(limit), Reset: time.Duration(retry), RetryAfter: time.Duration(retry)}
}
