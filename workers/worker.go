package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/shared"
)

// Config configures one provider's worker.
type Config struct {
	Cell    string
	Adapter adapters.Adapter
	Conn    *nats.Conn
	// FetchTimeout bounds one upstream fetch regardless of how long the
	// requesters are willing to wait (default 4.5 s, inside the edge's 5 s).
	FetchTimeout time.Duration
	// MaxConcurrent bounds requests being answered at once (default 64).
	MaxConcurrent int
	Logger        *slog.Logger
	Metrics       *metrics.Set
}

// Worker answers offer requests for one provider.
type Worker struct {
	cfg      Config
	provider string
	log      *slog.Logger
	m        *workerMetrics
	sub      *nats.Subscription
	sem      chan struct{}
	handlers sync.WaitGroup

	mu       sync.Mutex
	inflight *flight
	prices   map[string]float64 // last seen price per offer id
	unknown  map[string]bool    // GPU names already logged as unknown
}

// New validates cfg and builds a worker; Start subscribes it.
func New(cfg Config) (*Worker, error) {
	if cfg.Adapter == nil || cfg.Conn == nil {
		return nil, errors.New("workers: adapter and NATS connection are required")
	}
	if !shared.ValidName(cfg.Cell) {
		return nil, fmt.Errorf("workers: invalid cell name %q", cfg.Cell)
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = 4500 * time.Millisecond
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	p := cfg.Adapter.Name()
	return &Worker{
		cfg:      cfg,
		provider: p,
		log:      cfg.Logger.With("component", "worker", "provider", p),
		m:        newWorkerMetrics(cfg.Metrics, p),
		sem:      make(chan struct{}, cfg.MaxConcurrent),
		prices:   map[string]float64{},
		unknown:  map[string]bool{},
	}, nil
}

// Start joins the provider's queue group.
func (w *Worker) Start() error {
	subj := shared.OffersSubject(w.cfg.Cell, w.provider)
	sub, err := w.cfg.Conn.QueueSubscribe(subj, shared.WorkerQueue(w.provider), w.onRequest)
	if err != nil {
		return fmt.Errorf("subscribing %s: %w", subj, err)
	}
	w.sub = sub
	w.log.Info("worker started", "subject", subj)
	return nil
}

// Stop leaves the queue group, lets pending requests finish, and waits for
// them until ctx ends.
func (w *Worker) Stop(ctx context.Context) error {
	if w.sub != nil {
		if err := w.sub.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			w.log.Warn("draining subscription", "err", err)
		}
	}
	done := make(chan struct{})
	go func() { w.handlers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("worker %s: in-flight requests did not finish: %w", w.provider, ctx.Err())
	}
}

func (w *Worker) onRequest(msg *nats.Msg) {
	w.handlers.Add(1)
	w.sem <- struct{}{}
	go func() {
		defer func() { <-w.sem; w.handlers.Done() }()
		w.handle(msg)
	}()
}

func (w *Worker) handle(msg *nats.Msg) {
	if msg.Reply == "" {
		return
	}
	log := w.log.With("request_id", msg.Header.Get(shared.HeaderRequestID), "trace_id", msg.Header.Get(shared.HeaderTraceID))
	deadline := time.Now().Add(w.cfg.FetchTimeout)
	if ms, err := strconv.ParseInt(msg.Header.Get(shared.HeaderDeadline), 10, 64); err == nil {
		if d := time.UnixMilli(ms); d.Before(deadline) {
			deadline = d
		}
	}
	if !time.Now().Before(deadline) {
		w.m.requests("expired").Inc()
		return // the requester has given up; replying would only waste bandwidth
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	f, err := w.fetch(ctx)
	if err == nil {
		err = f.err
	}
	if err != nil {
		w.m.requests("error").Inc()
		log.Warn("fetch failed", "kind", adapters.KindOf(err), "err", err)
		w.replyError(msg, err)
		return
	}
	w.m.requests("ok").Inc()
	if err := w.reply(msg, f); err != nil {
		log.Warn("replying", "err", err)
	}
}
