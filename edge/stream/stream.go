package stream

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/feed"
)

// ProviderInfo is one entry of a WebSocket providers_list.
type ProviderInfo struct {
	Name         string  `json:"name"`
	Healthy      bool    `json:"healthy"`
	Weight       float64 `json:"weight"`
	AvgLatencyMS int64   `json:"avg_latency_ms"`
}

// OffersFunc answers a get_offers request: the body of GET
// /api/v2/providers for the same filters, or its error.
type OffersFunc func(ctx context.Context, ids shared.RequestIDs, filters map[string][]string) ([]byte, *httpx.Error)

// Config configures the push API.
type Config struct {
	Hub       *feed.Hub
	Providers []string              // the cell's providers
	Status    func() []ProviderInfo // for get_providers
	Offers    OffersFunc            // for get_offers
	Limits    map[string]Limits     // by plan; DefaultLimits when nil
	PingEvery time.Duration         // server ping interval (default 30 s)
	Heartbeat time.Duration         // SSE comment interval (default 15 s)
	Now       func() time.Time
	Logger    *slog.Logger
}

// Service serves the push routes.
type Service struct {
	cfg      Config
	log      *slog.Logger
	up       websocket.FastHTTPUpgrader
	counts   connCounts
	mu       sync.Mutex
	conns    map[closer]struct{}
	draining bool
	wg       sync.WaitGroup
}

// closer is an open stream the service can end at shutdown.
type closer interface{ shutdown() }

// New makes the push API over cfg.Hub.
func New(cfg Config) *Service {
	if cfg.Limits == nil {
		cfg.Limits = DefaultLimits
	}
	if cfg.PingEvery <= 0 {
		cfg.PingEvery = 30 * time.Second
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{cfg: cfg, log: cfg.Logger.With("component", "stream"), conns: map[closer]struct{}{}}
	s.up = websocket.FastHTTPUpgrader{
		// Small buffers: 10,000 connections each hold them for life
		// (frames larger than a buffer are still fine); writes share a pool.
		ReadBufferSize:  1024,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		// Credentials are tokens, never cookies, so another site's page
		// gains nothing from opening a socket: every origin may connect.
		CheckOrigin:      func(*fasthttp.RequestCtx) bool { return true },
		HandshakeTimeout: 10 * time.Second,
		Error: func(ctx *fasthttp.RequestCtx, status int, reason error) {
			httpx.WriteError(ctx, &httpx.Error{Status: status, Code: httpx.CodeBadRequest, Message: "websocket: " + reason.Error()})
		},
	}
	return s
}

// Routes are the push endpoints.
func (s *Service) Routes() []httpx.Route {
	provider := map[string]func(string) bool{"provider": s.knownProvider}
	return []httpx.Route{
		{Method: "GET", Path: "/ws/providers/", Name: "ws_providers", QueryToken: true, Stream: s.serveWS},
		{Method: "GET", Path: "/ws/providers/{provider}/", Params: provider, Name: "ws_provider", QueryToken: true, Stream: s.serveWS},
		{Method: "GET", Path: "/api/v2/providers/stream", Name: "providers_stream", QueryToken: true, Stream: s.serveSSE},
	}
}

func (s *Service) knownProvider(p string) bool { return slices.Contains(s.cfg.Providers, p) }

// track registers an open stream for shutdown; false when draining.
func (s *Service) track(c closer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Service) untrack(c closer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		s.wg.Done()
	}
}

// Close drains every open stream: each writes what it has queued, then
// WebSockets close with 1001 (going away) and SSE streams end. It waits
// for them until ctx ends.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	open := make([]closer, 0, len(s.conns))
	for c := range s.conns {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		c.shutdown()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Open is how many streams are open.
func (s *Service) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
