package edge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
)

// handle is the fasthttp entry point: ids, routing, admission, scope,
// panic safety net, metrics and the access log.
func (s *Server) handle(fctx *fasthttp.RequestCtx) {
	r := &httpx.Request{RequestCtx: fctx, Start: time.Now(), Timeout: s.cfg.RequestTimeout, IDs: shared.RequestIDs{
		RequestID: requestID(fctx.Request.Header.Peek("X-Request-Id")),
		TraceID:   traceID(fctx.Request.Header.Peek("Traceparent")),
	}}
	fctx.Response.Header.Set("X-Request-Id", r.IDs.RequestID)

	method, path := string(fctx.Method()), string(fctx.Path())
	rt, name, rerr := s.routes.resolve(method, path, r)
	var stream *httpx.Stream
	defer func() {
		if p := recover(); p != nil {
			// A panic is a bug; answer 500 rather than drop the connection.
			s.log.Error("handler panic", "panic", p, "path", path, "request_id", r.IDs.RequestID, "trace_id", r.IDs.TraceID)
			fctx.Response.Reset()
			fctx.Response.Header.Set("X-Request-Id", r.IDs.RequestID)
			httpx.WriteError(fctx, &httpx.Error{Status: fasthttp.StatusInternalServerError, Code: httpx.CodeInternal, Message: "internal error"})
		}
		status := fctx.Response.StatusCode()
		if stream != nil && stream.IsOpen() {
			// Counted now, timed and logged when the stream ends.
			s.m.request(name, method, status, 0)
			s.streamReturned(stream, requestLine{method: method, path: path, route: name, status: status, r: r})
			return
		}
		took := time.Since(r.Start)
		s.m.request(name, method, status, took)
		if s.cfg.AccessLog || status >= 500 {
			s.accessLog(requestLine{method: method, path: path, route: name, status: status, r: r}, took)
		}
	}()
	if !s.admit(r, rt) {
		return
	}
	if rerr != nil {
		if rerr.Status == fasthttp.StatusMethodNotAllowed {
			fctx.Response.Header.Set("Allow", rerr.Field)
			rerr.Field = ""
		}
		httpx.WriteError(fctx, rerr)
		return
	}
	if !permitted(r, rt.Scope) {
		return
	}
	if rt.Stream != nil {
		stream = s.newStream(name)
		rt.Stream(r, stream)
		return
	}
	rt.Handler(r)
}

// requestLine is what the access log says of a request; it is copied out
// of the request context, which a stream outlives.
type requestLine struct {
	method, path, route string
	status              int
	r                   *httpx.Request
	ids                 shared.RequestIDs
	remote              string
	id                  httpx.Identity
}

func (s *Server) accessLog(l requestLine, took time.Duration, extra ...slog.Attr) {
	if l.r != nil {
		l.ids, l.remote, l.id = l.r.IDs, l.r.RemoteIP().String(), l.r.Identity
	}
	attrs := append([]slog.Attr{slog.String("request_id", l.ids.RequestID), slog.String("trace_id", l.ids.TraceID),
		slog.String("method", l.method), slog.String("path", l.path), slog.String("route", l.route),
		slog.Int("status", l.status), slog.Float64("duration_ms", float64(took.Microseconds())/1000),
		slog.String("remote", l.remote), slog.String("auth", l.id.Kind.String()),
		slog.String("subject", l.id.Subject), slog.String("plan", l.id.Plan)}, extra...)
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
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
