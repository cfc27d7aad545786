package identity

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/edge/httpx"
)

// Config configures how requests are identified. Tokens are checked here,
// not issued (the accounts service issues them).
type Config struct {
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
	// Stored resolves API keys and service accounts kept in the account
	// store; nil without a store.
	Stored *accounts.KeyAuth
	// Now is the clock tokens are judged by; nil means time.Now.
	Now func() time.Time
}

// Authenticator identifies requests.
type Authenticator struct {
	keys   map[[32]byte]APIKey
	cfg    Config
	parser *jwt.Parser
}

// lookupTimeout bounds the store lookup of a credential not yet cached.
const lookupTimeout = time.Second

// maxClockSkew is how far in the future a token's iat may lie: issuers'
// clocks drift a little, but a token from further ahead was not issued now.
const maxClockSkew = 30 * time.Second

// New builds an Authenticator.
func New(cfg Config) *Authenticator {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Authenticator{keys: map[[32]byte]APIKey{}, cfg: cfg}
	for _, k := range cfg.APIKeys {
		a.keys[k.hash] = k
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithExpirationRequired(), jwt.WithLeeway(0),
		jwt.WithTimeFunc(cfg.Now)}
	if cfg.JWTIssuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.JWTIssuer))
	}
	if cfg.JWTAudience != "" {
		opts = append(opts, jwt.WithAudience(cfg.JWTAudience))
	}
	a.parser = jwt.NewParser(opts...)
	return a
}

var (
	// ErrUnauthorized: a credential was presented and is not valid (401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrStoreUnavailable: a stored API key or service account could not be
	// checked because the account store did not answer (503).
	ErrStoreUnavailable = errors.New("the account store cannot check this credential right now")
)

// PresentsCredential reports whether the request carries an API key or an
// Authorization header.
func PresentsCredential(ctx *fasthttp.RequestCtx) bool {
	return len(ctx.Request.Header.Peek("X-Api-Key")) > 0 || len(ctx.Request.Header.Peek("Authorization")) > 0
}

// Identify authenticates a request whose client address is ip.
func (a *Authenticator) Identify(ctx *fasthttp.RequestCtx, ip string) (httpx.Identity, error) {
	if key := ctx.Request.Header.Peek("X-Api-Key"); len(key) > 0 {
		return a.apiKey(key)
	}
	if auth := ctx.Request.Header.Peek("Authorization"); len(auth) > 0 {
		tok, ok := bytes.CutPrefix(auth, []byte("Bearer "))
		if !ok || a.cfg.JWTPublicKey == nil {
			return httpx.Identity{}, fmt.Errorf("%w: unsupported Authorization scheme", ErrUnauthorized)
		}
		return a.token(string(bytes.TrimSpace(tok)))
	}
	return httpx.AnonymousFrom(ip), nil
}

// token checks a bearer token: signature (EdDSA only), exp (required, no
// leeway), iss, aud, time claims that are numbers, and an iat not in the
// future.
func (a *Authenticator) token(tok string) (httpx.Identity, error) {
	var c accounts.Claims
	if _, err := a.parser.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return a.cfg.JWTPublicKey, nil }); err != nil {
		return httpx.Identity{}, fmt.Errorf("%w: invalid token", ErrUnauthorized)
	}
	if c.IssuedAt != nil && c.IssuedAt.After(a.cfg.Now().Add(maxClockSkew)) {
		return httpx.Identity{}, fmt.Errorf("%w: token issued in the future", ErrUnauthorized)
	}
	if c.Subject == "" {
		return httpx.Identity{}, fmt.Errorf("%w: token has no subject", ErrUnauthorized)
	}
	switch c.Kind {
	case "":
		return httpx.Identity{Kind: httpx.User, Subject: c.Subject, Plan: c.Plan, Key: "user:" + c.Subject, UserID: c.Subject}, nil
	case accounts.KindService:
		return a.service(c)
	}
	return httpx.Identity{}, fmt.Errorf("%w: unknown token kind", ErrUnauthorized)
}

// apiKey resolves an X-API-Key: the configured keys first (a map lookup),
// then, for keys shaped like stored ones, the account store through the
// KeyAuth caches.
func (a *Authenticator) apiKey(key []byte) (httpx.Identity, error) {
	if k, ok := a.keys[sha256.Sum256(key)]; ok {
		return httpx.Identity{Kind: httpx.APIKey, Subject: k.ID, Plan: k.Plan, Key: "key:" + k.ID}, nil
	}
	if a.cfg.Stored == nil {
		return httpx.Identity{}, fmt.Errorf("%w: unknown API key", ErrUnauthorized)
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	o, err := a.cfg.Stored.Lookup(ctx, key)
	switch {
	case errors.Is(err, accounts.ErrUnknownKey):
		return httpx.Identity{}, fmt.Errorf("%w: unknown API key", ErrUnauthorized)
	case err != nil:
		return httpx.Identity{}, ErrStoreUnavailable
	}
	return httpx.Identity{Kind: httpx.APIKey, Subject: o.KeyID, Plan: o.Plan, Key: "user:" + o.UserID, UserID: o.UserID}, nil
}

// service checks a service token against its account, through the
// ServiceAuth cache, and takes the owner's current plan: the token lives
// 30 days, and deleting its account or changing the plan must not wait for
// it to expire. Without a store (an external issuer) the claims stand.
func (a *Authenticator) service(c accounts.Claims) (httpx.Identity, error) {
	id := httpx.Identity{Kind: httpx.Service, Subject: c.Subject, Plan: c.Plan, Key: "service:" + c.Subject,
		UserID: c.UserID, Scopes: c.Scopes}
	if a.cfg.Stored == nil || a.cfg.Stored.Services() == nil {
		return id, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	o, err := a.cfg.Stored.Services().Lookup(ctx, c.Subject, c.UserID)
	switch {
	case errors.Is(err, accounts.ErrUnknownService):
		return httpx.Identity{}, fmt.Errorf("%w: service account disabled or deleted", ErrUnauthorized)
	case err != nil:
		return httpx.Identity{}, ErrStoreUnavailable
	}
	id.Plan = o.Plan
	return id, nil
}
