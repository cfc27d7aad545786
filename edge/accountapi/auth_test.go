package accountapi

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/edge/identity"
)

func TestAuthRegisterAndLogin(t *testing.T) {
	e := newAcctEnv(t)
	r := e.call("POST", "/api/v2/auth/register", clientIP, nil, map[string]string{"email": "Ada@Example.com", "password": testPassword})
	var u struct {
		ID, Email, Plan string
		CreatedAt       time.Time `json:"created_at"`
	}
	decode(t, r, &u)
	if r.StatusCode() != 201 || u.Email != "ada@example.com" || u.Plan != "free" || u.ID == "" || u.CreatedAt.IsZero() ||
		strings.Contains(string(r.Body()), "argon2") {
		t.Fatalf("register: %d %s", r.StatusCode(), r.Body())
	}
	if r := e.call("POST", "/api/v2/auth/register", clientIP, nil, map[string]string{"email": "ada@example.com", "password": testPassword}); r.StatusCode() != 409 || errOf(r).Error.Code != "conflict" {
		t.Fatalf("duplicate: %d %s", r.StatusCode(), r.Body())
	}
	tok := e.login(t, "ADA@example.com")
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 900 || tok.AccessToken == "" || !strings.HasPrefix(tok.RefreshToken, "gpr_") {
		t.Fatalf("tokens %+v", tok)
	}
	if r := e.call("GET", "/api/v2/users/favorites", clientIP, bearer(tok.AccessToken), nil); r.StatusCode() != 200 {
		t.Fatalf("access token refused: %d %s", r.StatusCode(), r.Body())
	}
	for _, tc := range []struct{ email, password string }{{"ada@example.com", "wrong password 1"}, {"nobody@example.com", testPassword}} {
		r := e.call("POST", "/api/v2/auth/login", clientIP, nil, map[string]string{"email": tc.email, "password": tc.password})
		if r.StatusCode() != 401 || errOf(r).Error.Code != "unauthorized" {
			t.Errorf("login %s: %d %s", tc.email, r.StatusCode(), r.Body())
		}
	}
}

// Every invalid body is a 400 naming the field (or the body itself).
func TestAuthBodiesValidated(t *testing.T) {
	e := newAcctEnv(t)
	e.register(t, "v@example.com")
	user := bearer(e.login(t, "v@example.com").AccessToken)
	for _, tc := range []struct {
		path    string
		headers map[string]string
		body    string
		field   string
	}{
		{"/api/v2/auth/register", nil, `{"email":"nope","password":"` + testPassword + `"}`, "email"},
		{"/api/v2/auth/register", nil, `{"email":"a@example.com","password":"short"}`, "password"},
		{"/api/v2/auth/register", nil, `{"email":"a@example.com"}`, "password"},
		{"/api/v2/auth/register", nil, `{"email":1,"password":"x"}`, "email"},
		{"/api/v2/auth/register", nil, `{"email":"a@example.com","password":"` + testPassword + `","plan":"enterprise"}`, "plan"},
		{"/api/v2/auth/register", nil, `[]`, ""},
		{"/api/v2/auth/register", nil, ``, ""},
		{"/api/v2/auth/register", nil, `{"email":"a@example.com"} {}`, ""},
		{"/api/v2/auth/login", nil, `{"email":"v@example.com"}`, "password"},
		{"/api/v2/auth/login", nil, `{"password":"x"}`, "email"},
		{"/api/v2/auth/login", nil, `{"email":"v@example.com","password":null,"x":1}`, "x"},
		{"/api/v2/auth/refresh", nil, `{}`, "refresh_token"},
		{"/api/v2/auth/refresh", nil, `{"refresh_token":["a"]}`, "refresh_token"},
		{"/api/v2/auth/logout", nil, `{"token":"x"}`, "token"},
		{"/api/v2/auth/service-token", nil, `{"secret":"x"}`, "service_id"},
		{"/api/v2/auth/service-token", nil, `{"service_id":"agent-1"}`, "secret"},
		{"/api/v2/auth/service-token", nil, `{"service_id":"Agent One","secret":"x"}`, "service_id"},
		{"/api/v2/auth/api-keys", user, `{}`, "name"},
		{"/api/v2/auth/api-keys", user, `{"name":"` + strings.Repeat("n", 101) + `"}`, "name"},
		{"/api/v2/service-accounts", user, `{"name":"agent-1","scopes":[]}`, "scopes"},
		{"/api/v2/service-accounts", user, `{"name":"agent-1","scopes":["offers:read","root"]}`, "scopes[1]"},
		{"/api/v2/service-accounts", user, `{"name":"a","scopes":["offers:read"]}`, "name"},
		{"/api/v2/service-accounts", user, `{"service_id":"agent-1","scopes":["offers:read"]}`, "service_id"},
	} {
		r := e.call("POST", tc.path, clientIP, tc.headers, tc.body)
		if got := errOf(r); r.StatusCode() != 400 || got.Error.Field != tc.field || got.Error.Message == "" {
			t.Errorf("%s %s: %d %s; want 400 naming %q", tc.path, tc.body, r.StatusCode(), r.Body(), tc.field)
		}
	}
	if r := e.call("POST", "/api/v2/auth/login?debug=1", clientIP, nil, `{}`); r.StatusCode() != 400 || errOf(r).Error.Field != "debug" {
		t.Fatalf("query parameter accepted: %d %s", r.StatusCode(), r.Body())
	}
	if r := e.call("GET", "/api/v2/auth/login", clientIP, nil, nil); r.StatusCode() != 405 || string(r.Header.Peek("Allow")) != "POST" {
		t.Fatalf("GET login: %d", r.StatusCode())
	}
}

