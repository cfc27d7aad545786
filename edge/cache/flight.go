package cache

import (
	"sync"
	"time"
)

// minSweep is the failure-map size below which expired failures are only
// removed when their key is requested again.
const minSweep = 64

// call is one load of a key, shared by every Get that arrives while it
// runs. Its result fields are written before done is closed.
type call[V any] struct {
	done     chan struct{}
	item     Item[V]
	src      Source
	err      error
	stale    Item[V] // newest stale item seen, served if the load fails
	hasStale bool
}

// failure remembers a failed load so that, for the backoff, Gets of the
// key answer at once instead of loading again.
type failure[V any] struct {
	until    time.Time
	err      error
	stale    Item[V]
	hasStale bool
}

// flights is the single-flight table: at most one call per key at a time.
type flights[V any] struct {
	mu      sync.Mutex
	calls   map[string]*call[V]
	fails   map[string]*failure[V]
	sweepAt int
}

func newFlights[V any]() *flights[V] {
	return &flights[V]{
		calls:   make(map[string]*call[V]),
		fails:   make(map[string]*failure[V]),
		sweepAt: minSweep,
	}
}

// join returns the call in flight for key, or a new one that the caller
// must run (isNew), or, when a load of key failed less than the backoff
// ago, that failure and no call.
func (g *flights[V]) join(key string, now time.Time) (cl *call[V], isNew bool, f *failure[V]) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if cl := g.calls[key]; cl != nil {
		return cl, false, nil
	}
	if f := g.fails[key]; f != nil {
		if now.Before(f.until) {
			return nil, false, f
		}
		delete(g.fails, key)
	}
	cl = &call[V]{done: make(chan struct{})}
	g.calls[key] = cl
	return cl, true, nil
}

// finish publishes cl's result. Removing the call and recording its
// failure happen under one lock, so a Get arriving afterwards either sees
// the failure or (after a success) finds the new item already in L2.
func (g *flights[V]) finish(key string, cl *call[V], now time.Time, backoff time.Duration) {
	g.mu.Lock()
	delete(g.calls, key)
	if cl.err != nil && backoff > 0 {
		g.fails[key] = &failure[V]{until: now.Add(backoff), err: cl.err, stale: cl.stale, hasStale: cl.hasStale}
		if len(g.fails) >= g.sweepAt {
			g.sweep(now)
		}
	}
	g.mu.Unlock()
	close(cl.done)
}

// sweep drops expired failures. It runs when the map has doubled since the
// last sweep, so its cost is amortized O(1) per failure and keys that fail
// once and are never asked for again do not accumulate.
func (g *flights[V]) sweep(now time.Time) {
	for k, f := range g.fails {
		if !now.Before(f.until) {
			delete(g.fails, k)
		}
	}
	g.sweepAt = max(minSweep, 2*len(g.fails))
}
