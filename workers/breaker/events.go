package breaker

import "sync"

type transition struct{ from, to State }

// events hands state changes to Config.OnTransition outside the breaker's
// lock, so the callback may use the breaker, while keeping their order: a
// gauge set from the callback must end on the state the breaker is in.
// Changes are queued under the breaker's lock and delivered by one goroutine
// at a time; a change queued while another goroutine is delivering is
// delivered by that goroutine.
type events struct {
	notify     func(from, to State)
	mu         sync.Mutex
	queue      []transition
	delivering bool
}

// add queues a change; the caller holds the breaker's lock.
func (e *events) add(from, to State) {
	if e.notify == nil {
		return
	}
	e.mu.Lock()
	e.queue = append(e.queue, transition{from, to})
	e.mu.Unlock()
}

// deliver reports queued changes unless another goroutine already is; the
// caller must not hold the breaker's lock.
func (e *events) deliver() {
	if e.notify == nil {
		return
	}
	e.mu.Lock()
	if e.delivering {
		e.mu.Unlock()
		return
	}
	e.delivering = true
	for len(e.queue) > 0 {
		t := e.queue[0]
		e.queue = e.queue[1:]
		e.mu.Unlock()
		e.call(t)
		e.mu.Lock()
	}
	e.queue = nil
	e.delivering = false
	e.mu.Unlock()
}

// call runs the callback; if it panics, delivery is released so the panic
// does not silence every later change.
func (e *events) call(t transition) {
	returned := false
	defer func() {
		if !returned {
			e.mu.Lock()
			e.delivering = false
			e.mu.Unlock()
		}
	}()
	e.notify(t.from, t.to)
	returned = true
}
