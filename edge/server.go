package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/shared"
)

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
	Logger          *slog.Logger
	Metrics         *metrics.Set
}

// Server is one edge instance.
type Server struct {
	cfg    Config
	log    *slog.Logger
	m      *edgeMetrics
	health *healthBook
	srv    *fasthttp.Server
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
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	s := &Server{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "edge"),
		m:      newEdgeMetrics(cfg.Metrics),
		health: newHealthBook(cfg.Providers),
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
