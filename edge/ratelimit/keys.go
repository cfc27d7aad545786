package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
)

// maxShards bounds the shards of the key table; fewer are used when MaxKeys
// is smaller, so that the cap stays exact.
const maxShards = 64

// entry is the edge-local state of one key. The fields under mu are the
// ledger and the current Redis reservation; prev, next and the shard's map
// are guarded by shard.mu. Lock order: shard.mu, then entry.mu.
type entry struct {
	mu  sync.Mutex
	now int64 // latest clock reading used, so the key's time never goes back
	led ledger

	permits    int64   // unused permits of the current reservation
	leaseEnd   int64   // they may be used while now < leaseEnd
	othersFree int64   // limit minus the key's whole usage at the reservation
	freeAt     int64   // when the key's oldest reservation leaves Redis
	denyUntil  int64   // Redis denied: no new reservation before this
	flight     *flight // the reservation in progress, if any
	dead       bool    // dropped from the table: look the key up again

	key      string
	redisKey string
	shard    *keyShard
	touched  atomic.Int64 // when the entry last moved to the front of the LRU
	prev     *entry
	next     *entry
}

// clock returns now, or the latest reading already used if now is older.
func (e *entry) clock(now int64) int64 {
	if now < e.now {
		return e.now
	}
	e.now = now
	return now
}

// keyShard is one lock's worth of the key table: a map and an LRU list whose
// sentinel's next is the most recently used entry.
type keyShard struct {
	mu    sync.RWMutex
	m     map[string]*entry
	lru   *entry
	ghost ghost
	_     [64]byte // keeps neighbouring shards' locks on different cache lines
}

// keyTable holds the entries of all keys: sharded, capped, and swept of idle
// keys. Entries move in the LRU list at most once per touchEvery, so reading a
// key that exists takes only its shard's read lock.
type keyTable struct {
	seed       maphash.Seed
	shards     []keyShard
	perShard   int
	window     int64
	width      int64
	touchEvery int64
	redisKeys  string // prefix of Redis key names, empty when there is no Redis
	now        func() int64
}

func newKeyTable(maxKeys int, window, width int64, redisKeys string, now func() int64) *keyTable {
	n := 1 << (bits.Len(uint(min(maxKeys, maxShards))) - 1)
	t := &keyTable{
		seed:       maphash.MakeSeed(),
		shards:     make([]keyShard, n),
		perShard:   maxKeys / n,
		window:     window,
		width:      width,
		touchEvery: max(window/16, 1),
		redisKeys:  redisKeys,
		now:        now,
	}
	for i := range t.shards {
		s := &t.shards[i]
		s.m = make(map[string]*entry)
		s.lru = &entry{}
		s.lru.prev, s.lru.next = s.lru, s.lru
	}
	return t
}

func (t *keyTable) shard(key string) *keyShard {
	return &t.shards[maphash.String(t.seed, key)&uint64(len(t.shards)-1)]
}

// lookup returns the entry of key, creating it if needed.
func (t *keyTable) lookup(key string) *entry {
	s := t.shard(key)
	s.mu.RLock()
	e := s.m[key]
	s.mu.RUnlock()
	if e != nil {
		return e
	}
	return t.insert(s, key)
}

// insert creates the entry of key, evicting the least recently used entry of
// the shard when it is full. A new entry starts from the shard's ghost.
func (t *keyTable) insert(s *keyShard, key string) *entry {
	now := max(0, t.now())
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[key]; e != nil {
		return e
	}
	if len(s.m) >= t.perShard {
		t.evict(s, s.lru.prev, now)
	}
	e := &entry{key: key, now: now, shard: s}
	if t.redisKeys != "" {
		sum := sha256.Sum256([]byte(key))
		e.redisKey = t.redisKeys + hex.EncodeToString(sum[:16])
	}
	s.ghost.seed(&e.led, now, t.window, t.width)
	e.touched.Store(now)
	s.m[key] = e
	e.prev, e.next = s.lru, s.lru.next
	e.prev.next, e.next.prev = e, e
	return e
}

// evict drops e from s, keeping its usage still in the window in the ghost.
// The caller holds s.mu.
func (t *keyTable) evict(s *keyShard, e *entry, now int64) {
	e.mu.Lock()
	e.led.expire(max(now, e.now), t.window)
	s.ghost.absorb(&e.led, t.window/t.width)
	e.dead = true
	e.mu.Unlock()
	t.unlink(s, e)
}

func (t *keyTable) unlink(s *keyShard, e *entry) {
	delete(s.m, e.key)
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

// touch moves e to the front of its shard's LRU list if it has not moved for
// touchEvery.
func (t *keyTable) touch(e *entry, now int64) {
	if now-e.touched.Load() < t.touchEvery {
		return
	}
	s := e.shard
	s.mu.Lock()
	if e.prev != nil {
		e.prev.next, e.next.prev = e.next, e.prev
		e.prev, e.next = s.lru, s.lru.next
		e.prev.next, e.next.prev = e, e
		e.touched.Store(now)
	}
	s.mu.Unlock()
}

// sweep drops the keys not touched for two windows. Their ledgers are empty by
// then, so nothing is forgotten; a key with a Redis call in flight stays.
func (t *keyTable) sweep(now int64) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for e := s.lru.prev; e != s.lru && now-e.touched.Load() > 2*t.window; {
			prev := e.prev
			e.mu.Lock()
			e.led.expire(max(now, e.now), t.window)
			if e.flight == nil && e.led.len == 0 {
				e.dead = true
				t.unlink(s, e)
			}
			e.mu.Unlock()
			e = prev
		}
		s.mu.Unlock()
	}
}
