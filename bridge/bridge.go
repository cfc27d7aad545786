package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// Bridge runs both directions for one cell.
type Bridge struct {
	cfg    Config
	stream eventbus.StreamConfig
	nc     *nats.Conn
	log    *slog.Logger
	m      *bridgeMetrics

	stop   context.CancelFunc // stops fetching and consuming
	abort  context.CancelFunc // abandons batches in flight
	done   chan struct{}
	state  sync.Mutex
	role   string // roleActive or roleStandby once the lease was tried
	up     bool
	lastOK time.Time
	err    string
	outs   []*outbound
}

// New checks cfg; Start does the work. stream must match the limits the
// cell's producers use (the bridge may be the first to create it).
func New(nc *nats.Conn, cfg Config, stream eventbus.StreamConfig) (*Bridge, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	stream.Cell = cfg.Cell
	return &Bridge{cfg: cfg, stream: stream, nc: nc, m: newBridgeMetrics(cfg.Metrics),
		log: cfg.Logger.With("component", "bridge", "brokers", cfg.Brokers), done: make(chan struct{})}, nil
}

// Start begins connecting to Kafka in the background; it never fails for
// Kafka being away (the stream buffers meanwhile).
func (b *Bridge) Start() {
	ctx, stop := context.WithCancel(context.Background())
	hard, abort := context.WithCancel(context.Background())
	b.stop, b.abort = stop, abort
	go func() {
		defer close(b.done)
		b.run(ctx, hard)
	}()
}

// Stop stops taking new work, lets batches in flight reach Kafka (until
// ctx ends), flushes the producer and commits the inbound offsets that
// were delivered.
func (b *Bridge) Stop(ctx context.Context) error {
	b.stop()
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		b.abort()
		<-b.done
		return fmt.Errorf("bridge: stopped before every batch in flight reached kafka (it stays in the stream): %w", ctx.Err())
	}
}

func (b *Bridge) backoff(attempt int) time.Duration {
	return min(100*time.Millisecond<<min(attempt-1, 10), b.cfg.RetryMax)
}

// run waits for the cell's bridge lease, then forwards while it holds it;
// a lease it could not renew makes it stop at once (batches in flight are
// abandoned: they stay in the stream for the next holder) and stand by
// again.
func (b *Bridge) run(ctx, hard context.Context) {
	js, err := jetstream.New(b.nc)
	if err != nil {
		b.log.Error("bridge cannot start: jetstream client", "err", err)
		return
	}
	for ctx.Err() == nil {
		l := eventbus.AcquireLease(ctx, js, eventbus.LeaseConfig{Bucket: LeaseBucket(b.cfg.Cell),
			What: "forwards this cell's events to Kafka", TTL: b.cfg.LeaseTTL, Logger: b.log,
			OnStandby: func(string) { b.setRole(roleStandby) }})
		if l == nil {
			return
		}
		b.setRole(roleActive)
		held, drop := context.WithCancel(ctx)
		heldHard, dropHard := context.WithCancel(hard)
		lost := l.Keep(held)
		go func() {
			select {
			case <-lost:
				b.log.Warn("bridge lease lost (not renewed in time); stopping and standing by", "lease_ttl", b.cfg.LeaseTTL.String())
				dropHard()
				drop()
			case <-held.Done():
			}
		}()
		b.sessions(held, heldHard)
		select {
		case <-lost:
			b.setRole(roleStandby)
		default:
			drop()
			dropHard()
			l.Release()
			return
		}
		dropHard()
	}
}

// sessions connects to Kafka (retrying) and runs until ctx ends.
func (b *Bridge) sessions(ctx, hard context.Context) {
	for attempt := 1; ctx.Err() == nil; attempt++ {
		err := b.session(ctx, hard)
		if err == nil || ctx.Err() != nil {
			return
		}
		b.kafkaDown(err)
		if attempt == 1 || attempt%10 == 0 {
			b.log.Warn("kafka unreachable; events stay in the JetStream stream until it is back", "err", err, "attempt", attempt)
		}
		eventbus.Sleep(ctx, b.backoff(attempt))
	}
}

