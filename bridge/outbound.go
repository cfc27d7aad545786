package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// outbound moves one kind from the stream to its Kafka topic.
type outbound struct {
	b     *Bridge
	route events.Route
	js    jetstream.JetStream
	mu    sync.Mutex
	cons  jetstream.Consumer // replaced at every rewind
	// typeValue and cellValue are the type and cell header values of
	// every record, shared (sarama only reads them).
	typeValue, cellValue []byte
}

func newOutbound(b *Bridge, r events.Route, js jetstream.JetStream, c jetstream.Consumer) *outbound {
	return &outbound{b: b, route: r, js: js, cons: c, typeValue: []byte(r.Type), cellValue: []byte(b.cfg.Cell)}
}

func (o *outbound) consumer() jetstream.Consumer {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.cons
}

// consumerPrefix names the durable JetStream consumers of an outbound
// kind; each rewind makes the next generation ("bridge-price_update-g7").
func consumerPrefix(typ string) string { return "bridge-" + typ + "-g" }

// outboundConsumer makes the next generation of an outbound kind's durable
// consumer, starting at the first message the previous generation did not
// acknowledge, and removes the previous ones. A consumer left by a bridge
// that died holds deliveries that will never be acknowledged: redelivering
// them later, after newer messages, would break per-offer order, and
// acknowledging past them (the consumer acknowledges cumulatively) would
// lose them. A new name per generation also means a late acknowledgement
// meant for an old generation cannot acknowledge anything in the new one.
// Starting over from the ack floor costs duplicates in Kafka, never a gap.
// One bridge per cell: a second would rewind the first's consumers.
func (b *Bridge) outboundConsumer(ctx context.Context, js jetstream.JetStream, r events.Route) (jetstream.Consumer, error) {
	name := eventbus.StreamName(b.cfg.Cell)
	stream, err := js.Stream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("bridge: event stream %s: %w", name, err)
	}
	prefix := consumerPrefix(r.Type)
	var old []string
	gen, floor := 0, uint64(0)
	names := stream.ConsumerNames(ctx)
	for n := range names.Name() {
		g, err := strconv.Atoi(strings.TrimPrefix(n, prefix))
		if !strings.HasPrefix(n, prefix) || err != nil {
			continue
		}
		c, err := stream.Consumer(ctx, n)
		var info *jetstream.ConsumerInfo
		if err == nil {
			info, err = c.Info(ctx)
		}
		if errors.Is(err, jetstream.ErrConsumerNotFound) {
			continue // an older generation still being removed
		}
		if err != nil {
			return nil, fmt.Errorf("bridge consumer %s: %w", n, err)
		}
		old = append(old, n)
		if g > gen {
			gen, floor = g, info.AckFloor.Stream
		}
	}
	if err := names.Err(); err != nil {
		return nil, fmt.Errorf("bridge: listing consumers of %s: %w", name, err)
	}
	cc := jetstream.ConsumerConfig{
		Durable:       prefix + strconv.Itoa(gen+1),
		Description:   "bridge " + r.Type + " → kafka " + r.Topic,
		FilterSubject: events.KindSubjects(b.cfg.Cell, r.Type),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       time.Minute,
		MaxAckPending: (b.cfg.InFlight + 1) * b.cfg.Batch,
		MaxWaiting:    8,
	}
	if floor > 0 {
		cc.DeliverPolicy, cc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, floor+1
	}
	c, err := stream.CreateConsumer(ctx, cc)
	if err != nil {
		return nil, fmt.Errorf("bridge consumer %s: %w", cc.Durable, err)
	}
	for _, n := range old {
		if err := stream.DeleteConsumer(ctx, n); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			b.log.Warn("removing an old bridge consumer", "consumer", n, "err", err)
		}
	}
	return c, nil
}

// batchInFlight is one fetched batch on its way to Kafka.
type batchInFlight struct {
	msgs    []jetstream.Msg
	outcome outcome
	done    chan struct{}
}

