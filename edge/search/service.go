// Package search is the offer search of the edge: GET /api/v2/providers
// (filters, sort, cursor paging), one offer by id, the JSON query and bulk
// query forms, and the GPU catalog with current coverage. It fans out to
// every provider it needs in parallel through a client.Source, keeps each
// provider's offers as an immutable snapshot in a two-tier cache (edge/cache)
// and every finished answer as bytes, valid while the snapshots it was built
// from are current; a provider that fails or is slow becomes a warning,
// never a 5xx, while any data exists.
package search

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/edge/cache"
	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/client"
)

// CacheConfig configures the search's caches.
type CacheConfig struct {
	// Disabled sends every request to the providers (benchmarks of the
	// cold path); nothing is cached.
	Disabled bool
	// PricingTTL is how long offers are fresh (default 60 s); StaticTTL
	// how long the GPU catalog answer is (default 300 s).
	PricingTTL time.Duration
	StaticTTL  time.Duration
	// StaleFor is how long past freshness offers are kept to serve, marked
	// stale, when their provider fails (default 1 h).
	StaleFor time.Duration
	// L1 is the shared tier (Redis); nil keeps caches in-process only.
	L1 cache.L1
	// MaxResponses and MaxResponseBytes bound the cache of encoded answers.
	MaxResponses     int
	MaxResponseBytes int64
	// Now is the caches' clock (tests); nil means time.Now.
	Now func() time.Time
}

// Config configures the search.
type Config struct {
	Providers []string // providers fanned out to, in display order
	Source    client.Source
	// Health records every fetch's outcome (for /health); nil keeps a
	// book of its own.
	Health *client.HealthBook
	// ProviderTimeout bounds one provider inside a request (default 4.5 s,
	// so a late provider becomes a warning before the request times out).
	ProviderTimeout time.Duration
	// MaxWaiting bounds requests waiting on providers at once (default
	// 1024); beyond it requests get 503 with Retry-After.
	MaxWaiting int
	Cache      CacheConfig
	Logger     *slog.Logger
	Metrics    *metrics.Set
}

// Service answers the search routes.
type Service struct {
	cfg        Config
	log        *slog.Logger
	m          *searchMetrics
	health     *client.HealthBook
	offers     *cache.Cache[*snapshot] // nil when caching is off
	responses  *cache.Store[*response] // nil when caching is off
	refreshers map[string]cache.Loader[*snapshot]
	waiting    chan struct{}
	retryStale time.Duration
	// snapGen counts replacements of any provider snapshot in L2; an
	// answer built at generation g is current while snapGen is still g.
	snapGen  atomic.Uint64
	touchSeq atomic.Uint64
}

// New validates cfg and builds the search.
func New(cfg Config) (*Service, error) {
	if cfg.Source == nil {
		return nil, errors.New("search: an offer source is required")
	}
	for _, p := range cfg.Providers {
		if !shared.ValidName(p) {
			return nil, fmt.Errorf("search: invalid provider name %q", p)
		}
	}
	if cfg.ProviderTimeout <= 0 {
		cfg.ProviderTimeout = 4500 * time.Millisecond
	}
	if cfg.MaxWaiting <= 0 {
		cfg.MaxWaiting = 1024
	}
	c := &cfg.Cache
	for p, d := range map[*time.Duration]time.Duration{&c.PricingTTL: 60 * time.Second, &c.StaticTTL: 300 * time.Second, &c.StaleFor: time.Hour} {
		if *p <= 0 {
			*p = d
		}
	}
	if c.MaxResponses <= 0 {
		c.MaxResponses = 10_000
	}
	if c.MaxResponseBytes <= 0 {
		c.MaxResponseBytes = 128 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	if cfg.Health == nil {
		cfg.Health = client.NewHealthBook(cfg.Providers)
	}
	s := &Service{
		cfg:        cfg,
		log:        cfg.Logger.With("component", "search"),
		m:          newSearchMetrics(cfg.Metrics),
		health:     cfg.Health,
		waiting:    make(chan struct{}, cfg.MaxWaiting),
		retryStale: cache.DefaultFailureBackoff,
	}
	if !c.Disabled {
		s.offers = cache.New[*snapshot](cache.Config{L1: c.L1, LoadTimeout: cfg.ProviderTimeout, OnEvent: s.cacheEvent, Now: c.Now}, snapshotCodec{})
		s.responses = cache.NewStore[*response](c.MaxResponses, c.MaxResponseBytes, 0,
			func(r *response) int64 { return int64(len(r.body)) + 64 }, cache.WithClock(s.now))
		s.refreshers = map[string]cache.Loader[*snapshot]{}
		for _, p := range cfg.Providers {
			s.refreshers[offersKey(p)] = s.loader(p, shared.RequestIDs{RequestID: "refresh-" + p, TraceID: randomHex(32)})
		}
	}
	return s, nil
}

// Routes are the search's endpoints.
func (s *Service) Routes() []httpx.Route {
	read := accounts.ScopeOffersRead
	return []httpx.Route{
		{Method: "GET", Path: "/api/v2/providers", Name: "list", Scope: read, Handler: s.handleList},
		{Method: "POST", Path: "/api/v2/providers/query", Name: "query", Scope: read, Handler: s.handleQuery},
		{Method: "POST", Path: "/api/v2/providers/bulk/query", Name: "bulk", Scope: read, Handler: s.handleBulk},
		{Method: "GET", Path: "/api/v2/providers/{offer_id}", Name: "offer", Scope: read, Handler: s.handleOffer,
			Params: map[string]func(string) bool{"offer_id": isOfferID}},
		{Method: "GET", Path: "/api/v2/gpus", Name: "gpus", Scope: read, Handler: s.handleGPUs},
	}
}

// isOfferID reports whether a path segment can be an offer id: ids always
// hold a ':' (provider:...), so they never collide with the fixed sub-paths
// of /api/v2/providers/.
func isOfferID(id string) bool { return strings.Contains(id, ":") }

// cacheEvent counts cache events and bumps the snapshot generation when a
// new snapshot lands in L2 (a load, or a newer copy from L1).
func (s *Service) cacheEvent(e cache.Event) {
	if e.Kind == cache.EventLoadOK || e.Kind == cache.EventL1Hit {
		s.snapGen.Add(1)
	}
	s.m.cacheEvent(e)
}

// now is the clock the caches judge freshness by.
func (s *Service) now() time.Time {
	if s.cfg.Cache.Now != nil {
		return s.cfg.Cache.Now()
	}
	return time.Now()
}

// L1State is the shared cache tier's state for /health: none (no Redis),
// ok or down.
func (s *Service) L1State() string {
	switch {
	case s.offers == nil || s.cfg.Cache.L1 == nil:
		return "none"
	case s.offers.L1Healthy():
		return "ok"
	}
	return "down"
}

// CachedAt reports when a provider's cached offers were fetched and until
// when they are fresh.
func (s *Service) CachedAt(provider string) (fetchedAt, freshUntil time.Time, ok bool) {
	if s.offers == nil {
		return time.Time{}, time.Time{}, false
	}
	it, ok := s.offers.Peek(offersKey(provider))
	return it.FetchedAt, it.FreshUntil, ok
}
