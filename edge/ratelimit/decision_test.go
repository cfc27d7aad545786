package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestDecisionFields(t *testing.T) {
	const w = time.Second
	type step struct {
		advance   time.Duration // before the call
		allowed   bool
		remaining int
		reset     time.Duration // expected Reset, RetryAfter when denied
	}
	tests := []struct {
		name  string
		limit int
		steps []step
	}{
		{"remaining counts down, then the denial says when a permit frees", 3, []step{
			{0, true, 2, w},
			{100 * time.Millisecond, true, 1, 900 * time.Millisecond},
			{100 * time.Millisecond, true, 0, 800 * time.Millisecond},
			{100 * time.Millisecond, false, 0, 700 * time.Millisecond},
			{700 * time.Millisecond, true, 0, 100 * time.Millisecond}, // the first admission left
			{0, false, 0, 100 * time.Millisecond},
		}},
		{"limit 1", 1, []step{
			{0, true, 0, w},
			{time.Millisecond, false, 0, w - time.Millisecond},
			{w - time.Millisecond, true, 0, w},
		}},
		{"no limit admits nothing", 0, []step{
			{0, false, 0, w},
		}},
		{"negative limit admits nothing", -5, []step{
			{0, false, 0, w},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			l := New(Config{Now: clock.Now})
			defer l.Close()
			for i, s := range tt.steps {
				clock.Advance(s.advance)
				d := l.Allow(context.Background(), "client", tt.limit)
				want := Decision{Allowed: s.allowed, Limit: max(tt.limit, 0), Remaining: s.remaining, Reset: s.reset}
				if !s.allowed {
					want.RetryAfter = s.reset
				}
				if d != want {
					t.Errorf("step %d: got %+v, want %+v", i, d, want)
				}
			}
		})
	}
}

// Waiting RetryAfter after a denial is always enough to be admitted.
func TestRetryAfterIsEnough(t *testing.T) {
	clock := newFakeClock()
	l := New(Config{Now: clock.Now})
	defer l.Close()
	const limit = 7
	for i := range 200 {
		d := l.Allow(context.Background(), "k", limit)
		if d.Allowed {
			if d.RetryAfter != 0 || d.Reset <= 0 || d.Reset > time.Second {
				t.Fatalf("call %d: allowed with %+v", i, d)
			}
			clock.Advance(time.Duration(i%5) * 37 * time.Millisecond)
			continue
		}
		if d.RetryAfter <= 0 || d.RetryAfter != d.Reset || d.Remaining != 0 {
			t.Fatalf("call %d: denied with %+v", i, d)
		}
		clock.Advance(d.RetryAfter)
		if d := l.Allow(context.Background(), "k", limit); !d.Allowed {
			t.Fatalf("call %d: denied again after RetryAfter: %+v", i, d)
		}
	}
}

// Keys are independent, whatever bytes they hold.
func TestKeysAreIndependent(t *testing.T) {
	clock := newFakeClock()
	l := New(Config{Now: clock.Now})
	defer l.Close()
	keys := []string{"", "10.0.0.1", "10.0.0.1\x00", "\xff\xfe{tag}", "api-key:42"}
	for _, k := range keys {
		if !l.Allow(context.Background(), k, 1).Allowed {
			t.Errorf("key %q: first request denied", k)
		}
	}
	for _, k := range keys {
		if l.Allow(context.Background(), k, 1).Allowed {
			t.Errorf("key %q: second request admitted", k)
		}
	}
}