// run forwards batches until ctx ends. When Kafka refuses a record (sarama
// fails records at once while a partition has no reachable leader), run
// rewinds: it lets what is in flight finish, recreates the consumer at the
// first unacknowledged message and goes on from there, so a refused record
// is sent again before anything that followed it, at the price of
// duplicates. After a rewind it probes with one event at a time until Kafka
// takes one and every partition of the topic has a leader, so batches are
// not pipelined into a broker that is coming back partition by partition.
func (o *outbound) run(ctx, hard context.Context, p *producer) {
	for attempt := 1; ; attempt++ {
		if !o.pass(ctx, hard, p, o.consumer(), attempt > 1) || ctx.Err() != nil || hard.Err() != nil {
			return
		}
		eventbus.Sleep(ctx, o.b.backoff(attempt))
		for ctx.Err() == nil {
			c, err := o.b.outboundConsumer(ctx, o.js, o.route)
			if err == nil {
				o.mu.Lock()
				o.cons = c
				o.mu.Unlock()
				break
			}
			o.b.log.Warn("rewinding the event stream", "type", o.route.Type, "err", err)
			eventbus.Sleep(ctx, o.b.backoff(attempt))
		}
	}
}

// pass fetches batches from cons, keeping up to Config.InFlight of them on
// their way to Kafka at once (records are handed to sarama in stream
// order, and sarama keeps each partition's in order). Batches are
// acknowledged to JetStream strictly in fetch order and none after one
// that failed: the consumer acknowledges cumulatively. careful sends one
// event at a time, each awaited, until one is delivered. pass returns once
// every batch it started is finished (or abandoned at hard); true asks for
// a rewind.
func (o *outbound) pass(ctx, hard context.Context, p *producer, cons jetstream.Consumer, careful bool) (rewind bool) {
	log := o.b.log.With("type", o.route.Type, "topic", o.route.Topic)
	queue := make(chan *batchInFlight, o.b.cfg.InFlight) // to the acker, in fetch order
	slots := make(chan struct{}, o.b.cfg.InFlight)       // batches on their way to Kafka
	failed := make(chan struct{})
	acked := make(chan struct{})
	go func() {
		defer close(acked)
		stopped := false
		for bf := range queue {
			<-bf.done
			if !stopped && bf.outcome != delivered {
				stopped, rewind = true, bf.outcome == refused
				close(failed)
			}
			if stopped {
				continue
			}
			// Confirmed, so that when pass returns the ack floor is
			// final and a rewind starts right after it.
			actx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := bf.msgs[len(bf.msgs)-1].DoubleAck(actx); err != nil {
				log.Warn("acknowledging a delivered batch to JetStream; it will be delivered again", "err", err)
			}
			cancel()
			o.b.m.forwarded(o.route.Type).Add(len(bf.msgs))
		}
	}()
	defer func() {
		close(queue)
		<-acked // sets rewind
	}()
	for fails := 0; ctx.Err() == nil && hard.Err() == nil; {
		select {
		case <-failed:
			return
		default:
		}
		n := o.b.cfg.Batch
		if careful {
			n = 1
		}
		msgs, err := o.fetch(cons, n)
		if err != nil {
			fails++
			if fails == 1 || fails%60 == 0 {
				log.Warn("reading the event stream", "err", err)
			}
			eventbus.Sleep(ctx, min(time.Duration(fails)*100*time.Millisecond, 2*time.Second))
			continue
		}
		fails = 0
		if len(msgs) == 0 {
			continue
		}
		bf := &batchInFlight{msgs: msgs, done: make(chan struct{})}
		slots <- struct{}{} // waits while InFlight batches are on their way
		queue <- bf
		d := o.send(hard, p, msgs)
		go func() {
			bf.outcome = o.await(d, msgs, log)
			<-slots
			close(bf.done)
		}()
		if careful {
			<-bf.done
			// Batches again only once every partition has a leader: a
			// partition still without one would refuse its part of a
			// batch while the others take theirs, and the events sent
			// again after the rewind would then follow later ones.
			careful = bf.outcome != delivered || (p.writable != nil && !p.writable(o.route.Topic))
		}
	}
	return
}