// session is one connection to Kafka: topics, producer, the outbound
// consumers and the inbound group, until ctx ends.
func (b *Bridge) session(ctx, hard context.Context) error {
	// Kafka first: a new consumer generation is made only once there is a
	// producer to feed, not on every attempt while Kafka is away.
	client, err := sarama.NewClient(b.cfg.Brokers, b.cfg.producerConfig())
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer func() { _ = client.Close() }()
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		return fmt.Errorf("kafka admin: %w", err)
	}
	created, err := ensureTopics(admin, b.cfg.Partitions, b.cfg.ReplicationFactor)
	if err != nil {
		return err
	}
	if len(created) > 0 {
		b.log.Info("kafka topics created", "topics", created, "partitions", b.cfg.Partitions, "replication", b.cfg.ReplicationFactor)
	}
	js, err := jetstream.New(b.nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	outs, err := b.openOutbound(ctx, js)
	if err != nil {
		return err
	}
	ap, err := sarama.NewAsyncProducerFromClient(client)
	if err != nil {
		return fmt.Errorf("kafka producer: %w", err)
	}
	p := newProducer(ap, b.m)
	p.writable = allWritable(client)
	group, err := sarama.NewConsumerGroup(b.cfg.Brokers, b.cfg.Group, b.cfg.consumerConfig())
	if err != nil {
		_ = p.close()
		return fmt.Errorf("kafka consumer group: %w", err)
	}
	b.state.Lock()
	b.outs = outs
	b.state.Unlock()
	b.kafkaUp()
	b.log.Info("bridge running", "outbound", len(outs), "group", b.cfg.Group)

	var wg sync.WaitGroup
	for _, o := range outs {
		wg.Go(func() { o.run(ctx, hard, p) })
	}
	in := &inbound{b: b, js: js, p: p, routes: map[string]events.Route{}}
	var topics []string
	for _, r := range events.Routes() {
		if !r.Outbound {
			in.routes[r.Topic] = r
			topics = append(topics, r.Topic)
		}
	}
	wg.Go(func() { b.consume(ctx, group, topics, in) })
	go func() { // ends when the group is closed below
		for err := range group.Errors() {
			b.log.Warn("kafka consumer group", "err", err)
		}
	}()
	<-ctx.Done()
	wg.Wait() // outbound batches done (or abandoned at hard); consume returned
	errs := []error{}
	if err := group.Close(); err != nil { // commits the marked offsets
		errs = append(errs, fmt.Errorf("closing kafka consumer group: %w", err))
	}
	if err := p.close(); err != nil {
		errs = append(errs, fmt.Errorf("flushing kafka producer: %w", err))
	}
	b.state.Lock()
	b.outs = nil
	b.state.Unlock()
	if err := errors.Join(errs...); err != nil {
		b.log.Warn("bridge stopped", "err", err)
	}
	return nil
}

// openOutbound makes sure the stream exists and opens the next consumer
// generation of every outbound kind.
func (b *Bridge) openOutbound(ctx context.Context, js jetstream.JetStream) ([]*outbound, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := eventbus.EnsureStream(ctx, js, b.stream); err != nil {
		return nil, err
	}
	var outs []*outbound
	for _, r := range events.Routes() {
		if !r.Outbound {
			continue
		}
		c, err := b.outboundConsumer(ctx, js, r)
		if err != nil {
			return nil, err
		}
		outs = append(outs, newOutbound(b, r, js, c))
	}
	return outs, nil
}

// consume runs the inbound group until ctx ends; Consume returns at every
// rebalance and is called again.
func (b *Bridge) consume(ctx context.Context, group sarama.ConsumerGroup, topics []string, h sarama.ConsumerGroupHandler) {
	for attempt := 1; ctx.Err() == nil; {
		if err := group.Consume(ctx, topics, h); err != nil {
			if errors.Is(err, sarama.ErrClosedConsumerGroup) {
				return
			}
			if attempt == 1 || attempt%20 == 0 {
				b.log.Warn("kafka consumer group session", "err", err, "attempt", attempt)
			}
			eventbus.Sleep(ctx, b.backoff(attempt))
			attempt++
			continue
		}
		attempt = 1
	}
}

// A bridge's role in its cell.
const (
	roleActive  = "active"  // holds the lease and forwards
	roleStandby = "standby" // another bridge holds it
)

func (b *Bridge) setRole(r string) {
	b.state.Lock()
	defer b.state.Unlock()
	b.role = r
}

func (b *Bridge) kafkaUp() {
	b.state.Lock()
	defer b.state.Unlock()
	b.up, b.lastOK, b.err = true, time.Now(), ""
}

func (b *Bridge) kafkaDown(err error) {
	b.state.Lock()
	defer b.state.Unlock()
	b.up = false
	if err != nil {
		b.err = err.Error()
	}
}