// Tokens that are forged, expired or meant for someone else are 401 with a
// JSON error and WWW-Authenticate, never a fall-back to anonymous.
func TestAuthJWTRejected(t *testing.T) {
	e := newAcctEnv(t)
	id := e.register(t, "j@example.com")
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": id, "plan": "enterprise", "iss": "gpubroker", "aud": []string{accounts.Audience},
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "j"}
		if mod != nil {
			mod(c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	good := sign(jwt.SigningMethodEdDSA, e.priv, claims(nil))
	parts := strings.Split(good, ".")
	payload, _ := json.Marshal(claims(func(c jwt.MapClaims) { c["sub"] = "someone-else" }))
	if r := e.call("GET", "/api/v2/users/favorites", clientIP, bearer(good), nil); r.StatusCode() != 200 {
		t.Fatalf("control token refused: %d %s", r.StatusCode(), r.Body())
	}
	for name, tok := range map[string]string{
		"alg none":              sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)),
		"HS256 with public key": sign(jwt.SigningMethodHS256, []byte(e.priv.Public().(ed25519.PublicKey)), claims(nil)),
		"RS256":                 sign(jwt.SigningMethodRS256, rsaKey, claims(nil)),
		"other key":             sign(jwt.SigningMethodEdDSA, otherKey, claims(nil)),
		"expired":               sign(jwt.SigningMethodEdDSA, e.priv, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() })),
		"missing exp":           sign(jwt.SigningMethodEdDSA, e.priv, claims(func(c jwt.MapClaims) { delete(c, "exp") })),
		"wrong issuer":          sign(jwt.SigningMethodEdDSA, e.priv, claims(func(c jwt.MapClaims) { c["iss"] = "evil" })),
		"wrong audience":        sign(jwt.SigningMethodEdDSA, e.priv, claims(func(c jwt.MapClaims) { c["aud"] = "other-api" })),
		"missing audience":      sign(jwt.SigningMethodEdDSA, e.priv, claims(func(c jwt.MapClaims) { delete(c, "aud") })),
		"unknown kind":          sign(jwt.SigningMethodEdDSA, e.priv, claims(func(c jwt.MapClaims) { c["kind"] = "admin" })),
		"no subject":            sign(jwt.SigningMethodEdDSA, e.priv, claims(func(c jwt.MapClaims) { delete(c, "sub") })),
		"tampered payload":      parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2],
		"garbage":               "a.b.c",
	} {
		r := e.call("GET", "/api/v2/users/favorites", clientIP, bearer(tok), nil)
		if r.StatusCode() != 401 || errOf(r).Error.Code != "unauthorized" || !strings.HasPrefix(string(r.Header.Peek("WWW-Authenticate")), "Bearer") {
			t.Errorf("%s: %d %s", name, r.StatusCode(), r.Body())
		}
	}
	// Anonymous callers of owned resources get 401 with a challenge too.
	if r := e.call("GET", "/api/v2/users/favorites", clientIP, nil, nil); r.StatusCode() != 401 || len(r.Header.Peek("WWW-Authenticate")) == 0 {
		t.Fatalf("anonymous: %d", r.StatusCode())
	}
}

