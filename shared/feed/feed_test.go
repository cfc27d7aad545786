package feed

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared/events"
)

func known(p string) bool { return p == "vastai" || p == "runpod" || p == "aws" }

func priceEvent(provider, offer, gpu, region, country string, old, next float64) []byte {
	e := events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, "t", time.Now()), provider, offer, gpu, region,
		events.Price(old), events.Price(next))
	e.Country, e.GPUCount = country, 2
	b, _ := json.Marshal(e)
	return b
}

// fataler is what testing.TB and rapid.T share.
type fataler interface {
	Helper()
	Fatalf(string, ...any)
}

func mustDecode(t fataler, seq uint64, typ string, body []byte) Update {
	t.Helper()
	u, ok, err := Decode(seq, typ, body)
	if err != nil || !ok {
		t.Fatalf("decode %s: ok %v, %v", body, ok, err)
	}
	return u
}

func mustChannel(t testing.TB, name string) Channel {
	t.Helper()
	c, err := ParseChannel(name, known)
	if err != nil {
		t.Fatalf("channel %q: %v", name, err)
	}
	return c
}

func next(t testing.TB, s *Subscriber) ([]*Update, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ups, dropped, err := s.Next(ctx, nil)
	if err != nil {
		t.Fatalf("next: %v", err)
	}
	return ups, dropped
}

func pending(s *Subscriber) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func TestParseChannel(t *testing.T) {
	for _, c := range []struct {
		in, name string
		keys     []string
		err      bool
	}{
		{"price_updates", "price_updates", []string{"price_updates"}, false},
		{"health_status", "health_status", []string{"health_status"}, false},
		{"availability", "availability", []string{"availability"}, false},
		{"provider:VastAI", "provider:vastai", []string{"provider:vastai"}, false},
		{"provider:nosuch", "", nil, true},
		{"gpu:H100 SXM", "gpu:nvidia-h100-sxm-80gb", []string{"gpu:nvidia-h100-sxm-80gb"}, false},
		{"gpu:nvidia-h100-sxm-80gb", "gpu:nvidia-h100-sxm-80gb", []string{"gpu:nvidia-h100-sxm-80gb"}, false},
		{"gpu:acme x9", "", nil, true},
		{"region:US-East", "region:us-east", []string{"region:us-east"}, false},
		{"region:UK", "region:gb", []string{"region:gb"}, false},
		{"region:atlantis", "", nil, true},
		{"prices", "", nil, true},
		{"gpu:", "", nil, true},
		{"provider:vastai\n", "", nil, true},
		{"", "", nil, true},
	} {
		got, err := ParseChannel(c.in, known)
		if (err != nil) != c.err {
			t.Errorf("%q: err %v, want error %v", c.in, err, c.err)
			continue
		}
		if !c.err && (got.Name != c.name || !slices.Equal(got.Keys, c.keys)) {
			t.Errorf("%q: %+v, want %s %v", c.in, got, c.name, c.keys)
		}
	}
	// A family covers every model it names.
	if c := mustChannel(t, "gpu:H100"); len(c.Keys) < 2 || c.Name != "gpu:h100" {
		t.Errorf("gpu:H100 %+v", c)
	}
}

