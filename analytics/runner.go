package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// RunnerConfig configures the embedded analytics of one cell.
type RunnerConfig struct {
	Cell string
	// JS is a client without the bus's async handlers: results are
	// stored and awaited before what made them is acknowledged.
	JS        jetstream.JetStream
	Detectors Config
	// Warmup is how far back the stream is replayed, silently, at start
	// to rebuild the windows (default 1 h).
	Warmup time.Duration
	// Batch is how many price updates one fetch takes (default 500).
	Batch   int
	Logger  *slog.Logger
	Metrics *metrics.Set
}

// consumerName is the durable consumer of the embedded analytics.
const consumerName = "analytics-price_update"

// LeaseBucket holds the lease that keeps one analytics runner per cell:
// two would split the stream between them and each window would see half.
func LeaseBucket(cell string) string { return "gpubroker_analytics_lease_" + cell }

// Runner runs the detectors on the cell's stream; see the package doc.
type Runner struct {
	cfg                        RunnerConfig
	log                        *slog.Logger
	results, skipped, replayed *metrics.Counter
	role                       atomic.Value // "active" or "standby" once the lease was tried
	lastResult                 atomic.Int64 // unix ms of the last stored results
}

// Status is what /health shows of the runner.
type Status struct {
	// Role is "active" (this process runs the cell's detectors) or
	// "standby" (another one does).
	Role       string
	LastResult time.Time // zero before the first
}

// Status reports the runner's role and its last results.
func (r *Runner) Status() Status {
	st := Status{}
	st.Role, _ = r.role.Load().(string)
	if ms := r.lastResult.Load(); ms > 0 {
		st.LastResult = time.UnixMilli(ms).UTC()
	}
	return st
}

// NewRunner checks cfg.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	if cfg.JS == nil || cfg.Cell == "" {
		return nil, errors.New("analytics: a cell and a JetStream client are required")
	}
	if cfg.Warmup <= 0 {
		cfg.Warmup = time.Hour
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	return &Runner{cfg: cfg, log: cfg.Logger.With("component", "analytics"),
		results:  cfg.Metrics.GetOrCreateCounter("gpubroker_analytics_results_total"),
		skipped:  cfg.Metrics.GetOrCreateCounter("gpubroker_analytics_skipped_total"),
		replayed: cfg.Metrics.GetOrCreateCounter("gpubroker_analytics_replayed_total")}, nil
}

// Run holds the cell's analytics lease and processes the stream until ctx
// ends; a lost lease stands it by again.
func (r *Runner) Run(ctx context.Context) {
	for ctx.Err() == nil {
		l := eventbus.AcquireLease(ctx, r.cfg.JS, eventbus.LeaseConfig{Bucket: LeaseBucket(r.cfg.Cell),
			What: "runs this cell's embedded analytics", Logger: r.log, OnStandby: func(string) { r.role.Store("standby") }})
		if l == nil {
			return
		}
		r.role.Store("active")
		held, drop := context.WithCancel(ctx)
		lost := l.Keep(held)
		go func() {
			select {
			case <-lost:
				r.log.Warn("analytics lease lost; standing by")
				drop()
			case <-held.Done():
			}
		}()
		for attempt := 1; held.Err() == nil; attempt++ {
			err := r.session(held)
			if err == nil || held.Err() != nil {
				break
			}
			if attempt == 1 || attempt%20 == 0 {
				r.log.Warn("embedded analytics cannot read the stream; retrying", "err", err, "attempt", attempt)
			}
			eventbus.Sleep(held, min(time.Duration(attempt)*200*time.Millisecond, 5*time.Second))
		}
		drop()
		select {
		case <-lost:
			r.role.Store("standby")
		default:
			l.Release()
		}
	}
}

// session rebuilds the detectors from the stream and runs them until ctx
// ends.
func (r *Runner) session(ctx context.Context) error {
	stream, err := r.cfg.JS.Stream(ctx, eventbus.StreamName(r.cfg.Cell))
	if err != nil {
		return fmt.Errorf("analytics: event stream: %w", err)
	}
	d := New(r.cfg.Detectors)
	cons, err := stream.Consumer(ctx, consumerName)
	switch {
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		start := time.Now().Add(-r.cfg.Warmup)
		cons, err = stream.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: consumerName,
			Description: "embedded analytics (docs/analytics.md)", FilterSubject: events.KindSubjects(r.cfg.Cell, events.TypePriceUpdate),
			DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &start, AckPolicy: jetstream.AckAllPolicy,
			AckWait: time.Minute, MaxAckPending: 4 * r.cfg.Batch})
		if err != nil {
			return fmt.Errorf("analytics: consumer: %w", err)
		}
	case err != nil:
		return fmt.Errorf("analytics: consumer: %w", err)
	default:
		info, err := cons.Info(ctx)
		if err != nil {
			return fmt.Errorf("analytics: consumer: %w", err)
		}
		if err := r.warmUp(ctx, stream, d, info.AckFloor.Stream); err != nil {
			return err
		}
	}
	for ctx.Err() == nil {
		batch, err := cons.Fetch(r.cfg.Batch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return fmt.Errorf("analytics: fetching: %w", err)
		}
		var last jetstream.Msg
		var out []events.Event
		for m := range batch.Messages() {
			last = m
			out = append(out, r.observe(d, m.Data())...)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			r.log.Debug("fetch ended early", "err", err)
		}
		if last == nil {
			continue
		}
		// The detectors have moved on: the results must be stored
		// before the batch is acknowledged, so they are retried until
		// they are (same ids; the stream drops copies).
		for attempt := 1; len(out) > 0; attempt++ {
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := eventbus.Store(sctx, r.cfg.JS, out...)
			cancel()
			if err == nil {
				r.results.Add(len(out))
				r.lastResult.Store(time.Now().UnixMilli())
				break
			}
			if ctx.Err() != nil {
				return nil // unacknowledged: the next session replays and redoes them
			}
			if attempt == 1 || attempt%20 == 0 {
				r.log.Warn("storing analytics results; retrying", "err", err, "attempt", attempt)
			}
			eventbus.Sleep(ctx, min(time.Duration(attempt)*200*time.Millisecond, 5*time.Second))
		}
		if err := last.Ack(); err != nil {
			r.log.Warn("acknowledging price updates to the stream; they will be processed again", "err", err)
		}
	}
	return nil
}

// warmUp replays the price updates up to stream sequence through (those
// processed before a restart), silently, so the detectors' windows and
// reorder buffer are as they were.
func (r *Runner) warmUp(ctx context.Context, stream jetstream.Stream, d *Detectors, through uint64) error {
	if through == 0 {
		return nil
	}
	start := time.Now().Add(-r.cfg.Warmup)
	oc, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.KindSubjects(r.cfg.Cell, events.TypePriceUpdate)},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy, OptStartTime: &start})
	if err != nil {
		return fmt.Errorf("analytics: warm-up: %w", err)
	}
	n := 0
	for ctx.Err() == nil {
		batch, err := oc.Fetch(r.cfg.Batch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return fmt.Errorf("analytics: warm-up: %w", err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil || md.Sequence.Stream > through {
				r.replayed.Add(n)
				return nil
			}
			r.observe(d, m.Data())
			n++
		}
		if got == 0 {
			break
		}
	}
	r.replayed.Add(n)
	return nil
}

func (r *Runner) observe(d *Detectors, data []byte) []events.Event {
	var ev events.PriceUpdate
	if err := json.Unmarshal(data, &ev); err != nil {
		r.skipped.Inc()
		return nil
	}
	return d.Observe(ev)
}
