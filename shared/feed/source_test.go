package feed

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// The hub follows the real stream from its end: what was there before is
// not replayed to anyone, what comes after arrives in order with the
// stream's sequence numbers.
func TestFollowStream(t *testing.T) {
	nc := testnats.JetStream(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bus, err := eventbus.New(nc, eventbus.Config{Stream: eventbus.StreamConfig{Cell: "t", MaxBytes: 64 << 20}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close(context.Background())
	pub := func(offer string, price float64) {
		e := events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, "t", time.Now()), "vastai", offer,
			"nvidia-h100-sxm-80gb", "us-east", events.Price(1), events.Price(price))
		if err := bus.Publish(e); err != nil {
			t.Fatal(err)
		}
	}
	pub("vastai:old", 1)
	<-bus.JetStream().PublishAsyncComplete()

	h := NewHub(Config{})
	s := h.Subscribe(Options{})
	s.Add(mustChannel(t, "price_updates"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Follow(ctx, bus.JetStream(), "t", h, log); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Second)
	for h.LastSeq() == 0 && time.Now().Before(deadline) { // the floor is set once following
		time.Sleep(10 * time.Millisecond)
	}
	for i := range 50 {
		pub("vastai:"+string(rune('a'+i%26)), float64(i))
	}
	var got []*Update
	for len(got) < 50 {
		ctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		ups, _, err := s.Next(ctx, nil)
		c()
		if err != nil {
			t.Fatalf("after %d updates: %v", len(got), err)
		}
		got = append(got, ups...)
	}
	for i, u := range got {
		if u.OfferID == "vastai:old" || u.Seq != uint64(i+2) {
			t.Fatalf("update %d: %s seq %d", i, u.OfferID, u.Seq)
		}
	}
}
