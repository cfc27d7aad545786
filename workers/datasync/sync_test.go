package datasync

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/store/embedded"
)

// fetcher answers the providers it has offers for; the others fail.
type fetcher struct {
	mu     sync.Mutex
	offers map[string][]shared.Offer
}

func (f *fetcher) Fetch(_ context.Context, p string) ([]shared.Offer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o, ok := f.offers[p]; ok {
		return o, nil
	}
	return nil, errors.New("provider down")
}

func (f *fetcher) set(p string, offers []shared.Offer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if offers == nil {
		delete(f.offers, p)
		return
	}
	f.offers[p] = offers
}

// offers are n offers of provider p priced 1, 2, ... per GPU-hour.
func offers(p string, n int) []shared.Offer {
	out := make([]shared.Offer, n)
	for i := range out {
		out[i] = shared.Offer{ID: shared.OfferID(p, string(rune('a'+i))), Provider: p, GPUID: "nvidia-h100-sxm-80gb",
			GPUModel: "H100", GPUCount: 1, PricePerHour: float64(i + 1), PricePerGPUHour: float64(i + 1), Currency: "USD",
			Availability: shared.Available}
	}
	return out
}

// newJob is a job over the embedded store whose clock advances a minute
// at every reading, so every run records at a later time.
func newJob(t *testing.T, f *fetcher, providers ...string) (*Job, store.Store) {
	t.Helper()
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	clock := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Minute)
		return clock
	}
	return &Job{Fetcher: f, Store: st, Providers: providers, Now: now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, st
}

