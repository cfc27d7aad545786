package feed

import (
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// Config sizes a hub.
type Config struct {
	// QueueSize is each subscriber's queue of updates not yet written
	// (default 256). A full queue drops its oldest update.
	QueueSize int
	// SlowAfter is how long a queue may stay full before the subscriber is
	// asked to close (default 10 s).
	SlowAfter time.Duration
	// Retain is how many recent updates are kept for replay (default
	// 10,000), and ResumeFor how long a disconnected subscriber's
	// subscriptions are kept for it to resume (default 2 min).
	Retain    int
	ResumeFor time.Duration
	Now       func() time.Time
	Metrics   *metrics.Set
}

func (c Config) withDefaults() Config {
	if c.QueueSize <= 0 {
		c.QueueSize = 256
	}
	if c.SlowAfter <= 0 {
		c.SlowAfter = 10 * time.Second
	}
	if c.Retain <= 0 {
		c.Retain = 10000
	}
	if c.ResumeFor <= 0 {
		c.ResumeFor = 2 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Metrics == nil {
		c.Metrics = metrics.NewSet()
	}
	return c
}

// Hub fans updates out to subscribers. Publish is called by one source in
// stream order; everything else may be called from any goroutine.
type Hub struct {
	cfg Config

	mu       sync.Mutex
	index    map[string]map[*Subscriber]int // channel key -> subscribers (count of their channels with the key)
	filtered map[*Subscriber]struct{}       // subscribers with a Filter: offered every update
	owners   map[string]map[*Subscriber]struct{}
	subs     int
	ring     ring
	parked   map[string]parked // by resume token
	m        hubMetrics
	lastSeen map[string]time.Time // by update kind: when one was last published
}

type hubMetrics struct {
	subscribers *metrics.Gauge
	updates     *metrics.Counter
	dropped     *metrics.Counter
	slow        *metrics.Counter
	fanout      *metrics.Histogram
}

// NewHub makes an empty hub.
func NewHub(cfg Config) *Hub {
	cfg = cfg.withDefaults()
	h := &Hub{cfg: cfg, index: map[string]map[*Subscriber]int{}, filtered: map[*Subscriber]struct{}{},
		owners: map[string]map[*Subscriber]struct{}{}, parked: map[string]parked{}, ring: newRing(cfg.Retain), lastSeen: map[string]time.Time{}}
	set := cfg.Metrics
	h.m = hubMetrics{
		subscribers: set.GetOrCreateGauge("gpubroker_feed_subscribers", func() float64 {
			h.mu.Lock()
			defer h.mu.Unlock()
			return float64(h.subs)
		}),
		updates: set.GetOrCreateCounter("gpubroker_feed_updates_total"),
		dropped: set.GetOrCreateCounter("gpubroker_feed_dropped_total"),
		slow:    set.GetOrCreateCounter("gpubroker_feed_slow_subscribers_total"),
		fanout:  set.GetOrCreateHistogram("gpubroker_feed_fanout_seconds"),
	}
	return h
}

// SetFloor says that updates up to seq were never seen by this hub (the
// stream's last sequence when the source started), so a replay from
// before it is incomplete.
func (h *Hub) SetFloor(seq uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ring.raiseFloor(seq)
}

// LastSeen is when an update of kind was last published (zero: never).
func (h *Hub) LastSeen(kind string) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastSeen[kind]
}

// Publish retains u and queues it for every subscriber one of whose
// channels it is on. An update at or below the last sequence published
// (a source that restarted) is ignored.
func (h *Hub) Publish(u Update) {
	start := time.Now()
	h.mu.Lock()
	up := &u
	if !h.ring.push(up) {
		h.mu.Unlock()
		return
	}
	now := h.cfg.Now()
	h.lastSeen[up.Kind] = now
	if up.Owner != "" { // one user's: their subscribers only
		for s := range h.owners[up.Owner] {
			s.lastSeq = up.Seq
			s.enqueue(up, now)
		}
		h.mu.Unlock()
		h.m.updates.Inc()
		return
	}
	for _, k := range up.Keys {
		for s := range h.index[k] {
			if s.lastSeq != up.Seq && s.wants(up) {
				s.lastSeq = up.Seq
				s.enqueue(up, now)
			}
		}
	}
	for s := range h.filtered {
		if s.lastSeq != up.Seq && s.wants(up) {
			s.lastSeq = up.Seq
			s.enqueue(up, now)
		}
	}
	h.mu.Unlock()
	h.m.updates.Inc()
	h.m.fanout.UpdateDuration(start)
}

// Send queues a frame for every subscriber of owner (a user's alerts),
// outside the stream's sequence. It reports how many were given it.
func (h *Hub) Send(owner string, frame []byte) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.cfg.Now()
	u := &Update{Kind: "direct", Frame: frame}
	for s := range h.owners[owner] {
		s.enqueue(u, now)
	}
	return len(h.owners[owner])
}

// Subscribers is how many subscribers are connected.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.subs
}

// IndexSize is how many index entries exist; zero once every subscriber
// has gone (tests check nothing leaks).
func (h *Hub) IndexSize() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.index) + len(h.filtered) + len(h.owners)
}

// LastSeq is the sequence of the newest update published.
func (h *Hub) LastSeq() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ring.lastSeq
}

func (h *Hub) addKeysLocked(s *Subscriber, keys []string) {
	for _, k := range keys {
		m := h.index[k]
		if m == nil {
			m = map[*Subscriber]int{}
			h.index[k] = m
		}
		m[s]++
	}
}

func (h *Hub) removeKeysLocked(s *Subscriber, keys []string) {
	for _, k := range keys {
		m := h.index[k]
		if m[s]--; m[s] <= 0 {
			delete(m, s)
		}
		if len(m) == 0 {
			delete(h.index, k)
		}
	}
}
