package edge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/valyala/fasthttp"
)

// requestCtx carries one request through the handlers.
type requestCtx struct {
	*fasthttp.RequestCtx
	ids      RequestIDs
	identity Identity
	start    time.Time
}

// handle is the fasthttp entry point: ids, routing, panic safety net,
// metrics and the access log.
func (s *Server) handle(fctx *fasthttp.RequestCtx) {
	rc := &requestCtx{RequestCtx: fctx, start: time.Now(), ids: RequestIDs{
		RequestID: requestID(fctx.Request.Header.Peek("X-Request-Id")),
		TraceID:   traceID(fctx.Request.Header.Peek("Traceparent")),
	}}
	fctx.Response.Header.Set("X-Request-Id", rc.ids.RequestID)

	method, path := string(fctx.Method()), string(fctx.Path())
	rt, rerr := s.resolve(method, path)
	defer func() {
		if p := recover(); p != nil {
			// A panic is a bug; answer 500 rather than drop the connection.
			s.log.Error("handler panic", "panic", p, "path", path, "request_id", rc.ids.RequestID, "trace_id", rc.ids.TraceID)
			fctx.Response.Reset()
			fctx.Response.Header.Set("X-Request-Id", rc.ids.RequestID)
			writeError(fctx, &apiError{Status: fasthttp.StatusInternalServerError, Code: codeInternal, Message: "internal error"})
		}
		status := fctx.Response.StatusCode()
		took := time.Since(rc.start)
		s.m.request(rt.name, method, status, took)
		if s.cfg.AccessLog || status >= 500 {
			s.log.LogAttrs(context.Background(), slog.LevelInfo, "request",
				slog.String("request_id", rc.ids.RequestID), slog.String("trace_id", rc.ids.TraceID),
				slog.String("method", method), slog.String("path", path), slog.String("route", rt.name),
				slog.Int("status", status), slog.Float64("duration_ms", float64(took.Microseconds())/1000),
				slog.String("remote", fctx.RemoteIP().String()), slog.String("auth", rc.identity.Kind),
				slog.String("subject", rc.identity.Subject), slog.String("plan", rc.identity.Plan))
		}
	}()
	if rerr != nil {
		if !s.admit(rc, "") {
			return
		}
		if rerr.Status == fasthttp.StatusMethodNotAllowed {
			fctx.Response.Header.Set("Allow", rerr.Field)
			rerr.Field = ""
		}
		writeError(fctx, rerr)
		return
	}
	if !s.admit(rc, rt.name) {
		return
	}
	rt.handler(rc)
}

// deadline returns a context bounded by the request timeout.
func (s *Server) deadline(rc *requestCtx) (context.Context, context.CancelFunc) {
	return context.WithDeadline(context.Background(), rc.start.Add(s.cfg.RequestTimeout))
}

// requestID accepts a client-supplied X-Request-Id when it is short and
// printable, so ids can be correlated end to end; otherwise makes one.
func requestID(given []byte) string {
	if n := len(given); n > 0 && n <= 128 {
		ok := true
		for _, c := range given {
			if c < 0x21 || c > 0x7e {
				ok = false
				break
			}
		}
		if ok {
			return string(given)
		}
	}
	return randomHex(16)
}

// traceID takes the trace id of a W3C traceparent header
// ("00-<32 hex>-<16 hex>-<2 hex>"), or starts a new trace.
func traceID(tp []byte) string {
	if len(tp) == 55 && tp[2] == '-' && tp[35] == '-' {
		id := tp[3:35]
		if isLowerHex(id) && string(id) != "00000000000000000000000000000000" {
			return string(id)
		}
	}
	return randomHex(32)
}

func isLowerHex(b []byte) bool {
	for _, c := range b {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
