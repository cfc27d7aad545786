package board

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/edge/httpx/httpxtest"
)

// The page and its assets are served from the binary with their types and
// a strict CSP; nothing is loaded from another origin (it works offline).
func TestAssets(t *testing.T) {
	b := New()
	do := func(rt httpx.Route, uri string) *fasthttp.Response {
		return httpxtest.Do(func(ctx *fasthttp.RequestCtx) { rt.Handler(&httpx.Request{RequestCtx: ctx}) }, httpxtest.Request{Method: "GET", URI: uri})
	}
	for _, rt := range b.Routes() {
		resp := do(rt, rt.Path)
		ct := string(resp.Header.ContentType())
		body := string(resp.Body())
		if resp.StatusCode() != 200 || len(body) == 0 {
			t.Fatalf("%s: %d, %d bytes", rt.Path, resp.StatusCode(), len(body))
		}
		want := map[string]string{"/board": "text/html", "/board/board.js": "text/javascript", "/board/board.css": "text/css"}[rt.Path]
		if !strings.HasPrefix(ct, want) {
			t.Errorf("%s: content type %q", rt.Path, ct)
		}
		if csp := string(resp.Header.Peek("Content-Security-Policy")); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: CSP %q", rt.Path, csp)
		}
		for _, ext := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(body, ext) {
				t.Errorf("%s refers to another origin (%q)", rt.Path, ext)
			}
		}
	}
	if resp := do(b.Routes()[0], "/board?x=1"); resp.StatusCode() != 400 {
		t.Errorf("unknown query parameter: %d", resp.StatusCode())
	}
}
