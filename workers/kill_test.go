package workers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/adapters/simulator"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/workers/client"
	"github.com/gpubroker/gpubroker/workers/presence"
)

const killCell = "killw"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var killProviders = []string{"vastai", "runpod"}

// workerProcess is `gpubroker worker` for killProviders over an external
// NATS, fetching from the simulator at simURL.
type workerProcess struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

func startWorker(t *testing.T, bin, natsURL, simURL string) *workerProcess {
	t.Helper()
	p := &workerProcess{cmd: exec.Command(bin, "worker", "--nats", natsURL, "--cell", killCell, "--simulator-url", simURL, "--metrics", "")}
	p.cmd.Env = append(os.Environ(), "GPUBROKER_PROVIDERS="+strings.Join(killProviders, ","), "GPUBROKER_DATA_DIR="+t.TempDir(),
		"GPUBROKER_HEARTBEAT_INTERVAL=200ms", "LOG_LEVEL=warn")
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			_ = p.cmd.Wait()
		}
	})
	return p
}

func (p *workerProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// chainEvent is what the check reads of a price_update.
type chainEvent struct {
	EventID  string   `json:"event_id"`
	Provider string   `json:"provider"`
	OfferID  string   `json:"offer_id"`
	OldPrice *float64 `json:"old_price"`
	NewPrice *float64 `json:"new_price"`
}

// Worker replicas killed with SIGKILL at any moment (while fetching,
// while their events are on their way to the stream, between saving a
// step and the stream's acks) lose no price change: two replicas serve
// the providers, one of them is killed and restarted each round while
// both fetch, and the replica that takes over a step stores its events
// again with the same event ids. The sync role's presence watcher reports
// every killed replica as replica_left. Checked on the stream itself: for every offer, the
// price_updates (duplicates by event_id dropped) form an unbroken chain
// from the price the first fetch saw to the price the last one saw, each
// event's old_price the previous one's new_price.
func TestKilledWorkerLosesNoPriceChange(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gpubroker")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/gpubroker").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	sim, err := simulator.New(simulator.Config{Seed: 11, Providers: killProviders})
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim.Handler())
	defer simSrv.Close()
	natsURL, nc := testnats.JetStreamURL(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := eventbus.EnsureStream(ctx, js, eventbus.StreamConfig{Cell: killCell}); err != nil {
		t.Fatal(err)
	}
	// The sync role's watcher, which reports the killed replicas.
	bus, err := eventbus.New(nc, eventbus.Config{Stream: eventbus.StreamConfig{Cell: killCell}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = bus.Close(ctx) }()
	watch, err := presence.Start(presence.Config{Cell: killCell, Conn: nc, Events: bus, CheckEvery: 50 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Stop()
	src, err := client.NewNATS(nc, killCell)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()

	// fetchAll asks every provider once; the replies are what the worker
	// saw and what its events must end at.
	fetchAll := func(wait time.Duration) (map[string]*float64, bool) {
		seen := map[string]*float64{}
		for _, p := range killProviders {
			fctx, cancel := context.WithTimeout(ctx, wait)
			po, err := src.Fetch(fctx, p, shared.RequestIDs{})
			cancel()
			if err != nil {
				return nil, false
			}
			for _, o := range po.Offers {
				seen[o.ID] = events.Price(o.PricePerHour)
			}
		}
		return seen, true
	}
	untilServed := func() map[string]*float64 {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if seen, ok := fetchAll(2 * time.Second); ok {
				return seen
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("the restarted worker never answered")
		return nil
	}

	ws := []*workerProcess{startWorker(t, bin, natsURL, simSrv.URL)}
	first := untilServed() // the cell's first fetch: the baseline, no events
	ws = append(ws, startWorker(t, bin, natsURL, simSrv.URL))
	rng := rand.New(rand.NewPCG(3, 4))
	const kills = 16
	for k := range kills {
		for range 1 + rng.IntN(3) {
			sim.Step()
			go fetchAll(3 * time.Second) // both replicas fetch at once
			fetchAll(3 * time.Second)
		}
		sim.Step()
		go fetchAll(3 * time.Second) // the kill lands somewhere in these
		go fetchAll(3 * time.Second)
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		victim := rng.IntN(len(ws))
		ws[victim].kill(t)
		if k%4 == 3 {
			sim.Step() // prices move while a replica is down
			fetchAll(3 * time.Second)
		}
		ws[victim] = startWorker(t, bin, natsURL, simSrv.URL)
		untilServed()
	}
	sim.Step()
	last := untilServed()

	// The last fetch's events are stored asynchronously: wait until the
	// chains end where it did.
	var problems []string
	deadline := time.Now().Add(20 * time.Second)
	for {
		evs, dups := readPriceUpdates(t, js)
		problems = checkChains(first, last, evs)
		if len(problems) == 0 {
			t.Logf("%d kills, %d price_updates in the stream (%d duplicates by event_id), %d offers", kills, len(evs), dups, len(last))
			break
		}
		if time.Now().After(deadline) {
			for i, w := range ws {
				t.Logf("worker %d output:\n%s", i, w.out.String())
			}
			t.Fatalf("%d offers' chains are broken, e.g. %v", len(problems), problems[:min(5, len(problems))])
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Every killed replica was reported gone, once, and every start joined.
	deadline = time.Now().Add(10 * time.Second)
	for {
		joined, lost := replicaEvents(t, js)
		if len(joined) == 2*(kills+2) && len(lost) == 2*kills {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d replica_joined (want %d, a provider per start), %d replica_left with a lost heartbeat (want %d, a provider per kill)",
				len(joined), 2*(kills+2), len(lost), 2*kills)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// replicaEvents reads the stream's provider events: the replicas that
// joined and those reported left for a lost heartbeat (provider/replica).
func replicaEvents(t *testing.T, js jetstream.JetStream) (joined, lost map[string]bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := js.OrderedConsumer(ctx, eventbus.StreamName(killCell),
		jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.KindSubjects(killCell, events.TypeProviderEvent)}})
	if err != nil {
		t.Fatal(err)
	}
	joined, lost = map[string]bool{}, map[string]bool{}
	for {
		batch, err := c.FetchNoWait(1000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			var ev events.ProviderEvent
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				t.Fatal(err)
			}
			switch {
			case ev.Event == events.ReplicaJoined:
				joined[ev.Provider+"/"+ev.Replica] = true
			case ev.Event == events.ReplicaLeft && strings.HasPrefix(ev.Reason, "heartbeat lost"):
				if lost[ev.Provider+"/"+ev.Replica] {
					t.Fatalf("%s/%s reported left twice", ev.Provider, ev.Replica)
				}
				lost[ev.Provider+"/"+ev.Replica] = true
			}
		}
		if n == 0 {
			return joined, lost
		}
	}
}

// readPriceUpdates reads every price_update the stream holds, in order,
// without the duplicates by event_id (counted).
func readPriceUpdates(t *testing.T, js jetstream.JetStream) (evs []chainEvent, dups int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := js.OrderedConsumer(ctx, eventbus.StreamName(killCell),
		jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.KindSubjects(killCell, events.TypePriceUpdate)}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for left := info.NumPending; left > 0; {
		batch, err := c.Fetch(int(min(left, 1000)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			var ev chainEvent
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				t.Fatal(err)
			}
			if ids[ev.EventID] {
				dups++
				continue
			}
			ids[ev.EventID] = true
			evs = append(evs, ev)
		}
		if n == 0 {
			t.Fatalf("the stream stopped delivering with %d price_updates left", left)
		}
		left -= uint64(n)
	}
	return evs, dups
}

// checkChains lists the offers whose events do not lead, link by link,
// from their price in first to their price in last (nil: not offered).
func checkChains(first, last map[string]*float64, evs []chainEvent) []string {
	at := map[string]*float64{}
	for id, p := range first {
		at[id] = p
	}
	var problems []string
	broken := map[string]bool{}
	for _, ev := range evs {
		if !samePrice(at[ev.OfferID], ev.OldPrice) && !broken[ev.OfferID] {
			broken[ev.OfferID] = true
			problems = append(problems, ev.OfferID+": event "+ev.EventID+" starts at "+show(ev.OldPrice)+", the chain was at "+show(at[ev.OfferID]))
		}
		at[ev.OfferID] = ev.NewPrice
	}
	for id := range union(at, last) {
		if !samePrice(at[id], last[id]) && !broken[id] {
			problems = append(problems, id+": the chain ends at "+show(at[id])+", the last fetch saw "+show(last[id]))
		}
	}
	return problems
}

func samePrice(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func show(p *float64) string {
	if p == nil {
		return "none"
	}
	b, _ := json.Marshal(*p)
	return string(b)
}

func union(a, b map[string]*float64) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
