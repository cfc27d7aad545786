package edge

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/shared"
)

// fakeSource serves canned offers per provider. Unit tests only: the
// integration tests in package cells go through real NATS and workers.
type fakeSource struct {
	offers map[string][]shared.Offer
	errs   map[string]error
	delay  map[string]time.Duration
	calls  atomic.Int64
}

func (f *fakeSource) Fetch(ctx context.Context, p string, _ RequestIDs) (ProviderOffers, error) {
	f.calls.Add(1)
	if d := f.delay[p]; d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ProviderOffers{}, &FetchError{Provider: p, Kind: shared.ErrKindTimeout, Message: "deadline"}
		}
	}
	if err := f.errs[p]; err != nil {
		return ProviderOffers{}, err
	}
	// Hand out a copy, as a real source decodes fresh offers per call.
	out := make([]shared.Offer, len(f.offers[p]))
	copy(out, f.offers[p])
	return ProviderOffers{Offers: out, FetchedAt: time.Now()}, nil
}

func (f *fakeSource) Healthy() bool { return true }

var testProviders = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}

var gpuNames = []struct {
	name string
	mem  float64
}{
	{"H100 SXM", 80}, {"H100 PCIe", 80}, {"H100 NVL", 94}, {"A100 SXM4", 40}, {"A100 SXM4", 80},
	{"A100 PCIe", 80}, {"A10", 24}, {"L40S", 48}, {"RTX 4090", 24}, {"MI300X", 192}, {"T4", 16},
	{"Acme Tensor X9", 40},
}

var testRegions = []struct{ raw, country, sub string }{
	{"us-east-1", "US", "VA"}, {"us-west-2", "US", "OR"}, {"eu-central-1", "DE", ""},
	{"eu-west-1", "IE", ""}, {"ap-northeast-1", "JP", ""}, {"tx-1", "US", "TX"}, {"sa-east-1", "BR", ""},
}

var testTags = []string{"soc2", "hipaa", "iso27001", "gdpr"}

// randomOffer builds a valid offer for provider p.
func randomOffer(r *rand.Rand, p string, n int) shared.Offer {
	g := gpuNames[r.IntN(len(gpuNames))]
	reg := testRegions[r.IntN(len(testRegions))]
	counts := []float64{0.5, 1, 1, 2, 4, 8}
	o := shared.Offer{
		ID: shared.OfferID(p, fmt.Sprintf("i%d", n)), Provider: p, InstanceType: fmt.Sprintf("type-%d", r.IntN(20)),
		VCPUs: float64(4 + r.IntN(200)), RAMGB: float64(16 + r.IntN(2000)), DiskGB: 100,
		Currency: "USD", FetchedAt: time.Now().UTC(), Source: "test",
		Availability:   []shared.Availability{shared.Available, shared.Limited, shared.Unavailable}[r.IntN(3)],
		ComplianceTags: []string{},
	}
	for _, t := range testTags {
		if r.IntN(2) == 0 {
			o.ComplianceTags = append(o.ComplianceTags, t)
		}
	}
	o.SetGPU(g.name, g.mem, counts[r.IntN(len(counts))])
	o.SetPrices(0.1+r.Float64()*40, 0)
	o.SetLocation(reg.raw, shared.Locate(reg.country, reg.sub))
	return o
}

func newFakeSource(seed uint64, perProvider int) *fakeSource {
	r := rand.New(rand.NewPCG(seed, 1))
	f := &fakeSource{offers: map[string][]shared.Offer{}, errs: map[string]error{}, delay: map[string]time.Duration{}}
	n := 0
	for _, p := range testProviders {
		for i := 0; i < perProvider; i++ {
			f.offers[p] = append(f.offers[p], randomOffer(r, p, n))
			n++
		}
	}
	return f
}

func newTestServer(t testing.TB, src OfferSource) *Server {
	t.Helper()
	s, err := New(Config{Cell: "test", Providers: testProviders, Source: src,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RequestTimeout: 2 * time.Second,
		// Unit tests make many anonymous requests; rate limits have their own tests.
		PlanLimits: map[string]int{"free": 1 << 30}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do runs one request through the handler without a network.
func do(s *Server, method, uri string, body []byte) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	if body != nil {
		ctx.Request.SetBody(body)
	}
	s.handle(&ctx)
	resp := &fasthttp.Response{}
	ctx.Response.CopyTo(resp)
	return resp
}

func (f *fakeSource) Replicas(string) []ReplicaStatus { return nil }

// Decoding shapes of the JSON answers, for assertions.
type pageJSON struct {
	Items      []*shared.Offer `json:"items"`
	Total      int             `json:"total"`
	PerPage    int             `json:"per_page"`
	Sort       string          `json:"sort"`
	NextCursor *string         `json:"next_cursor"`
}

type searchResponse struct {
	pageJSON
	Warnings    []Warning        `json:"warnings"`
	Sources     []providerResult `json:"sources"`
	GeneratedAt time.Time        `json:"generated_at"`
}

type bulkResponse struct {
	Results  []pageJSON       `json:"results"`
	Warnings []Warning        `json:"warnings"`
	Sources  []providerResult `json:"sources"`
}