// An update reaches exactly the subscribers with a channel it is on, once
// each even when several of their channels carry it; a provider-restricted
// subscriber gets only its provider's.
func TestFanOut(t *testing.T) {
	h := NewHub(Config{})
	all := h.Subscribe(Options{})
	all.Add(mustChannel(t, "price_updates"))
	both := h.Subscribe(Options{})
	both.Add(mustChannel(t, "gpu:H100 SXM"))
	both.Add(mustChannel(t, "region:us"))
	both.Add(mustChannel(t, "provider:vastai"))
	eu := h.Subscribe(Options{})
	eu.Add(mustChannel(t, "region:EU"))
	onlyRunpod := h.Subscribe(Options{Provider: "runpod"})
	onlyRunpod.Add(mustChannel(t, "price_updates"))
	health := h.Subscribe(Options{})
	health.Add(mustChannel(t, "health_status"))

	h.Publish(mustDecode(t, 1, events.TypePriceUpdate, priceEvent("vastai", "vastai:1", "nvidia-h100-sxm-80gb", "us-east", "US", 2, 1.5)))
	for _, c := range []struct {
		name string
		s    *Subscriber
		want int
	}{{"all", all, 1}, {"both", both, 1}, {"eu", eu, 0}, {"runpod only", onlyRunpod, 0}, {"health", health, 0}} {
		if got := pending(c.s); got != c.want {
			t.Errorf("%s: %d queued, want %d", c.name, got, c.want)
		}
	}
	ups, _ := next(t, both)
	var f map[string]any
	if err := json.Unmarshal(ups[0].Frame, &f); err != nil || f["type"] != "price_update" || f["seq"] != 1.0 ||
		f["new_price_per_gpu_hour"] != 0.75 || f["old_price"] != 2.0 {
		t.Fatalf("frame %s: %v", ups[0].Frame, err)
	}
	h.Publish(mustDecode(t, 2, events.TypePriceUpdate, priceEvent("runpod", "runpod:1", "nvidia-a100-sxm-80gb", "eu-west", "DE", 2, 1.5)))
	if pending(eu) != 1 || pending(onlyRunpod) != 1 || pending(both) != 0 {
		t.Errorf("eu %d runpod %d both %d", pending(eu), pending(onlyRunpod), pending(both))
	}
	ev := events.ProviderEvent{Header: events.NewHeader(events.TypeProviderEvent, "t", time.Now()), Provider: "aws", Event: events.BreakerOpened, Reason: "timeouts"}
	b, _ := json.Marshal(ev)
	h.Publish(mustDecode(t, 3, events.TypeProviderEvent, b))
	ups, _ = next(t, health)
	if err := json.Unmarshal(ups[0].Frame, &f); err != nil || f["type"] != "health_update" || f["healthy"] != false || f["reason"] != "timeouts" {
		t.Fatalf("health frame %s", ups[0].Frame)
	}
	// Replica changes are not health changes.
	ev.Event = events.ReplicaJoined
	b, _ = json.Marshal(ev)
	if _, ok, err := Decode(4, events.TypeProviderEvent, b); ok || err != nil {
		t.Fatalf("replica_joined pushed: %v %v", ok, err)
	}
	for _, s := range []*Subscriber{all, both, eu, onlyRunpod, health} {
		s.Close()
	}
	if h.IndexSize() != 0 || h.Subscribers() != 0 {
		t.Fatalf("index %d subscribers %d after every subscriber closed", h.IndexSize(), h.Subscribers())
	}
}

// A full queue drops its oldest updates and says how many; one that stays
// full for SlowAfter ends the subscriber with ErrSlow. Others are not held
// up meanwhile.
func TestSlowSubscriber(t *testing.T) {
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := NewHub(Config{QueueSize: 4, SlowAfter: 10 * time.Second, Now: clock})
	slow := h.Subscribe(Options{})
	slow.Add(mustChannel(t, "price_updates"))
	fast := h.Subscribe(Options{})
	fast.Add(mustChannel(t, "price_updates"))
	for i := 1; i <= 10; i++ {
		h.Publish(mustDecode(t, uint64(i), events.TypePriceUpdate, priceEvent("vastai", fmt.Sprint("vastai:", i), "nvidia-h100-sxm-80gb", "us-east", "US", 2, 1)))
		if ups, _ := next(t, fast); len(ups) != 1 || ups[0].Seq != uint64(i) {
			t.Fatalf("fast subscriber got %v", ups)
		}
	}
	ups, dropped := next(t, slow)
	if dropped != 6 || len(ups) != 4 || ups[0].Seq != 7 || ups[3].Seq != 10 {
		t.Fatalf("slow: %d dropped, seqs %v", dropped, seqs(ups))
	}
	// Full again, and still full 10 s later: too slow.
	for i := 11; i <= 16; i++ {
		h.Publish(mustDecode(t, uint64(i), events.TypePriceUpdate, priceEvent("vastai", "vastai:1", "nvidia-h100-sxm-80gb", "us-east", "US", 2, float64(i))))
	}
	mu.Lock()
	now = now.Add(11 * time.Second)
	mu.Unlock()
	h.Publish(mustDecode(t, 17, events.TypePriceUpdate, priceEvent("vastai", "vastai:1", "nvidia-h100-sxm-80gb", "us-east", "US", 2, 1)))
	if _, _, err := slow.Next(context.Background(), nil); err != ErrSlow {
		t.Fatalf("slow subscriber: %v, want ErrSlow", err)
	}
}

func seqs(ups []*Update) []uint64 {
	out := make([]uint64, len(ups))
	for i, u := range ups {
		out[i] = u.Seq
	}
	return out
}

