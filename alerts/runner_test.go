package alerts

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/store/embedded"
)

// flaky fails the first n RecordFiring calls, as a database that drops
// out would.
type flaky struct {
	store.Store
	fail atomic.Int32
}

func (f *flaky) RecordFiring(ctx context.Context, n store.Notification) (bool, error) {
	if f.fail.Add(-1) >= 0 {
		return false, errors.New("database unreachable")
	}
	return f.Store.RecordFiring(ctx, n)
}

// The evaluator over a real JetStream stream and the embedded store: a
// price event under an alert's max makes one notification and one
// notification event, also when the store fails the first attempt (the
// event is evaluated again, not lost); staying under makes no second one;
// rising above re-arms, and the next drop fires again.
func TestRunnerAtLeastOnce(t *testing.T) {
	ctx := context.Background()
	db, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateUser(ctx, store.User{ID: "u1", Email: "u1@example.com", PasswordHash: "x", Plan: "free", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAlert(ctx, store.Alert{ID: "a1", UserID: "u1", GPUType: "H100 SXM", MaxPrice: 2, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	nc := testnats.JetStream(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bus, err := eventbus.New(nc, eventbus.Config{Stream: eventbus.StreamConfig{Cell: "t", MaxBytes: 64 << 20}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close(ctx)
	st := &flaky{Store: db}
	st.fail.Store(1)
	r := NewRunner(RunnerConfig{Cell: "t", Store: st, JS: bus.JetStream(), Events: bus, Logger: log})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	// The consumer starts at the stream's end: wait for it.
	waitFor(t, func() bool {
		_, err := bus.JetStream().Consumer(ctx, eventbus.StreamName("t"), consumerName)
		return err == nil
	})
	price := func(p float64) {
		e := events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, "t", time.Now()), "vastai", "vastai:1",
			"nvidia-h100-sxm-80gb", "us-east", events.Price(3), events.Price(p))
		if err := bus.Publish(e); err != nil {
			t.Fatal(err)
		}
	}
	notes := func() []store.Notification {
		ns, err := db.ListNotifications(ctx, "u1", "", 100)
		if err != nil {
			t.Fatal(err)
		}
		return ns
	}
	price(1.5) // fires; the first write fails, the event comes back
	waitFor(t, func() bool { return len(notes()) == 1 })
	price(1.4) // still under: nothing new
	price(2.5) // above: re-armed
	price(1.9) // under again: fires again
	waitFor(t, func() bool { return len(notes()) == 2 })
	time.Sleep(300 * time.Millisecond)
	ns := notes()
	if len(ns) != 2 || ns[0].Price != 1.9 || ns[1].Price != 1.5 || ns[0].AlertID != "a1" || ns[0].ID == ns[1].ID {
		t.Fatalf("notifications %+v", ns)
	}
	// One notification event per notification in the stream.
	s, err := bus.JetStream().Stream(ctx, eventbus.StreamName("t"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(events.KindSubjects("t", events.TypeNotification)))
	if err != nil {
		t.Fatal(err)
	}
	if n := info.State.Subjects[events.Subject("t", events.TypeNotification, "u1")]; n != 2 {
		t.Fatalf("%d notification events, want 2 (%v)", n, info.State.Subjects)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