func TestAuthRefreshRotationAndReuse(t *testing.T) {
	e := newAcctEnv(t)
	e.register(t, "r@example.com")
	first := e.login(t, "r@example.com")
	refresh := func(tok string) (int, tokenJSON) {
		r := e.call("POST", "/api/v2/auth/refresh", clientIP, nil, map[string]string{"refresh_token": tok})
		var out tokenJSON
		_ = json.Unmarshal(r.Body(), &out)
		return r.StatusCode(), out
	}
	code, second := refresh(first.RefreshToken)
	if code != 200 || second.RefreshToken == first.RefreshToken || second.AccessToken == "" || second.TokenType != "Bearer" {
		t.Fatalf("refresh: %d %+v", code, second)
	}
	if code, _ := refresh(first.RefreshToken); code != 401 {
		t.Fatalf("reused token: %d", code)
	}
	if code, _ := refresh(second.RefreshToken); code != 401 {
		t.Fatalf("the family survived a reuse: %d", code)
	}
	// Logout revokes the whole family.
	third := e.login(t, "r@example.com")
	code, fourth := refresh(third.RefreshToken)
	if code != 200 {
		t.Fatal(code)
	}
	if r := e.call("POST", "/api/v2/auth/logout", clientIP, nil, map[string]string{"refresh_token": third.RefreshToken}); r.StatusCode() != 204 {
		t.Fatalf("logout: %d %s", r.StatusCode(), r.Body())
	}
	if code, _ := refresh(fourth.RefreshToken); code != 401 {
		t.Fatalf("refresh after logout: %d", code)
	}
	if r := e.call("POST", "/api/v2/auth/logout", clientIP, nil, map[string]string{"refresh_token": "gpr_nope"}); r.StatusCode() != 401 {
		t.Fatalf("logout with junk: %d", r.StatusCode())
	}
}

// Failed logins are limited per account (5 / 15 min) and per IP (30 / 15
// min); the refusal comes with Retry-After and before any password check.
func TestAuthLoginLockout(t *testing.T) {
	e := newAcctEnv(t)
	e.register(t, "victim@example.com")
	login := func(ip, email, password string) int {
		return e.call("POST", "/api/v2/auth/login", ip, nil, map[string]string{"email": email, "password": password}).StatusCode()
	}
	const attacker, other = "198.51.100.66:1000", "192.0.2.20:1000"
	for i := range 5 {
		if code := login(attacker, "victim@example.com", "wrong password "+strconv.Itoa(i)); code != 401 {
			t.Fatalf("failure %d: %d", i+1, code)
		}
	}
	r := e.call("POST", "/api/v2/auth/login", attacker, nil, map[string]string{"email": "victim@example.com", "password": testPassword})
	retry, _ := strconv.Atoi(string(r.Header.Peek("Retry-After")))
	if r.StatusCode() != 429 || errOf(r).Error.Code != "rate_limited" || retry < 60 || retry > 15*60 {
		t.Fatalf("sixth attempt: %d Retry-After %q %s", r.StatusCode(), r.Header.Peek("Retry-After"), r.Body())
	}
	if code := login(other, "victim@example.com", testPassword); code != 429 {
		t.Fatalf("account lock not applied from another IP: %d", code)
	}
	e.clock.Advance(accounts.LoginWindow)
	if code := login(other, "victim@example.com", testPassword); code != 200 {
		t.Fatalf("after the window: %d", code)
	}

	// A success from one IP does not reset what another IP did.
	e.register(t, "second@example.com")
	for range 4 {
		login(attacker, "second@example.com", "wrong password x")
	}
	if code := login(other, "second@example.com", testPassword); code != 200 {
		t.Fatal(code)
	}
	login(attacker, "second@example.com", "wrong password y")
	if code := login(attacker, "second@example.com", testPassword); code != 429 {
		t.Fatalf("a success elsewhere reset the failures: %d", code)
	}

	// Per IP: 30 failures across many accounts lock the IP, not others.
	e.clock.Advance(accounts.LoginWindow)
	e.register(t, "third@example.com")
	const sprayer = "100.100.100.100:1"
	for i := range 30 {
		if code := login(sprayer, "ghost"+strconv.Itoa(i)+"@example.com", "wrong password z"); code != 401 {
			t.Fatalf("spray %d: %d", i, code)
		}
	}
	if code := login(sprayer, "third@example.com", testPassword); code != 429 {
		t.Fatalf("31st attempt from one IP: %d", code)
	}
	if code := login(other, "third@example.com", testPassword); code != 200 {
		t.Fatalf("another IP locked by the sprayer: %d", code)
	}
}

