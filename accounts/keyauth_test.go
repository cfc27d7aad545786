package accounts

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// keyEnv is a user with one stored API key.
func keyEnv(t *testing.T) (*testEnv, string, string) {
	t.Helper()
	e := newTestEnv(t)
	p := e.user(t, "keys@example.com", "pro")
	k, key, err := e.svc.CreateAPIKey(context.Background(), p, "ci")
	if err != nil {
		t.Fatal(err)
	}
	return e, k.ID, key
}

func TestKeyAuthCachesPositive(t *testing.T) {
	e, id, key := keyEnv(t)
	ka := e.svc.KeyAuth()
	for range 10 {
		o, err := ka.Lookup(context.Background(), []byte(key))
		if err != nil || o.KeyID != id || o.Plan != "pro" || o.UserID == "" {
			t.Fatalf("lookup: %+v %v", o, err)
		}
	}
	if n := e.st.keyLookups.Load(); n != 1 {
		t.Fatalf("%d store lookups for 10 uses within the TTL", n)
	}
	e.clock.Advance(30 * time.Second)
	if _, err := ka.Lookup(context.Background(), []byte(key)); err != nil {
		t.Fatal(err)
	}
	if n := e.st.keyLookups.Load(); n != 2 {
		t.Fatalf("%d store lookups after the TTL, want 2", n)
	}
}

func TestKeyAuthCachesNegative(t *testing.T) {
	e, _, _ := keyEnv(t)
	ka := e.svc.KeyAuth()
	bad := APIKeyPrefix + strings.Repeat("A", 43)
	for range 10 {
		if _, err := ka.Lookup(context.Background(), []byte(bad)); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("got %v", err)
		}
	}
	if n := e.st.keyLookups.Load(); n != 1 {
		t.Fatalf("%d store lookups for one bad key", n)
	}
	e.clock.Advance(5 * time.Second)
	_, _ = ka.Lookup(context.Background(), []byte(bad))
	if n := e.st.keyLookups.Load(); n != 2 {
		t.Fatalf("negative entry outlived its TTL: %d lookups", n)
	}
}

// Strings that cannot be keys never reach the store.
func TestKeyAuthMalformedKeysSkipStore(t *testing.T) {
	e, _, key := keyEnv(t)
	ka := e.svc.KeyAuth()
	for _, k := range []string{"", "gpb_", "sk-live-123", key[:len(key)-1], key + "A", "gpx_" + key[4:], key[:10] + "!" + key[11:]} {
		if _, err := ka.Lookup(context.Background(), []byte(k)); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%q: %v", k, err)
		}
	}
	if n := e.st.keyLookups.Load(); n != 0 {
		t.Fatalf("%d store lookups for malformed keys", n)
	}
}

func TestKeyAuthStoreDownIsNotUnknown(t *testing.T) {
	e, _, key := keyEnv(t)
	e.st.failing.Store(true)
	_, err := e.svc.KeyAuth().Lookup(context.Background(), []byte(key))
	if err == nil || errors.Is(err, ErrUnknownKey) {
		t.Fatalf("got %v, want a store error", err)
	}
	e.st.failing.Store(false)
	if _, err := e.svc.KeyAuth().Lookup(context.Background(), []byte(key)); err != nil {
		t.Fatalf("a store error was cached: %v", err)
	}
}

// last_used_at is written in the background, at most once a minute per key.
func TestKeyAuthTouchesOncePerMinute(t *testing.T) {
	e, id, key := keyEnv(t)
	ka := e.svc.KeyAuth()
	use := func() {
		t.Helper()
		if _, err := ka.Lookup(context.Background(), []byte(key)); err != nil {
			t.Fatal(err)
		}
		ka.Wait()
	}
	use()
	use()
	if n := e.st.touches.Load(); n != 1 {
		t.Fatalf("%d touches, want 1", n)
	}
	first := e.st.keys[id].LastUsedAt
	if !first.Equal(e.clock.Now().UTC()) {
		t.Fatalf("last_used_at %v, want %v", first, e.clock.Now())
	}
	e.clock.Advance(59 * time.Second)
	use()
	if n := e.st.touches.Load(); n != 1 {
		t.Fatalf("%d touches within a minute", n)
	}
	e.clock.Advance(time.Second)
	use() // also past the positive TTL: re-read from the store, which says "used 60 s ago"
	if n := e.st.touches.Load(); n != 2 {
		t.Fatalf("%d touches after a minute, want 2", n)
	}
}

func TestKeyAuthRevokedAndForgotten(t *testing.T) {
	e, id, key := keyEnv(t)
	ka := e.svc.KeyAuth()
	if _, err := ka.Lookup(context.Background(), []byte(key)); err != nil {
		t.Fatal(err)
	}
	var owner Principal
	for _, u := range e.st.users {
		owner = Principal{UserID: u.ID, Plan: u.Plan}
	}
	if err := e.svc.RevokeAPIKey(context.Background(), owner, id); err != nil {
		t.Fatal(err)
	}
	if _, err := ka.Lookup(context.Background(), []byte(key)); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("revoked key still accepted: %v", err)
	}
}

func TestKeyAuthDisabledUser(t *testing.T) {
	e, _, key := keyEnv(t)
	for id, u := range e.st.users {
		u.Disabled = true
		e.st.users[id] = u
	}
	if _, err := e.svc.KeyAuth().Lookup(context.Background(), []byte(key)); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("disabled user's key accepted: %v", err)
	}
}

// Concurrent first uses of a key share one store lookup.
func TestKeyAuthSingleFlight(t *testing.T) {
	e, _, key := keyEnv(t)
	ka := e.svc.KeyAuth()
	e.st.mu.Lock() // hold the store so every lookup queues behind the first
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ka.Lookup(context.Background(), []byte(key)); err != nil {
				t.Error(err)
			}
		}()
	}
	for e.st.keyLookups.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	e.st.mu.Unlock()
	wg.Wait()
	if n := e.st.keyLookups.Load(); n != 1 {
		t.Fatalf("%d store lookups for 50 concurrent uses", n)
	}
}

// The negative cache is bounded, and a flood of bad keys leaves good keys
// cached.
func TestKeyAuthBounded(t *testing.T) {
	e, _, key := keyEnv(t)
	ka := NewKeyAuth(e.st, KeyAuthConfig{MaxEntries: 8, Now: e.clock.Now})
	if _, err := ka.Lookup(context.Background(), []byte(key)); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		bad := APIKeyPrefix + strings.Repeat("B", 40) + string(rune('A'+i%26)) + string(rune('a'+i/26)) + "x"
		_, _ = ka.Lookup(context.Background(), []byte(bad))
	}
	if len(ka.neg) > 8 || len(ka.pos) != 1 {
		t.Fatalf("caches: %d negative, %d positive", len(ka.neg), len(ka.pos))
	}
	before := e.st.keyLookups.Load()
	if _, err := ka.Lookup(context.Background(), []byte(key)); err != nil || e.st.keyLookups.Load() != before {
		t.Fatalf("good key evicted by bad ones: %v", err)
	}
	ka.Wait()
}
