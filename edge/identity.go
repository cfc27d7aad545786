package edge

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"net/netip"
	"strings"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

// Identity is who a request is rate limited as.
type Identity struct {
	Kind    string // "jwt", "api_key" or "anonymous"
	Subject string // user id, API key id, or client IP
	Plan    string
	// Key is the rate-limit bucket: one per user, API key or client IP.
	Key string
}

// APIKey is a configured credential. Only its SHA-256 is kept.
type APIKey struct {
	ID   string
	Plan string
	hash [32]byte
}

// NewAPIKey hashes secret for lookup; the secret itself is not retained.
func NewAPIKey(id, plan, secret string) APIKey {
	return APIKey{ID: id, Plan: plan, hash: sha256.Sum256([]byte(secret))}
}

// AuthConfig configures how requests are identified. This is the minimal
// verifier: tokens are checked, not issued (the accounts service issues them).
type AuthConfig struct {
	APIKeys []APIKey
	// JWTPublicKey verifies EdDSA (Ed25519) access tokens; nil disables
	// JWT authentication. Only alg EdDSA is accepted.
	JWTPublicKey ed25519.PublicKey
	JWTIssuer    string
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
}

type authenticator struct {
	keys    map[[32]byte]APIKey
	cfg     AuthConfig
	parser  *jwt.Parser
	keyfunc jwt.Keyfunc
}

func newAuthenticator(cfg AuthConfig) *authenticator {
	a := &authenticator{keys: map[[32]byte]APIKey{}, cfg: cfg}
	for _, k := range cfg.APIKeys {
		a.keys[k.hash] = k
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithExpirationRequired(), jwt.WithLeeway(0)}
	if cfg.JWTIssuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.JWTIssuer))
	}
	a.parser = jwt.NewParser(opts...)
	a.keyfunc = func(*jwt.Token) (any, error) { return cfg.JWTPublicKey, nil }
	return a
}

type tokenClaims struct {
	Plan string `json:"plan"`
	jwt.RegisteredClaims
}

var errUnauthorized = errors.New("unauthorized")

// identify authenticates a request. A credential that is presented but
// invalid is an error (401): it never silently falls back to anonymous.
// Client-declared plans (the seeds' X-Plan header) are ignored.
func (a *authenticator) identify(ctx *fasthttp.RequestCtx) (Identity, error) {
	if key := ctx.Request.Header.Peek("X-Api-Key"); len(key) > 0 {
		k, ok := a.keys[sha256.Sum256(key)]
		if !ok {
			return Identity{}, fmt.Errorf("%w: unknown API key", errUnauthorized)
		}
		return Identity{Kind: "api_key", Subject: k.ID, Plan: k.Plan, Key: "key:" + k.ID}, nil
	}
	if auth := ctx.Request.Header.Peek("Authorization"); len(auth) > 0 {
		tok, ok := bytes.CutPrefix(auth, []byte("Bearer "))
		if !ok || a.cfg.JWTPublicKey == nil {
			return Identity{}, fmt.Errorf("%w: unsupported Authorization scheme", errUnauthorized)
		}
		var c tokenClaims
		if _, err := a.parser.ParseWithClaims(string(bytes.TrimSpace(tok)), &c, a.keyfunc); err != nil {
			return Identity{}, fmt.Errorf("%w: invalid token", errUnauthorized)
		}
		if c.Subject == "" {
			return Identity{}, fmt.Errorf("%w: token has no subject", errUnauthorized)
		}
		return Identity{Kind: "jwt", Subject: c.Subject, Plan: c.Plan, Key: "user:" + c.Subject}, nil
	}
	ip := a.clientIP(ctx)
	return Identity{Kind: "anonymous", Subject: ip, Plan: "free", Key: "ip:" + ip}, nil
}

// clientIP is the peer address, or, when the peer is a trusted proxy, the
// right-most X-Forwarded-For entry that is not itself a trusted proxy.
// Entries left of an untrusted hop are client-controlled and ignored.
func (a *authenticator) clientIP(ctx *fasthttp.RequestCtx) string {
	peer, ok := netip.AddrFromSlice(ctx.RemoteIP())
	if !ok {
		return "unknown"
	}
	peer = peer.Unmap()
	if !a.trusted(peer) {
		return peer.String()
	}
	xff := string(ctx.Request.Header.Peek("X-Forwarded-For"))
	hops := strings.Split(xff, ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		addr, err := netip.ParseAddr(h)
		if err != nil {
			break // a malformed hop: trust nothing further left
		}
		addr = addr.Unmap()
		if !a.trusted(addr) {
			return addr.String()
		}
		peer = addr
	}
	return peer.String()
}

func (a *authenticator) trusted(ip netip.Addr) bool {
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseEd25519PublicKey reads a PEM "PUBLIC KEY" block holding an Ed25519 key.
func ParseEd25519PublicKey(pemText []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing public key: %w", err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("not an Ed25519 public key")
	}
	return ek, nil
}

// ParseCIDRs parses a comma-separated list of CIDRs or single addresses.
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", part, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", part, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
