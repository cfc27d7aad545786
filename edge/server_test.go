package edge

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

func TestRoutingErrors(t *testing.T) {
	s := newTestServer(t, Config{})
	tests := []struct {
		method, path string
		status       int
		code, allow  string
	}{
		{"GET", "/nope", 404, httpx.CodeNotFound, ""},
		{"GET", "/api/v2/providers/query", 405, httpx.CodeMethodNotAllowed, "POST"},
		{"DELETE", "/api/v2/providers", 405, httpx.CodeMethodNotAllowed, "GET"},
		{"POST", "/health", 405, httpx.CodeMethodNotAllowed, "GET"},
		{"GET", "/api/v2/providers?provider=zulu", 400, httpx.CodeInvalidParameter, ""},
		{"POST", "/api/v2/providers/query", 400, httpx.CodeInvalidBody, ""},
	}
	for _, tc := range tests {
		r := do(s, tc.method, tc.path, nil)
		var e errBody
		decode(t, r, &e)
		if r.StatusCode() != tc.status || e.Error.Code != tc.code || string(r.Header.Peek("Allow")) != tc.allow {
			t.Errorf("%s %s: %d %s allow=%q", tc.method, tc.path, r.StatusCode(), e.Error.Code, r.Header.Peek("Allow"))
		}
	}
}

func TestRequestIDs(t *testing.T) {
	s := newTestServer(t, Config{})
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/health")
	ctx.Request.Header.Set("X-Request-Id", "client-id-42")
	ctx.Request.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	s.handle(&ctx)
	if got := string(ctx.Response.Header.Peek("X-Request-Id")); got != "client-id-42" {
		t.Fatalf("request id %q not echoed", got)
	}
	if traceID([]byte("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")) != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatal("traceparent not parsed")
	}
	if id := requestID([]byte("bad id\n")); id == "bad id\n" || len(id) != 16 {
		t.Fatalf("unsafe request id kept: %q", id)
	}
}

// A stop that lands the moment serving starts (SIGTERM right after the
// ready line) must still end Serve: fasthttp's Shutdown alone misses a
// listener its Serve has not registered yet.
func TestServeStopsWhenCancelledAtOnce(t *testing.T) {
	for i := 0; i < 50; i++ {
		s := newTestServer(t, Config{})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx, ln, time.Second) }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("run %d: Serve still running 10 s after its context was cancelled", i)
		}
	}
}

// Oversized bodies are refused by fasthttp before the handler runs; the
// answer must still be the JSON error shape.
func TestBodyTooLarge(t *testing.T) {
	s := newTestServer(t, Config{MaxBodyBytes: 1024, PlanLimits: DefaultPlanLimits})
	ln := fasthttputil.NewInmemoryListener()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, time.Second) }()
	defer func() { cancel(); <-done }()
	conn, err := ln.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Only the headers are sent: the answer must come from Content-Length
	// alone, before any body is read.
	fmt.Fprintf(conn, "POST /api/v2/providers/query HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 4096)
	var resp fasthttp.Response
	if err := resp.Read(bufio.NewReader(conn)); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatal(err)
	}
	var e errBody
	decode(t, &resp, &e)
	if resp.StatusCode() != 413 || e.Error.Code != httpx.CodeBodyTooLarge {
		t.Fatalf("status %d code %s", resp.StatusCode(), e.Error.Code)
	}
}

// An overlong request line is 414, overlong headers 431; both in the JSON
// error shape.
func TestOversizedRequestHeads(t *testing.T) {
	s := newTestServer(t, Config{})
	addr := strings.TrimPrefix(serve(t, s), "http://")
	for _, tc := range []struct {
		name, head string
		status     int
	}{
		{"long URL", "GET /api/v2/providers?gpu=" + strings.Repeat("a", 5000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
		{"long header", "GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("b", 5000) + "\r\n\r\n", 431},
		{"long header on /", "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + strings.Repeat("b", 5000) + "\r\n\r\n", 431},
		{"many headers", "GET /health HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-Pad: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n", 200) + "\r\n", 431},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(conn, tc.head)
		var resp fasthttp.Response
		err = resp.Read(bufio.NewReader(conn))
		conn.Close()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if resp.StatusCode() != tc.status || !strings.Contains(string(resp.Body()), `"error"`) {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode(), resp.Body())
		}
	}
}
