package accounts

import (
	"context"
	"errors"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func lockedFor(t *testing.T, err error) time.Duration {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("got %v, want a LockedError", err)
	}
	return le.RetryAfter
}

func TestLockoutAccountLimit(t *testing.T) {
	clock := newFakeClock()
	l := NewLockout(nil, clock.Now)
	defer l.Close()
	acct := Subject{"acct:a@example.com", 5}
	for i := range 5 {
		att, err := l.Begin(acct)
		if err != nil {
			t.Fatalf("attempt %d refused: %v", i+1, err)
		}
		att.Fail(context.Background())
		clock.Advance(time.Minute)
	}
	_, err := l.Begin(acct)
	retry := lockedFor(t, err)
	// The first failure leaves the window 15 minutes after it happened,
	// 10 minutes from now (give or take a ledger bucket).
	if retry < 9*time.Minute || retry > 11*time.Minute {
		t.Fatalf("Retry-After %v, want about 10m", retry)
	}
	if _, err := l.Begin(Subject{"acct:b@example.com", 5}); err != nil {
		t.Fatalf("another account is locked too: %v", err)
	}
	clock.Advance(retry)
	att, err := l.Begin(acct)
	if err != nil {
		t.Fatalf("still locked after Retry-After: %v", err)
	}
	att.Done()
}

func TestLockoutSuccessCountsNothing(t *testing.T) {
	clock := newFakeClock()
	l := NewLockout(nil, clock.Now)
	defer l.Close()
	acct := Subject{"acct:a@example.com", 5}
	for range 4 {
		att, _ := l.Begin(acct)
		att.Fail(context.Background())
	}
	for range 20 {
		att, err := l.Begin(acct)
		if err != nil {
			t.Fatalf("successes were counted: %v", err)
		}
		att.Done()
	}
	att, _ := l.Begin(acct)
	att.Fail(context.Background())
	if _, err := l.Begin(acct); err == nil {
		t.Fatal("a success reset the failure count")
	}
}

func TestLockoutIPLimitAcrossAccounts(t *testing.T) {
	clock := newFakeClock()
	l := NewLockout(nil, clock.Now)
	defer l.Close()
	ip := Subject{"ip:203.0.113.9", 30}
	for i := range 30 {
		att, err := l.Begin(Subject{"acct:" + string(rune('a'+i%26)) + "@x.io", 5}, ip)
		if err != nil {
			t.Fatalf("attempt %d refused: %v", i+1, err)
		}
		att.Fail(context.Background())
	}
	if _, err := l.Begin(Subject{"acct:fresh@x.io", 5}, ip); err == nil {
		t.Fatal("the 31st failure from one IP was allowed")
	}
	if _, err := l.Begin(Subject{"acct:fresh@x.io", 5}, Subject{"ip:198.51.100.1", 30}); err != nil {
		t.Fatalf("another IP is locked: %v", err)
	}
}

// Checks in flight count against the allowance: five concurrent checks
// of one account leave no room for a sixth.
func TestLockoutInFlight(t *testing.T) {
	clock := newFakeClock()
	l := NewLockout(nil, clock.Now)
	defer l.Close()
	acct := Subject{"acct:a@example.com", 5}
	var atts []*Attempt
	for range 5 {
		att, err := l.Begin(acct)
		if err != nil {
			t.Fatal(err)
		}
		atts = append(atts, att)
	}
	if retry := lockedFor(t, firstErr(l.Begin(acct))); retry != time.Second {
		t.Fatalf("retry %v", retry)
	}
	atts[0].Done()
	att, err := l.Begin(acct)
	if err != nil {
		t.Fatalf("a finished check did not free its place: %v", err)
	}
	att.Done()
	for _, a := range atts[1:] {
		a.Done()
	}
}

func firstErr(_ *Attempt, err error) error { return err }

// Property: with one edge, whatever the interleaving of checks, failures,
// successes and time, no subject ever has more than its limit of failures
// in any window, and a subject with no failure in the window and nothing in
// flight is always admitted.
func TestLockoutProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		clock := newFakeClock()
		l := NewLockout(nil, clock.Now)
		defer l.Close()
		subjects := []Subject{{"acct:a", 3}, {"acct:b", 3}, {"ip:1", 5}}
		failures := map[string][]time.Time{}
		inflight := map[string]int{}
		type open struct {
			att  *Attempt
			subs []Subject
		}
		var pending []open
		inWindow := func(key string) int {
			n := 0
			for _, at := range failures[key] {
				if clock.Now().Sub(at) < LoginWindow {
					n++
				}
			}
			return n
		}
		for range rapid.IntRange(1, 150).Draw(t, "steps") {
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0: // begin a check of one account from the one IP
				subs := []Subject{subjects[rapid.IntRange(0, 1).Draw(t, "acct")], subjects[2]}
				att, err := l.Begin(subs...)
				if err != nil {
					free := true
					for _, s := range subs {
						free = free && inWindow(s.Key) == 0 && inflight[s.Key] == 0
					}
					if free {
						t.Fatalf("refused a check with no failures in the window and none in flight: %v", err)
					}
					continue
				}
				for _, s := range subs {
					inflight[s.Key]++
				}
				pending = append(pending, open{att, subs})
			case 1, 2: // finish a pending check, failing or succeeding
				if len(pending) == 0 {
					continue
				}
				i := rapid.IntRange(0, len(pending)-1).Draw(t, "which")
				p := pending[i]
				pending = append(pending[:i], pending[i+1:]...)
				fail := rapid.Bool().Draw(t, "fail")
				for _, s := range p.subs {
					inflight[s.Key]--
					if fail {
						failures[s.Key] = append(failures[s.Key], clock.Now())
					}
				}
				if fail {
					p.att.Fail(context.Background())
				} else {
					p.att.Done()
				}
				for _, s := range p.subs {
					if n := inWindow(s.Key); n > s.Limit {
						t.Fatalf("%s: %d failures in one window, limit %d", s.Key, n, s.Limit)
					}
				}
			case 3:
				clock.Advance(time.Duration(rapid.Int64Range(0, int64(LoginWindow/2)).Draw(t, "advance")))
			}
		}
	})
}