func TestAuthServiceAccounts(t *testing.T) {
	e := newAcctEnv(t)
	e.register(t, "owner@example.com")
	user := bearer(e.login(t, "owner@example.com").AccessToken)
	body := map[string]any{"name": "ml-pipeline-agent", "scopes": []string{"offers:read", "alerts:read"}}
	if r := e.call("POST", "/api/v2/service-accounts", clientIP, nil, body); r.StatusCode() != 401 {
		t.Fatalf("anonymous: %d", r.StatusCode())
	}
	r := e.call("POST", "/api/v2/service-accounts", clientIP, user, body)
	var sa struct {
		ServiceID string `json:"service_id"`
		Name      string
		Scopes    []string
		Secret    string
	}
	decode(t, r, &sa)
	if r.StatusCode() != 201 || sa.ServiceID == "" || sa.ServiceID == sa.Name || sa.Name != "ml-pipeline-agent" ||
		!strings.HasPrefix(sa.Secret, "gps_") || len(sa.Scopes) != 2 || r.Header.Peek("Cache-Control") == nil {
		t.Fatalf("create: %d %s", r.StatusCode(), r.Body())
	}
	if r := e.call("POST", "/api/v2/service-accounts", clientIP, user, body); r.StatusCode() != 409 {
		t.Fatalf("duplicate name: %d", r.StatusCode())
	}
	r = e.call("POST", "/api/v2/auth/service-token", clientIP, nil, map[string]string{"service_id": sa.ServiceID, "secret": sa.Secret})
	var tok tokenJSON
	decode(t, r, &tok)
	if r.StatusCode() != 200 || tok.TokenType != "Bearer" || tok.ExpiresIn != int64(accounts.DefaultServiceTTL/time.Second) || tok.RefreshToken != "" || len(tok.Scopes) != 2 {
		t.Fatalf("service token: %d %s", r.StatusCode(), r.Body())
	}
	svc := bearer(tok.AccessToken)
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/api/v2/alerts", nil, 200, ""},
		{"GET", "/api/v2/providers?gpu=H100", nil, 200, ""},
		{"POST", "/api/v2/alerts", map[string]any{"gpu_type": "A100", "max_price": 2}, 403, "insufficient_scope"},
		{"GET", "/api/v2/users/favorites", nil, 403, "insufficient_scope"},
		{"GET", "/api/v2/analytics/price-history?gpu=A100", nil, 403, "insufficient_scope"},
		{"POST", "/api/v2/auth/api-keys", map[string]string{"name": "x"}, 403, "forbidden"},
		{"GET", "/api/v2/service-accounts", nil, 403, "forbidden"},
		{"POST", "/api/v2/service-accounts", map[string]any{"name": "child", "scopes": []string{"offers:read"}}, 403, "forbidden"},
	} {
		if r := e.call(tc.method, tc.path, clientIP, svc, tc.body); r.StatusCode() != tc.status || errOf(r).Error.Code != tc.code {
			t.Errorf("service %s %s: %d %s", tc.method, tc.path, r.StatusCode(), r.Body())
		}
	}
	for _, tc := range []struct{ id, secret string }{
		{sa.ServiceID, "gps_" + strings.Repeat("A", 43)},
		{sa.ServiceID, "wrong"},
		{"ml-pipeline-agent", sa.Secret}, // the name is not the id
	} {
		r := e.call("POST", "/api/v2/auth/service-token", clientIP, nil, map[string]string{"service_id": tc.id, "secret": tc.secret})
		if r.StatusCode() != 401 {
			t.Errorf("%s / %q: %d", tc.id, tc.secret, r.StatusCode())
		}
	}

	// Listing shows the account but never its secret.
	r = e.call("GET", "/api/v2/service-accounts", clientIP, user, nil)
	var list struct {
		ServiceAccounts []serviceAccountJSON `json:"service_accounts"`
	}
	decode(t, r, &list)
	if r.StatusCode() != 200 || len(list.ServiceAccounts) != 1 || list.ServiceAccounts[0].ServiceID != sa.ServiceID ||
		strings.Contains(string(r.Body()), "secret") || strings.Contains(string(r.Body()), sa.Secret) {
		t.Fatalf("list: %d %s", r.StatusCode(), r.Body())
	}
	// Deleting the account ends its tokens at once (on this edge; others
	// within the ServiceAuth cache time).
	if r := e.call("DELETE", "/api/v2/service-accounts/"+sa.ServiceID, clientIP, user, nil); r.StatusCode() != 204 {
		t.Fatalf("delete: %d %s", r.StatusCode(), r.Body())
	}
	if r := e.call("GET", "/api/v2/alerts", clientIP, svc, nil); r.StatusCode() != 401 || errOf(r).Error.Code != "unauthorized" {
		t.Fatalf("token of a deleted account: %d %s", r.StatusCode(), r.Body())
	}
	if r := e.call("DELETE", "/api/v2/service-accounts/"+sa.ServiceID, clientIP, user, nil); r.StatusCode() != 404 {
		t.Fatalf("second delete: %d", r.StatusCode())
	}
}