// Parking keeps the channels and position for the owner only; resuming
// replays what came meanwhile, on those channels, in order, once.
func TestParkAndResume(t *testing.T) {
	h := NewHub(Config{})
	s := h.Subscribe(Options{Owner: "u1"})
	s.Add(mustChannel(t, "gpu:H100 SXM"))
	s.Add(mustChannel(t, "health_status"))
	h.Publish(mustDecode(t, 1, events.TypePriceUpdate, priceEvent("vastai", "vastai:1", "nvidia-h100-sxm-80gb", "us-east", "US", 2, 1)))
	next(t, s)
	tok := Token()
	s.Park(tok)
	for i := 2; i <= 5; i++ {
		gpu := "nvidia-h100-sxm-80gb"
		if i == 3 {
			gpu = "nvidia-a100-sxm-80gb" // not on its channels
		}
		h.Publish(mustDecode(t, uint64(i), events.TypePriceUpdate, priceEvent("vastai", "vastai:1", gpu, "us-east", "US", 2, float64(i))))
	}
	if _, _, err := h.Resume(tok, "u2", "", nil); err != ErrNoResume {
		t.Fatalf("another owner resumed: %v", err)
	}
	r, complete, err := h.Resume(tok, "u1", "", nil)
	if err != nil || !complete {
		t.Fatalf("resume: complete %v, %v", complete, err)
	}
	if got := r.Channels(); !slices.Equal(got, []string{"gpu:nvidia-h100-sxm-80gb", "health_status"}) {
		t.Fatalf("resumed channels %v", got)
	}
	h.Publish(mustDecode(t, 6, events.TypePriceUpdate, priceEvent("vastai", "vastai:1", "nvidia-h100-sxm-80gb", "us-east", "US", 2, 6)))
	ups, _ := next(t, r)
	if !slices.Equal(seqs(ups), []uint64{2, 4, 5, 6}) {
		t.Fatalf("replayed %v, want 2 4 5 6", seqs(ups))
	}
	if _, _, err := h.Resume(tok, "u1", "", nil); err != ErrNoResume {
		t.Fatal("a token resumed twice")
	}
}

// Retention is bounded: a replay from before the oldest retained update
// (or before the hub started) is reported incomplete.
func TestReplayBounds(t *testing.T) {
	h := NewHub(Config{Retain: 3})
	h.SetFloor(10)
	for i := 11; i <= 15; i++ {
		h.Publish(mustDecode(t, uint64(i), events.TypePriceUpdate, priceEvent("vastai", "vastai:1", "nvidia-h100-sxm-80gb", "us-east", "US", 2, float64(i))))
	}
	h.Publish(mustDecode(t, 12, events.TypePriceUpdate, priceEvent("vastai", "vastai:1", "nvidia-h100-sxm-80gb", "us-east", "US", 2, 1))) // old: ignored
	for _, c := range []struct {
		after    uint64
		complete bool
		got      []uint64
	}{{15, true, nil}, {13, true, []uint64{14, 15}}, {12, true, []uint64{13, 14, 15}}, {11, false, []uint64{13, 14, 15}}, {5, false, []uint64{13, 14, 15}}} {
		s, got := h.SubscribeFrom(Options{}, []Channel{mustChannel(t, "price_updates")}, c.after)
		if got != c.complete {
			t.Errorf("after %d: complete %v, want %v", c.after, got, c.complete)
		}
		var ups []*Update
		if pending(s) > 0 {
			ups, _ = next(t, s)
		}
		if !slices.Equal(seqs(ups), c.got) {
			t.Errorf("after %d: replayed %v, want %v", c.after, seqs(ups), c.got)
		}
		s.Close()
	}
}

// Send reaches every subscriber of one owner and nobody else.
func TestSendToOwner(t *testing.T) {
	h := NewHub(Config{})
	a1, a2, b := h.Subscribe(Options{Owner: "a"}), h.Subscribe(Options{Owner: "a"}), h.Subscribe(Options{Owner: "b"})
	if n := h.Send("a", []byte(`{"type":"alert"}`)); n != 2 || pending(a1) != 1 || pending(a2) != 1 || pending(b) != 0 {
		t.Fatalf("sent to %d: a1 %d a2 %d b %d", n, pending(a1), pending(a2), pending(b))
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(events.TypePriceUpdate, priceEvent("vastai", "vastai:1", "nvidia-h100-sxm-80gb", "us-east", "US", 2, 1))
	f.Add(events.TypeProviderEvent, []byte(`{"event_id":"x","provider":"aws","event":"breaker_opened"}`))
	f.Add(events.TypeAvailabilityUpdate, []byte(`{"event_id":"x","provider":"aws","offer_id":"o","new_availability":"limited"}`))
	f.Add(events.TypePriceUpdate, []byte(`{"event_id":"x","provider":"p","offer_id":"o","new_price":1e308,"gpu_count":1e-308}`))
	f.Fuzz(func(t *testing.T, typ string, body []byte) {
		u, ok, err := Decode(7, typ, body)
		if err != nil || !ok {
			return
		}
		var f map[string]any
		if json.Unmarshal(u.Frame, &f) != nil || f["seq"] != 7.0 || u.EventID == "" || u.Provider == "" || len(u.Keys) == 0 {
			t.Fatalf("decoded %s into %+v / %s", body, u, u.Frame)
		}
	})
}

func FuzzParseChannel(f *testing.F) {
	for _, s := range []string{"price_updates", "gpu:H100", "region:eu", "provider:aws", "gpu:\x00", "region:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseChannel(s, known)
		if err == nil && (c.Name == "" || len(c.Keys) == 0) {
			t.Fatalf("%q parsed to %+v", s, c)
		}
	})
}

