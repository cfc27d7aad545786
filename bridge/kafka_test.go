package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/internal/testkafka"
	"github.com/gpubroker/gpubroker/internal/testlog"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// These tests run against a real Kafka broker: the shared one
// (GPUBROKER_TEST_KAFKA_BROKERS) or, where the broker is stopped, one of
// their own (internal/testkafka). Each uses its own cell name and reads
// only its cell's records, so they share topics safely.

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func uniqueCell(t *testing.T) string {
	return fmt.Sprintf("t%d", time.Now().UnixNano()%1e12)
}

// newBus is a JetStream bus for cell on nc, closed with the test.
func newBus(t *testing.T, nc *nats.Conn, cell string) *eventbus.JetStream {
	t.Helper()
	bus, err := eventbus.New(nc, eventbus.Config{Stream: eventbus.StreamConfig{Cell: cell, MaxBytes: 256 << 20}, Logger: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close(context.Background()) })
	return bus
}

// startBridge runs a bridge for cell in the test process.
func startBridge(t *testing.T, nc *nats.Conn, cell, brokers string) *Bridge {
	t.Helper()
	logs := &testlog.Buffer{}
	b, err := New(nc, Config{Cell: cell, Brokers: strings.Split(brokers, ","), RetryMax: time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, nil))}, eventbus.StreamConfig{MaxBytes: 256 << 20})
	if err != nil {
		t.Fatal(err)
	}
	b.Start()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bridge log:\n%s", logs.String())
		}
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = b.Stop(ctx)
	})
	return b
}

// record is what a test reads back from Kafka.
type record struct {
	id, key, topic string
	value          []byte
	headers        map[string]string
}

// reader collects, from every partition of topic, the records from now on
// that keep says to keep.
type reader struct {
	mu   sync.Mutex
	recs []record
}

func readTopic(t *testing.T, brokers, topic string, keep func(record) bool) *reader {
	t.Helper()
	sc := sarama.NewConfig()
	sc.Version = sarama.V4_0_0_0
	client, err := sarama.NewClient(strings.Split(brokers, ","), sc)
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ensureTopics(admin, 12, 1); err != nil {
		t.Fatal(err)
	}
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	// A topic just created takes a moment to appear in the metadata.
	var parts []int32
	for deadline := time.Now().Add(30 * time.Second); ; {
		if err = client.RefreshMetadata(topic); err == nil {
			if parts, err = client.Partitions(topic); err == nil && len(parts) > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", topic, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	r := &reader{}
	for _, p := range parts {
		off, err := client.GetOffset(topic, p, sarama.OffsetNewest)
		for deadline := time.Now().Add(30 * time.Second); err != nil && time.Now().Before(deadline); {
			time.Sleep(200 * time.Millisecond) // a new partition's leader is being elected
			off, err = client.GetOffset(topic, p, sarama.OffsetNewest)
		}
		if err != nil {
			t.Fatal(err)
		}
		pc, err := consumer.ConsumePartition(topic, p, off)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for m := range pc.Messages() {
				rec := record{key: string(m.Key), topic: m.Topic, value: m.Value, headers: map[string]string{}}
				for _, h := range m.Headers {
					rec.headers[string(h.Key)] = string(h.Value)
				}
				rec.id = rec.headers[events.KafkaHeaderID]
				if keep(rec) {
					r.mu.Lock()
					r.recs = append(r.recs, rec)
					r.mu.Unlock()
				}
			}
		}()
	}
	t.Cleanup(func() { _ = consumer.Close(); _ = client.Close() })
	return r
}

func ofCell(cell string) func(record) bool {
	return func(r record) bool { return r.headers["cell"] == cell }
}

func (r *reader) snapshot() []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]record(nil), r.recs...)
}

// distinct counts the different event ids read.
func (r *reader) distinct() int {
	seen := map[string]bool{}
	for _, rec := range r.snapshot() {
		seen[rec.id] = true
	}
	return len(seen)
}

