package workers

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/events"
)

// Both baseline stores keep a step whole (base, next, fetch time), refuse
// a save that names a revision other than the last (another replica was
// first), and load what the last save stored.
func TestBaselineStores(t *testing.T) {
	js, err := jetstream.New(testnats.JetStream(t))
	if err != nil {
		t.Fatal(err)
	}
	stores := map[string]baselines{
		"memory": &memBaselines{},
		"kv":     &kvBaselines{js: js, cell: "t", maxValue: 1 << 20},
	}
	at := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	a := map[string]seenOffer{"o1": {price: 1.5, availability: "high", gpu: "h100-sxm", region: "us-east",
		where: events.Location{ProviderRegion: "us-east-1", Country: "US", GPUCount: 8}}}
	b := map[string]seenOffer{"o1": {price: 1.75, availability: "low", gpu: "h100-sxm", region: "us-east"}, "o2": {price: 0.5}}
	for name, s := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, found, err := s.load(ctx, "p"); found || err != nil {
				t.Fatalf("load before any save: found %v, err %v", found, err)
			}
			r1, err := s.save(ctx, "p", baseline{next: a, at: at}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.save(ctx, "p", baseline{next: b, at: at}, 0); !errors.Is(err, errBaselineMoved) {
				t.Fatalf("a second first save: %v, want errBaselineMoved", err)
			}
			got, found, err := s.load(ctx, "p")
			if err != nil || !found || got.base != nil || got.rev != r1 || !reflect.DeepEqual(got.next, a) || !got.at.Equal(at) {
				t.Fatalf("first step: %+v found %v err %v", got, found, err)
			}
			r2, err := s.save(ctx, "p", baseline{base: a, next: b, at: at.Add(time.Second)}, r1)
			if err != nil || r2 <= r1 {
				t.Fatalf("second step: rev %d, err %v", r2, err)
			}
			if _, err := s.save(ctx, "p", baseline{base: a, next: a, at: at}, r1); !errors.Is(err, errBaselineMoved) {
				t.Fatalf("a save naming an old revision: %v, want errBaselineMoved", err)
			}
			got, _, err = s.load(ctx, "p")
			if err != nil || got.rev != r2 || !reflect.DeepEqual(got.base, a) || !reflect.DeepEqual(got.next, b) {
				t.Fatalf("second step: %+v err %v", got, err)
			}
			if _, found, _ := s.load(ctx, "other"); found {
				t.Fatal("a provider never saved was found")
			}
		})
	}
}

// A step that does not fit in one NATS message is refused with why, not
// cut short.
func TestBaselineTooLarge(t *testing.T) {
	js, err := jetstream.New(testnats.JetStream(t))
	if err != nil {
		t.Fatal(err)
	}
	s := &kvBaselines{js: js, cell: "t", maxValue: 64}
	offers := map[string]seenOffer{}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		offers["offer-"+id] = seenOffer{price: 1, gpu: "h100-sxm-" + id, region: "region-" + id}
	}
	if _, err := s.save(context.Background(), "p", baseline{next: offers}, 0); err == nil {
		t.Fatal("an oversized step was saved")
	}
}

// changes derives the same events, ids included, from the same step:
// what lets a successor's copies be dropped by the stream's dedup.
func TestChangesAreDeterministic(t *testing.T) {
	w := &Worker{cfg: Config{Cell: "t"}, provider: "p"}
	step := baseline{rev: 7,
		base: map[string]seenOffer{"kept": {price: 1}, "gone": {price: 2}, "moved": {price: 3, availability: "high"}},
		next: map[string]seenOffer{"kept": {price: 1}, "new": {price: 4}, "moved": {price: 3.5, availability: "low"}}}
	ids := func() map[string]string {
		out, prices := w.changes(step)
		if prices != 3 || len(out) != 4 {
			t.Fatalf("%d events (%d prices), want 3 price_updates (new, gone, moved) and 1 availability_update", len(out), prices)
		}
		m := map[string]string{}
		for _, ev := range out {
			m[ev.Head().Type+"/"+ev.Key()] = ev.Head().EventID
		}
		return m
	}
	first, again := ids(), ids()
	if !reflect.DeepEqual(first, again) {
		t.Fatalf("ids differ between derivations: %v vs %v", first, again)
	}
	step.rev = 8
	for k, id := range ids() {
		if first[k] == id {
			t.Fatalf("%s has the same id in another step", k)
		}
	}
}
