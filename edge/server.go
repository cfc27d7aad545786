package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/adapters/credentials"
	"github.com/gpubroker/gpubroker/edge/accounts"
	"github.com/gpubroker/gpubroker/edge/cache"
	"github.com/gpubroker/gpubroker/edge/ratelimit"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// CacheConfig configures the edge's caches.
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

// Config configures an edge server.
type Config struct {
	Cell      string
	Providers []string // providers fanned out to, in display order
	Source    OfferSource
	// RequestTimeout bounds a whole request (default 5 s).
	RequestTimeout time.Duration
	// ProviderTimeout bounds one provider inside a request (default 4.5 s,
	// so a late provider becomes a warning before the request times out).
	ProviderTimeout time.Duration
	MaxBodyBytes    int  // default 1 MiB; larger bodies get 413
	AccessLog       bool // log every request at info level
	// MaxWaiting bounds requests waiting on providers at once (default
	// 1024); beyond it requests get 503 with Retry-After.
	MaxWaiting int
	Cache      CacheConfig
	Auth       AuthConfig
	// Limiter enforces PlanLimits (requests per RateWindow); nil makes an
	// in-process limiter.
	Limiter    *ratelimit.Limiter
	PlanLimits map[string]int
	RateWindow time.Duration
	// Credentials stores users' provider integrations; nil keeps them in
	// process memory (the embedded default).
	Credentials credentials.Store
	// Checker tries users' stored provider credentials through the
	// provider's workers; nil answers every check "unverified".
	Checker CredentialChecker
	// Store holds accounts, their credentials and what they own, and the
	// price history. Nil leaves the account endpoints routed and documented
	// but answering 503 store_unavailable.
	Store store.Store
	// Issuer signs access and service tokens; required with Store. When set,
	// its public key, name and audience replace Auth's JWT settings.
	Issuer *accounts.Issuer
	// Development relaxes checks that only make sense in production:
	// webhooks may use http:// URLs.
	Development bool
	// Accounts tunes the account service (login limiter, hashing cost,
	// resolver, clock); its Store, Issuer and AllowHTTPWebhooks are taken
	// from the fields above.
	Accounts accounts.Config
	Logger   *slog.Logger
	Metrics  *metrics.Set
}

// Server is one edge instance.
type Server struct {
	cfg        Config
	log        *slog.Logger
	m          *edgeMetrics
	health     *healthBook
	auth       *authenticator
	accounts   *accounts.Service       // nil without a store
	offers     *cache.Cache[*snapshot] // nil when caching is off
	responses  *cache.Store[*response] // nil when caching is off
	refreshers map[string]cache.Loader[*snapshot]
	waiting    chan struct{}
	retryStale time.Duration
	// snapGen counts replacements of any provider snapshot in L2; an
	// answer built at generation g is current while snapGen is still g.
	snapGen      atomic.Uint64
	touchSeq     atomic.Uint64
	policySuffix []byte
	ownLimiter   bool
	authFails    authFailures
	srv          *fasthttp.Server
}

