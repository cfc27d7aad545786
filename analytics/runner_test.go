package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// plantedStream is 300 price updates of two GPUs over 5 minutes: moves
// above and below 5 %, an outlier, out-of-order events inside the
// lateness.
func plantedStream() []events.PriceUpdate {
	var in []events.PriceUpdate
	prev := map[string]float64{}
	for i := range 300 {
		gpu, offer := "h100", fmt.Sprintf("o%d", i%7)
		if i%3 == 0 {
			gpu, offer = "a100", fmt.Sprintf("a%d", i%5)
		}
		price := normal(i)
		if i%17 == 0 {
			price *= 1.2
		}
		if i == 200 {
			price = 30
		}
		at := time.Duration(i) * time.Second
		if i%29 == 0 {
			at -= 3 * time.Second
		}
		var old *float64
		if v, ok := prev[offer]; ok {
			old = p(v)
		}
		prev[offer] = price
		e := update(fmt.Sprint("e", i), at, gpu, []string{"us-east", "eu"}[i%2], old, p(price), 1)
		e.OfferID = offer
		in = append(in, e)
	}
	return in
}

// The runner's results equal the detectors' over the same stream, also
// when it is stopped halfway and another runner goes on: the replay at
// start rebuilds its windows and nothing is made twice or missed.
func TestRunnerResumesWhereItStopped(t *testing.T) {
	nc := testnats.JetStream(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := eventbus.EnsureStream(ctx, js, eventbus.StreamConfig{Cell: "c"}); err != nil {
		t.Fatal(err)
	}
	in := plantedStream()
	want := map[string]bool{}
	d := New(Config{})
	for _, ev := range in {
		for _, r := range d.Observe(ev) {
			want[r.Head().EventID] = true
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	run := func(evs []events.PriceUpdate) {
		t.Helper()
		list := make([]events.Event, len(evs))
		for i := range evs {
			list[i] = evs[i]
		}
		if err := eventbus.Store(ctx, js, list...); err != nil {
			t.Fatal(err)
		}
		r, err := NewRunner(RunnerConfig{Cell: "c", JS: js, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { r.Run(rctx); close(done) }()
		defer func() { stop(); <-done }()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if c, err := js.Consumer(ctx, eventbus.StreamName("c"), consumerName); err == nil {
				if info, err := c.Info(ctx); err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Consumer > 0 {
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("the runner did not finish the stream")
	}
	run(in[:150])
	run(in[150:])

	got := map[string]int{}
	oc, err := js.OrderedConsumer(ctx, eventbus.StreamName("c"), jetstream.OrderedConsumerConfig{FilterSubjects: []string{
		events.KindSubjects("c", events.TypePriceChange), events.KindSubjects("c", events.TypePriceAnomaly),
		events.KindSubjects("c", events.TypePriceAggregate)}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		batch, err := oc.FetchNoWait(1000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			var h events.Header
			if err := json.Unmarshal(m.Data(), &h); err != nil {
				t.Fatal(err)
			}
			got[h.EventID]++
		}
		if n == 0 {
			break
		}
	}
	var missing, extra []string
	for id := range want {
		if got[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id, n := range got {
		if !want[id] || n > 1 {
			extra = append(extra, fmt.Sprint(id, "×", n))
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 || len(extra) > 0 || len(want) < 20 {
		t.Fatalf("%d results expected; missing %v; unexpected or repeated %v", len(want), missing, extra)
	}
}
