package workers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// eventWorker starts a worker publishing through a real JetStream bus and
// subscribes (core NATS, as the edge does) to the cell's events.
func eventWorker(t *testing.T, ad *fakeAdapter) (*nats.Conn, *nats.Subscription) {
	t.Helper()
	nc := testnats.JetStream(t)
	bus, err := eventbus.New(nc, eventbus.Config{Stream: eventbus.StreamConfig{Cell: "t"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Close(context.Background()) })
	sub, err := nc.SubscribeSync(events.Wildcard("t"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(Config{Cell: "t", Adapter: ad, Conn: nc, FetchTimeout: 2 * time.Second, Events: bus,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.Stop(context.Background()) })
	return nc, sub
}

// next returns the next event of kind typ, skipping others.
func next[T any](t *testing.T, sub *nats.Subscription, typ string) (T, *nats.Msg) {
	t.Helper()
	var v T
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		m, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			break
		}
		if got, _ := events.SubjectType("t", m.Subject); got != typ {
			continue
		}
		if err := json.Unmarshal(m.Data, &v); err != nil {
			t.Fatal(err)
		}
		return v, m
	}
	t.Fatalf("no %s event", typ)
	return v, nil
}

// drain returns the events waiting, of kind typ.
func pending(t *testing.T, sub *nats.Subscription, typ string) int {
	t.Helper()
	n := 0
	for {
		m, err := sub.NextMsg(300 * time.Millisecond)
		if err != nil {
			return n
		}
		if got, _ := events.SubjectType("t", m.Subject); got == typ {
			n++
		}
	}
}

func TestPriceUpdates(t *testing.T) {
	ad := &fakeAdapter{n: 5}
	ad.base.Store(0.0)
	nc, sub := eventWorker(t, ad)
	joined, _ := next[events.ProviderEvent](t, sub, events.TypeProviderEvent)
	if joined.Event != events.ReplicaJoined || joined.Provider != "fake" || joined.Replica == "" {
		t.Fatalf("first provider event %+v", joined)
	}
	if _, err := fetch(t, nc, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := pending(t, sub, events.TypePriceUpdate); n != 0 {
		t.Fatalf("the baseline fetch emitted %d price updates", n)
	}

	ad.base.Store(0.5)
	if _, err := fetch(t, nc, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for range 5 {
		u, m := next[events.PriceUpdate](t, sub, events.TypePriceUpdate)
		if u.OldPrice == nil || u.NewPrice == nil || *u.NewPrice-*u.OldPrice < 0.49 || u.ChangePercent == nil ||
			u.Provider != "fake" || u.Cell != "t" || u.Currency != "USD" || u.Region != "us-east" || u.ProviderRegion != "us-east-1" || u.Country != "US" || u.GPUCount <= 0 || u.GPU == "" {
			t.Fatalf("price update %+v", u)
		}
		if m.Header.Get(events.HeaderID) != u.EventID || m.Subject != events.Subject("t", events.TypePriceUpdate, u.OfferID) || ids[u.EventID] {
			t.Fatalf("update %s on %s with id header %q", u.EventID, m.Subject, m.Header.Get(events.HeaderID))
		}
		ids[u.EventID] = true
	}

	// Two offers go away and come back: null new price, then null old price.
	ad.n = 3
	if _, err := fetch(t, nc, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if u, _ := next[events.PriceUpdate](t, sub, events.TypePriceUpdate); u.NewPrice != nil || u.OldPrice == nil || u.ChangePercent != nil {
			t.Fatalf("disappearing offer %+v", u)
		}
	}
	ad.n = 5
	if _, err := fetch(t, nc, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if u, _ := next[events.PriceUpdate](t, sub, events.TypePriceUpdate); u.OldPrice != nil || u.NewPrice == nil {
			t.Fatalf("appearing offer %+v", u)
		}
	}
}

func TestProviderHealthEvents(t *testing.T) {
	ad := &fakeAdapter{n: 1}
	nc, sub := eventWorker(t, ad)
	if _, err := fetch(t, nc, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{events.ReplicaJoined, events.ProviderHealthy} {
		if e, _ := next[events.ProviderEvent](t, sub, events.TypeProviderEvent); e.Event != want {
			t.Fatalf("provider event %+v, want %s", e, want)
		}
	}
}
