package search

import (
	"context"

	"github.com/gpubroker/gpubroker/shared"
)

// WarmResult is what warming the cache did, per provider.
type WarmResult struct {
	Warm      int              `json:"warm"`   // providers whose offers are now cached
	Failed    int              `json:"failed"` // providers with nothing to cache (their warnings say why)
	Providers []providerResult `json:"providers"`
	Warnings  []Warning        `json:"warnings,omitempty"`
}

// Warm fills the cache (this edge's L2 and the shared L1, Redis) with
// every provider's offers, in parallel, as a search over all of them
// would: a provider already cached and fresh costs nothing, the others
// are fetched from their workers once each. The cache_warm job.
func (s *Service) Warm(ctx context.Context) WarmResult {
	v := s.gather(ctx, s.cfg.Providers, shared.RequestIDs{})
	r := WarmResult{Providers: v.results, Warnings: v.warnings}
	for _, p := range v.results {
		if p.Status == "error" {
			r.Failed++
		} else {
			r.Warm++
		}
	}
	return r
}
