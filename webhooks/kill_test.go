package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/store/embedded"
	"github.com/gpubroker/gpubroker/shared/webhook"
)

// syncProcess is `gpubroker sync` (alerts, webhook dispatch and delivery)
// as its own process over an external NATS and an embedded store.
type syncProcess struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

func runSync(t *testing.T, bin, natsURL, dataDir string) *syncProcess {
	t.Helper()
	p := &syncProcess{cmd: exec.Command(bin, "sync", "--nats", natsURL, "--cell", cell, "--metrics", "")}
	p.cmd.Env = append(os.Environ(), "GPUBROKER_DATA_DIR="+dataDir, "GPUBROKER_SYNC_INTERVAL=0",
		"GPUBROKER_DEVELOPMENT=true", "LOG_LEVEL=warn")
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("sync process output:\n%s", p.out.String())
		}
	})
	return p
}

// The alert and webhook paths survive SIGKILL of the process that runs
// them: with requests queued directly, made by the dispatcher from price
// changes, and made from the notifications the alert evaluator records,
// the sync process is killed while delivering and a new one started;
// every delivery id reaches the receiver (at least once; duplicates are
// counted, never a loss) and every firing is one notification.
func TestKilledSyncProcessLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gpubroker")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/gpubroker").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var (
		mu  sync.Mutex
		got = map[string]int{}
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond) // deliveries take a while, so the kill lands mid-stream
		mu.Lock()
		got[r.Header.Get(webhook.HeaderDelivery)]++
		mu.Unlock()
	}))
	defer recv.Close()
	received := func() (distinct, total int) {
		mu.Lock()
		defer mu.Unlock()
		for _, n := range got {
			distinct++
			total += n
		}
		return distinct, total
	}

	ctx := context.Background()
	dataDir := filepath.Join(dir, "data")
	db, err := embedded.Open(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	hook := store.Webhook{ID: store.NewID(), UserID: "u1", URL: recv.URL + "/hook", Events: []string{webhook.EventPriceChange, webhook.EventPriceAlert},
		Secret: "kill-test-secret", CreatedAt: time.Now()}
	if err := db.CreateUser(ctx, store.User{ID: "u1", Email: "u1@example.com", PasswordHash: "x", Plan: "enterprise", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	// Any H100 SXM at or under $1.5/h fires, once per offer.
	if err := db.CreateAlert(ctx, store.Alert{ID: "a1", UserID: "u1", GPUType: "H100 SXM", MaxPrice: 1.5, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	natsURL, nc := testnats.JetStreamURL(t)
	bus, err := eventbus.New(nc, eventbus.Config{Stream: eventbus.StreamConfig{Cell: cell, MaxBytes: 64 << 20}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close(ctx)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	p := runSync(t, bin, natsURL, dataDir)
	waitFor(t, "the dispatcher's and the alert evaluator's consumers", func() bool {
		_, err := js.Consumer(ctx, eventbus.StreamName(cell), dispatchConsumer)
		_, err2 := js.Consumer(ctx, eventbus.StreamName(cell), "alerts")
		return err == nil && err2 == nil
	})
	want := map[string]bool{}
	const queued, changes, fires = 300, 100, 100
	var evs []events.Event
	for i := range queued {
		r, err := webhook.NewRequest(cell, hook, webhook.EventTest, fmt.Sprint("src-", i), time.Now(), []byte(`{"n":1}`), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		want[r.EventID] = true
		evs = append(evs, r)
	}
	for i := range changes {
		c := events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, cell, time.Now()), "vastai", fmt.Sprint("vastai:", i),
			"nvidia-h100-sxm-80gb", "us-east", events.Price(1), events.Price(2))
		want[webhook.DeliveryID(hook.ID, events.ResultID("price_change:"+c.EventID))] = true
		evs = append(evs, c)
	}
	// Drops under the alert's max: a price_change delivery each, and a
	// notification each, which makes a price_alert delivery.
	for i := range fires {
		c := events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, cell, time.Now()), "lambda", fmt.Sprint("lambda:", i),
			"nvidia-h100-sxm-80gb", "us-east", events.Price(3), events.Price(1))
		// The sync process's embedded analytics make the price_change.
		want[webhook.DeliveryID(hook.ID, events.ResultID("price_change:"+c.EventID))] = true
		evs = append(evs, c)
	}
	if err := eventbus.Store(ctx, js, evs...); err != nil {
		t.Fatal(err)
	}
	total := len(want) + fires // the price_alert deliveries, ids derived from the notifications
	waitFor(t, "deliveries under way", func() bool { d, _ := received(); return d >= 50 })
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
	atKill, _ := received()
	if atKill >= total {
		t.Fatalf("everything was delivered (%d) before the kill; the test proves nothing", atKill)
	}
	p = runSync(t, bin, natsURL, dataDir)
	// What was in flight at the kill comes back after the consumer's ack
	// wait (45 s).
	deadline := time.Now().Add(120 * time.Second)
	for {
		d, _ := received()
		if d >= total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries arrived (%d before the kill)", d, total, atKill)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// One notification per offer that went under the max, however often
	// its price event was evaluated.
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Wait()
	if db, err = embedded.Open(dataDir); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	notes, err := db.ListNotifications(ctx, "u1", "", 1000)
	if err != nil || len(notes) != fires {
		t.Fatalf("%d notifications, want %d (%v)", len(notes), fires, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for id := range want {
		if got[id] == 0 {
			t.Errorf("delivery %s lost", id)
		}
	}
	d, sent := len(got), 0
	for _, n := range got {
		sent += n
	}
	if d != total {
		t.Errorf("%d distinct deliveries, want %d", d, total)
	}
	t.Logf("%d deliveries, %d at the kill, %d duplicates", d, atKill, sent-d)
}
