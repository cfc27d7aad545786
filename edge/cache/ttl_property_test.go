package cache

import (
	"context"
	"errors"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var errUpstream = errors.New("upstream down")

// Property 2: an item is served as fresh (from L2 or L1) exactly while now
// is before FetchedAt + TTL, never after; after that a Get reloads, and if
// the reload fails it gets the old value marked stale until the stale
// horizon, then nothing. A second edge reading the shared L1 sees the same
// expiry. Checked for both TTLs, at random times and at the boundaries.
func TestPropertyTTL(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ttl := rapid.SampledFrom([]time.Duration{pricingTTL, staticTTL}).Draw(rt, "ttl")
		stale := time.Duration(rapid.Int64Range(0, 600).Draw(rt, "stale_s")) * time.Second
		clk := newFakeClock()
		be := newFakeBackend(clk)
		cfg := Config{L1: be.view(nil), Now: clk.Now, Rand: neverEarly, FailureBackoff: -1}
		writer, reader := New[int](cfg, intCodec{}), New[int](cfg, intCodec{})
		ctx := context.Background()
		load := &counter{}
		readerLoad := &counter{fail: errUpstream}

		model, src, err := writer.Get(ctx, "k", ttl, stale, load.load)
		if err != nil || src != FromLoad {
			rt.Fatalf("first Get: %v from %s, %v", model, src, err)
		}
		checkTimes(rt, model, ttl, stale)

		for range rapid.IntRange(1, 30).Draw(rt, "steps") {
			jumpTo(rt, clk, model)
			now := clk.Now()
			fail := rapid.Bool().Draw(rt, "load_fails")
			load.fail = nil
			if fail {
				load.fail = errUpstream
			}
			before := load.n()
			it, src, err := writer.Get(ctx, "k", ttl, stale, load.load)
			loaded := load.n() - before
			switch {
			case model.fresh(now):
				if src != FromL2 || err != nil || !sameItem(it, model) || loaded != 0 {
					rt.Fatalf("at +%s of %s TTL: got %v from %s (%v, %d loads), want the fresh item", now.Sub(model.FetchedAt), ttl, it, src, err, loaded)
				}
			case !fail:
				if src != FromLoad || err != nil || loaded != 1 {
					rt.Fatalf("after expiry: got %v from %s (%v, %d loads), want a reload", it, src, err, loaded)
				}
				checkTimes(rt, it, ttl, stale)
				if !it.FetchedAt.Equal(now) {
					rt.Fatalf("reloaded item fetched at %s, want %s", it.FetchedAt, now)
				}
				model = it
			default:
				checkStale(rt, it, src, err, model, now)
			}
			checkReader(rt, reader, readerLoad, model, ttl, stale, now)
		}
	})
}

// jumpTo moves the clock forward by a random amount or exactly to (or
// just before) one of the item's boundaries.
func jumpTo(rt *rapid.T, clk *fakeClock, it Item[int]) {
	targets := []time.Time{
		it.FreshUntil.Add(-time.Nanosecond), it.FreshUntil,
		it.StaleUntil.Add(-time.Nanosecond), it.StaleUntil,
	}
	switch i := rapid.IntRange(0, len(targets)).Draw(rt, "jump"); {
	case i < len(targets) && targets[i].After(clk.Now()):
		clk.Set(targets[i])
	default:
		clk.Advance(time.Duration(rapid.Int64Range(0, 700_000).Draw(rt, "advance_ms")) * time.Millisecond)
	}
}

func checkTimes(rt *rapid.T, it Item[int], ttl, stale time.Duration) {
	if !it.FreshUntil.Equal(it.FetchedAt.Add(ttl)) || !it.StaleUntil.Equal(it.FreshUntil.Add(stale)) {
		rt.Fatalf("item %v: want FreshUntil = FetchedAt + %s and StaleUntil = FreshUntil + %s", it, ttl, stale)
	}
}

// checkStale: a failed reload serves the last item marked stale while it
// is within its stale horizon, and nothing after.
func checkStale(rt *rapid.T, it Item[int], src Source, err error, model Item[int], now time.Time) {
	if !errors.Is(err, errUpstream) {
		rt.Fatalf("failed reload: err %v, want the loader's", err)
	}
	if model.usable(now) {
		if src != FromStale || !sameItem(it, model) {
			rt.Fatalf("failed reload within the stale horizon: got %v from %s, want %v stale", it, src, model)
		}
		return
	}
	if src != 0 || it.Value != 0 {
		rt.Fatalf("failed reload past the stale horizon: got %v from %s, want nothing", it, src)
	}
}

// checkReader: another edge whose loads fail sees the writer's item, via
// L1, as fresh exactly while the writer does.
func checkReader(rt *rapid.T, reader *Cache[int], load *counter, model Item[int], ttl, stale time.Duration, now time.Time) {
	it, src, err := reader.Get(context.Background(), "k", ttl, stale, load.load)
	if model.fresh(now) {
		if (src != FromL1 && src != FromL2) || err != nil || !sameItem(it, model) {
			rt.Fatalf("reader before expiry: got %v from %s (%v), want %v", it, src, err, model)
		}
		return
	}
	checkStale(rt, it, src, err, model, now)
}
