package edge

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/accounts"
)

// Identity is who a request is rate limited as.
type Identity struct {
	Kind    string // "jwt", "service", "api_key" or "anonymous"
	Subject string // user id, service id, API key id, or client IP
	Plan    string
	// Key is the rate-limit bucket: one per user (a user's tokens and stored
	// API keys share it), service, configured API key or client IP.
	Key string
	// UserID is the account behind the credential: the user of a token or
	// stored API key, the owner of a service. Empty for configured API keys
	// and anonymous callers.
	UserID string
	// Scopes are a service token's permissions.
	Scopes []string
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
	// JWTAudience, when set, must be among a token's aud (the Issuer's
	// tokens carry "gpubroker").
	JWTAudience string
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
}

type authenticator struct {
	keys    map[[32]byte]APIKey
	cfg     AuthConfig
	parser  *jwt.Parser
	keyfunc jwt.Keyfunc
	// stored resolves API keys kept in the database; nil without a store.
	stored *accounts.KeyAuth
}

// keyLookupTimeout bounds the store lookup of an API key not yet cached.
const keyLookupTimeout = time.Second

func newAuthenticator(cfg AuthConfig, stored *accounts.KeyAuth) *authenticator {
	a := &authenticator{keys: map[[32]byte]APIKey{}, cfg: cfg, stored: stored}
	for _, k := range cfg.APIKeys {
		a.keys[k.hash] = k
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithExpirationRequired(), jwt.WithLeeway(0)}
	if cfg.JWTIssuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.JWTIssuer))
	}
	if cfg.JWTAudience != "" {
		opts = append(opts, jwt.WithAudience(cfg.JWTAudience))
	}
	a.parser = jwt.NewParser(opts...)
	a.keyfunc = func(*jwt.Token) (any, error) { return cfg.JWTPublicKey, nil }
	return a
}

var (
	errUnauthorized = errors.New("unauthorized")
	// errAuthUnavailable: the credential could not be checked (store down).
	errAuthUnavailable = errors.New("credential store unavailable")
)

// identify authenticates a request. A credential that is presented but
// invalid is an error (401): it never silently falls back to anonymous.
// Client-declared plans (the seeds' X-Plan header) are ignored.
func (a *authenticator) identify(ctx *fasthttp.RequestCtx) (Identity, error) {
	if key := ctx.Request.Header.Peek("X-Api-Key"); len(key) > 0 {
		return a.apiKey(key)
	}
	if auth := ctx.Request.Header.Peek("Authorization"); len(auth) > 0 {
		tok, ok := bytes.CutPrefix(auth, []byte("Bearer "))
		if !ok || a.cfg.JWTPublicKey == nil {
			return Identity{}, fmt.Errorf("%w: unsupported Authorization scheme", errUnauthorized)
		}
		var c accounts.Claims
		if _, err := a.parser.ParseWithClaims(string(bytes.TrimSpace(tok)), &c, a.keyfunc); err != nil {
			return Identity{}, fmt.Errorf("%w: invalid token", errUnauthorized)
		}
		if c.Subject == "" {
			return Identity{}, fmt.Errorf("%w: token has no subject", errUnauthorized)
		}
		switch c.Kind {
		case "":
			return Identity{Kind: "jwt", Subject: c.Subject, Plan: c.Plan, Key: "user:" + c.Subject, UserID: c.Subject}, nil
		case accounts.KindService:
			return a.service(c)
		}
		return Identity{}, fmt.Errorf("%w: unknown token kind", errUnauthorized)
	}
	ip := a.clientIP(ctx)
	return Identity{Kind: "anonymous", Subject: ip, Plan: "free", Key: "ip:" + ip}, nil
}

// apiKey resolves an X-API-Key: the configured keys first (a map lookup),
// then, for keys shaped like stored ones, the database through the
// KeyAuth caches.
func (a *authenticator) apiKey(key []byte) (Identity, error) {
	if k, ok := a.keys[sha256.Sum256(key)]; ok {
		return Identity{Kind: "api_key", Subject: k.ID, Plan: k.Plan, Key: "key:" + k.ID}, nil
	}
	if a.stored == nil {
		return Identity{}, fmt.Errorf("%w: unknown API key", errUnauthorized)
	}
	ctx, cancel := context.WithTimeout(context.Background(), keyLookupTimeout)
	defer cancel()
	o, err := a.stored.Lookup(ctx, key)
	switch {
	case errors.Is(err, accounts.ErrUnknownKey):
		return Identity{}, fmt.Errorf("%w: unknown API key", errUnauthorized)
	case err != nil:
		return Identity{}, errAuthUnavailable
	}
	return Identity{Kind: "api_key", Subject: o.KeyID, Plan: o.Plan, Key: "user:" + o.UserID, UserID: o.UserID}, nil
}

// service checks a service token against its account, through the
// ServiceAuth cache, and takes the owner's current plan: the token lives
// 30 days, and deleting its account or changing the plan must not wait for
// it to expire. Without a store (an external issuer) the claims stand.
func (a *authenticator) service(c accounts.Claims) (Identity, error) {
	id := Identity{Kind: "service", Subject: c.Subject, Plan: c.Plan, Key: "service:" + c.Subject,
		UserID: c.UserID, Scopes: c.Scopes}
	if a.stored == nil || a.stored.Services() == nil {
		return id, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), keyLookupTimeout)
	defer cancel()
	o, err := a.stored.Services().Lookup(ctx, c.Subject, c.UserID)
	switch {
	case errors.Is(err, accounts.ErrUnknownService):
		return Identity{}, fmt.Errorf("%w: service account disabled or deleted", errUnauthorized)
	case err != nil:
		return Identity{}, errAuthUnavailable
	}
	id.Plan = o.Plan
	return id, nil
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
	// Proxies may add their own header line rather than append to the
	// client's, so all lines are read in order as one list.
	var hops []string
	for _, line := range ctx.Request.Header.PeekAll("X-Forwarded-For") {
		hops = append(hops, strings.Split(string(line), ",")...)
	}
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
