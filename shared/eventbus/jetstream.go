package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/events"
)

// Config configures the JetStream bus.
type Config struct {
	Stream StreamConfig
	// MaxPending bounds publishes awaiting the stream's ack (default
	// 4096); beyond it Publish waits, which is the backpressure producers
	// feel when NATS is slow.
	MaxPending int
	// Attempts is how often one event is tried before it counts as lost
	// (default 5, backing off from 100 ms).
	Attempts int
	// CheckEvery is how often the stream's fill is read for the metrics
	// and the bound warning (default 10 s).
	CheckEvery time.Duration
	Logger     *slog.Logger
	Metrics    *metrics.Set
}

// JetStream is the Bus on a cell's JetStream stream.
type JetStream struct {
	cfg    Config
	js     jetstream.JetStream
	log    *slog.Logger
	m      *busMetrics
	retry  chan retry
	stop   context.CancelFunc
	loops  sync.WaitGroup
	ready  atomic.Bool // the stream exists with our limits
	warned atomic.Bool // the bound warning was logged for this crossing
	lostAt atomic.Int64
}

type retry struct {
	msg     *nats.Msg
	attempt int
}

// New starts the bus on nc. The stream is created (or updated) now when
// NATS allows it, else retried in the background; publishing works either
// way (core subscribers receive events even without the stream).
func New(nc *nats.Conn, cfg Config) (*JetStream, error) {
	cfg.Stream = cfg.Stream.withDefaults()
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 4096
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 5
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewSet()
	}
	b := &JetStream{cfg: cfg, log: cfg.Logger.With("component", "eventbus"), m: newBusMetrics(cfg.Metrics),
		retry: make(chan retry, cfg.MaxPending)}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(cfg.MaxPending),
		jetstream.WithPublishAsyncTimeout(5*time.Second),
		jetstream.WithPublishAsyncErrHandler(b.onError),
		jetstream.WithPublishAsyncAckHandler(b.onAck))
	if err != nil {
		return nil, fmt.Errorf("eventbus: %w", err)
	}
	b.js = js
	ctx, cancel := context.WithCancel(context.Background())
	b.stop = cancel
	b.ensure(ctx)
	b.loops.Add(2)
	go b.retryLoop(ctx)
	go b.watchLoop(ctx)
	return b, nil
}

// JetStream returns the client the bus publishes with (the bridge reads
// the stream through it).
func (b *JetStream) JetStream() jetstream.JetStream { return b.js }

// Publish sends ev to its subject with Nats-Msg-Id = event_id.
func (b *JetStream) Publish(ev events.Event) error {
	msg, err := Message(ev)
	if err != nil {
		return err
	}
	if _, err := b.js.PublishMsgAsync(msg); err != nil {
		b.onError(b.js, msg, err)
	}
	return nil
}

// Message is ev as the stream holds it: on its subject, JSON, with
// Nats-Msg-Id = event_id so JetStream drops a republished duplicate.
func Message(ev events.Event) (*nats.Msg, error) {
	h := ev.Head()
	data, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("eventbus: encoding %s %s: %w", h.Type, h.EventID, err)
	}
	msg := nats.NewMsg(events.Subject(h.Cell, h.Type, ev.Key()))
	msg.Data = data
	msg.Header.Set(events.HeaderID, h.EventID)
	msg.Header.Set(events.HeaderType, h.Type)
	msg.Header.Set(events.HeaderKey, ev.Key())
	return msg, nil
}

// Store publishes evs and returns once the stream has stored every one
// (or one failed): for consumers that may acknowledge what they read only
// after what it made is safe. js should be a client without the bus's
// async handlers.
func Store(ctx context.Context, js jetstream.JetStream, evs ...events.Event) error {
	futs := make([]jetstream.PubAckFuture, 0, len(evs))
	for _, ev := range evs {
		msg, err := Message(ev)
		if err != nil {
			return err
		}
		f, err := js.PublishMsgAsync(msg)
		if err != nil {
			return fmt.Errorf("eventbus: storing %s %s: %w", ev.Head().Type, ev.Head().EventID, err)
		}
		futs = append(futs, f)
	}
	for _, f := range futs {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("eventbus: storing %s: %w", f.Msg().Header.Get(events.HeaderID), err)
		case <-ctx.Done():
			return fmt.Errorf("eventbus: storing events: %w", ctx.Err())
		}
	}
	return nil
}

// onAck counts a stored event; it runs on the client's ack goroutine.
func (b *JetStream) onAck(_ jetstream.JetStream, msg *nats.Msg, ack *jetstream.PubAck) {
	b.m.published(msg.Header.Get(events.HeaderType)).Inc()
	if ack.Duplicate {
		b.m.duplicates.Inc()
	}
}

