package edge

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/accounts"
	"github.com/gpubroker/gpubroker/internal/testlog"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/store/embedded"
)

// acctClock is a settable clock shared by the account service and the
// login limiter.
type acctClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *acctClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *acctClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// webhookResolver answers from a table, as DNS would.
type webhookResolver map[string][]string

func (r webhookResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	list, ok := r[host]
	if !ok {
		return nil, errors.New("no such host")
	}
	out := make([]netip.Addr, len(list))
	for i, a := range list {
		out[i] = netip.MustParseAddr(a)
	}
	return out, nil
}

var testWebhookDNS = webhookResolver{
	"hooks.example.com": {"93.184.215.14"},
	"internal.example":  {"10.1.2.3"},
	"mixed.example.com": {"93.184.215.14", "192.168.1.10"},
}

// acctEnv is an edge with the account service on a real embedded store in
// a temporary directory.
type acctEnv struct {
	s     *Server
	st    store.Store
	clock *acctClock
	priv  ed25519.PrivateKey
	logs  *testlog.Buffer
}

const testPassword = "correct horse battery staple"

func newAcctEnv(t testing.TB, tune ...func(*Config)) *acctEnv {
	t.Helper()
	st, err := embedded.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// Tokens are checked against the wall clock by the edge's verifier, so
	// the issuer keeps real time; the service and the login limiter run on
	// the settable clock, starting now.
	iss, err := accounts.NewIssuer(priv, accounts.IssuerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	clock := &acctClock{t: time.Now()}
	logs := &testlog.Buffer{}
	lim := accounts.NewLoginLimiter(nil, clock.Now)
	t.Cleanup(lim.Close)
	cfg := Config{Cell: "test", Providers: testProviders, Source: newFakeSource(7, 1),
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), AccessLog: true,
		RequestTimeout: 5 * time.Second, PlanLimits: map[string]int{"free": 1 << 20, "pro": 1 << 20, "enterprise": 1 << 20},
		Store: st, Issuer: iss,
		Accounts: accounts.Config{LoginLimiter: lim, Now: clock.Now, Resolver: testWebhookDNS,
			Hash: accounts.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}}
	for _, f := range tune {
		f(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.accounts != nil {
			s.accounts.Close()
		}
	})
	return &acctEnv{s: s, st: st, clock: clock, priv: priv, logs: logs}
}

// call sends one request from remote ("ip:port") with headers and a JSON
// body (a string is sent as is), through the edge handler.
func (e *acctEnv) call(method, uri, remote string, headers map[string]string, body any) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	addr, _ := net.ResolveTCPAddr("tcp", remote)
	ctx.Init(&fasthttp.Request{}, addr, nil)
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	for k, v := range headers {
		ctx.Request.Header.Set(k, v)
	}
	switch b := body.(type) {
	case nil:
	case string:
		ctx.Request.SetBodyString(b)
	default:
		raw, _ := json.Marshal(b)
		ctx.Request.SetBody(raw)
	}
	e.s.handle(&ctx)
	r := &fasthttp.Response{}
	ctx.Response.CopyTo(r)
	return r
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func apiKeyHeader(key string) map[string]string { return map[string]string{"X-Api-Key": key} }

const clientIP = "203.0.113.10:4000"

// register creates a free user through the API and returns its id.
func (e *acctEnv) register(t testing.TB, email string) string {
	t.Helper()
	r := e.call("POST", "/api/v2/auth/register", clientIP, nil, map[string]string{"email": email, "password": testPassword})
	if r.StatusCode() != 201 {
		t.Fatalf("register %s: %d %s", email, r.StatusCode(), r.Body())
	}
	var u struct{ ID string }
	_ = json.Unmarshal(r.Body(), &u)
	return u.ID
}

// enterprise creates a user on the enterprise plan directly in the store
// (plans change through billing, not through this API).
func (e *acctEnv) enterprise(t testing.TB, email string) {
	t.Helper()
	phc, err := accounts.HashPassword(accounts.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	id := strings.ReplaceAll(strings.Split(email, "@")[0], ".", "-") + "-0000-4000-8000-000000000000"
	if err := e.st.CreateUser(context.Background(), store.User{ID: id, Email: email, PasswordHash: phc, Plan: "enterprise", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// login signs in and returns the token answer.
func (e *acctEnv) login(t testing.TB, email string) tokenJSON {
	t.Helper()
	r := e.call("POST", "/api/v2/auth/login", clientIP, nil, map[string]string{"email": email, "password": testPassword})
	if r.StatusCode() != 200 {
		t.Fatalf("login %s: %d %s", email, r.StatusCode(), r.Body())
	}
	var tok tokenJSON
	if err := json.Unmarshal(r.Body(), &tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

// errOf decodes a JSON error answer.
func errOf(r *fasthttp.Response) errBody {
	var e errBody
	_ = json.Unmarshal(r.Body(), &e)
	return e
}
