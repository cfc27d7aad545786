package workers

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/breaker"
	"github.com/gpubroker/gpubroker/workers/client"
)

// After 10 calls with >= 50 % failures the breaker opens: requests are
// answered circuit_open without calling the provider, and the heartbeat
// says so.
func TestBreakerOpensAndStopsUpstreamCalls(t *testing.T) {
	nc := testnats.Conn(t)
	hb, err := nc.SubscribeSync(shared.HealthSubject("t", "fake"))
	if err != nil {
		t.Fatal(err)
	}
	ad := &fakeAdapter{err: &adapters.Error{Provider: "fake", Kind: shared.ErrKindUpstream, Err: errors.New("HTTP 500")}}
	w, err := New(Config{Cell: "t", Adapter: ad, Conn: nc, ProbeInterval: time.Hour, HeartbeatInterval: time.Hour,
		Breaker: breaker.Config{OpenFor: time.Hour}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop(context.Background())
	nc.Flush()
	var kinds []string
	for i := 0; i < 12; i++ {
		_, err := fetch(t, nc, 5*time.Second)
		var fe *client.FetchError
		if !errors.As(err, &fe) {
			t.Fatalf("call %d: %v", i, err)
		}
		kinds = append(kinds, fe.Kind)
	}
	// The probe at start is call 1; requests add 9 more upstream failures,
	// then the breaker is open.
	if calls := ad.calls.Load(); calls != 10 {
		t.Fatalf("%d upstream calls, want exactly 10 before the breaker opens (kinds %v)", calls, kinds)
	}
	if kinds[len(kinds)-1] != shared.ErrKindCircuitOpen {
		t.Fatalf("last replies %v, want circuit_open", kinds)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		m, err := hb.NextMsg(time.Second)
		if err != nil {
			continue
		}
		var st shared.WorkerStatus
		if json.Unmarshal(m.Data, &st) == nil && st.Breaker == "open" {
			if st.Replica != w.Replica() || st.LastErrorKind != shared.ErrKindUpstream || st.RetryAt.IsZero() {
				t.Fatalf("heartbeat %+v", st)
			}
			return
		}
	}
	t.Fatal("no heartbeat reported the open breaker")
}

// Beyond MaxConcurrent + MaxQueue pending requests the worker refuses at
// once instead of queueing without bound.
func TestOverloadIsRefused(t *testing.T) {
	nc := testnats.Conn(t)
	ad := &fakeAdapter{n: 1, gate: make(chan struct{})}
	w, err := New(Config{Cell: "t", Adapter: ad, Conn: nc, MaxConcurrent: 1, MaxQueue: 1, ProbeInterval: time.Hour,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { close(ad.gate); w.Stop(context.Background()) }()
	nc.Flush()
	for i := 0; i < 2; i++ { // one running, one queued
		m := nats.NewMsg(shared.OffersSubject("t", "fake"))
		m.Reply = nc.NewInbox()
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	nc.Flush()
	time.Sleep(100 * time.Millisecond)
	_, err = fetch(t, nc, 2*time.Second)
	var fe *client.FetchError
	if !errors.As(err, &fe) || fe.Kind != shared.ErrKindOverloaded {
		t.Fatalf("third request: %v, want overloaded", err)
	}
}

// Requests sent to the replica's own subject are served like queue-group ones.
func TestReplicaSubject(t *testing.T) {
	nc := testnats.Conn(t)
	w := startWorker(t, nc, &fakeAdapter{n: 4})
	req := nats.NewMsg(shared.ReplicaSubject("t", "fake", w.Replica()))
	reply, err := nc.RequestMsg(req, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var offers []shared.Offer
	if err := json.Unmarshal(reply.Data, &offers); err != nil || len(offers) != 4 || reply.Header.Get(shared.HeaderReplica) != w.Replica() {
		t.Fatalf("%v %d %q", err, len(offers), reply.Header.Get(shared.HeaderReplica))
	}
}