// New validates cfg and builds a server.
func New(cfg Config) (*Server, error) {
	if cfg.Source == nil {
		return nil, errors.New("edge: an offer source is required")
	}
	if !shared.ValidName(cfg.Cell) {
		return nil, fmt.Errorf("edge: invalid cell name %q", cfg.Cell)
	}
	for _, p := range cfg.Providers {
		if !shared.ValidName(p) {
			return nil, fmt.Errorf("edge: invalid provider name %q", p)
		}
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.ProviderTimeout <= 0 || cfg.ProviderTimeout > cfg.RequestTimeout {
		cfg.ProviderTimeout = cfg.RequestTimeout * 9 / 10
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
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
	if cfg.PlanLimits == nil {
		cfg.PlanLimits = DefaultPlanLimits
	}
	if _, ok := cfg.PlanLimits["free"]; !ok {
		return nil, errors.New("edge: plan limits must define the free plan")
	}
	if cfg.RateWindow <= 0 {
		cfg.RateWindow = ratelimit.DefaultWindow
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Credentials == nil {
		cfg.Credentials = credentials.NewEnv(nil)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	if cfg.Issuer != nil {
		cfg.Auth.JWTPublicKey = cfg.Issuer.PublicKey()
		cfg.Auth.JWTIssuer = cfg.Issuer.Name()
		cfg.Auth.JWTAudience = accounts.Audience
	}
	var (
		svc    *accounts.Service
		stored *accounts.KeyAuth
	)
	if cfg.Store != nil {
		ac := cfg.Accounts
		ac.Store, ac.Issuer, ac.AllowHTTPWebhooks = cfg.Store, cfg.Issuer, cfg.Development
		if ac.Logger == nil {
			ac.Logger = cfg.Logger
		}
		var err error
		if svc, err = accounts.New(ac); err != nil {
			return nil, fmt.Errorf("edge: %w", err)
		}
		stored = svc.KeyAuth()
	}
	s := &Server{
		cfg:          cfg,
		log:          cfg.Logger.With("component", "edge"),
		m:            newEdgeMetrics(cfg.Metrics),
		health:       newHealthBook(cfg.Providers),
		auth:         newAuthenticator(cfg.Auth, stored),
		accounts:     svc,
		waiting:      make(chan struct{}, cfg.MaxWaiting),
		retryStale:   cache.DefaultFailureBackoff,
		policySuffix: []byte(";w=" + strconv.FormatFloat(cfg.RateWindow.Seconds(), 'g', -1, 64)),
	}
	if cfg.Limiter == nil {
		s.cfg.Limiter = ratelimit.New(ratelimit.Config{Window: cfg.RateWindow})
		s.ownLimiter = true
	}
	if !c.Disabled {
		s.offers = cache.New[*snapshot](cache.Config{L1: c.L1, LoadTimeout: cfg.ProviderTimeout, OnEvent: s.cacheEvent, Now: c.Now}, snapshotCodec{})
		s.responses = cache.NewStore[*response](c.MaxResponses, c.MaxResponseBytes, 0,
			func(r *response) int64 { return int64(len(r.body)) + 64 }, cache.WithClock(s.now))
		s.refreshers = map[string]cache.Loader[*snapshot]{}
		for _, p := range cfg.Providers {
			s.refreshers[offersKey(p)] = s.loader(p, RequestIDs{RequestID: "refresh-" + p, TraceID: randomHex(32)})
		}
	}
	s.srv = &fasthttp.Server{
		Handler:              s.handle,
		ErrorHandler:         s.transportError,
		Name:                 "gpubroker",
		MaxRequestBodySize:   cfg.MaxBodyBytes,
		ReadTimeout:          10 * time.Second,
		WriteTimeout:         10 * time.Second,
		IdleTimeout:          60 * time.Second,
		NoDefaultContentType: true,
		CloseOnShutdown:      true,
		Logger:               fasthttpLogger{cfg.Logger},
	}
	return s, nil
}

// Serve serves HTTP on l until ctx is done, then stops accepting, lets
// in-flight requests finish (up to drain) and returns.
func (s *Server) Serve(ctx context.Context, l net.Listener, drain time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(l) }()
	s.log.Info("edge listening", "addr", l.Addr().String(), "providers", len(s.cfg.Providers))
	select {
	case err := <-errc:
		return fmt.Errorf("edge: serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	defer func() {
		if s.ownLimiter {
			s.cfg.Limiter.Close()
		}
		if s.accounts != nil {
			s.accounts.Close()
		}
	}()
	if err := s.srv.ShutdownWithContext(sctx); err != nil {
		return fmt.Errorf("edge: draining: %w", err)
	}
	return <-errc
}

// Handler exposes the request handler, for tests and benchmarks that drive
// the server without a listener.
func (s *Server) Handler() fasthttp.RequestHandler { return s.handle }

// transportError answers requests fasthttp could not read, in the same
// JSON error shape as everything else.
func (s *Server) transportError(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		// The headers were read, so the caller is charged as usual and
		// gets its RateLimit headers.
		if !s.admit(&requestCtx{RequestCtx: ctx, start: time.Now()}, "") {
			return
		}
		writeError(ctx, &apiError{Status: fasthttp.StatusRequestEntityTooLarge, Code: codeBodyTooLarge,
			Message: fmt.Sprintf("request body exceeds %d bytes", s.cfg.MaxBodyBytes)})
	case errors.As(err, &small):
		writeError(ctx, &apiError{Status: fasthttp.StatusRequestHeaderFieldsTooLarge, Code: codeBadRequest, Message: "request headers too large"})
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			writeError(ctx, &apiError{Status: fasthttp.StatusRequestTimeout, Code: codeTimeout, Message: "request not received in time"})
			return
		}
		writeError(ctx, &apiError{Status: fasthttp.StatusBadRequest, Code: codeBadRequest, Message: "malformed HTTP request"})
	}
	s.m.request("transport", string(ctx.Method()), ctx.Response.StatusCode(), 0)
}

// fasthttpLogger routes fasthttp's own messages (connection-level errors
// already answered by transportError) to slog at debug level.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "component", "fasthttp")
}

// cacheEvent counts cache events and bumps the snapshot generation when a
// new snapshot lands in L2 (a load, or a newer copy from L1).
func (s *Server) cacheEvent(e cache.Event) {
	if e.Kind == cache.EventLoadOK || e.Kind == cache.EventL1Hit {
		s.snapGen.Add(1)
	}
	s.m.cacheEvent(e)
}

// now is the clock the caches judge freshness by.
func (s *Server) now() time.Time {
	if s.cfg.Cache.Now != nil {
		return s.cfg.Cache.Now()
	}
	return time.Now()
}
