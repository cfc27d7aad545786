package accountapi

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/edge"
	"github.com/gpubroker/gpubroker/edge/httpx/httpxtest"
	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/gpubroker/gpubroker/edge/ops"
	"github.com/gpubroker/gpubroker/edge/search"
	"github.com/gpubroker/gpubroker/internal/testlog"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/store/embedded"
	"github.com/gpubroker/gpubroker/workers/client/clienttest"
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

// acctEnv is an edge with the account API (and the search, for the
// scope matrix and favorites) on a real embedded store in a temporary
// directory.
type acctEnv struct {
	srv   *edge.Server
	svc   *accounts.Service // nil with noStore
	keys  credentials.Store
	st    store.Store
	clock *acctClock
	priv  ed25519.PrivateKey
	logs  *testlog.Buffer
	src   *clienttest.Source
}

// envConfig is what a test may change of the composition.
type envConfig struct {
	apiKeys     []identity.APIKey // configured client API keys
	keys        credentials.Store // users' provider keys; nil: in memory
	checker     CredentialChecker
	development bool // http:// webhooks
	noStore     bool // no account service: the account routes answer 503
}

const testPassword = "correct horse battery staple"

var testProviders = clienttest.Providers

func newAcctEnv(t testing.TB, tune ...func(*envConfig)) *acctEnv {
	t.Helper()
	var ec envConfig
	for _, f := range tune {
		f(&ec)
	}
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
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	lim := accounts.NewLoginLimiter(nil, clock.Now)
	t.Cleanup(lim.Close)
	src := clienttest.NewSource(7, 1)
	set := metrics.NewSet()
	sv, err := search.New(search.Config{Providers: testProviders, Source: src, Logger: log, Metrics: set})
	if err != nil {
		t.Fatal(err)
	}
	e := &acctEnv{st: st, clock: clock, priv: priv, logs: logs, src: src, keys: ec.keys}
	idc := identity.Config{APIKeys: ec.apiKeys}
	if !ec.noStore {
		e.svc, err = accounts.New(accounts.Config{Store: st, Issuer: iss, LoginLimiter: lim, Now: clock.Now, Resolver: testWebhookDNS,
			AllowHTTPWebhooks: ec.development, Offers: sv, Logger: log,
			Hash: accounts.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.svc.Close)
		idc.Stored, idc.JWTPublicKey, idc.JWTIssuer, idc.JWTAudience = e.svc.KeyAuth(), iss.PublicKey(), iss.Name(), accounts.Audience
	}
	if e.keys == nil {
		e.keys = credentials.NewEnv(nil)
	}
	api := New(Config{Accounts: e.svc, Keys: e.keys, Checker: ec.checker, Providers: testProviders, Logger: log})
	o := ops.New(ops.Config{Cell: "test", Providers: testProviders, Source: src, Cache: sv, Metrics: set})
	e.srv, err = edge.New(edge.Config{Routes: append(append(api.Routes(), sv.Routes()...), o.Routes()...),
		Identity: identity.New(idc), Logger: log, Metrics: set, AccessLog: true, RequestTimeout: 5 * time.Second,
		PlanLimits: map[string]int{"free": 1 << 20, "pro": 1 << 20, "enterprise": 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// call sends one request from remote ("ip:port") with headers and a JSON
// body (a string is sent as is), through the edge handler.
func (e *acctEnv) call(method, uri, remote string, headers map[string]string, body any) *fasthttp.Response {
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	return httpxtest.Do(e.srv.Handler(), httpxtest.Request{Method: method, URI: uri, Body: raw, Header: headers, Remote: remote})
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

// do sends one request from the client address, with no headers.
func (e *acctEnv) do(method, uri string, body []byte) *fasthttp.Response {
	var b any
	if body != nil {
		b = string(body)
	}
	return e.call(method, uri, clientIP, nil, b)
}

// doKey sends one request with an X-API-Key.
func (e *acctEnv) doKey(method, uri, key string, body []byte) *fasthttp.Response {
	var b any
	if body != nil {
		b = string(body)
	}
	return e.call(method, uri, clientIP, apiKeyHeader(key), b)
}

type errBody = httpxtest.ErrBody

func decode(t *testing.T, r *fasthttp.Response, v any) { t.Helper(); httpxtest.Decode(t, r, v) }