// A service token acts with its owner's current plan, not the one in its
// claims, and only for the account's owner.
func TestServiceTokenCheckedAgainstAccount(t *testing.T) {
	e := newAcctEnv(t)
	owner := e.register(t, "planned@example.com")
	other := e.register(t, "other@example.com")
	user := bearer(e.login(t, "planned@example.com").AccessToken)
	svcID, _ := e.serviceAccount(t, user, "agent", accounts.ScopeWebhooksRead)
	iss, err := accounts.NewIssuer(e.priv, accounts.IssuerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, user, plan string
		status           int
		code             string
	}{
		{"free owner, enterprise claim", owner, "enterprise", 403, "forbidden"},
		{"another user's id", other, "free", 401, "unauthorized"},
	} {
		tok, err := iss.IssueService(svcID, tc.user, tc.plan, []string{accounts.ScopeWebhooksRead})
		if err != nil {
			t.Fatal(err)
		}
		r := e.call("GET", "/api/v2/webhooks", clientIP, bearer(tok.Value), nil)
		if r.StatusCode() != tc.status || errOf(r).Error.Code != tc.code {
			t.Errorf("%s: %d %s", tc.name, r.StatusCode(), r.Body())
		}
	}
}

func TestAuthAPIKeys(t *testing.T) {
	e := newAcctEnv(t, func(c *envConfig) {
		c.apiKeys = []identity.APIKey{identity.NewAPIKey("ops", "enterprise", "configured-key-1")}
	})
	e.register(t, "k@example.com")
	user := bearer(e.login(t, "k@example.com").AccessToken)
	r := e.call("POST", "/api/v2/auth/api-keys", clientIP, user, map[string]string{"name": "laptop"})
	var created struct {
		apiKeyJSON
		Key string
	}
	decode(t, r, &created)
	if r.StatusCode() != 201 || !strings.HasPrefix(created.Key, "gpb_") || len(created.Key) != 47 || created.Prefix != created.Key[:10] ||
		created.Name != "laptop" || created.LastUsedAt != nil || created.Revoked {
		t.Fatalf("create: %d %s", r.StatusCode(), r.Body())
	}
	if r := e.call("GET", "/api/v2/users/favorites", clientIP, apiKeyHeader(created.Key), nil); r.StatusCode() != 200 {
		t.Fatalf("stored key refused: %d %s", r.StatusCode(), r.Body())
	}
	// A key acts as its user, but cannot mint credentials that would outlive it.
	for path, body := range map[string]any{"/api/v2/auth/api-keys": map[string]string{"name": "x"},
		"/api/v2/service-accounts": map[string]any{"name": "k-agent", "scopes": []string{"offers:read"}}} {
		if r := e.call("POST", path, clientIP, apiKeyHeader(created.Key), body); r.StatusCode() != 403 {
			t.Errorf("API key on %s: %d %s", path, r.StatusCode(), r.Body())
		}
	}
	e.svc.KeyAuth().Wait()
	r = e.call("GET", "/api/v2/auth/api-keys", clientIP, user, nil)
	var list struct {
		APIKeys []map[string]any `json:"api_keys"`
	}
	decode(t, r, &list)
	if len(list.APIKeys) != 1 || list.APIKeys[0]["last_used_at"] == nil || list.APIKeys[0]["revoked"] != false ||
		strings.Contains(string(r.Body()), created.Key) {
		t.Fatalf("list: %s", r.Body())
	}
	for _, k := range []string{"id", "name", "prefix", "created_at", "last_used_at", "revoked"} {
		if _, ok := list.APIKeys[0][k]; !ok {
			t.Errorf("list item lacks %s", k)
		}
	}
	// A configured key still works, but owns nothing.
	if r := e.call("GET", "/api/v2/users/favorites", clientIP, apiKeyHeader("configured-key-1"), nil); r.StatusCode() != 403 {
		t.Fatalf("configured key on owned resources: %d %s", r.StatusCode(), r.Body())
	}
	if r := e.call("DELETE", "/api/v2/auth/api-keys/"+created.ID, clientIP, user, nil); r.StatusCode() != 204 {
		t.Fatalf("revoke: %d %s", r.StatusCode(), r.Body())
	}
	if r := e.call("GET", "/api/v2/users/favorites", clientIP, apiKeyHeader(created.Key), nil); r.StatusCode() != 401 {
		t.Fatalf("revoked key accepted: %d", r.StatusCode())
	}
	r = e.call("GET", "/api/v2/auth/api-keys", clientIP, user, nil)
	decode(t, r, &list)
	if list.APIKeys[0]["revoked"] != true {
		t.Fatalf("not marked revoked: %s", r.Body())
	}
	if r := e.call("DELETE", "/api/v2/auth/api-keys/not-a-uuid!", clientIP, user, nil); r.StatusCode() != 404 {
		t.Fatalf("malformed id: %d", r.StatusCode())
	}
}

