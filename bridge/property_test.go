package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/nats-io/nats.go/jetstream"
	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// flakyKafka is an AsyncProducer whose broker is "down" for the records
// the schedule says. Like a real partition under the idempotent producer,
// once a record of a key failed, later records of that key (by production
// order) fail too until the failed one is sent again (the broker refuses a
// sequence gap); earlier ones sent again are written again. It records
// every acknowledged record.
type flakyKafka struct {
	sarama.AsyncProducer // transactional methods: unused
	in                   chan *sarama.ProducerMessage
	ok                   chan *sarama.ProducerMessage
	bad                  chan *sarama.ProducerError
	mu                   sync.Mutex
	down                 func() bool
	acked                []string       // event ids, in acknowledgement order
	blocker              map[string]int // key -> production index of the record that failed
	order                map[string]int // event id -> production index
	once                 sync.Once
}

func newFlakyKafka(order map[string]int, down func() bool) *flakyKafka {
	k := &flakyKafka{in: make(chan *sarama.ProducerMessage), ok: make(chan *sarama.ProducerMessage, 1024),
		bad: make(chan *sarama.ProducerError, 1024), down: down, blocker: map[string]int{}, order: order}
	go func() {
		for m := range k.in {
			id := string(m.Headers[0].Value)
			key, _ := m.Key.Encode()
			k.mu.Lock()
			at := k.order[id]
			b, blocked := k.blocker[string(key)]
			fail := blocked && at > b
			if !fail {
				fail = k.down()
				switch {
				case fail && (!blocked || at < b):
					k.blocker[string(key)] = at
				case !fail && blocked && at == b:
					delete(k.blocker, string(key))
				}
				if !fail {
					k.acked = append(k.acked, id)
				}
			}
			k.mu.Unlock()
			if fail {
				k.bad <- &sarama.ProducerError{Msg: m, Err: errors.New("broker down")}
			} else {
				k.ok <- m
			}
		}
		close(k.ok)
		close(k.bad)
	}()
	return k
}

func (k *flakyKafka) Input() chan<- *sarama.ProducerMessage     { return k.in }
func (k *flakyKafka) Successes() <-chan *sarama.ProducerMessage { return k.ok }
func (k *flakyKafka) Errors() <-chan *sarama.ProducerError      { return k.bad }
func (k *flakyKafka) AsyncClose()                               { k.once.Do(func() { close(k.in) }) }
func (k *flakyKafka) Close() error                              { k.AsyncClose(); return nil }

func (k *flakyKafka) ids() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.acked...)
}

// Whatever the events and however the broker comes and goes, and however
// often the bridge is stopped mid-stream, the set of event ids Kafka
// acknowledged equals the set produced, and each offer's events first
// reach Kafka in the order they were produced.
func TestPropertyNothingLost(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	nc := testnats.JetStream(t)
	run := 0
	rapid.Check(t, func(rt *rapid.T) {
		run++
		cell := fmt.Sprintf("p%d", run) // a stream of its own per case
		bus, err := eventbus.New(nc, eventbus.Config{Stream: eventbus.StreamConfig{Cell: cell, MaxBytes: 8 << 20}, Logger: quiet})
		if err != nil {
			rt.Fatal(err)
		}
		// New creates the stream unless NATS is slow to answer (then it
		// retries later); the case needs it now.
		if _, err := eventbus.EnsureStream(context.Background(), bus.JetStream(), eventbus.StreamConfig{Cell: cell, MaxBytes: 8 << 20}); err != nil {
			rt.Fatal(err)
		}
		defer func() {
			_ = bus.Close(context.Background())
			_ = bus.JetStream().DeleteStream(context.Background(), eventbus.StreamName(cell))
		}()
		n := rapid.IntRange(1, 400).Draw(rt, "events")
		offers := rapid.IntRange(1, 8).Draw(rt, "offers")
		// The broker's state per record handed to it: runs of failures.
		outages := rapid.SliceOfN(rapid.Bool(), 1, 64).Draw(rt, "outages")
		restarts := rapid.IntRange(0, 3).Draw(rt, "restarts")

		var produced []events.PriceUpdate
		for i := range n {
			offer := string(rune('a' + rapid.IntRange(0, offers-1).Draw(rt, "offer")))
			e := events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, cell, time.Now()), "x", offer, "h100", "us",
				events.Price(float64(i)), events.Price(float64(i+1)))
			produced = append(produced, e)
			if err := bus.Publish(e); err != nil {
				rt.Fatal(err)
			}
		}
		<-bus.JetStream().PublishAsyncComplete()

		var mu sync.Mutex
		step := 0
		index := map[string]int{}
		for i, e := range produced {
			index[e.EventID] = i
		}
		k := newFlakyKafka(index, func() bool {
			mu.Lock()
			defer mu.Unlock()
			step++
			return step < 4*len(outages) && outages[step%len(outages)]
		})
		b, err := New(nc, Config{Cell: cell, Brokers: []string{"unused:9092"}, Batch: rapid.IntRange(1, 100).Draw(rt, "batch"),
			FetchWait: 20 * time.Millisecond, RetryMax: time.Millisecond, Logger: quiet}, eventbus.StreamConfig{})
		if err != nil {
			rt.Fatal(err)
		}
		p := newProducer(k, b.m)
		route := events.Routes()[0]
		for r := 0; r <= restarts; r++ {
			c, err := b.outboundConsumer(context.Background(), bus.JetStream(), route)
			if err != nil {
				rt.Fatal(err)
			}
			o := newOutbound(b, route, bus.JetStream(), c)
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			// A restart abandons the batch in flight, as a crash would.
			hard := context.Background()
			if r < restarts {
				hard = ctx
			}
			go func() { o.run(ctx, hard, p); close(done) }()
			if r < restarts {
				time.Sleep(time.Duration(rapid.IntRange(0, 20).Draw(rt, "run_ms")) * time.Millisecond)
			} else {
				waitDrained(rt, o.consumer)
			}
			stop()
			<-done
		}
		_ = p.close()

		got := k.ids()
		seen := map[string]bool{}
		order := map[string][]string{}
		for _, id := range got {
			if !seen[id] {
				seen[id] = true
				order[idOffer(produced, id)] = append(order[idOffer(produced, id)], id)
			}
		}
		want := map[string][]string{}
		for _, e := range produced {
			if !seen[e.EventID] {
				rt.Fatalf("event %s (%d of %d) never reached kafka", e.EventID, len(seen), n)
			}
			want[e.OfferID] = append(want[e.OfferID], e.EventID)
		}
		if len(seen) != n {
			rt.Fatalf("kafka holds %d distinct events, %d were produced", len(seen), n)
		}
		for offer, ids := range want {
			for i := range ids {
				if order[offer][i] != ids[i] {
					rt.Fatalf("offer %s: event %d arrived out of order", offer, i)
				}
			}
		}
	})
}

func idOffer(produced []events.PriceUpdate, id string) string {
	for _, e := range produced {
		if e.EventID == id {
			return e.OfferID
		}
	}
	return ""
}

// waitDrained waits until the consumer has every stream message
// acknowledged.
func waitDrained(t interface{ Fatalf(string, ...any) }, c func() jetstream.Consumer) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		info, err := c().Info(context.Background())
		if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	info, _ := c().Info(context.Background())
	t.Fatalf("stream not drained: %+v", info)
}
