// Package ratelimit is the plan-based rate limiter of the HTTP edge: free 10,
// pro 100 and enterprise 1000 requests per window W (1 s by default); the edge
// passes the limit with every call. Windows slide; there are no fixed buckets.
//
// # Guarantee
//
// For one key and any interval [a, a+W):
//   - while Redis is up (every admission in the interval used permits reserved
//     in Redis), all edges together admit at most limit requests;
//   - in every case, each edge admits at most limit requests, so N edges admit
//     at most N x limit while Redis is down or unreachable from some of them
//     (and in windows that straddle an outage).
//
// "Up" means one Redis whose writes survive: a failover to a replica that
// missed recent writes (replication is asynchronous) counts as an outage.
//
// # Redis ledger
//
// Per key, a sorted set of reservations "<id>:<count>" scored by a stamp. A
// reservation made at Redis time t (redis.call('TIME') in the script, so all
// edges share one clock) for k permits is stamped s = t + lease (rounded up to
// the microsecond). The edge uses those permits only after the answer and
// until its own send time of the call + lease - lease/10 (the margin covers
// clock rate differences), so every use happens at a real time r with
// t <= r <= s. The script, atomic in Redis, drops the reservations with
// s <= t-W, sums the counts of the rest into used, grants min(want, limit-used)
// and adds the grant stamped s.
//
// Proof: take a window [a, a+W) and, among the reservations with permits used
// in it, the last one made, at t*; t* <= r* < a+W for one of its uses r*. Any
// other of them, stamped s, has a use r in the window, so s >= r >= a > t*-W:
// it was still in the set at t* and counted in used. So the uses in the window
// are at most used + grant <= limit at t*.
//
// # Edge-local state
//
// Each key keeps the permits left from its current reservation and their lease
// deadline (monotonic clock). A request with a permit left and the lease not
// over is admitted without Redis, with no allocation and one short critical
// section. Otherwise the key reserves max(1, limit/BatchDivisor) permits; the
// requests of one key share a single call in flight. A denial is remembered
// until the time Redis says the next permit frees, so denied requests do not
// call Redis. Redis errors, and calls slower than RedisTimeout, send the key
// to the local ledger; Redis is left alone for RedisBackoff, then one request
// probes it and, if it answers in time, everyone uses it again. No request
// waits longer than RedisTimeout, whatever the Redis client's own timeouts.
//
// # Local ledger
//
// Every admission of the edge, Redis-backed or not, is also recorded in an
// in-memory ledger of the key, which alone decides while Redis is down or not
// configured, and caps the edge at limit when Redis is up. Admissions are
// counted in aligned buckets of W/100 (10 ms for W = 1 s), each keeping its
// count n and the times of its first and last admission: a bucket counts 0
// once last <= now-W, n-1 once first <= now-W, n otherwise. That bounds the
// admissions in (now-W, now] from above: a bucket counting n-1 has its first
// admission outside. Proof: in a window [a, a+W), take the last admission x*;
// every earlier admission in the window is at or after a > x*-W, so it was
// counted at x*, where the count was below limit.
//
// Only non-empty buckets are kept: about 100 per key at most. Stamping a
// bucket with its end time alone would be as safe but over-count by up to a
// bucket at the window's edge; with first and last, a bucket holding at most
// two admissions is counted exactly, so arrivals spaced more than W/limit
// apart are never denied for limit <= 200.
//
// # Memory
//
// Keys live in a sharded map. Keys untouched for 2W are swept (their ledgers
// are empty by then: nothing is forgotten). The number of keys is capped by
// MaxKeys, split evenly across the shards; a new key in a full shard evicts
// the shard's least recently used key. Evicting a key whose ledger still
// holds usage inside the window could let it start over, so that usage is
// kept in a per-shard ghost ledger (per bucket, the largest first, last and n
// of any evicted key) and every new key of the shard starts from a copy of
// it. An evicted key coming back therefore never over-admits; the price is
// that new keys of a shard that is evicting live keys (more than MaxKeys keys
// active within one window) are throttled harder for up to W. The Redis
// ledger is unaffected by evictions; only the evicted key's unused permits
// are lost.
package ratelimit
