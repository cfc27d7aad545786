package cache

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// evictProbe is how many entries from the LRU end eviction inspects for
// one already past its expiry before taking the least recently used: a
// constant, so eviction stays O(1) while still preferring dead entries.
const evictProbe = 4

// Store is a bounded in-memory map with LRU eviction and per-entry expiry,
// safe for concurrent use. Keys are spread over shards by hash, each with
// its own lock, map and intrusive LRU list, so Get, Set and eviction are
// O(1) and goroutines touching different keys rarely contend.
//
// Bounds are split evenly over the shards (each holds at most
// maxEntries/shards entries and maxBytes/shards bytes), so Len never
// exceeds maxEntries and Bytes never exceeds maxBytes, at the price of
// evicting a little early when keys hash unevenly.
type Store[V any] struct {
	shards  []storeShard[V]
	seed    maphash.Seed
	size    func(V) int64
	now     func() time.Time
	onEvict func(key string)
	count   atomic.Int64
	bytes   atomic.Int64
}

type storeShard[V any] struct {
	mu sync.Mutex
	m  map[string]*storeEntry[V]
	// root is the list sentinel: root.next is the most recently used
	// entry, root.prev the least.
	root       storeEntry[V]
	bytes      int64
	maxEntries int
	maxBytes   int64
	// spare is the last evicted entry, reused by the next insert.
	spare *storeEntry[V]
}

type storeEntry[V any] struct {
	key        string
	val        V
	size       int64
	expires    int64 // unix nanoseconds; 0 never expires
	prev, next *storeEntry[V]
}

// StoreOption customizes NewStore.
type StoreOption func(*storeOptions)

type storeOptions struct {
	now     func() time.Time
	onEvict func(key string)
}

// WithClock sets the clock used for expiry (default time.Now).
func WithClock(now func() time.Time) StoreOption {
	return func(o *storeOptions) {
		if now != nil {
			o.now = now
		}
	}
}

// WithEvictHook is called, outside any lock, with the key of each entry
// removed to make room (not for expired entries found on access).
func WithEvictHook(fn func(key string)) StoreOption {
	return func(o *storeOptions) { o.onEvict = fn }
}

