package webhooks

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/analytics"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/store/embedded"
	"github.com/gpubroker/gpubroker/shared/webhook"
)

const cell = "t"

// hit is one POST a receiver got.
type hit struct {
	delivery, event string
	body            []byte
	sigErr          error
}

// receiver is a real HTTPS server answering with the statuses of codes
// in turn (the last one from then on) and recording what it got.
type receiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	hits  []hit
	codes []int
}

func newReceiver(t *testing.T, secret *string, codes ...int) *receiver {
	r := &receiver{codes: codes}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.hits = append(r.hits, hit{req.Header.Get(webhook.HeaderDelivery), req.Header.Get(webhook.HeaderEvent), body,
			webhook.Verify(*secret, req.Header.Get(webhook.Header), body, time.Now(), 0)})
		code := r.codes[min(len(r.hits), len(r.codes))-1]
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

// env is a cell's stream, store, dispatcher and deliverer.
type env struct {
	t   *testing.T
	db  *embedded.Store
	bus *eventbus.JetStream
	js  jetstream.JetStream
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	db, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, u := range []string{"u1", "u2"} {
		if err := db.CreateUser(ctx, store.User{ID: u, Email: u + "@example.com", PasswordHash: "x", Plan: "enterprise", CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	nc := testnats.JetStream(t)
	bus, err := eventbus.New(nc, eventbus.Config{Stream: eventbus.StreamConfig{Cell: cell, MaxBytes: 64 << 20}, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close(ctx) })
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, db: db, bus: bus, js: js}
}

// hook registers a webhook of user to r for evs; it returns its id.
func (e *env) hook(user string, r *receiver, secret string, evs ...string) string {
	e.t.Helper()
	w := store.Webhook{ID: store.NewID(), UserID: user, URL: r.srv.URL + "/hook", Events: evs, Secret: secret, CreatedAt: time.Now()}
	if err := e.db.CreateWebhook(context.Background(), w); err != nil {
		e.t.Fatal(err)
	}
	return w.ID
}

// start runs the dispatcher and a deliverer whose sender trusts the test
// receivers' certificate and may reach loopback; retries wait 50 ms.
func (e *env) start(attempts int, receivers ...*receiver) {
	e.t.Helper()
	pool := x509.NewCertPool()
	for _, r := range receivers {
		pool.AddCert(r.srv.Certificate())
	}
	loop := netip.MustParseAddr("127.0.0.1")
	sender := webhook.NewSender(webhook.SenderConfig{RootCAs: pool, Timeout: 2 * time.Second,
		Blocked: func(a netip.Addr) bool { return a != loop && webhook.BlockedAddr(a) }})
	d := NewDispatcher(DispatcherConfig{Cell: cell, Store: e.db, JS: e.js, Reload: 100 * time.Millisecond, Logger: quiet()})
	v := NewDeliverer(DelivererConfig{Cell: cell, Store: e.db, JS: e.js, Sender: sender, Attempts: attempts,
		Delay: func(int) time.Duration { return 50 * time.Millisecond }, Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { d.Run(ctx) })
	wg.Go(func() { v.Run(ctx) })
	e.t.Cleanup(func() { cancel(); wg.Wait() })
	// The dispatcher starts at the stream's end: wait for its consumer.
	waitFor(e.t, "the dispatcher's consumer", func() bool {
		_, err := e.js.Consumer(context.Background(), eventbus.StreamName(cell), dispatchConsumer)
		return err == nil
	})
}

func (e *env) publish(ev events.Event) {
	e.t.Helper()
	if err := eventbus.Store(context.Background(), e.js, ev); err != nil {
		e.t.Fatal(err)
	}
}

// change is what the stream analytics make of a price move from one
// price to another: a price_change above 5 %, else the price_update
// alone (which the dispatcher does not read).
func change(offer string, from, to float64) events.Event {
	u := events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, cell, time.Now()), "vastai", offer,
		"nvidia-h100-sxm-80gb", "us-east", events.Price(from), events.Price(to))
	for _, r := range analytics.New(analytics.Config{}).Observe(u) {
		if pc, ok := r.(events.PriceChange); ok {
			return pc
		}
	}
	return u
}

func (e *env) deliveries(user, hook string) []store.WebhookDelivery {
	e.t.Helper()
	ds, err := e.db.ListDeliveries(context.Background(), user, hook, "", 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not in 15 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A price change of at least 5 % reaches every price_change webhook once,
// signed over the exact body, with the delivery id in header and body; a
// smaller change reaches nobody; the delivery is recorded.
func TestPriceChangeDelivered(t *testing.T) {
	e := newEnv(t)
	secret := "s3cret-one"
	r := newReceiver(t, &secret, 200)
	other := newReceiver(t, &secret, 200)
	id := e.hook("u1", r, secret, webhook.EventPriceChange)
	e.hook("u2", other, secret, webhook.EventPriceAlert) // not subscribed to price_change
	e.start(8, r, other)
	e.publish(change("vastai:1", 2.0, 2.08)) // +4 %: below the threshold
	big := change("vastai:2", 2.0, 1.8)      // -10 %
	e.publish(big)
	waitFor(t, "the delivery", func() bool { return len(r.got()) == 1 })
	time.Sleep(300 * time.Millisecond)
	hits := r.got()
	if len(hits) != 1 || len(other.got()) != 0 {
		t.Fatalf("%d deliveries to the subscriber, %d to the other", len(hits), len(other.got()))
	}
	h := hits[0]
	if h.sigErr != nil || h.event != webhook.EventPriceChange || h.delivery != webhook.DeliveryID(id, big.Head().EventID) {
		t.Fatalf("delivery %q event %q signature %v", h.delivery, h.event, h.sigErr)
	}
	var body struct {
		ID, Event string
		WebhookID string `json:"webhook_id"`
		Data      events.PriceChange
	}
	if err := json.Unmarshal(h.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Data.OfferID != "vastai:2" || body.Data.ChangePercent != -10 || body.WebhookID != id {
		t.Fatalf("body %s", h.body)
	}
	waitFor(t, "the record", func() bool {
		ds := e.deliveries("u1", id)
		return len(ds) == 1 && ds[0].State == store.DeliveryDelivered
	})
	d := e.deliveries("u1", id)[0]
	if d.ID != h.delivery || d.EventID != big.Head().EventID || len(d.Attempts) != 1 || d.Attempts[0].Status != 200 {
		t.Fatalf("record %+v", d)
	}
}

// 500, 500, then 200: three attempts with the same delivery id, each
// recorded with its status; delivered in the end.
func TestRetriedUntilDelivered(t *testing.T) {
	e := newEnv(t)
	secret := "s3cret-two"
	r := newReceiver(t, &secret, 500, 500, 200)
	id := e.hook("u1", r, secret, webhook.EventPriceChange)
	e.start(8, r)
	e.publish(change("vastai:1", 1, 2))
	waitFor(t, "three attempts", func() bool {
		ds := e.deliveries("u1", id)
		return len(ds) == 1 && ds[0].State == store.DeliveryDelivered
	})
	hits := r.got()
	if len(hits) != 3 || hits[0].delivery != hits[2].delivery || hits[1].sigErr != nil {
		t.Fatalf("hits %+v", hits)
	}
	d := e.deliveries("u1", id)[0]
	var codes []int
	for _, a := range d.Attempts {
		codes = append(codes, a.Status)
	}
	if len(codes) != 3 || codes[0] != 500 || codes[1] != 500 || codes[2] != 200 || d.Attempts[2].N != 3 {
		t.Fatalf("attempts %+v", d.Attempts)
	}
}

// A receiver failing every attempt: after the last the request is a
// webhook_dead event in the stream (the DLQ subject; Kafka's
// gpubroker.dlq.webhooks when the bridge runs), recorded dead_lettered.
func TestDeadLettered(t *testing.T) {
	e := newEnv(t)
	secret := "s3cret-three"
	r := newReceiver(t, &secret, 503)
	id := e.hook("u1", r, secret, webhook.EventPriceChange)
	e.start(3, r)
	e.publish(change("vastai:1", 1, 2))
	waitFor(t, "dead-lettered", func() bool {
		ds := e.deliveries("u1", id)
		return len(ds) == 1 && ds[0].State == store.DeliveryDead
	})
	if n := len(r.got()); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	s, err := e.js.Stream(context.Background(), eventbus.StreamName(cell))
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetLastMsgForSubject(context.Background(), events.Subject(cell, events.TypeWebhookDead, id))
	if err != nil {
		t.Fatal(err)
	}
	var dead events.WebhookDead
	if err := json.Unmarshal(m.Data, &dead); err != nil {
		t.Fatal(err)
	}
	if dead.Request.WebhookID != id || dead.Attempts != 3 || dead.LastStatus != 503 || dead.EventID != deadLetterID(dead.Request.EventID) {
		t.Fatalf("dead letter %+v", dead)
	}
}

// 410 Gone disables the webhook at once: no retry, nothing delivered to
// it afterwards; the owner's price_alert reaches only the owner's hooks.
func TestGoneDisablesAndAlertsGoToTheirOwner(t *testing.T) {
	e := newEnv(t)
	secret := "s3cret-four"
	gone := newReceiver(t, &secret, 410)
	mine := newReceiver(t, &secret, 200)
	theirs := newReceiver(t, &secret, 200)
	goneID := e.hook("u1", gone, secret, webhook.EventPriceChange)
	e.hook("u1", mine, secret, webhook.EventPriceAlert)
	e.hook("u2", theirs, secret, webhook.EventPriceAlert)
	e.start(8, gone, mine, theirs)
	e.publish(change("vastai:1", 1, 2))
	waitFor(t, "disabled", func() bool {
		w, err := e.db.WebhookByID(context.Background(), goneID)
		return err == nil && !w.DisabledAt.IsZero()
	})
	time.Sleep(300 * time.Millisecond) // the dispatcher reloads without it
	e.publish(change("vastai:1", 2, 1))
	h := events.NewHeader(events.TypeNotification, cell, time.Now())
	e.publish(events.Notification{Header: h, UserID: "u1", Kind: webhook.EventPriceAlert, AlertID: "a1", OfferID: "vastai:1",
		Provider: "vastai", GPU: "nvidia-h100-sxm-80gb", Price: 1, MaxPrice: 1.5, PriceEventID: "p1"})
	waitFor(t, "the alert", func() bool { return len(mine.got()) == 1 })
	time.Sleep(300 * time.Millisecond)
	if n := len(gone.got()); n != 1 {
		t.Fatalf("the gone receiver got %d requests, want 1", n)
	}
	if n := len(theirs.got()); n != 0 {
		t.Fatalf("another user's webhook got %d price_alert deliveries", n)
	}
	if ds := e.deliveries("u1", goneID); len(ds) != 1 || ds[0].State != store.DeliveryGone {
		t.Fatalf("deliveries of the gone webhook %+v", ds)
	}
}

// The same source event dispatched twice (redelivered after a crash
// before its ack) is one request: the stream drops the duplicate id.
func TestRedispatchIsOneDelivery(t *testing.T) {
	e := newEnv(t)
	secret := "s3cret-five"
	r := newReceiver(t, &secret, 200)
	e.hook("u1", r, secret, webhook.EventPriceChange)
	e.start(8, r)
	ev := change("vastai:1", 1, 2)
	e.publish(ev)
	// The same event again under a fresh stream message id.
	msg, err := eventbus.Message(ev)
	if err != nil {
		t.Fatal(err)
	}
	msg.Header.Set("Nats-Msg-Id", "again")
	if _, err := e.js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery", func() bool { return len(r.got()) >= 1 })
	time.Sleep(500 * time.Millisecond)
	if n := len(r.got()); n != 1 {
		t.Fatalf("%d deliveries of one event", n)
	}
}
