package accounts

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for lockout, cache and expiry tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

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

// testHash makes argon2id cheap enough for tests that hash many times.
var testHash = HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// fakeResolver answers from a table; unknown names do not resolve.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(ctx context.Context, _ string, host string) ([]netip.Addr, error) {
	if _, ok := ctx.Deadline(); !ok {
		return nil, errors.New("resolver called without a deadline")
	}
	addrs, ok := f[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	out := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		out[i] = netip.MustParseAddr(a)
	}
	return out, nil
}

var testResolver = fakeResolver{
	"hooks.example.com": {"93.184.215.14"},
	"v6.example.com":    {"2606:4700:4700::1111"},
	"internal.example":  {"10.1.2.3"},
	"mixed.example.com": {"93.184.215.14", "192.168.1.10"},
	"localhost":         {"127.0.0.1", "::1"},
}

type testEnv struct {
	svc   *Service
	st    *memStore
	clock *fakeClock
	iss   *Issuer
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	iss, err := NewIssuer(priv, IssuerConfig{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	st := newMemStore()
	svc, err := New(Config{Store: st, Issuer: iss, Hash: testHash, Resolver: testResolver, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	return &testEnv{svc: svc, st: st, clock: clock, iss: iss}
}

// user registers an account and returns its principal.
func (e *testEnv) user(t *testing.T, email, plan string) Principal {
	t.Helper()
	u, err := e.svc.Register(context.Background(), email, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if plan != DefaultPlan {
		e.st.mu.Lock()
		x := e.st.users[u.ID]
		x.Plan = plan
		e.st.users[u.ID] = x
		e.st.mu.Unlock()
	}
	return Principal{UserID: u.ID, Plan: plan}
}

// fieldOf returns the field a FieldError names, or "" for other errors.
func fieldOf(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}
