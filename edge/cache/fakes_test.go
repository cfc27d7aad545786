package cache

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// fakeClock is a settable clock shared by a test, its caches and its fake
// L1, so expiry is decided by the test and never by the wall clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// intCodec stores ints as decimal text.
type intCodec struct{}

func (intCodec) Encode(v int) ([]byte, error) { return strconv.AppendInt(nil, int64(v), 10), nil }

func (intCodec) Decode(b []byte) (int, error) {
	v, err := strconv.Atoi(string(b))
	if err != nil {
		return 0, fmt.Errorf("int codec: %w", err)
	}
	return v, nil
}

var errFakeDown = errors.New("fake l1 down")

// fakeBackend is an in-memory Redis stand-in with key TTLs on the fake
// clock and an up/down switch; several caches share it through views.
type fakeBackend struct {
	clock *fakeClock
	mu    sync.Mutex
	up    bool
	data  map[string]fakeValue
}

type fakeValue struct {
	val     []byte
	expires time.Time
}

func newFakeBackend(clock *fakeClock) *fakeBackend {
	return &fakeBackend{clock: clock, up: true, data: make(map[string]fakeValue)}
}

func (b *fakeBackend) setUp(up bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.up = up
}

// item decodes key's stored value, ignoring up/down, for assertions.
func (b *fakeBackend) item(key string) (Item[int], bool) {
	b.mu.Lock()
	v, ok := b.data[key]
	b.mu.Unlock()
	if !ok || !b.clock.Now().Before(v.expires) {
		return Item[int]{}, false
	}
	h, payload, err := decodeEnvelope(v.val)
	if err != nil {
		return Item[int]{}, false
	}
	n, err := intCodec{}.Decode(payload)
	if err != nil {
		return Item[int]{}, false
	}
	return Item[int]{Value: n, FetchedAt: h.fetchedAt, FreshUntil: h.freshUntil, StaleUntil: h.staleUntil, Delta: h.delta}, true
}

// view is one cache's handle on the backend; it appends what each call
// did ("l1get:hit", "l1set:down", ...) to log when log is set.
func (b *fakeBackend) view(log *recorder) L1 { return &fakeL1{b: b, log: log} }

type fakeL1 struct {
	b   *fakeBackend
	log *recorder
}

func (f *fakeL1) Get(_ context.Context, key string) ([]byte, error) {
	f.b.mu.Lock()
	defer f.b.mu.Unlock()
	if !f.b.up {
		f.log.add("l1get:down")
		return nil, errFakeDown
	}
	v, ok := f.b.data[key]
	if !ok || !f.b.clock.Now().Before(v.expires) {
		f.log.add("l1get:miss")
		return nil, ErrMiss
	}
	f.log.add("l1get:hit")
	return append([]byte(nil), v.val...), nil
}

func (f *fakeL1) Set(_ context.Context, key string, val []byte, ttl time.Duration) error {
	f.b.mu.Lock()
	defer f.b.mu.Unlock()
	if !f.b.up {
		f.log.add("l1set:down")
		return errFakeDown
	}
	f.log.add("l1set:ok")
	f.b.data[key] = fakeValue{val: append([]byte(nil), val...), expires: f.b.clock.Now().Add(ttl)}
	return nil
}

// recorder is a concurrency-safe log of what happened, in order; a nil
// recorder records nothing.
type recorder struct {
	mu      sync.Mutex
	entries []string
}

func (r *recorder) add(s string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, s)
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.entries
	r.entries = nil
	return out
}

// l2Events records the L2 lookups, the only events that show L2 was asked.
func (r *recorder) l2Events(e Event) {
	switch e.Kind {
	case EventL2Hit:
		r.add("l2hit")
	case EventL2Miss:
		r.add("l2miss")
	}
}

// counter is a loader whose values count up from base.
type counter struct {
	mu    sync.Mutex
	base  int
	calls int
	log   *recorder
	fail  error
}

func (c *counter) load(context.Context) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	c.log.add("load")
	if c.fail != nil {
		return 0, c.fail
	}
	return c.base + c.calls, nil
}

func (c *counter) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// neverEarly makes XFetch's ln(r) zero, so nothing refreshes early.
func neverEarly() float64 { return 1 }