// TestRun runs the job over a sequence of provider answers and checks
// each run's summary: a provider that fails keeps its offers, one that
// answers completely has the offers it no longer lists marked gone.
func TestRun(t *testing.T) {
	f := &fetcher{offers: map[string][]shared.Offer{}}
	job, st := newJob(t, f, "b", "a", "c")
	steps := []struct {
		name    string
		answers map[string][]shared.Offer // nil: the provider fails
		ok      int
		want    map[string]ProviderResult // by provider; Error only checked for presence
		wantErr bool
	}{
		{"first sighting, c down", map[string][]shared.Offer{"a": offers("a", 4), "b": offers("b", 2)}, 2,
			map[string]ProviderResult{"a": {Offers: 4, PricePoints: 4}, "b": {Offers: 2, PricePoints: 2}, "c": {Error: "x"}}, false},
		{"unchanged", map[string][]shared.Offer{"a": offers("a", 4), "b": offers("b", 2)}, 2,
			map[string]ProviderResult{"a": {Offers: 4}, "b": {Offers: 2}, "c": {Error: "x"}}, false},
		{"a drops two, b fails: b keeps its offers", map[string][]shared.Offer{"a": offers("a", 2)}, 1,
			map[string]ProviderResult{"a": {Offers: 2, Gone: 2}, "b": {Error: "x"}, "c": {Error: "x"}}, false},
		{"b back with one: the other goes", map[string][]shared.Offer{"a": offers("a", 2), "b": offers("b", 1)}, 2,
			map[string]ProviderResult{"a": {Offers: 2}, "b": {Offers: 1, Gone: 1}, "c": {Error: "x"}}, false},
		{"a lists its gone offers again", map[string][]shared.Offer{"a": offers("a", 4), "b": offers("b", 1)}, 2,
			map[string]ProviderResult{"a": {Offers: 4, PricePoints: 2}, "b": {Offers: 1}, "c": {Error: "x"}}, false},
		{"every provider down", map[string][]shared.Offer{}, 0,
			map[string]ProviderResult{"a": {Error: "x"}, "b": {Error: "x"}, "c": {Error: "x"}}, true},
	}
	starts := make([]time.Time, len(steps))
	for i, s := range steps {
		for _, p := range []string{"a", "b", "c"} {
			f.set(p, s.answers[p])
		}
		res, err := job.Run(context.Background())
		starts[i] = res.Started
		if (err != nil) != s.wantErr {
			t.Fatalf("%s: error %v, want one: %v", s.name, err, s.wantErr)
		}
		if res.ProvidersOK != s.ok || res.ProvidersFailed != 3-s.ok || len(res.Providers) != 3 {
			t.Fatalf("%s: %+v", s.name, res)
		}
		var sum ProviderResult
		for i, got := range res.Providers {
			w := s.want[got.Provider]
			if i > 0 && res.Providers[i-1].Provider >= got.Provider {
				t.Errorf("%s: providers not in order: %+v", s.name, res.Providers)
			}
			if got.Offers != w.Offers || got.PricePoints != w.PricePoints || got.Gone != w.Gone || (got.Error == "") != (w.Error == "") {
				t.Errorf("%s: %s = %+v, want %+v", s.name, got.Provider, got, w)
			}
			sum.Offers, sum.PricePoints, sum.Gone = sum.Offers+got.Offers, sum.PricePoints+got.PricePoints, sum.Gone+got.Gone
		}
		if res.Offers != sum.Offers || res.PricePoints != sum.PricePoints || res.Gone != sum.Gone {
			t.Errorf("%s: totals %+v, providers add up to %+v", s.name, res, sum)
		}
	}
	// b's offer that vanished while b was down went only when b answered.
	points, err := st.PriceHistoryPoints(context.Background(), store.PriceQuery{GPUModel: "H100", Provider: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(points); n != 3 || !points[2].Gone || points[2].OfferID != "b:b" || !points[2].At.After(starts[3]) {
		t.Fatalf("b's history %+v", points)
	}
}

// TestTrigger runs the job through its NATS subject, as an external
// scheduler does, and checks that the reply is the run's summary.
func TestTrigger(t *testing.T) {
	nc := testnats.Conn(t)
	f := &fetcher{offers: map[string][]shared.Offer{"a": offers("a", 3)}}
	job, _ := newJob(t, f, "a", "b")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := job.Serve(ctx, nc, "cellx")
	if err != nil {
		t.Fatal(err)
	}
	if shared.SyncSubject("cellx") != "cellx.jobs.sync" {
		t.Fatalf("subject %q", shared.SyncSubject("cellx"))
	}
	trigger := func() TriggerReply {
		t.Helper()
		msg, err := nc.Request(shared.SyncSubject("cellx"), nil, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var r TriggerReply
		if err := json.Unmarshal(msg.Data, &r); err != nil {
			t.Fatalf("reply %s: %v", msg.Data, err)
		}
		return r
	}
	cases := []struct {
		name                         string
		a                            []shared.Offer // nil: a fails too
		ok, failed, offers, pts, gon int
		err                          bool
	}{
		{"first run", offers("a", 3), 1, 1, 3, 3, 0, false},
		{"one offer gone", offers("a", 2), 1, 1, 2, 0, 1, false},
		{"every provider down", nil, 0, 2, 0, 0, 0, true},
	}
	for _, tc := range cases {
		f.set("a", tc.a)
		r := trigger()
		if r.ProvidersOK != tc.ok || r.ProvidersFailed != tc.failed || r.Offers != tc.offers || r.PricePoints != tc.pts ||
			r.Gone != tc.gon || (r.Error != "") != tc.err || len(r.Providers) != 2 || r.Started.IsZero() {
			t.Errorf("%s: reply %+v", tc.name, r)
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Request(shared.SyncSubject("cellx"), nil, 200*time.Millisecond); !errors.Is(err, nats.ErrNoResponders) {
		t.Fatalf("trigger after stop: %v, want no responders", err)
	}
}

// blocking is a fetcher that signals each call and holds it until its
// context ends.
type blocking struct {
	started chan struct{}
	ended   atomic.Bool
}

func (b *blocking) Fetch(ctx context.Context, _ string) ([]shared.Offer, error) {
	b.started <- struct{}{}
	<-ctx.Done()
	b.ended.Store(true)
	return nil, ctx.Err()
}

// TestTriggerStopWaits checks that stop returns only after a triggered run
// cut short by cancelling ctx has finished, so the store can close next.
func TestTriggerStopWaits(t *testing.T) {
	nc := testnats.Conn(t)
	b := &blocking{started: make(chan struct{}, 1)}
	job, _ := newJob(t, &fetcher{}, "a")
	job.Fetcher = b
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := job.Serve(ctx, nc, "cellx")
	if err != nil {
		t.Fatal(err)
	}
	replies := make(chan *nats.Msg, 1)
	if _, err := nc.ChanSubscribe("reply", replies); err != nil {
		t.Fatal(err)
	}
	if err := nc.PublishRequest(shared.SyncSubject("cellx"), "reply", nil); err != nil {
		t.Fatal(err)
	}
	<-b.started
	cancel()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !b.ended.Load() {
		t.Fatal("stop returned while the triggered run was still fetching")
	}
	select {
	case m := <-replies:
		var r TriggerReply
		if err := json.Unmarshal(m.Data, &r); err != nil || r.Error == "" || r.ProvidersFailed != 1 {
			t.Fatalf("reply %s (%v), want the failed run's summary", m.Data, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply to the cut-short run")
	}
}
