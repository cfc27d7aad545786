package breaker

// window is a ring buffer of the outcomes of the last len(failed) calls.
type window struct {
	failed   []bool // outcome per slot, true for a failure
	next     int    // slot the next outcome overwrites
	calls    int    // slots in use
	failures int    // failures among the slots in use
}

func newWindow(size int) window {
	return window{failed: make([]bool, size)}
}

// add records one outcome, evicting the oldest once the window is full.
func (w *window) add(failed bool) {
	if w.calls == len(w.failed) {
		if w.failed[w.next] {
			w.failures--
		}
	} else {
		w.calls++
	}
	w.failed[w.next] = failed
	if failed {
		w.failures++
	}
	w.next = (w.next + 1) % len(w.failed)
}

func (w *window) full() bool {
	return w.calls == len(w.failed)
}

func (w *window) reset() {
	clear(w.failed)
	w.next, w.calls, w.failures = 0, 0, 0
}
