package cache

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Cache is the two-tier cache of values of type V. It is safe for
// concurrent use.
type Cache[V any] struct {
	cfg     Config
	codec   Codec[V]
	store   *Store[l2Entry[V]]
	l1      *l1Health
	flights *flights[V]
}

// l2Entry keeps the encoded size with the item for L2's byte bound.
type l2Entry[V any] struct {
	item Item[V]
	size int64
}

// New returns a Cache. A nil codec leaves L1 off and L2 bounded by entries
// only.
func New[V any](cfg Config, codec Codec[V]) *Cache[V] {
	cfg = cfg.withDefaults()
	c := &Cache[V]{cfg: cfg, codec: codec, flights: newFlights[V]()}
	l1 := cfg.L1
	if codec == nil {
		l1 = nil
	}
	c.l1 = newL1Health(l1, cfg.L1Timeout, cfg.L1Backoff)
	c.store = NewStore(cfg.MaxEntries, cfg.MaxBytes, cfg.Shards,
		func(e l2Entry[V]) int64 { return e.size },
		WithClock(cfg.Now),
		WithEvictHook(func(key string) { c.emit(Event{Kind: EventEviction, Key: key}) }))
	return c
}

var errBadArgs = errors.New("cache: invalid arguments")

// Get returns key's item: fresh from L2, else fresh from L1, else from
// load, which makes the item fresh for ttl and then usable as stale for
// staleFor more. When the load fails it returns the newest stale item with
// FromStale and the load's error, or a zero item, Source 0 and the error.
// A caller whose ctx ends while waiting gets ctx's error (with the stale
// item, if any); the load goes on for the others.
func (c *Cache[V]) Get(ctx context.Context, key string, ttl, staleFor time.Duration, load Loader[V]) (Item[V], Source, error) {
	if load == nil || ttl <= 0 || staleFor < 0 {
		return Item[V]{}, 0, fmt.Errorf("%w: get %q: ttl %s, staleFor %s, loader set %t", errBadArgs, key, ttl, staleFor, load != nil)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	now := c.cfg.Now()
	cur, ok := c.l2Get(key, now)
	if ok && cur.fresh(now) {
		c.emit(Event{Kind: EventL2Hit, Key: key})
		if c.refreshDue(now, cur) {
			c.refreshEarly(ctx, key, ttl, staleFor, load, now, cur.FetchedAt)
		}
		return cur, FromL2, nil
	}
	c.emit(Event{Kind: EventL2Miss, Key: key})
	if err := ctx.Err(); err != nil {
		return c.fallback(key, Item[V]{}, false, fmt.Errorf("cache: get %q: %w", key, err))
	}
	cl, isNew, f := c.flights.join(key, now)
	if f != nil {
		return c.fallback(key, f.stale, f.hasStale, f.err)
	}
	if isNew {
		go c.run(ctx, key, ttl, staleFor, load, time.Time{}, cl)
	}
	select {
	case <-cl.done:
		if cl.err == nil {
			return cl.item, cl.src, nil
		}
		return c.fallback(key, cl.stale, cl.hasStale, cl.err)
	case <-ctx.Done():
		return c.fallback(key, Item[V]{}, false, fmt.Errorf("cache: get %q: %w", key, ctx.Err()))
	}
}

// Peek returns key's item from L2, fresh or stale, without loading.
func (c *Cache[V]) Peek(key string) (Item[V], bool) {
	return c.l2Get(key, c.cfg.Now())
}

// Set writes it to both tiers, e.g. to warm the cache from elsewhere. An
// item already past StaleUntil is dropped; a zero FetchedAt means now. L1
// being down is not an error: the item is then in L2 only.
func (c *Cache[V]) Set(ctx context.Context, key string, it Item[V]) error {
	if it.FreshUntil.After(it.StaleUntil) || it.Delta < 0 {
		return fmt.Errorf("%w: set %q: FreshUntil %s after StaleUntil %s or negative Delta %s",
			errBadArgs, key, it.FreshUntil, it.StaleUntil, it.Delta)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	now := c.cfg.Now()
	if it.FetchedAt.IsZero() {
		it.FetchedAt = now
	}
	if it.usable(now) {
		// The caller's cancellation must not make a healthy L1 look down.
		c.write(context.WithoutCancel(ctx), key, it, now)
	}
	return nil
}

// L1Healthy reports whether L1 is configured and its last call succeeded.
func (c *Cache[V]) L1Healthy() bool { return c.l1.healthy.Load() }

// Len is the number of items in L2.
func (c *Cache[V]) Len() int { return c.store.Len() }

func (c *Cache[V]) emit(e Event) {
	if c.cfg.OnEvent != nil {
		c.cfg.OnEvent(e)
	}
}

func (c *Cache[V]) l2Get(key string, now time.Time) (Item[V], bool) {
	e, ok := c.store.get(key, now)
	return e.item, ok
}

func (c *Cache[V]) refreshDue(now time.Time, it Item[V]) bool {
	// Without a measured load time XFetch's window is empty; skip Rand.
	return c.cfg.Beta > 0 && it.Delta > 0 && xfetch(now, it.FreshUntil, it.Delta, c.cfg.Beta, c.cfg.Rand())
}

// refreshEarly starts a background reload of key unless one is running or
// a recent load failed. It only accepts an item fetched after `after`, so
// the copy being refreshed (in L2 or, from this same load, in L1) does not
// count as the refresh.
func (c *Cache[V]) refreshEarly(ctx context.Context, key string, ttl, staleFor time.Duration, load Loader[V], now, after time.Time) {
	cl, isNew, _ := c.flights.join(key, now)
	if !isNew {
		return
	}
	c.emit(Event{Kind: EventEarlyRefresh, Key: key})
	go c.run(ctx, key, ttl, staleFor, load, after, cl)
}

// run performs one call, detached from the caller's cancellation (but
// keeping its values, e.g. trace ids) and bounded by LoadTimeout.
func (c *Cache[V]) run(parent context.Context, key string, ttl, staleFor time.Duration, load Loader[V], after time.Time, cl *call[V]) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), c.cfg.LoadTimeout)
	defer cancel()
	c.fill(ctx, key, ttl, staleFor, load, after, cl)
	c.flights.finish(key, cl, c.cfg.Now(), c.cfg.FailureBackoff)
}

