package eventbus

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/events"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestBus(t *testing.T, nc *nats.Conn, cfg Config) *JetStream {
	t.Helper()
	cfg.Logger = quiet()
	bus, err := New(nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close(context.Background()) })
	return bus
}

func update(cell, offer string) events.PriceUpdate {
	return events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, cell, time.Now()), "p", offer, "h100-sxm", "us",
		events.Price(1), events.Price(2))
}

func waitStored(t *testing.T, bus *JetStream, want uint64) Stats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := bus.Stats(context.Background())
		if err == nil && st.Messages == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream holds %+v (%v), want %d messages", st, err, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Events are stored with the stream's limits, under their subject, with
// event_id as Nats-Msg-Id; core subscribers get them too.
func TestPublishStores(t *testing.T) {
	nc := testnats.JetStream(t)
	sub, err := nc.SubscribeSync(events.Wildcard("c"))
	if err != nil {
		t.Fatal(err)
	}
	set := metrics.NewSet()
	bus := newTestBus(t, nc, Config{Stream: StreamConfig{Cell: "c", MaxBytes: 1 << 20, MaxAge: time.Hour}, Metrics: set})
	e := update("c", "p:1")
	if err := bus.Publish(e); err != nil {
		t.Fatal(err)
	}
	waitStored(t, bus, 1)
	m, err := sub.NextMsg(time.Second)
	if err != nil || m.Header.Get(events.HeaderID) != e.EventID || m.Subject != "c.events.price_update.p:1" {
		t.Fatalf("core subscriber got %v, %v", m, err)
	}
	s, err := bus.JetStream().Stream(context.Background(), StreamName("c"))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := s.Info(context.Background())
	if info.Config.MaxBytes != 1<<20 || info.Config.MaxAge != time.Hour || info.Config.Storage != jetstream.FileStorage ||
		info.Config.Duplicates != DefaultDuplicates || info.Config.Discard != jetstream.DiscardOld {
		t.Fatalf("stream config %+v", info.Config)
	}
	got, err := s.GetLastMsgForSubject(context.Background(), "c.events.price_update.p:1")
	if err != nil || got.Header.Get(events.HeaderID) != e.EventID || got.Header.Get(events.HeaderKey) != "p:1" {
		t.Fatalf("stored %+v, %v", got, err)
	}
}

// A retried publish (same event_id) is stored once.
func TestRetriedPublishStoredOnce(t *testing.T) {
	nc := testnats.JetStream(t)
	bus := newTestBus(t, nc, Config{Stream: StreamConfig{Cell: "c", MaxBytes: 1 << 20}})
	e := update("c", "p:1")
	for range 3 {
		if err := bus.Publish(e); err != nil {
			t.Fatal(err)
		}
	}
	<-bus.JetStream().PublishAsyncComplete()
	waitStored(t, bus, 1)
}

// A stream at its byte bound drops its oldest events and keeps taking new
// ones; the fill is in the metrics.
func TestStreamBoundIsNotACrash(t *testing.T) {
	nc := testnats.JetStream(t)
	set := metrics.NewSet()
	bus := newTestBus(t, nc, Config{Stream: StreamConfig{Cell: "c", MaxBytes: 64 << 10}, Metrics: set, CheckEvery: 10 * time.Millisecond})
	for i := range 2000 {
		if err := bus.Publish(update("c", "p:"+string(rune('a'+i%26)))); err != nil {
			t.Fatal(err)
		}
	}
	<-bus.JetStream().PublishAsyncComplete()
	st, err := bus.Stats(context.Background())
	if err != nil || st.Bytes > 64<<10 || st.FirstSeq == 1 || st.LastSeq != 2000 {
		t.Fatalf("stats %+v, %v: want the bound kept, oldest dropped, all 2000 taken", st, err)
	}
	if lost := set.GetOrCreateCounter("gpubroker_events_lost_total").Get(); lost != 0 {
		t.Fatalf("%d publishes failed at the bound", lost)
	}
	bus.check(context.Background())
	if !bus.warned.Load() {
		t.Error("no warning at the bound")
	}
}

// A stream that disappears (an operator deleted it, NATS lost its store)
// is created again and publishing goes on.
func TestStreamRecreated(t *testing.T) {
	nc := testnats.JetStream(t)
	bus := newTestBus(t, nc, Config{Stream: StreamConfig{Cell: "c", MaxBytes: 1 << 20}, CheckEvery: 10 * time.Millisecond})
	if err := bus.JetStream().DeleteStream(context.Background(), StreamName("c")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := bus.JetStream().Stream(context.Background(), StreamName("c")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("stream not recreated")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := bus.Publish(update("c", "p:1")); err != nil {
		t.Fatal(err)
	}
	waitStored(t, bus, 1)
}

// Without JetStream on the server the bus still starts and core
// subscribers still get events.
func TestNoJetStream(t *testing.T) {
	nc := testnats.Conn(t)
	sub, err := nc.SubscribeSync(events.Wildcard("c"))
	if err != nil {
		t.Fatal(err)
	}
	bus := newTestBus(t, nc, Config{Stream: StreamConfig{Cell: "c"}, Attempts: 1})
	if err := bus.Publish(update("c", "p:1")); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.NextMsg(time.Second); err != nil {
		t.Fatalf("core subscriber: %v", err)
	}
	if _, err := bus.Stats(context.Background()); err == nil {
		t.Fatal("stats of a stream that cannot exist")
	}
}