// Without a store the account endpoints stay routed and answer 503.
func TestAccountsWithoutStore(t *testing.T) {
	s := newAcctEnv(t, func(c *envConfig) { c.noStore = true })
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/api/v2/auth/register", `{"email":"a@example.com","password":"x"}`},
		{"POST", "/api/v2/auth/login", `{}`},
		{"GET", "/api/v2/users/favorites", ""},
		{"GET", "/api/v2/analytics/price-history?gpu=A100", ""},
	} {
		r := s.do(tc.method, tc.path, []byte(tc.body))
		if r.StatusCode() != 503 || errOf(r).Error.Code != "store_unavailable" || len(r.Header.Peek("Retry-After")) == 0 {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.StatusCode(), r.Body())
		}
	}
	if _, err := accounts.New(accounts.Config{Store: newAcctEnv(t).st}); err == nil {
		t.Fatal("a store without an issuer was accepted")
	}
}

// No password, token, key or secret ever reaches the log, whatever happens.
func TestAccountSecretsNeverLogged(t *testing.T) {
	e := newAcctEnv(t)
	e.enterprise(t, "log@example.com")
	tok := e.login(t, "log@example.com")
	user := bearer(tok.AccessToken)
	var secrets []string
	secrets = append(secrets, testPassword, tok.AccessToken, tok.RefreshToken)
	pick := func(r []byte, field string) string {
		var m map[string]any
		_ = json.Unmarshal(r, &m)
		s, _ := m[field].(string)
		if s == "" {
			t.Fatalf("no %s in %s", field, r)
		}
		return s
	}
	secrets = append(secrets, pick(e.call("POST", "/api/v2/auth/api-keys", clientIP, user, map[string]string{"name": "k"}).Body(), "key"))
	secrets = append(secrets, pick(e.call("POST", "/api/v2/webhooks", clientIP, user,
		map[string]any{"url": "https://hooks.example.com/x", "events": []string{"price_alert"}}).Body(), "secret"))
	created := e.call("POST", "/api/v2/service-accounts", clientIP, user,
		map[string]any{"name": "logger-agent", "scopes": []string{"offers:read"}}).Body()
	svcSecret := pick(created, "secret")
	secrets = append(secrets, svcSecret)
	secrets = append(secrets, pick(e.call("POST", "/api/v2/auth/service-token", clientIP, nil,
		map[string]string{"service_id": pick(created, "service_id"), "secret": svcSecret}).Body(), "access_token"))
	next := pick(e.call("POST", "/api/v2/auth/refresh", clientIP, nil, map[string]string{"refresh_token": tok.RefreshToken}).Body(), "refresh_token")
	secrets = append(secrets, next)
	e.call("POST", "/api/v2/auth/refresh", clientIP, nil, map[string]string{"refresh_token": tok.RefreshToken}) // reuse: logged
	e.call("POST", "/api/v2/auth/login", clientIP, nil, map[string]string{"email": "log@example.com", "password": "wrong " + testPassword})
	e.call("GET", "/api/v2/users/favorites", clientIP, apiKeyHeader(secrets[3]), nil)
	e.svc.KeyAuth().Wait()
	logs := e.logs.String()
	if !strings.Contains(logs, "refresh token reused") {
		t.Fatal("the reuse was not logged; the log capture is broken")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("secret %.12s… appears in the log", s)
		}
	}
}

