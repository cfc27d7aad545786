package bridge

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/gpubroker/gpubroker/shared/events"
)

// producer wraps sarama's async producer so a caller can hand it a batch
// and learn which records Kafka refused.
type producer struct {
	ap   sarama.AsyncProducer
	m    *bridgeMetrics
	done sync.WaitGroup
	// writable reports whether every partition of a topic has a leader
	// (nil: assume so).
	writable func(topic string) bool
}

// tracked is a record's Metadata: which batch it belongs to and when it
// was handed to the producer.
type tracked struct {
	batch  *inflight
	index  int
	sent   time.Time
	stored time.Time // when the stream took the event; zero: not from the stream
}

// inflight collects the outcome of one send of a batch.
type inflight struct {
	mu      sync.Mutex
	left    int
	failed  []int
	lastErr error
	all     chan struct{}
}

func (f *inflight) finish(index int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.failed = append(f.failed, index)
		f.lastErr = err
	}
	f.left--
	if f.left == 0 {
		close(f.all)
	}
}

func newProducer(ap sarama.AsyncProducer, m *bridgeMetrics) *producer {
	p := &producer{ap: ap, m: m}
	p.done.Add(2)
	go func() {
		defer p.done.Done()
		for s := range ap.Successes() {
			t := s.Metadata.(*tracked)
			p.m.produced(s.Topic).Inc()
			if s.Topic == events.TopicDLQUnmapped {
				p.m.dlq(s.Topic).Inc()
			}
			p.m.latency.UpdateDuration(t.sent)
			if !t.stored.IsZero() {
				p.m.delivery.UpdateDuration(t.stored)
			}
			t.batch.finish(t.index, nil)
		}
	}()
	go func() {
		defer p.done.Done()
		for e := range ap.Errors() {
			p.m.failed(e.Msg.Topic).Inc()
			t := e.Msg.Metadata.(*tracked)
			t.batch.finish(t.index, e.Err)
		}
	}()
	return p
}

// waitTick is how often a delivery calls onWait while Kafka has not
// answered.
const waitTick = 15 * time.Second

// delivery is a set of records on their way to Kafka.
type delivery struct {
	p       *producer
	records []*sarama.ProducerMessage
	stored  []time.Time // when the stream took each record's event; nil: not from the stream
	f       *inflight
	sent    bool // every record of the last attempt was handed over
}

// send hands records to the producer, in order, and returns at once; the
// caller hands over the next batch only after send returned, which is what
// keeps records in stream order inside sarama. stored, when set, holds when
// the stream took each record's event, for the publish-to-Kafka latency.
func (p *producer) send(ctx context.Context, records []*sarama.ProducerMessage, stored []time.Time) *delivery {
	d := &delivery{p: p, records: records, stored: stored}
	all := make([]int, len(records))
	for i := range all {
		all[i] = i
	}
	d.hand(ctx, all)
	return d
}

// hand gives the records at indexes to sarama; ctx ending stops it early.
func (d *delivery) hand(ctx context.Context, indexes []int) {
	f := &inflight{left: len(indexes), all: make(chan struct{})}
	d.f, d.sent = f, false
	meta := make([]tracked, len(indexes)) // one allocation per batch, not per record
	for n, i := range indexes {
		r := d.records[i]
		t := &meta[n]
		*t = tracked{batch: f, index: i, sent: time.Now()}
		if d.stored != nil {
			t.stored = d.stored[i]
		}
		r.Metadata = t
		select {
		case d.p.ap.Input() <- r:
		case <-ctx.Done():
			// What was handed over still reports into f.
			f.mu.Lock()
			f.left -= len(indexes) - n
			if f.left == 0 {
				close(f.all)
			}
			f.mu.Unlock()
			return
		}
	}
	d.sent = true
}

// outcome is how a delivery ended.
type outcome int

const (
	delivered outcome = iota + 1 // Kafka acknowledged every record
	refused                      // Kafka refused some (sarama gave up on them)
	abandoned                    // ctx ended before every record was handed over
)

// await waits until sarama reported every record it was given (so no
// record is reused while sarama holds it), calling onWait every waitTick
// while Kafka is silent.
func (d *delivery) await(onWait func()) outcome {
	for {
		select {
		case <-d.f.all:
			switch {
			case !d.sent:
				return abandoned
			case len(d.f.failed) > 0:
				return refused
			default:
				return delivered
			}
		case <-time.After(waitTick):
			onWait()
		}
	}
}

// deliver sends records until Kafka acknowledged every one, resending the
// refused ones in their order after a backoff; for a caller with nothing
// else in flight (the dead-letter writes). False: ctx ended first.
func (p *producer) deliver(ctx context.Context, records []*sarama.ProducerMessage, backoff func(int) time.Duration,
	onRetry func(attempt int, err error)) bool {
	d := p.send(ctx, records, nil)
	for attempt := 1; ; attempt++ {
		switch d.await(func() {}) {
		case delivered:
			return true
		case abandoned:
			return false
		}
		failed := slices.Sorted(slices.Values(d.f.failed))
		onRetry(attempt, d.f.lastErr)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff(attempt)):
		}
		d.hand(ctx, failed)
	}
}

// allWritable reports whether every partition of topic has a leader in
// client's metadata, refreshed now.
func allWritable(client sarama.Client) func(topic string) bool {
	return func(topic string) bool {
		if err := client.RefreshMetadata(topic); err != nil {
			return false
		}
		all, err := client.Partitions(topic)
		if err != nil || len(all) == 0 {
			return false
		}
		writable, err := client.WritablePartitions(topic)
		return err == nil && len(writable) == len(all)
	}
}

// close flushes what the producer holds and waits for its reports.
func (p *producer) close() error {
	err := p.ap.Close()
	p.done.Wait()
	return err
}
