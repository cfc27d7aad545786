package cache

import (
	"context"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

const (
	pricingTTL = 60 * time.Second
	staticTTL  = 300 * time.Second
	staleFor   = 120 * time.Second
)

// ttlOf gives each test key its kind: pricing keys 60 s, static 300 s.
func ttlOf(key string) time.Duration {
	if key[0] == 's' {
		return staticTTL
	}
	return pricingTTL
}

// healthModel mirrors the L1 circuit: skipped for the backoff after a
// failure, then one call probes it.
type healthModel struct {
	healthy bool
	retryAt time.Time
	backoff time.Duration
}

func (h *healthModel) usable(now time.Time) bool {
	if h.healthy {
		return true
	}
	if now.Before(h.retryAt) {
		return false
	}
	h.retryAt = now.Add(h.backoff)
	return true
}

func (h *healthModel) result(now time.Time, entry string) {
	if slices.Contains([]string{"l1get:down", "l1set:down"}, entry) {
		h.healthy, h.retryAt = false, now.Add(h.backoff)
		return
	}
	h.healthy = true
}

// Property 1: every Get consults L2 first, then L1 (while L1 is up or due
// a probe), then the loader; a load lands in both tiers; and with L1 down
// every Get still succeeds, from L2 or a load, and L1 is used again once it
// is back and the backoff has passed.
func TestPropertyLookupOrder(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		const backoff = 5 * time.Second
		clk := newFakeClock()
		be := newFakeBackend(clk)
		log := &recorder{}
		mine := New[int](Config{L1: be.view(log), Now: clk.Now, Rand: neverEarly, L1Backoff: backoff, OnEvent: log.l2Events}, intCodec{})
		peer := New[int](Config{L1: be.view(nil), Now: clk.Now, Rand: neverEarly, L1Backoff: backoff}, intCodec{})
		load := &counter{log: log}
		peerLoad := &counter{base: 1_000_000}
		l2 := map[string]Item[int]{}
		health := healthModel{healthy: true, backoff: backoff}
		keys := []string{"price:a", "price:b", "static:x"}
		ctx := context.Background()

		for range rapid.IntRange(1, 60).Draw(rt, "steps") {
			switch rapid.IntRange(0, 5).Draw(rt, "op") {
			case 0:
				clk.Advance(time.Duration(rapid.Int64Range(0, 400_000).Draw(rt, "advance_ms")) * time.Millisecond)
			case 1:
				be.setUp(rapid.Bool().Draw(rt, "l1_up"))
			case 2:
				key := rapid.SampledFrom(keys).Draw(rt, "peer_key")
				if _, _, err := peer.Get(ctx, key, ttlOf(key), staleFor, peerLoad.load); err != nil {
					rt.Fatalf("peer Get(%s): %v", key, err)
				}
			default:
				key := rapid.SampledFrom(keys).Draw(rt, "key")
				checkGet(rt, mine, be, log, load, l2, &health, clk.Now(), key)
			}
		}
	})
}

// checkGet does one Get and checks what it touched, in order, against the
// models of our L2 and of the L1 circuit.
func checkGet(rt *rapid.T, c *Cache[int], be *fakeBackend, log *recorder, load *counter, l2 map[string]Item[int], health *healthModel, now time.Time, key string) {
	log.take()
	l1, inL1 := be.item(key)
	it, src, err := c.Get(context.Background(), key, ttlOf(key), staleFor, load.load)
	got := log.take()
	if err != nil {
		rt.Fatalf("Get(%s): %v (log %v)", key, err, got)
	}
	if len(got) == 0 {
		rt.Fatalf("Get(%s): L2 was not consulted", key)
	}
	if m, ok := l2[key]; ok && m.fresh(now) {
		if !slices.Equal(got, []string{"l2hit"}) || src != FromL2 || !sameItem(it, m) {
			rt.Fatalf("Get(%s) with fresh L2 item %v: got %v from %s, log %v", key, m, it, src, got)
		}
		return
	}
	if got[0] != "l2miss" {
		rt.Fatalf("Get(%s): L2 not consulted first: %v", key, got)
	}
	rest := got[1:]
	if health.usable(now) {
		if len(rest) == 0 || !slices.Contains([]string{"l1get:down", "l1get:miss", "l1get:hit"}, rest[0]) {
			rt.Fatalf("Get(%s): L1 not consulted second: %v", key, got)
		}
		health.result(now, rest[0])
		if inL1 && rest[0] == "l1get:hit" && l1.fresh(now) {
			if len(rest) != 1 || src != FromL1 || !sameItem(it, l1) {
				rt.Fatalf("Get(%s) with fresh L1 item %v: got %v from %s, log %v", key, l1, it, src, got)
			}
			l2[key] = it
			checkPeek(rt, c, key, it)
			return
		}
		rest = rest[1:]
	}
	if len(rest) == 0 || rest[0] != "load" || src != FromLoad || it.Value != load.n() {
		rt.Fatalf("Get(%s): want a load third, got %v from %s, log %v", key, it, src, got)
	}
	rest = rest[1:]
	l2[key] = it
	checkPeek(rt, c, key, it)
	if health.usable(now) {
		if len(rest) != 1 {
			rt.Fatalf("Get(%s): loaded item not written to L1: %v", key, got)
		}
		health.result(now, rest[0])
		if l1, ok := be.item(key); rest[0] == "l1set:ok" && (!ok || !sameItem(l1, it)) {
			rt.Fatalf("Get(%s): L1 holds %v, want %v", key, l1, it)
		}
	} else if len(rest) != 0 {
		rt.Fatalf("Get(%s): L1 used during its backoff: %v", key, got)
	}
	if c.L1Healthy() != health.healthy {
		rt.Fatalf("L1Healthy = %t, want %t", c.L1Healthy(), health.healthy)
	}
}

func checkPeek(rt *rapid.T, c *Cache[int], key string, want Item[int]) {
	if got, ok := c.Peek(key); !ok || !sameItem(got, want) {
		rt.Fatalf("Peek(%s) = %v, %t; want %v in L2", key, got, ok, want)
	}
}

// sameItem compares items across L1's encoding, which drops the monotonic
// clock reading.
func sameItem(a, b Item[int]) bool {
	return a.Value == b.Value && a.FetchedAt.Equal(b.FetchedAt) && a.FreshUntil.Equal(b.FreshUntil) &&
		a.StaleUntil.Equal(b.StaleUntil) && a.Delta == b.Delta
}
