// Package cache is the edge's two-tier cache: an in-process L2 (Store, a
// sharded LRU) in front of a shared L1 (Redis), so that one edge's load is
// every edge's hit and a hot key costs no network round trip.
//
// Cache.Get looks in L2, then L1, then calls the loader. Each key has at
// most one load in flight per process (single-flight), and a fresh item is
// refreshed early in the background with probability rising towards its
// expiry (XFetch, Vattani et al., VLDB 2015), so a hot key is normally
// reloaded before it expires and callers never wait for it. An item stays
// usable as stale until its stale horizon, so when a load fails the caller
// still gets the last value, marked FromStale, with the load's error.
//
// L1 is best effort: when Redis fails, the cache runs on L2 alone, callers
// see no error, and L1 is probed again after a backoff.
package cache