// fill sets cl's result: a fresh item fetched after `after` from L2 (a
// call that finished just before this one began), else from L1, else from
// load. Re-checking L2 here is what makes "one load per key" hold: a Get
// that missed L2 just before another call finished starts a new call, and
// that call finds the finished one's item instead of loading again.
func (c *Cache[V]) fill(ctx context.Context, key string, ttl, staleFor time.Duration, load Loader[V], after time.Time, cl *call[V]) {
	now := c.cfg.Now()
	if it, ok := c.l2Get(key, now); ok {
		if it.fresh(now) && it.FetchedAt.After(after) {
			cl.item, cl.src = it, FromL2
			return
		}
		cl.stale, cl.hasStale = it, true
	}
	if it, size, ok := c.l1Get(ctx, key, now); ok {
		if it.fresh(now) && it.FetchedAt.After(after) {
			c.store.Set(key, l2Entry[V]{item: it, size: size}, it.StaleUntil)
			// After the write: a listener treating the event as "L2 changed"
			// must never see the event before the change.
			c.emit(Event{Kind: EventL1Hit, Key: key})
			cl.item, cl.src = it, FromL1
			return
		}
		c.emit(Event{Kind: EventL1Miss, Key: key})
		if it.usable(now) && (!cl.hasStale || it.FetchedAt.After(cl.stale.FetchedAt)) {
			// Keep another edge's newer stale copy in L2 for Peek and for
			// Gets during the failure backoff.
			c.store.Set(key, l2Entry[V]{item: it, size: size}, it.StaleUntil)
			cl.stale, cl.hasStale = it, true
		}
	}
	c.emit(Event{Kind: EventLoadStart, Key: key})
	start := c.cfg.Now()
	v, err := callLoader(ctx, key, load)
	end := c.cfg.Now()
	took := max(end.Sub(start), 0)
	if err != nil {
		c.emit(Event{Kind: EventLoadError, Key: key, Err: err, Took: took})
		cl.err = err
		return
	}
	it := Item[V]{Value: v, FetchedAt: end, FreshUntil: end.Add(ttl), StaleUntil: end.Add(ttl + staleFor), Delta: took}
	c.write(ctx, key, it, end)
	c.emit(Event{Kind: EventLoadOK, Key: key, Took: took})
	cl.item, cl.src = it, FromLoad
}

