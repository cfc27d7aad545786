// Package clienttest is a fake client.Source with seeded random offers,
// shared by the tests of the packages that search offers.
package clienttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/client"
)

// Source serves canned offers per provider, for unit tests: the
// integration tests in package cells go through real NATS and workers.
type Source struct {
	Offers map[string][]shared.Offer
	Errs   map[string]error
	Delay  map[string]time.Duration
	Calls  atomic.Int64 // Fetch calls
}

func (f *Source) Fetch(ctx context.Context, p string, _ shared.RequestIDs) (client.ProviderOffers, error) {
	f.Calls.Add(1)
	if d := f.Delay[p]; d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return client.ProviderOffers{}, &client.FetchError{Provider: p, Kind: shared.ErrKindTimeout, Message: "deadline"}
		}
	}
	if err := f.Errs[p]; err != nil {
		return client.ProviderOffers{}, err
	}
	// Hand out a copy, as a real source decodes fresh offers per call.
	out := make([]shared.Offer, len(f.Offers[p]))
	copy(out, f.Offers[p])
	return client.ProviderOffers{Offers: out, FetchedAt: time.Now()}, nil
}

func (f *Source) Healthy() bool { return true }

// Providers are the fake providers NewSource serves.
var Providers = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}

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

// Tags are the compliance tags RandomOffer draws from.
var Tags = []string{"soc2", "hipaa", "iso27001", "gdpr"}

// RandomOffer builds a valid offer for provider p.
func RandomOffer(r *rand.Rand, p string, n int) shared.Offer {
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
	for _, t := range Tags {
		if r.IntN(2) == 0 {
			o.ComplianceTags = append(o.ComplianceTags, t)
		}
	}
	o.SetGPU(g.name, g.mem, counts[r.IntN(len(counts))])
	o.SetPrices(0.1+r.Float64()*40, 0)
	o.SetLocation(reg.raw, shared.Locate(reg.country, reg.sub))
	return o
}

// NewSource has perProvider random offers for each of Providers, from seed.
func NewSource(seed uint64, perProvider int) *Source {
	r := rand.New(rand.NewPCG(seed, 1))
	f := &Source{Offers: map[string][]shared.Offer{}, Errs: map[string]error{}, Delay: map[string]time.Duration{}}
	n := 0
	for _, p := range Providers {
		for i := 0; i < perProvider; i++ {
			f.Offers[p] = append(f.Offers[p], RandomOffer(r, p, n))
			n++
		}
	}
	return f
}

func (f *Source) Replicas(string) []client.ReplicaStatus { return nil }
