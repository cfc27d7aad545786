package workers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/workers/breaker"
)

// Config configures one provider's worker.
type Config struct {
	Cell    string
	Adapter adapters.Adapter
	Conn    *nats.Conn
	// Replica names this instance; default random. Edges address it
	// directly on shared.ReplicaSubject.
	Replica string
	// FetchTimeout bounds one upstream fetch regardless of how long the
	// requesters are willing to wait (default 4.5 s, inside the edge's 5 s).
	FetchTimeout time.Duration
	// MaxConcurrent bounds requests being answered at once (default 64) and
	// MaxQueue those waiting for a slot (default 256); beyond both, requests
	// are refused at once with ErrKindOverloaded rather than queued without
	// bound.
	MaxConcurrent int
	MaxQueue      int
	// ProbeInterval is how often the provider is called even without
	// requests, to keep health current (default 30 s).
	ProbeInterval time.Duration
	// HeartbeatInterval is how often the replica's status is published
	// (default 5 s; also on every breaker transition).
	HeartbeatInterval time.Duration
	// Breaker configures the circuit breaker; zero values are its defaults
	// (window 10, opens at 50 % failures, open 30 s, 3 half-open trials).
	Breaker breaker.Config
	Logger  *slog.Logger
	Metrics *metrics.Set
	// Verify, when set, makes the worker answer shared.VerifySubject: it
	// tries the credential a user (owner) stored for this provider with one
	// upstream call and returns that call's error.
	Verify func(ctx context.Context, owner string) error
	// Events receives the replica's price, availability and provider
	// events (default: dropped).
	Events eventbus.Bus
	// Stream, when set, makes the price and availability events survive
	// the replica: they are published with it and awaited, and the
	// offers they were derived from are kept in the cell's baseline
	// bucket (BaselineBucket) for the replicas that follow. Without it the
	// baseline lives in the process and the events go to Events.
	Stream jetstream.JetStream
}

// Worker answers offer requests for one provider.
type Worker struct {
	cfg      Config
	provider string
	log      *slog.Logger
	m        *workerMetrics
	br       *breaker.Breaker
	subs     []*nats.Subscription
	sem      chan struct{}
	pending  atomic.Int64
	handlers sync.WaitGroup
	stop     context.CancelFunc
	loops    sync.WaitGroup
	wake     chan struct{} // asks the heartbeat loop to publish now
	// baselines and store are where the observer loop keeps baselines
	// and has its events stored (see record).
	baselines baselines
	store     func(ctx context.Context, evs ...events.Event) error
	observe   chan struct{} // a fetch is waiting for the observer loop
	last      *baseline     // the observer loop's last step; nil until loaded
	// verifying holds a slot per credential check in progress.
	verifying chan struct{}

	mu          sync.Mutex
	inflight    *flight
	waiting     *fetched        // the latest fetch not yet observed
	healthy     *bool           // last outcome; nil before the first
	unknown     map[string]bool // GPU names already logged as unknown, at most maxUnknownLogged
	unknownFull bool            // the bound was reached and said so
	health      health
}

