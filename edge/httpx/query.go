package httpx

import (
	"slices"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// CheckQuery rejects query parameters other than allowed, repeated ones,
// and values holding control characters, so that a typo or a smuggled
// byte cannot pass silently. Handlers without parameters call it with none.
func CheckQuery(r *Request, allowed ...string) *Error {
	args := r.QueryArgs()
	if args.Len() == 0 {
		return nil
	}
	for k, v := range args.All() {
		switch {
		case !slices.Contains(allowed, string(k)):
			return UnknownParam(string(k))
		case len(args.PeekMulti(string(k))) > 1:
			return BadParam(string(k), "given more than once")
		case HasControl(string(v)):
			return BadParam(string(k), "must not contain control characters")
		}
	}
	return nil
}

// UnknownParam is the 400 for a query parameter the route does not read.
func UnknownParam(name string) *Error {
	return &Error{Status: fasthttp.StatusBadRequest, Code: CodeUnknownParameter, Field: name,
		Message: "unknown query parameter " + strconv.Quote(name)}
}

// ResourceID reports whether a path segment can be a row id: the account
// service makes UUIDs, so anything else cannot exist and is not routed.
func ResourceID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// CeilSeconds rounds up to whole seconds (0 for none), so a client waiting
// that long is never early.
func CeilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}
