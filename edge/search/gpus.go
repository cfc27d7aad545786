package search

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
)

// gpuCoverage is one catalog GPU with where it is on offer right now.
type gpuCoverage struct {
	ID                 string   `json:"id"`
	Vendor             string   `json:"vendor"`
	Model              string   `json:"model"`
	FormFactor         string   `json:"form_factor,omitempty"`
	MemoryGB           int      `json:"memory_gb"`
	Name               string   `json:"name"`
	Known              bool     `json:"known"`
	Offers             int      `json:"offers"`
	Providers          []string `json:"providers"`
	MinPricePerGPUHour *float64 `json:"min_price_per_gpu_hour"`
}

// handleGPUs lists the canonical GPU catalog with each GPU's current
// coverage, plus GPUs seen in offers that the catalog does not know. It is
// the "static" data of the API: cached for StaticTTL (300 s by default)
// regardless of price movements.
func (s *Service) handleGPUs(rc *httpx.Request) {
	if err := httpx.CheckQuery(rc); err != nil {
		httpx.WriteError(rc.RequestCtx, err)
		return
	}
	key := responseKey(rc)
	if s.responses != nil {
		if r, ok := s.responses.Get(key); ok && s.now().Before(r.freshUntil) {
			httpx.WriteBody(rc.RequestCtx, r.status, r.body)
			return
		}
	}
	v, ok := s.gatherAdmitted(rc, s.cfg.Providers)
	if !ok {
		return
	}
	by := map[string]*gpuCoverage{}
	var order []string
	add := func(c gpuCoverage) *gpuCoverage {
		if g, ok := by[c.ID]; ok {
			return g
		}
		c.Providers = []string{}
		by[c.ID] = &c
		order = append(order, c.ID)
		return by[c.ID]
	}
	for _, g := range shared.Catalog() {
		add(gpuCoverage{ID: g.ID, Vendor: g.Vendor, Model: g.Model, FormFactor: g.FormFactor, MemoryGB: g.MemoryGB, Name: g.Name, Known: true})
	}
	for _, sn := range v.snaps {
		for i := range sn.offers {
			o := &sn.offers[i]
			g := add(gpuCoverage{ID: o.GPUID, Vendor: o.GPUVendor, Model: o.GPUModel, FormFactor: o.GPUFormFactor,
				MemoryGB: o.GPUMemoryGB, Name: o.GPUName, Known: o.GPUKnown})
			g.Offers++
			if len(g.Providers) == 0 || g.Providers[len(g.Providers)-1] != o.Provider {
				g.Providers = append(g.Providers, o.Provider)
			}
			if p := o.PricePerGPUHour; g.MinPricePerGPUHour == nil || p < *g.MinPricePerGPUHour {
				g.MinPricePerGPUHour = &p
			}
		}
	}
	out := make([]*gpuCoverage, 0, len(order))
	for _, id := range order {
		g := by[id]
		sort.Strings(g.Providers)
		g.Providers = compactStrings(g.Providers)
		out = append(out, g)
	}
	now := s.now()
	body, err := json.Marshal(struct {
		GPUs        []*gpuCoverage `json:"gpus"`
		Warnings    []Warning      `json:"warnings"`
		GeneratedAt time.Time      `json:"generated_at"`
	}{out, nonNil(v.warnings), now.UTC()})
	if err != nil {
		httpx.WriteError(rc.RequestCtx, &httpx.Error{Status: fasthttp.StatusInternalServerError, Code: httpx.CodeInternal, Message: "encoding response"})
		return
	}
	if s.responses != nil {
		until := now.Add(s.cfg.Cache.StaticTTL)
		if len(v.warnings) > 0 {
			until = now.Add(s.retryStale)
		}
		s.responses.Set(key, &response{status: fasthttp.StatusOK, body: body, freshUntil: until}, until)
	}
	httpx.WriteBody(rc.RequestCtx, fasthttp.StatusOK, body)
}

func compactStrings(xs []string) []string {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func nonNil(w []Warning) []Warning {
	if w == nil {
		return []Warning{}
	}
	return w
}