// New validates cfg and builds a worker; Start subscribes it.
func New(cfg Config) (*Worker, error) {
	if cfg.Adapter == nil || cfg.Conn == nil {
		return nil, errors.New("workers: adapter and NATS connection are required")
	}
	if !shared.ValidName(cfg.Cell) {
		return nil, fmt.Errorf("workers: invalid cell name %q", cfg.Cell)
	}
	if cfg.Replica == "" {
		cfg.Replica = newReplicaID()
	}
	if !shared.ValidName(cfg.Replica) {
		return nil, fmt.Errorf("workers: invalid replica name %q", cfg.Replica)
	}
	defaults := map[*time.Duration]time.Duration{
		&cfg.FetchTimeout: 4500 * time.Millisecond, &cfg.ProbeInterval: 30 * time.Second,
		&cfg.HeartbeatInterval: 5 * time.Second,
	}
	for p, d := range defaults {
		if *p <= 0 {
			*p = d
		}
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 64
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = 256
	}
	if cfg.Events == nil {
		cfg.Events = eventbus.Discard{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	p := cfg.Adapter.Name()
	w := &Worker{
		cfg:       cfg,
		provider:  p,
		log:       cfg.Logger.With("component", "worker", "provider", p, "replica", cfg.Replica),
		sem:       make(chan struct{}, cfg.MaxConcurrent),
		wake:      make(chan struct{}, 1),
		observe:   make(chan struct{}, 1),
		verifying: make(chan struct{}, maxVerifying),
		unknown:   map[string]bool{},
	}
	if cfg.Stream != nil {
		w.baselines = &kvBaselines{js: cfg.Stream, cell: cfg.Cell, maxValue: cfg.Conn.MaxPayload()}
		w.store = func(ctx context.Context, evs ...events.Event) error { return eventbus.Store(ctx, cfg.Stream, evs...) }
	} else {
		w.baselines = &memBaselines{}
		w.store = func(_ context.Context, evs ...events.Event) error {
			for _, ev := range evs {
				w.emit(ev)
			}
			return nil
		}
	}
	bc := cfg.Breaker
	userHook := bc.OnTransition
	bc.OnTransition = func(from, to breaker.State) {
		w.onTransition(from, to)
		if userHook != nil {
			userHook(from, to)
		}
	}
	w.br = breaker.New(bc)
	w.m = newWorkerMetrics(cfg.Metrics, p, w.br)
	return w, nil
}

func newReplicaID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Replica is this worker's replica name.
func (w *Worker) Replica() string { return w.cfg.Replica }

// Start joins the provider's queue group, listens on its replica subject,
// and starts the probe and heartbeat loops.
func (w *Worker) Start() error {
	subs := []subscription{
		{shared.OffersSubject(w.cfg.Cell, w.provider), shared.WorkerQueue(w.provider), w.onRequest},
		{shared.ReplicaSubject(w.cfg.Cell, w.provider, w.cfg.Replica), "", w.onRequest},
	}
	if w.cfg.Verify != nil {
		subs = append(subs, subscription{shared.VerifySubject(w.cfg.Cell, w.provider), shared.WorkerQueue(w.provider), w.onVerify})
	}
	for _, s := range subs {
		sub, err := w.cfg.Conn.QueueSubscribe(s.subj, s.queue, s.handler)
		if err != nil {
			return fmt.Errorf("subscribing %s: %w", s.subj, err)
		}
		w.subs = append(w.subs, sub)
	}
	w.providerEvent(events.ReplicaJoined, "") // before the loops' first health events
	ctx, cancel := context.WithCancel(context.Background())
	w.stop = cancel
	w.loops.Add(3)
	go w.observeLoop(ctx)
	go w.probeLoop(ctx)
	go w.heartbeatLoop(ctx)
	w.log.Info("worker started", "subject", shared.OffersSubject(w.cfg.Cell, w.provider))
	return nil
}

// subscription is one subject a worker serves.
type subscription struct {
	subj, queue string
	handler     nats.MsgHandler
}

// Stop leaves the queue group, lets pending requests finish, and waits for
// them until ctx ends.
func (w *Worker) Stop(ctx context.Context) error {
	for _, sub := range w.subs {
		if err := sub.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			w.log.Warn("draining subscription", "err", err)
		}
	}
	if w.stop != nil {
		w.stop()
		w.providerEvent(events.ReplicaLeft, "stopped")
	}
	done := make(chan struct{})
	go func() { w.handlers.Wait(); w.loops.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("worker %s: in-flight requests did not finish: %w", w.provider, ctx.Err())
	}
}

func (w *Worker) onRequest(msg *nats.Msg) {
	if int(w.pending.Add(1)) > w.cfg.MaxConcurrent+w.cfg.MaxQueue {
		w.pending.Add(-1)
		w.m.requests("overloaded").Inc()
		w.replyError(msg, &adapters.Error{Provider: w.provider, Kind: shared.ErrKindOverloaded,
			Err: errors.New("worker queue is full")})
		return
	}
	w.handlers.Add(1)
	go func() {
		defer func() { w.pending.Add(-1); w.handlers.Done() }()
		w.sem <- struct{}{}
		defer func() { <-w.sem }()
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
	f, err := w.fetchForRequest(ctx)
	if err == nil {
		err = f.err
	}
	if err != nil {
		w.m.requests("error").Inc()
		// The upstream detail was logged once by the fetch itself.
		log.Debug("answering with a failed fetch", "kind", adapters.KindOf(err), "reason", adapters.Reason(err))
		w.replyError(msg, err)
		return
	}
	w.m.requests("ok").Inc()
	if err := w.reply(msg, f); err != nil {
		log.Warn("replying", "err", err)
	}
}
