package search

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/client"
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
				benchGet(b, s, &ctx, bc.uri+"1000"+strconv.Itoa(i))
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
		benchGet(b, s, &ctx, "/api/v2/providers?gpu=A100")
	}
}

// benchGet serves GET uri through s on a reused request context and fails
// the benchmark on anything but 200.
func benchGet(b *testing.B, s *testServer, ctx *fasthttp.RequestCtx, uri string) {
	ctx.Request.Reset()
	ctx.Response.Reset()
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetMethod("GET")
	s.handle(ctx)
	if ctx.Response.StatusCode() != 200 {
		b.Fatal(ctx.Response.StatusCode(), string(ctx.Response.Body()))
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

// wireSource answers like the NATS source: each provider's offers arrive as
// the JSON a worker sends and are decoded on every fetch.
type wireSource struct{ wire map[string][]byte }

func (w wireSource) Fetch(_ context.Context, provider string, _ shared.RequestIDs) (client.ProviderOffers, error) {
	var offers []shared.Offer
	if err := json.Unmarshal(w.wire[provider], &offers); err != nil {
		return client.ProviderOffers{}, err
	}
	return client.ProviderOffers{Offers: offers, FetchedAt: time.Now()}, nil
}
func (wireSource) Healthy() bool                          { return true }
func (wireSource) Replicas(string) []client.ReplicaStatus { return nil }

// BenchmarkListFromWire is the whole uncached list path with no network:
// decode six providers' replies (100 offers each), build their snapshots,
// filter, sort, page and encode.
func BenchmarkListFromWire(b *testing.B) {
	fake := newFakeSource(14, 100)
	src := wireSource{wire: map[string][]byte{}}
	for p, offers := range fake.Offers {
		raw, err := json.Marshal(offers)
		if err != nil {
			b.Fatal(err)
		}
		src.wire[p] = raw
	}
	s := newServer(b, Config{Providers: testProviders, Source: src, Cache: CacheConfig{Disabled: true}}, edge.Config{})
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	for b.Loop() {
		benchGet(b, s, &ctx, "/api/v2/providers?gpu=H100&sort=-price_per_gpu&per_page=50")
	}
}
