package identity

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/valyala/fasthttp"
)

func requestFrom(remote string, headers map[string]string) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	addr, _ := net.ResolveTCPAddr("tcp", remote)
	ctx.Init(&fasthttp.Request{}, addr, nil)
	for k, v := range headers {
		ctx.Request.Header.Set(k, v)
	}
	return &ctx
}

func TestIdentify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	trusted, _ := ParseCIDRs("10.0.0.0/8, 127.0.0.1")
	a := New(Config{
		APIKeys:        []APIKey{NewAPIKey("acme", "enterprise", "sk-acme-1")},
		JWTPublicKey:   pub,
		JWTIssuer:      "gpubroker",
		TrustedProxies: trusted,
	})
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	exp := time.Now().Add(time.Hour).Unix()
	good := sign(jwt.SigningMethodEdDSA, priv, jwt.MapClaims{"sub": "u1", "plan": "pro", "iss": "gpubroker", "exp": exp})
	tests := []struct {
		name    string
		remote  string
		headers map[string]string
		wantErr bool
		want    httpx.Identity
	}{
		{"api key", "1.2.3.4:5", map[string]string{"X-Api-Key": "sk-acme-1"}, false, id(httpx.APIKey, "acme", "enterprise", "key:acme", "")},
		{"unknown api key", "1.2.3.4:5", map[string]string{"X-Api-Key": "sk-nope"}, true, httpx.Identity{}},
		{"jwt", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + good}, false, id(httpx.User, "u1", "pro", "user:u1", "u1")},
		{"jwt declared plan header ignored", "1.2.3.4:5", map[string]string{"X-Plan": "enterprise"}, false, id(httpx.Anonymous, "1.2.3.4", "free", "ip:1.2.3.4", "")},
		{"alg none", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType,
			jwt.MapClaims{"sub": "u1", "plan": "enterprise", "iss": "gpubroker", "exp": exp})}, true, httpx.Identity{}},
		{"HS256 keyed with the public key", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + sign(jwt.SigningMethodHS256, []byte(pub),
			jwt.MapClaims{"sub": "u1", "plan": "enterprise", "iss": "gpubroker", "exp": exp})}, true, httpx.Identity{}},
		{"other key", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + sign(jwt.SigningMethodEdDSA, otherPriv,
			jwt.MapClaims{"sub": "u1", "plan": "pro", "iss": "gpubroker", "exp": exp})}, true, httpx.Identity{}},
		{"expired", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + sign(jwt.SigningMethodEdDSA, priv,
			jwt.MapClaims{"sub": "u1", "plan": "pro", "iss": "gpubroker", "exp": time.Now().Add(-time.Minute).Unix()})}, true, httpx.Identity{}},
		{"no expiry", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + sign(jwt.SigningMethodEdDSA, priv,
			jwt.MapClaims{"sub": "u1", "plan": "pro", "iss": "gpubroker"})}, true, httpx.Identity{}},
		{"wrong issuer", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + sign(jwt.SigningMethodEdDSA, priv,
			jwt.MapClaims{"sub": "u1", "plan": "pro", "iss": "evil", "exp": exp})}, true, httpx.Identity{}},
		{"iat in the future", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + sign(jwt.SigningMethodEdDSA, priv,
			jwt.MapClaims{"sub": "u1", "plan": "pro", "iss": "gpubroker", "exp": exp, "iat": time.Now().Add(10 * time.Minute).Unix()})}, true, httpx.Identity{}},
		{"iat within the clock skew", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + sign(jwt.SigningMethodEdDSA, priv,
			jwt.MapClaims{"sub": "u1", "plan": "pro", "iss": "gpubroker", "exp": exp, "iat": time.Now().Add(10 * time.Second).Unix()})}, false,
			id(httpx.User, "u1", "pro", "user:u1", "u1")},
		{"exp a string", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + sign(jwt.SigningMethodEdDSA, priv,
			jwt.MapClaims{"sub": "u1", "plan": "pro", "iss": "gpubroker", "exp": strconv.FormatInt(exp, 10)})}, true, httpx.Identity{}},
		{"iat a string", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + sign(jwt.SigningMethodEdDSA, priv,
			jwt.MapClaims{"sub": "u1", "plan": "pro", "iss": "gpubroker", "exp": exp, "iat": "0"})}, true, httpx.Identity{}},
		{"exp an object", "1.2.3.4:5", map[string]string{"Authorization": "Bearer " + sign(jwt.SigningMethodEdDSA, priv,
			jwt.MapClaims{"sub": "u1", "plan": "pro", "iss": "gpubroker", "exp": map[string]int64{"n": exp}})}, true, httpx.Identity{}},
		{"garbage token", "1.2.3.4:5", map[string]string{"Authorization": "Bearer not.a.jwt"}, true, httpx.Identity{}},
		{"basic auth", "1.2.3.4:5", map[string]string{"Authorization": "Basic dTpw"}, true, httpx.Identity{}},
		{"anonymous", "1.2.3.4:5", nil, false, id(httpx.Anonymous, "1.2.3.4", "free", "ip:1.2.3.4", "")},
		{"xff from untrusted peer ignored", "1.2.3.4:5", map[string]string{"X-Forwarded-For": "9.9.9.9"}, false, id(httpx.Anonymous, "1.2.3.4", "free", "ip:1.2.3.4", "")},
		{"xff from trusted proxy", "10.1.1.1:5", map[string]string{"X-Forwarded-For": "66.1.1.1, 10.2.2.2"}, false, id(httpx.Anonymous, "66.1.1.1", "free", "ip:66.1.1.1", "")},
		{"spoofed left of client", "127.0.0.1:5", map[string]string{"X-Forwarded-For": "6.6.6.6, 66.1.1.1"}, false, id(httpx.Anonymous, "66.1.1.1", "free", "ip:66.1.1.1", "")},
		{"malformed hop", "10.1.1.1:5", map[string]string{"X-Forwarded-For": "66.1.1.1, junk"}, false, id(httpx.Anonymous, "10.1.1.1", "free", "ip:10.1.1.1", "")},
		{"all hops trusted", "10.1.1.1:5", map[string]string{"X-Forwarded-For": "10.3.3.3"}, false, id(httpx.Anonymous, "10.3.3.3", "free", "ip:10.3.3.3", "")},
	}
	for _, tc := range tests {
		ctx := requestFrom(tc.remote, tc.headers)
		got, err := a.Identify(ctx, a.ClientIP(ctx))
		if (err != nil) != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %+v, %v; want %+v, err=%v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}

// A client's forged X-Forwarded-For line must not win over the line a
// trusted proxy adds after it.
func TestClientIPReadsEveryForwardedLine(t *testing.T) {
	trusted, _ := ParseCIDRs("10.0.0.0/8")
	a := New(Config{TrustedProxies: trusted})
	ctx := requestFrom("10.1.1.1:5", nil)
	ctx.Request.Header.Add("X-Forwarded-For", "6.6.6.6")
	ctx.Request.Header.Add("X-Forwarded-For", "66.1.1.1")
	if got := a.ClientIP(ctx); got != "66.1.1.1" {
		t.Fatalf("clientIP = %q, want the proxy-added 66.1.1.1", got)
	}
}

func id(kind httpx.Kind, subject, plan, key, user string) httpx.Identity {
	return httpx.Identity{Kind: kind, Subject: subject, Plan: plan, Key: key, UserID: user}
}