// A notification reaches its user's subscribers only, whatever their
// channels or filters, and is replayed to that user on resume.
func TestAlertToOwner(t *testing.T) {
	h := NewHub(Config{})
	mine := h.Subscribe(Options{Owner: UserOwner("u1")})
	mineSSE := h.Subscribe(Options{Owner: UserOwner("u1"), Filter: func(*Update) bool { return false }})
	other := h.Subscribe(Options{Owner: UserOwner("u2")})
	other.Add(mustChannel(t, "price_updates"))
	e := events.Notification{Header: events.NewHeader(events.TypeNotification, "t", time.Now()), UserID: "u1", Kind: "price_alert",
		AlertID: "a1", OfferID: "vastai:1", Provider: "vastai", GPU: "nvidia-h100-sxm-80gb", Price: 1.5, MaxPrice: 2}
	b, _ := json.Marshal(e)
	h.Publish(mustDecode(t, 1, events.TypeNotification, b))
	if pending(mine) != 1 || pending(mineSSE) != 1 || pending(other) != 0 {
		t.Fatalf("mine %d, mine (SSE) %d, other %d", pending(mine), pending(mineSSE), pending(other))
	}
	ups, _ := next(t, mine)
	var f map[string]any
	if err := json.Unmarshal(ups[0].Frame, &f); err != nil || f["type"] != "alert" || f["alert_id"] != "a1" || f["price"] != 1.5 {
		t.Fatalf("alert frame %s", ups[0].Frame)
	}
	mine.Park("tok")
	from := uint64(0)
	r, complete, err := h.Resume("tok", UserOwner("u1"), "", &from)
	if err != nil || !complete {
		t.Fatalf("resume: %v %v", complete, err)
	}
	if ups, _ := next(t, r); len(ups) != 1 || ups[0].Kind != KindAlert {
		t.Fatalf("replayed %v", ups)
	}
}

// The analytics' results are pushed: a price_change to the price_updates
// channel (and the offer's GPU, provider and region channels), an anomaly
// to the anomalies channel only among the kind channels.
func TestAnalyticsResultsArePushed(t *testing.T) {
	h := NewHub(Config{})
	prices := h.Subscribe(Options{})
	prices.Add(mustChannel(t, "price_updates"))
	anomalies := h.Subscribe(Options{})
	anomalies.Add(mustChannel(t, "anomalies"))
	byGPU := h.Subscribe(Options{})
	byGPU.Add(mustChannel(t, "gpu:H100 SXM"))

	head := func(typ string) events.Header { return events.NewHeader(typ, "t", time.Now()) }
	pc, _ := json.Marshal(events.PriceChange{Header: head(events.TypePriceChange), SourceEventID: "s1", OfferID: "vastai:1",
		Provider: "vastai", GPU: "nvidia-h100-sxm-80gb", Region: "us-east", OldPrice: 2, NewPrice: 2.5, ChangePercent: 25})
	h.Publish(mustDecode(t, 1, events.TypePriceChange, pc))
	an, _ := json.Marshal(events.PriceAnomaly{Header: head(events.TypePriceAnomaly), SourceEventID: "s2", OfferID: "vastai:2",
		Provider: "vastai", GPU: "nvidia-h100-sxm-80gb", Region: "us-east", Price: 9, Mean: 2, StdDev: 0.05, Z: 140, WindowCount: 100})
	h.Publish(mustDecode(t, 2, events.TypePriceAnomaly, an))
	for _, c := range []struct {
		name  string
		s     *Subscriber
		kinds []string
	}{{"price_updates", prices, []string{"price_change"}}, {"anomalies", anomalies, []string{"anomaly"}},
		{"gpu", byGPU, []string{"price_change", "anomaly"}}} {
		ups, _ := next(t, c.s)
		var kinds []string
		for _, u := range ups {
			var f map[string]any
			if err := json.Unmarshal(u.Frame, &f); err != nil {
				t.Fatal(err)
			}
			kinds = append(kinds, f["type"].(string))
		}
		if fmt.Sprint(kinds) != fmt.Sprint(c.kinds) {
			t.Errorf("%s: got %v, want %v", c.name, kinds, c.kinds)
		}
	}
	if _, _, err := Decode(3, events.TypePriceAnomaly, []byte(`{"event_id":"x"}`)); err == nil {
		t.Fatal("an anomaly without a provider decoded")
	}
}
