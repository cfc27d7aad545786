package accounts

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestServiceAuth(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	owner := e.user(t, "owner@example.com", "pro")
	other := e.user(t, "other@example.com", "pro")
	a, _, err := e.svc.CreateServiceAccount(ctx, owner, "agent", []string{ScopeOffersRead})
	if err != nil {
		t.Fatal(err)
	}
	sa := NewServiceAuth(e.st, ServiceAuthConfig{TTL: 5 * time.Second, Now: e.clock.Now})
	set := func(f func()) {
		e.st.mu.Lock()
		defer e.st.mu.Unlock()
		f()
	}
	for _, tc := range []struct {
		name     string
		change   func() // applied to the store, then the cache expires
		id, user string
		plan     string
		want     error
	}{
		{"active", nil, a.ID, owner.UserID, "pro", nil},
		{"plan follows the user", func() { u := e.st.users[owner.UserID]; u.Plan = "enterprise"; e.st.users[owner.UserID] = u },
			a.ID, owner.UserID, "enterprise", nil},
		{"token names another user", nil, a.ID, other.UserID, "", ErrUnknownService},
		{"unknown account", nil, "no-such-agent", owner.UserID, "", ErrUnknownService},
		{"owner disabled", func() { u := e.st.users[owner.UserID]; u.Disabled = true; e.st.users[owner.UserID] = u },
			a.ID, owner.UserID, "", ErrUnknownService},
		{"account disabled", func() {
			u := e.st.users[owner.UserID]
			u.Disabled = false
			e.st.users[owner.UserID] = u
			x := e.st.services[a.ID]
			x.Disabled = true
			e.st.services[a.ID] = x
		}, a.ID, owner.UserID, "", ErrUnknownService},
		{"account deleted", func() { delete(e.st.services, a.ID) }, a.ID, owner.UserID, "", ErrUnknownService},
	} {
		if tc.change != nil {
			set(tc.change)
			e.clock.Advance(6 * time.Second)
		}
		o, err := sa.Lookup(ctx, tc.id, tc.user)
		if !errors.Is(err, tc.want) || o.Plan != tc.plan {
			t.Errorf("%s: %+v %v; want plan %q, error %v", tc.name, o, err, tc.plan, tc.want)
		}
	}
}

// Within the TTL an answer costs no store call, concurrent misses share
// one, and a store failure is reported but not cached.
func TestServiceAuthCache(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	owner := e.user(t, "owner@example.com", "pro")
	a, _, err := e.svc.CreateServiceAccount(ctx, owner, "agent", []string{ScopeOffersRead})
	if err != nil {
		t.Fatal(err)
	}
	sa := NewServiceAuth(e.st, ServiceAuthConfig{TTL: 5 * time.Second, Now: e.clock.Now})
	e.st.svcLookups.Store(0)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := sa.Lookup(ctx, a.ID, owner.UserID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for range 100 {
		_, _ = sa.Lookup(ctx, "no-such-agent", owner.UserID)
	}
	if n := e.st.svcLookups.Load(); n != 2 {
		t.Fatalf("%d store lookups for one good and one unknown account, want 2", n)
	}
	e.clock.Advance(6 * time.Second)
	e.st.failing.Store(true)
	if _, err := sa.Lookup(ctx, a.ID, owner.UserID); err == nil || errors.Is(err, ErrUnknownService) {
		t.Fatalf("store down: %v; want a store error", err)
	}
	e.st.failing.Store(false)
	if _, err := sa.Lookup(ctx, a.ID, owner.UserID); err != nil {
		t.Fatalf("after the store is back: %v", err)
	}
}
