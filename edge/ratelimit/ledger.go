package ratelimit

// bucket summarizes the admissions of one aligned time bucket of a ledger:
// bucket number idx covers [idx*width, (idx+1)*width). Times are nanoseconds
// on the limiter's clock.
type bucket struct {
	idx   int64
	first int64 // at most n-1 of the admissions happened after first
	last  int64 // none of the admissions happened after last
	n     int64
}

// ledger is the in-process sliding-window ledger of one key. It keeps only
// non-empty buckets, oldest first, in a ring that grows on demand, so it holds
// at most min(admissions in a window, buckets per window + 1) buckets.
//
// count is an upper bound of the admissions in (now-W, now]: a bucket whose
// last admission is at or before now-W is dropped, and a bucket whose first
// admission is at or before now-W (only the oldest can be) counts n-1.
type ledger struct {
	ring  []bucket
	head  int
	len   int
	total int64
}

// expire drops the buckets with no admission inside (now-window, now].
func (l *ledger) expire(now, window int64) {
	for l.len > 0 && l.ring[l.head].last <= now-window {
		l.total -= l.ring[l.head].n
		l.head = (l.head + 1) % len(l.ring)
		l.len--
	}
}

// count bounds the admissions in (now-window, now]; expire(now) must have run.
func (l *ledger) count(now, window int64) int64 {
	if l.len > 0 && l.ring[l.head].first <= now-window {
		return l.total - 1
	}
	return l.total
}

// reset is the time from now until count drops; expire(now) must have run and
// the ledger must not be empty.
func (l *ledger) reset(now, window int64) int64 {
	h := &l.ring[l.head]
	if h.first <= now-window {
		return h.last + window - now
	}
	return h.first + window - now
}

// add records one admission at now.
func (l *ledger) add(now, width int64) {
	idx := now / width
	if l.len > 0 {
		b := &l.ring[(l.head+l.len-1)%len(l.ring)]
		if b.idx == idx {
			b.n++
			b.last = now
			l.total++
			return
		}
	}
	l.push(bucket{idx: idx, first: now, last: now, n: 1})
}

// push appends b, which must be newer than every bucket held.
func (l *ledger) push(b bucket) {
	if l.len == len(l.ring) {
		ring := make([]bucket, max(4, 2*len(l.ring)))
		for i := range l.len {
			ring[i] = l.ring[(l.head+i)%len(l.ring)]
		}
		l.ring, l.head = ring, 0
	}
	l.ring[(l.head+l.len)%len(l.ring)] = b
	l.len++
	l.total += b.n
}

// ghost remembers the usage of keys evicted from one shard while it was still
// inside the window: per bucket, the largest first, last and n of any evicted
// key. A key created in that shard starts from a copy of it, so a key that was
// evicted and comes back never finds its ledger emptier than it was. It is a
// ring indexed by bucket number with room for every bucket one window spans.
type ghost struct {
	slots []bucket
}

// absorb folds the buckets of an evicted key's ledger into g.
func (g *ghost) absorb(l *ledger, bucketsPerWindow int64) {
	if l.len == 0 {
		return
	}
	if g.slots == nil {
		g.slots = make([]bucket, bucketsPerWindow+2)
	}
	for i := range l.len {
		b := l.ring[(l.head+i)%len(l.ring)]
		s := &g.slots[b.idx%int64(len(g.slots))]
		switch {
		case s.n == 0 || s.idx < b.idx:
			*s = b
		case s.idx == b.idx:
			s.first = max(s.first, b.first)
			s.last = max(s.last, b.last)
			s.n = max(s.n, b.n)
		}
	}
}

// seed copies into the empty ledger l the remembered buckets still inside
// (now-window, now].
func (g *ghost) seed(l *ledger, now, window, width int64) {
	if g.slots == nil {
		return
	}
	for idx := max(0, (now-window)/width); idx <= now/width; idx++ {
		s := g.slots[idx%int64(len(g.slots))]
		if s.n > 0 && s.idx == idx && s.last > now-window {
			l.push(s)
		}
	}
}