// When the store cannot answer, a known key keeps working from the cache
// and an unknown one is a 503 (it may be valid), not a 401.
func TestStoredKeyWithStoreDown(t *testing.T) {
	e := newAcctEnv(t)
	e.register(t, "down@example.com")
	user := bearer(e.login(t, "down@example.com").AccessToken)
	var created struct{ Key string }
	decode(t, e.call("POST", "/api/v2/auth/api-keys", clientIP, user, map[string]string{"name": "k"}), &created)
	if r := e.call("GET", "/api/v2/providers", clientIP, apiKeyHeader(created.Key), nil); r.StatusCode() != 200 {
		t.Fatalf("key refused: %d", r.StatusCode())
	}
	e.svc.KeyAuth().Wait()
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	if r := e.call("GET", "/api/v2/providers", clientIP, apiKeyHeader(created.Key), nil); r.StatusCode() != 200 {
		t.Fatalf("cached key refused while the store is down: %d %s", r.StatusCode(), r.Body())
	}
	r := e.call("GET", "/api/v2/providers", clientIP, apiKeyHeader("gpb_"+strings.Repeat("Q", 43)), nil)
	if r.StatusCode() != 503 || errOf(r).Error.Code != "store_unavailable" || len(r.Header.Peek("Retry-After")) == 0 {
		t.Fatalf("unknown key with the store down: %d %s", r.StatusCode(), r.Body())
	}
	if r := e.call("GET", "/api/v2/providers", clientIP, apiKeyHeader("not-a-stored-key"), nil); r.StatusCode() != 401 {
		t.Fatalf("malformed key: %d", r.StatusCode())
	}
}
