// Package httpxtest drives an edge handler without a network, for the
// tests of the edge core and its feature packages.
package httpxtest

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
)

// Request is one request to send.
type Request struct {
	Method, URI string
	Body        []byte
	Header      map[string]string
	Remote      string // "ip:port" of the client; empty: 0.0.0.0
}

// Do runs r through h and returns a copy of the answer.
func Do(h fasthttp.RequestHandler, r Request) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	if r.Remote != "" {
		addr, _ := net.ResolveTCPAddr("tcp", r.Remote)
		ctx.Init(&fasthttp.Request{}, addr, nil)
	}
	if r.Method != "" {
		ctx.Request.Header.SetMethod(r.Method)
	}
	ctx.Request.SetRequestURI(r.URI)
	for k, v := range r.Header {
		ctx.Request.Header.Set(k, v)
	}
	if r.Body != nil {
		ctx.Request.SetBody(r.Body)
	}
	h(&ctx)
	resp := &fasthttp.Response{}
	ctx.Response.CopyTo(resp)
	return resp
}

// ErrBody is the JSON error answer.
type ErrBody struct {
	Error httpx.Error
}

// Decode checks the answer is JSON and decodes it into v.
func Decode(t testing.TB, r *fasthttp.Response, v any) {
	t.Helper()
	if ct := string(r.Header.ContentType()); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
	if err := json.Unmarshal(r.Body(), v); err != nil {
		t.Fatalf("decoding %s: %v", r.Body(), err)
	}
}
