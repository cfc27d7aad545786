package presence

import (
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/events"
)

// bus publishes events on core NATS, as the JetStream bus does for core
// subscribers.
type bus struct{ nc *nats.Conn }

func (b bus) Publish(ev events.Event) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return b.nc.Publish(events.Subject(ev.Head().Cell, ev.Head().Type, ev.Key()), data)
}

func heartbeat(t *testing.T, nc *nats.Conn, provider, replica string, interval time.Duration) {
	t.Helper()
	b, _ := json.Marshal(shared.WorkerStatus{Provider: provider, Replica: replica, Interval: interval.Milliseconds(), Time: time.Now().UTC()})
	if err := nc.Publish(shared.HealthSubject("c", provider), b); err != nil {
		t.Fatal(err)
	}
}

// A replica whose heartbeats stop is reported as left once, after Missed
// intervals, with the id its own clean stop would have used; a replica
// that keeps beating is not; one that said replica_left itself is not
// reported again, even when a heartbeat of it comes after; garbage on the
// heartbeat subject is ignored.
func TestSilentReplicaIsReportedLeft(t *testing.T) {
	nc := testnats.Conn(t)
	sub, err := nc.SubscribeSync(events.KindSubjects("c", events.TypeProviderEvent))
	if err != nil {
		t.Fatal(err)
	}
	w, err := Start(Config{Cell: "c", Conn: nc, Events: bus{nc}, CheckEvery: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	const interval = 100 * time.Millisecond
	heartbeat(t, nc, "vastai", "dead", interval)
	heartbeat(t, nc, "vastai", "clean", interval)
	_ = nc.Publish(shared.HealthSubject("c", "vastai"), []byte("{not json"))
	clean := events.ProviderEvent{Header: events.NewHeader(events.TypeProviderEvent, "c", time.Now()), Provider: "vastai",
		Event: events.ReplicaLeft, Replica: "clean", Reason: "stopped"}
	if err := (bus{nc}).Publish(clean); err != nil {
		t.Fatal(err)
	}
	heartbeat(t, nc, "vastai", "clean", interval) // its last one, handled after its goodbye
	start := time.Now()
	var left []events.ProviderEvent
	for time.Since(start) < 1500*time.Millisecond {
		heartbeat(t, nc, "runpod", "alive", interval)
		m, err := sub.NextMsg(interval / 2)
		if err != nil {
			continue
		}
		var ev events.ProviderEvent
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Reason != "stopped" {
			left = append(left, ev)
		}
	}
	if len(left) != 1 {
		t.Fatalf("%d replica_left events from the watcher, want 1 (the silent replica): %+v", len(left), left)
	}
	ev := left[0]
	if ev.Provider != "vastai" || ev.Replica != "dead" || ev.Event != events.ReplicaLeft || !strings.HasPrefix(ev.Reason, "heartbeat lost") {
		t.Fatalf("event %+v", ev)
	}
	if ev.EventID != events.ReplicaLeftID("c", "vastai", "dead") {
		t.Fatalf("event id %s is not the replica's own replica_left id", ev.EventID)
	}
}
