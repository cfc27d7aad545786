package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/gpubroker/gpubroker/edge/ratelimit"
)

// Config configures an edge server.
type Config struct {
	// Routes are the feature packages' routes, assembled into one table.
	Routes []httpx.Route
	// Identity tells who is calling; nil treats every caller as anonymous.
	Identity *identity.Authenticator
	// Limiter enforces PlanLimits (requests per RateWindow); nil makes an
	// in-process limiter, closed when Serve returns.
	Limiter    *ratelimit.Limiter
	PlanLimits map[string]int
	RateWindow time.Duration
	// RequestTimeout bounds a whole request (default 5 s).
	RequestTimeout time.Duration
	MaxBodyBytes   int  // default 1 MiB; larger bodies get 413
	AccessLog      bool // log every request at info level (5xx always)
	Logger         *slog.Logger
	Metrics        *metrics.Set
	// Now is the clock of the refused-address book; nil means time.Now.
	Now func() time.Time
}

// readBufferSize bounds a request's line and headers together (fasthttp's
// default): a longer request line is 414, longer headers 431.
const readBufferSize = 4096

// Server is one edge instance.
type Server struct {
	cfg          Config
	log          *slog.Logger
	m            *edgeMetrics
	id           *identity.Authenticator
	routes       *table
	policySuffix []byte
	ownLimiter   bool
	authFails    authFailures
	srv          *fasthttp.Server
}

// New validates cfg and builds a server.
func New(cfg Config) (*Server, error) {
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
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
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	if cfg.Identity == nil {
		cfg.Identity = identity.New(identity.Config{})
	}
	routes, err := newTable(cfg.Routes)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:          cfg,
		log:          cfg.Logger.With("component", "edge"),
		m:            newEdgeMetrics(cfg.Metrics),
		id:           cfg.Identity,
		routes:       routes,
		policySuffix: []byte(";w=" + strconv.FormatFloat(cfg.RateWindow.Seconds(), 'g', -1, 64)),
	}
	if cfg.Limiter == nil {
		s.cfg.Limiter = ratelimit.New(ratelimit.Config{Window: cfg.RateWindow})
		s.ownLimiter = true
	}
	s.srv = &fasthttp.Server{
		Handler:              s.handle,
		ErrorHandler:         s.transportError,
		Name:                 "gpubroker",
		MaxRequestBodySize:   cfg.MaxBodyBytes,
		ReadBufferSize:       readBufferSize,
		ReadTimeout:          10 * time.Second,
		WriteTimeout:         10 * time.Second,
		IdleTimeout:          60 * time.Second,
		NoDefaultContentType: true,
		CloseOnShutdown:      true,
		Logger:               fasthttpLogger{cfg.Logger},
	}
	return s, nil
}

// Routes is the route table as registered, for documentation checks.
func (s *Server) Routes() []httpx.Route { return s.routes.all }

// Serve serves HTTP on l until ctx is done, then stops accepting, lets
// in-flight requests finish (up to drain) and returns.
func (s *Server) Serve(ctx context.Context, l net.Listener, drain time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(l) }()
	s.log.Info("edge listening", "addr", l.Addr().String(), "routes", len(s.routes.all))
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
	}()
	if err := s.srv.ShutdownWithContext(sctx); err != nil {
		return fmt.Errorf("edge: draining: %w", err)
	}
	// A shutdown that lands before fasthttp's Serve has registered l
	// closes nothing and leaves Serve accepting forever; closing l here
	// ends it either way (a second close only reports net.ErrClosed).
	_ = l.Close()
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
		if !s.admit(&httpx.Request{RequestCtx: ctx, Start: time.Now()}, nil) {
			return
		}
		httpx.WriteError(ctx, &httpx.Error{Status: fasthttp.StatusRequestEntityTooLarge, Code: httpx.CodeBodyTooLarge,
			Message: fmt.Sprintf("request body exceeds %d bytes", s.cfg.MaxBodyBytes)})
	case errors.As(err, &small):
		if requestLineTooLong(ctx, err) {
			httpx.WriteError(ctx, &httpx.Error{Status: fasthttp.StatusRequestURITooLong, Code: httpx.CodeURITooLong,
				Message: fmt.Sprintf("request line too long: the request line and headers must fit in %d bytes", s.srv.ReadBufferSize)})
			break
		}
		httpx.WriteError(ctx, &httpx.Error{Status: fasthttp.StatusRequestHeaderFieldsTooLarge, Code: httpx.CodeBadRequest, Message: "request headers too large"})
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			httpx.WriteError(ctx, &httpx.Error{Status: fasthttp.StatusRequestTimeout, Code: httpx.CodeTimeout, Message: "request not received in time"})
			return
		}
		httpx.WriteError(ctx, &httpx.Error{Status: fasthttp.StatusBadRequest, Code: httpx.CodeBadRequest, Message: "malformed HTTP request"})
	}
	s.m.request("transport", string(ctx.Method()), ctx.Response.StatusCode(), 0)
}

// requestLineTooLong tells, for a request whose head did not fit the read
// buffer, whether the request line itself did not fit (414) rather than the
// headers after it (431). fasthttp records the request line once it is
// whole, so an unparsed one reads as the default URI "/"; the error's
// snippet of the buffer's start then tells a real "GET / ..." with huge
// headers, whose line ends within it, from a line that never ends.
func requestLineTooLong(ctx *fasthttp.RequestCtx, err error) bool {
	if string(ctx.Request.Header.RequestURI()) != "/" {
		return false
	}
	msg := err.Error()
	i := strings.Index(msg, "contents: ")
	if i < 0 {
		return true
	}
	head := msg[i:]
	if j := strings.Index(head, `"..."`); j >= 0 {
		head = head[:j] // the buffer's first bytes only
	}
	return !strings.Contains(head, `\n`)
}

// fasthttpLogger routes fasthttp's own messages (connection-level errors
// already answered by transportError) to slog at debug level.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug(fmt.Sprintf(format, args...), "component", "fasthttp")
}

// now is the clock the refused-address book judges by.
func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}
