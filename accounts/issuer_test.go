package accounts

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestIssuerAccessToken(t *testing.T) {
	e := newTestEnv(t)
	tok, err := e.iss.IssueAccess("user-1", "pro")
	if err != nil {
		t.Fatal(err)
	}
	if tok.TTL != DefaultAccessTTL || !tok.ExpiresAt.Equal(e.clock.Now().Truncate(time.Second).Add(DefaultAccessTTL)) {
		t.Fatalf("ttl %v expires %v", tok.TTL, tok.ExpiresAt)
	}
	c, err := e.iss.Verify(tok.Value)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "user-1" || c.Plan != "pro" || c.Issuer != "gpubroker" || !slices.Equal(c.Audience, jwt.ClaimStrings{Audience}) ||
		c.ID == "" || c.IssuedAt == nil || c.Kind != "" || c.Scopes != nil {
		t.Fatalf("claims %+v", c)
	}
	var header map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.Value, ".")[0])
	if err := json.Unmarshal(raw, &header); err != nil || header["alg"] != "EdDSA" {
		t.Fatalf("header %s", raw)
	}
	other, _ := e.iss.IssueAccess("user-1", "pro")
	if oc, _ := e.iss.Verify(other.Value); oc.ID == c.ID {
		t.Fatal("jti repeats")
	}
	e.clock.Advance(DefaultAccessTTL)
	if _, err := e.iss.Verify(tok.Value); err == nil {
		t.Fatal("token valid at its expiry")
	}
}

func TestIssuerServiceToken(t *testing.T) {
	e := newTestEnv(t)
	tok, err := e.iss.IssueService("ml-agent", "owner-1", "enterprise", []string{ScopeOffersRead, ScopeAlertsRead})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.iss.Verify(tok.Value)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "ml-agent" || c.Kind != KindService || c.UserID != "owner-1" || c.Plan != "enterprise" ||
		!slices.Equal(c.Scopes, []string{ScopeOffersRead, ScopeAlertsRead}) || tok.TTL != DefaultServiceTTL {
		t.Fatalf("claims %+v ttl %v", c, tok.TTL)
	}
	e.clock.Advance(29 * 24 * time.Hour)
	if _, err := e.iss.Verify(tok.Value); err != nil {
		t.Fatalf("service token expired early: %v", err)
	}
}

func TestNewIssuerRejectsBadKey(t *testing.T) {
	if _, err := NewIssuer(ed25519.PrivateKey{1, 2, 3}, IssuerConfig{}); err == nil {
		t.Fatal("accepted a short key")
	}
}

// forgeries lists tokens the Issuer must refuse, built against iss's key.
func forgeries(t *testing.T, iss *Issuer, priv ed25519.PrivateKey, now time.Time) map[string]string {
	t.Helper()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "u1", "plan": "enterprise", "iss": "gpubroker", "aud": []string{Audience},
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "x"}
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
	good := sign(jwt.SigningMethodEdDSA, priv, claims(nil))
	parts := strings.Split(good, ".")
	payload, _ := json.Marshal(claims(func(c jwt.MapClaims) { c["sub"] = "admin" }))
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	return map[string]string{
		"alg none":              sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil)),
		"HS256 with public key": sign(jwt.SigningMethodHS256, []byte(iss.PublicKey()), claims(nil)),
		"RS256":                 sign(jwt.SigningMethodRS256, rsaKey, claims(nil)),
		"other Ed25519 key":     sign(jwt.SigningMethodEdDSA, otherKey, claims(nil)),
		"expired":               sign(jwt.SigningMethodEdDSA, priv, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() })),
		"missing exp":           sign(jwt.SigningMethodEdDSA, priv, claims(func(c jwt.MapClaims) { delete(c, "exp") })),
		"wrong issuer":          sign(jwt.SigningMethodEdDSA, priv, claims(func(c jwt.MapClaims) { c["iss"] = "evil" })),
		"wrong audience":        sign(jwt.SigningMethodEdDSA, priv, claims(func(c jwt.MapClaims) { c["aud"] = "someone-else" })),
		"missing audience":      sign(jwt.SigningMethodEdDSA, priv, claims(func(c jwt.MapClaims) { delete(c, "aud") })),
		"tampered payload":      tampered,
		"truncated":             parts[0] + "." + parts[1],
		"garbage":               "not.a.jwt",
	}
}

func TestIssuerRejectsForgeries(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	iss, err := NewIssuer(priv, IssuerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range forgeries(t, iss, priv, time.Now()) {
		if c, err := iss.Verify(tok); err == nil {
			t.Errorf("%s: accepted, claims %+v", name, c)
		}
	}
}
