package feed

// ring keeps the most recent updates in sequence order. Entries are
// shared with subscriber queues and never changed.
type ring struct {
	buf     []*Update
	start   int // index of the oldest
	n       int
	lastSeq uint64
	// floor is the highest sequence known not to be retained: evicted, or
	// from before the hub started. A replay after floor is complete.
	floor uint64
}

func newRing(size int) ring { return ring{buf: make([]*Update, size)} }

// push appends u; false when u is not newer than the last one.
func (r *ring) push(u *Update) bool {
	if u.Seq <= r.lastSeq {
		return false
	}
	if r.n == len(r.buf) {
		r.floor = max(r.floor, r.buf[r.start].Seq)
		r.buf[r.start] = nil
		r.start = (r.start + 1) % len(r.buf)
		r.n--
	}
	r.buf[(r.start+r.n)%len(r.buf)] = u
	r.n++
	r.lastSeq = u.Seq
	return true
}

func (r *ring) raiseFloor(seq uint64) {
	r.floor = max(r.floor, seq)
	r.lastSeq = max(r.lastSeq, seq)
}

// after calls f for every retained update newer than seq, oldest first,
// and reports whether that is everything after seq (nothing after it was
// evicted or missed).
func (r *ring) after(seq uint64, f func(*Update)) (complete bool) {
	// Binary search for the first update newer than seq.
	lo, hi := 0, r.n
	for lo < hi {
		mid := (lo + hi) / 2
		if r.buf[(r.start+mid)%len(r.buf)].Seq <= seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for i := lo; i < r.n; i++ {
		f(r.buf[(r.start+i)%len(r.buf)])
	}
	return seq >= r.floor
}