// waitFor waits until n distinct events were read.
func (r *reader) waitFor(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for r.distinct() < n {
		if time.Now().After(deadline) {
			t.Fatalf("kafka holds %d of %d events after %s", r.distinct(), n, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// source publishes numbered price updates over offers, in the cell,
// remembering each event's offer and number.
type source struct {
	cell   string
	bus    eventbus.Bus
	offers int
	mu     sync.Mutex
	ids    []string
	seq    map[string]int // event id -> its number
}

func newSource(cell string, bus eventbus.Bus, offers int) *source {
	return &source{cell: cell, bus: bus, offers: offers, seq: map[string]int{}}
}

func (p *source) publish(t *testing.T, n int) {
	t.Helper()
	for range n {
		p.mu.Lock()
		i := len(p.ids)
		e := events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, p.cell, time.Now()), "sim",
			fmt.Sprintf("sim:offer-%d", i%p.offers), "h100-sxm", "us-east", events.Price(float64(i)), events.Price(float64(i+1)))
		p.ids = append(p.ids, e.EventID)
		p.seq[e.EventID] = i
		p.mu.Unlock()
		if err := p.bus.Publish(e); err != nil {
			t.Error(err)
			return
		}
	}
}

// check asserts every produced event is in recs and duplicates share an
// event_id and body; with ordered, also that each offer's events first
// appear in order (otherwise the inversions are counted and logged).
func (p *source) check(t *testing.T, recs []record, ordered bool) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	first := map[string]record{}
	last := map[string]int{} // offer -> number of its latest first-seen event
	dups, inversions := 0, 0
	for _, r := range recs {
		if prev, ok := first[r.id]; ok {
			dups++
			if string(prev.value) != string(r.value) {
				t.Fatalf("duplicate of %s with another body", r.id)
			}
			continue
		}
		first[r.id] = r
		n, ok := p.seq[r.id]
		if !ok {
			t.Fatalf("kafka holds event %s this test did not produce", r.id)
		}
		var body events.PriceUpdate
		if err := json.Unmarshal(r.value, &body); err != nil || body.EventID != r.id || body.OfferID != r.key {
			t.Fatalf("record %s: key %q body %s (%v)", r.id, r.key, r.value, err)
		}
		if prev, ok := last[r.key]; ok && prev > n {
			if ordered {
				t.Fatalf("offer %s: event %d reached kafka after event %d", r.key, n, prev)
			}
			inversions++
			continue
		}
		last[r.key] = n
	}
	for _, id := range p.ids {
		if _, ok := first[id]; !ok {
			t.Fatalf("event %s (number %d) never reached kafka", id, p.seq[id])
		}
	}
	t.Logf("%d events, %d records (%d duplicates, %d first arrivals out of per-offer order)", len(p.ids), len(recs), dups, inversions)
}

// 100,000 price events published in the cell arrive in
// gpubroker.price-updates: none missing, per-offer order kept.
func TestKafkaDeliversEveryEvent(t *testing.T) {
	brokers := testenv.KafkaBrokers(t)
	nc := testnats.JetStream(t)
	cell := uniqueCell(t)
	r := readTopic(t, brokers, events.TopicPriceUpdates, ofCell(cell))
	bus := newBus(t, nc, cell)
	startBridge(t, nc, cell, brokers)
	p := newSource(cell, bus, 1000)
	p.publish(t, 100_000)
	r.waitFor(t, 100_000, 3*time.Minute)
	p.check(t, r.snapshot(), true)
}

// publishFor publishes batch events every tick until stop is closed.
func (p *source) publishFor(t *testing.T, stop <-chan struct{}, batch int, tick time.Duration) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(tick):
				p.publish(t, batch)
			}
		}
	}()
	return done
}

// The broker is stopped for 30 s while events keep coming, then started
// again: every event made during the outage arrives.
func TestKafkaBrokerOutage(t *testing.T) {
	broker := testkafka.Start(t)
	nc := testnats.JetStream(t)
	cell := uniqueCell(t)
	r := readTopic(t, broker.Addr(), events.TopicPriceUpdates, ofCell(cell))
	bus := newBus(t, nc, cell)
	b := startBridge(t, nc, cell, broker.Addr())
	p := newSource(cell, bus, 200)
	stop := make(chan struct{})
	done := p.publishFor(t, stop, 100, 50*time.Millisecond) // 2,000 events/s
	time.Sleep(3 * time.Second)
	broker.Stop()
	p.mu.Lock()
	outageStart := len(p.ids)
	p.mu.Unlock()
	time.Sleep(30 * time.Second)
	if st := b.Status(context.Background()); st.Reachable {
		t.Errorf("bridge reports kafka reachable 30 s into the outage: %+v", st)
	}
	broker.Restart()
	time.Sleep(3 * time.Second)
	close(stop)
	<-done
	p.mu.Lock()
	total, during := len(p.ids), len(p.ids)-outageStart
	p.mu.Unlock()
	t.Logf("%d events, %d made after the broker was stopped", total, during)
	// The reader's consumer reconnects to the restarted broker by itself.
	// Order is counted, not asserted: while the broker goes down sarama
	// fails some partitions' records at once (no leader, its breaker open)
	// and holds others in its retries, so an offer's refused event can
	// reach Kafka after a later one (both arrive). After a rewind the
	// bridge sends one event at a time until every partition has a leader
	// again, which keeps the recovery itself in order.
	r.waitFor(t, total, 2*time.Minute)
	p.check(t, r.snapshot(), false)
}