// callLoader runs load, turning a panic into an error: the loader runs on
// a goroutine of ours, where a panic would kill the process and leave the
// waiters hanging.
func callLoader[V any](ctx context.Context, key string, load Loader[V]) (v V, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cache: load %q panicked: %v", key, r)
		}
	}()
	v, err = load(ctx)
	if err != nil {
		return v, fmt.Errorf("cache: load %q: %w", key, err)
	}
	return v, nil
}

// fallback answers a Get whose load did not produce a value: a fresh L2
// item if one appeared meanwhile (e.g. from Set), else the newest item
// still within its stale horizon, from L2 or extra.
func (c *Cache[V]) fallback(key string, extra Item[V], hasExtra bool, err error) (Item[V], Source, error) {
	now := c.cfg.Now()
	cur, ok := c.l2Get(key, now)
	if ok && cur.fresh(now) {
		return cur, FromL2, nil
	}
	if hasExtra && extra.usable(now) && (!ok || extra.FetchedAt.After(cur.FetchedAt)) {
		cur, ok = extra, true
	}
	if !ok {
		return Item[V]{}, 0, err
	}
	c.emit(Event{Kind: EventStaleServed, Key: key, Err: err})
	return cur, FromStale, err
}

// write puts it in L2 and, when L1 is up, in L1 with a Redis TTL of
// StaleUntil − now.
func (c *Cache[V]) write(ctx context.Context, key string, it Item[V], now time.Time) {
	var payload []byte
	encoded := false
	if c.codec != nil {
		var err error
		if payload, err = c.codec.Encode(it.Value); err != nil {
			c.emit(Event{Kind: EventCodecError, Key: key, Err: fmt.Errorf("cache: encode %q: %w", key, err)})
		} else {
			encoded = true
		}
	}
	c.store.Set(key, l2Entry[V]{item: it, size: int64(len(payload))}, it.StaleUntil)
	ttl := it.StaleUntil.Sub(now)
	if !encoded || ttl < time.Millisecond || !c.l1.usable(now) {
		return
	}
	if err := c.l1.set(ctx, now, key, encodeEnvelope(headerOf(it), payload), ttl); err != nil {
		c.emit(Event{Kind: EventL1Error, Key: key, Err: err})
	}
}

// l1Get reads and decodes key from L1 if L1 is up; a miss, an error or an
// undecodable value all count as not found.
func (c *Cache[V]) l1Get(ctx context.Context, key string, now time.Time) (Item[V], int64, bool) {
	if !c.l1.usable(now) {
		return Item[V]{}, 0, false
	}
	b, err := c.l1.get(ctx, now, key)
	switch {
	case errors.Is(err, ErrMiss):
		c.emit(Event{Kind: EventL1Miss, Key: key})
		return Item[V]{}, 0, false
	case err != nil:
		c.emit(Event{Kind: EventL1Error, Key: key, Err: err})
		return Item[V]{}, 0, false
	}
	h, payload, err := decodeEnvelope(b)
	var v V
	if err == nil {
		v, err = c.codec.Decode(payload)
	}
	if err != nil {
		c.emit(Event{Kind: EventCodecError, Key: key, Err: fmt.Errorf("cache: decode l1 %q: %w", key, err)})
		return Item[V]{}, 0, false
	}
	it := Item[V]{Value: v, FetchedAt: h.fetchedAt, FreshUntil: h.freshUntil, StaleUntil: h.staleUntil, Delta: h.delta}
	return it, int64(len(payload)), true
}
