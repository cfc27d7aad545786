package edge

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkList measures the list endpoint's own work for a catalog of 600
// offers from 6 providers: decode the query string, merge, filter, sort,
// page and encode. The offer source is in-memory so NATS is not measured.
func BenchmarkList(b *testing.B) {
	s := newTestServer(b, newFakeSource(12, 100))
	for _, bc := range []struct{ name, uri string }{
		{"all", "/api/v2/providers?per_page=20"},
		{"gpu_price", "/api/v2/providers?gpu=H100&max_price=40&sort=-price_per_gpu&per_page=50"},
		{"region_avail", "/api/v2/providers?region=us&min_availability=limited&per_page=100"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			b.ReportAllocs()
			for b.Loop() {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.SetRequestURI(bc.uri)
				ctx.Request.Header.SetMethod("GET")
				s.handle(&ctx)
				if ctx.Response.StatusCode() != 200 {
					b.Fatal(ctx.Response.StatusCode())
				}
			}
		})
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