// fetch takes what the stream holds now, up to n; with nothing there it
// waits (up to FetchWait) for the first message and takes what came with
// it. So a trickle goes out at once and a backlog in batches of n.
func (o *outbound) fetch(cons jetstream.Consumer, n int) ([]jetstream.Msg, error) {
	msgs, err := collect(cons.FetchNoWait(n))
	if err != nil || len(msgs) > 0 || n == 1 {
		return msgs, err
	}
	if msgs, err = collect(cons.Fetch(1, jetstream.FetchMaxWait(o.b.cfg.FetchWait))); err != nil || len(msgs) == 0 {
		return msgs, err
	}
	more, err := collect(cons.FetchNoWait(n - 1))
	return append(msgs, more...), err
}

func collect(batch jetstream.MessageBatch, err error) ([]jetstream.Msg, error) {
	if err != nil {
		return nil, err
	}
	var msgs []jetstream.Msg
	for m := range batch.Messages() {
		msgs = append(msgs, m)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout) {
		return msgs, fmt.Errorf("fetching from the event stream: %w", err)
	}
	return msgs, nil
}

// send hands one batch to the producer, in stream order.
func (o *outbound) send(hard context.Context, p *producer, msgs []jetstream.Msg) *delivery {
	records := make([]*sarama.ProducerMessage, len(msgs))
	stored := make([]time.Time, len(msgs))
	// One allocation per batch for the records and their headers.
	recs := make([]sarama.ProducerMessage, len(msgs))
	hdrs := make([]sarama.RecordHeader, recordHeaders*len(msgs))
	for i, m := range msgs {
		n := recordHeaders
		records[i] = o.record(m, &recs[i], hdrs[i*n:(i+1)*n:(i+1)*n])
		if md, err := m.Metadata(); err == nil {
			stored[i] = md.Timestamp
		}
	}
	return p.send(hard, records, stored)
}

// await reports how the batch ended.
func (o *outbound) await(d *delivery, msgs []jetstream.Msg, log *slog.Logger) outcome {
	// Keep JetStream from redelivering the batch while Kafka is slow or
	// away (sarama retries inside).
	out := d.await(func() {
		for _, m := range msgs {
			_ = m.InProgress()
		}
	})
	switch out {
	case delivered:
		o.b.kafkaUp()
	case refused:
		o.b.kafkaDown(d.f.lastErr)
		o.b.m.rewinds.Inc()
		log.Warn("kafka refused records; rewinding to the first unacknowledged event", "refused", len(d.f.failed), "err", d.f.lastErr)
	}
	return out
}

// recordHeaders is how many headers every record carries.
const recordHeaders = 3 // event id, type, cell

// record maps a stream message into r, with hdrs (len recordHeaders) for
// its headers; one the bridge cannot map (no event id) goes to the
// dead-letter topic instead, with why.
func (o *outbound) record(m jetstream.Msg, r *sarama.ProducerMessage, hdrs []sarama.RecordHeader) *sarama.ProducerMessage {
	h := m.Headers()
	id, key := h.Get(events.HeaderID), h.Get(events.HeaderKey)
	if key == "" {
		key = lastToken(m.Subject())
	}
	hdrs[0] = sarama.RecordHeader{Key: kafkaHeaderID, Value: []byte(id)}
	hdrs[1] = sarama.RecordHeader{Key: headerType, Value: o.typeValue}
	hdrs[2] = sarama.RecordHeader{Key: headerCell, Value: o.cellValue}
	*r = sarama.ProducerMessage{Topic: o.route.Topic, Key: sarama.StringEncoder(key), Value: sarama.ByteEncoder(m.Data()), Headers: hdrs}
	if id == "" {
		r.Topic = events.TopicDLQUnmapped
		r.Headers = append(r.Headers,
			sarama.RecordHeader{Key: []byte(events.HeaderDLQReason), Value: []byte("stream message " + m.Subject() + " has no " + events.HeaderID + " header")},
			sarama.RecordHeader{Key: []byte(events.HeaderDLQTopic), Value: []byte(o.route.Topic)})
	}
	return r
}

// Header keys shared by every record: sarama only reads them.
var (
	kafkaHeaderID = []byte(events.KafkaHeaderID)
	headerType    = []byte("type")
	headerCell    = []byte("cell")
)

func lastToken(subject string) string {
	for i := len(subject) - 1; i >= 0; i-- {
		if subject[i] == '.' {
			return subject[i+1:]
		}
	}
	return subject
}