// onError queues msg for another try; it must not block (it runs on the
// client's ack goroutine), so a full retry queue means the event is lost.
func (b *JetStream) onError(_ jetstream.JetStream, msg *nats.Msg, err error) {
	b.requeue(retry{msg: msg, attempt: 1}, err)
}

func (b *JetStream) requeue(r retry, err error) {
	if r.attempt >= b.cfg.Attempts {
		b.lost(r.msg, err, "retries exhausted")
		return
	}
	select {
	case b.retry <- retry{msg: r.msg, attempt: r.attempt + 1}:
		b.m.retries.Inc()
	default:
		b.lost(r.msg, err, "retry queue full")
	}
}

func (b *JetStream) lost(msg *nats.Msg, err error, why string) {
	b.m.lost.Inc()
	// One warning per 10 s: a NATS outage would otherwise log per event.
	now := time.Now().UnixNano()
	if last := b.lostAt.Load(); now-last > int64(10*time.Second) && b.lostAt.CompareAndSwap(last, now) {
		b.log.Warn("event not stored in the stream", "why", why, "err", err,
			"event_id", msg.Header.Get(events.HeaderID), "type", msg.Header.Get(events.HeaderType))
	}
}

func (b *JetStream) retryLoop(ctx context.Context) {
	defer b.loops.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-b.retry:
			wait := min(100*time.Millisecond<<(r.attempt-2), 5*time.Second)
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			if !b.ready.Load() {
				b.ensure(ctx)
			}
			if _, err := b.js.PublishMsgAsync(r.msg); err != nil {
				b.requeue(r, err)
			}
		}
	}
}

// ensure creates or updates the stream; false leaves it to the next check.
func (b *JetStream) ensure(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := EnsureStream(ctx, b.js, b.cfg.Stream); err != nil {
		if b.ready.Swap(false) || !errors.Is(err, context.Canceled) {
			b.log.Warn("event stream unavailable; events reach core subscribers only until it is back", "err", err)
		}
		return
	}
	if !b.ready.Swap(true) {
		b.log.Info("event stream ready", "stream", StreamName(b.cfg.Stream.Cell),
			"max_bytes", b.cfg.Stream.MaxBytes, "max_age", b.cfg.Stream.MaxAge.String())
	}
}

// watchLoop keeps the stream's fill metrics current, warns once per
// crossing of 90 % of MaxBytes, and recreates a stream that went away.
func (b *JetStream) watchLoop(ctx context.Context) {
	defer b.loops.Done()
	t := time.NewTicker(b.cfg.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.check(ctx)
		}
	}
}

func (b *JetStream) check(ctx context.Context) {
	if !b.ready.Load() {
		b.ensure(ctx)
		return
	}
	st, err := b.Stats(ctx)
	if err != nil {
		b.ready.Store(false)
		return
	}
	full := st.Bytes*10 >= st.MaxBytes*9
	if full && !b.warned.Swap(true) {
		b.log.Warn("event stream near its byte bound; its oldest events are being dropped",
			"bytes", st.Bytes, "max_bytes", st.MaxBytes, "messages", st.Messages)
	} else if !full {
		b.warned.Store(false)
	}
}

// Stats is the stream's fill.
type Stats struct {
	Messages uint64
	Bytes    uint64
	MaxBytes uint64
	FirstSeq uint64
	LastSeq  uint64
}

// Stats reads the stream's state and updates the fill metrics.
func (b *JetStream) Stats(ctx context.Context) (Stats, error) {
	s, err := b.js.Stream(ctx, StreamName(b.cfg.Stream.Cell))
	if err != nil {
		return Stats{}, fmt.Errorf("eventbus: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("eventbus: %w", err)
	}
	st := Stats{Messages: info.State.Msgs, Bytes: info.State.Bytes, MaxBytes: uint64(info.Config.MaxBytes),
		FirstSeq: info.State.FirstSeq, LastSeq: info.State.LastSeq}
	b.m.store(st)
	return st, nil
}

// Close waits (until ctx ends) for publishes in flight to be stored, then
// stops the background loops.
func (b *JetStream) Close(ctx context.Context) error {
	var err error
	select {
	case <-b.js.PublishAsyncComplete():
	case <-ctx.Done():
		err = fmt.Errorf("eventbus: %d events still unacknowledged at close: %w", b.js.PublishAsyncPending(), ctx.Err())
	}
	b.stop()
	b.loops.Wait()
	return err
}

// Storer is Store on one client, for callers that take an interface.
type Storer struct{ JS jetstream.JetStream }

// Store publishes evs and waits until the stream has stored every one.
func (s Storer) Store(ctx context.Context, evs ...events.Event) error {
	return Store(ctx, s.JS, evs...)
}