// NewStore returns a Store holding at most maxEntries entries and maxBytes
// approximate bytes (size(value) + len(key)); maxEntries <= 0 or maxBytes
// <= 0 leaves that bound off, and size may be nil when only entries are
// bounded. shards <= 0 means DefaultShards; it is lowered to maxEntries so
// that every shard can hold an entry.
func NewStore[V any](maxEntries int, maxBytes int64, shards int, size func(V) int64, opts ...StoreOption) *Store[V] {
	o := storeOptions{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if shards <= 0 {
		shards = DefaultShards
	}
	if maxEntries > 0 && shards > maxEntries {
		shards = maxEntries
	}
	if maxBytes > 0 && int64(shards) > maxBytes {
		shards = int(maxBytes)
	}
	if size == nil {
		size = func(V) int64 { return 0 }
	}
	s := &Store[V]{
		shards:  make([]storeShard[V], shards),
		seed:    maphash.MakeSeed(),
		size:    size,
		now:     o.now,
		onEvict: o.onEvict,
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.m = make(map[string]*storeEntry[V])
		sh.root.next, sh.root.prev = &sh.root, &sh.root
		if maxEntries > 0 {
			sh.maxEntries = maxEntries / shards
		}
		if maxBytes > 0 {
			sh.maxBytes = maxBytes / int64(shards)
		}
	}
	return s
}

func (s *Store[V]) shard(key string) *storeShard[V] {
	return &s.shards[maphash.String(s.seed, key)%uint64(len(s.shards))]
}

// Get returns the value for key unless it is absent or expired, and marks
// it most recently used.
func (s *Store[V]) Get(key string) (V, bool) { return s.get(key, s.now()) }

func (s *Store[V]) get(key string, now time.Time) (V, bool) {
	sh := s.shard(key)
	sh.mu.Lock()
	e := sh.m[key]
	if e == nil {
		sh.mu.Unlock()
		var zero V
		return zero, false
	}
	if e.dead(now.UnixNano()) {
		s.remove(sh, e)
		sh.mu.Unlock()
		var zero V
		return zero, false
	}
	sh.moveToFront(e)
	v := e.val
	sh.mu.Unlock()
	return v, true
}

// Set stores v under key until expires (zero: no expiry), evicting as
// needed. It reports false, and drops any older value of key, when v alone
// is larger than a shard's byte budget.
func (s *Store[V]) Set(key string, v V, expires time.Time) bool {
	size := max(s.size(v), 0) + int64(len(key))
	var exp int64
	if !expires.IsZero() {
		exp = expires.UnixNano()
	}
	var evicted []string
	sh := s.shard(key)
	sh.mu.Lock()
	e := sh.m[key]
	switch {
	case sh.maxBytes > 0 && size > sh.maxBytes:
		if e != nil {
			s.remove(sh, e)
		}
		sh.mu.Unlock()
		return false
	case e != nil:
		s.account(sh, 0, size-e.size)
		e.val, e.size, e.expires = v, size, exp
		sh.moveToFront(e)
		evicted = s.evict(sh, 0, 0, e, evicted)
	default:
		// Make room first, so that the last evicted entry can be reused:
		// a full store then inserts without allocating.
		evicted = s.evict(sh, 1, size, nil, evicted)
		if e = sh.spare; e != nil {
			sh.spare = nil
		} else {
			e = new(storeEntry[V])
		}
		*e = storeEntry[V]{key: key, val: v, size: size, expires: exp}
		sh.m[key] = e
		sh.pushFront(e)
		s.account(sh, 1, size)
	}
	sh.mu.Unlock()
	for _, k := range evicted {
		s.onEvict(k)
	}
	return true
}

// evict removes entries, never keep, until the shard is within its bounds
// with room for extraEntries more entries of extraBytes, and appends their
// keys to evicted when there is a hook to tell.
func (s *Store[V]) evict(sh *storeShard[V], extraEntries int, extraBytes int64, keep *storeEntry[V], evicted []string) []string {
	var now int64
	for (sh.maxEntries > 0 && len(sh.m)+extraEntries > sh.maxEntries) || (sh.maxBytes > 0 && sh.bytes+extraBytes > sh.maxBytes) {
		if now == 0 {
			now = s.now().UnixNano()
		}
		victim := sh.victim(now, keep)
		if victim == nil {
			break
		}
		s.remove(sh, victim)
		if s.onEvict != nil {
			evicted = append(evicted, victim.key)
		}
		*victim = storeEntry[V]{} // the spare must not keep the value alive
		sh.spare = victim
	}
	return evicted
}

// Delete removes key and reports whether it was present.
func (s *Store[V]) Delete(key string) bool {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[key]
	if e == nil {
		return false
	}
	s.remove(sh, e)
	return true
}

// Len is the number of entries, expired ones not yet removed included.
func (s *Store[V]) Len() int { return int(s.count.Load()) }

// Bytes is the approximate size of the entries held.
func (s *Store[V]) Bytes() int64 { return s.bytes.Load() }

func (e *storeEntry[V]) dead(now int64) bool { return e.expires != 0 && now >= e.expires }

// victim picks the entry to evict: an expired one among the evictProbe
// least recently used, else the least recently used; never keep, the entry
// being written. It is nil only when keep is the sole entry, which Set's
// checks rule out (every shard has room for one entry of any accepted size).
func (sh *storeShard[V]) victim(now int64, keep *storeEntry[V]) *storeEntry[V] {
	var lru *storeEntry[V]
	e := sh.root.prev
	for i := 0; i < evictProbe && e != &sh.root; i, e = i+1, e.prev {
		if e == keep {
			continue
		}
		if e.dead(now) {
			return e
		}
		if lru == nil {
			lru = e
		}
	}
	return lru
}

func (s *Store[V]) remove(sh *storeShard[V], e *storeEntry[V]) {
	delete(sh.m, e.key)
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	s.account(sh, -1, -e.size)
}

func (s *Store[V]) account(sh *storeShard[V], entries int, bytes int64) {
	sh.bytes += bytes
	s.bytes.Add(bytes)
	if entries != 0 {
		s.count.Add(int64(entries))
	}
}

func (sh *storeShard[V]) pushFront(e *storeEntry[V]) {
	e.prev, e.next = &sh.root, sh.root.next
	sh.root.next.prev = e
	sh.root.next = e
}

func (sh *storeShard[V]) moveToFront(e *storeEntry[V]) {
	if sh.root.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	sh.pushFront(e)
}
