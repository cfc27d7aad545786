package edge

import (
	"strconv"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkListComputed measures the list endpoint when the answer is not in
// the response cache but every provider's snapshot is (the path after a
// snapshot refresh): parse the query string, filter, sort and page 600 offers
// from 6 providers, encode. Each iteration asks a different URI.
func BenchmarkListComputed(b *testing.B) {
	s := newTestServer(b, newFakeSource(12, 100))
	for _, bc := range []struct{ name, uri string }{
		{"all", "/api/v2/providers?per_page=20&max_price="},
		{"gpu_price", "/api/v2/providers?gpu=H100&sort=-price_per_gpu&per_page=50&max_price="},
		{"region_avail", "/api/v2/providers?region=us&min_availability=limited&per_page=100&max_price="},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.SetRequestURI(bc.uri + "1000" + strconv.Itoa(i))
				ctx.Request.Header.SetMethod("GET")
				s.handle(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatal(ctx.Response.StatusCode())
				}
			}
		})
	}
}

// BenchmarkListCached measures a repeated request: identity, rate limit,
// response-cache lookup with snapshot checks, and the pre-encoded bytes.
func BenchmarkListCached(b *testing.B) {
	s := newTestServer(b, newFakeSource(12, 100))
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.SetRequestURI("/api/v2/providers?gpu=A100")
		ctx.Request.Header.SetMethod("GET")
		s.handle(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatal(ctx.Response.StatusCode())
		}
	}
}

// BenchmarkSearch isolates filter + sort + page over a 600-offer view.
func BenchmarkSearch(b *testing.B) {
	v := randomView(13, 600)
	q, err := parseQS("gpu=H100&max_price=40&sort=-price_per_gpu&per_page=50")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		v.search(&q)
	}
}
