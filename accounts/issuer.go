package accounts

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Audience is the aud of every token the Issuer signs.
const Audience = "gpubroker"

// KindService marks service tokens in the "kind" claim; user access tokens
// carry no kind.
const KindService = "service"

// Default token lifetimes.
const (
	DefaultAccessTTL  = 15 * time.Minute
	DefaultServiceTTL = 30 * 24 * time.Hour
)

// Claims are the claims of the tokens the Issuer signs.
type Claims struct {
	Plan   string   `json:"plan"`
	Kind   string   `json:"kind,omitempty"`
	Scopes []string `json:"scopes,omitempty"`
	// UserID is the user a service account belongs to (service tokens only);
	// for user tokens the user is the subject.
	UserID string `json:"uid,omitempty"`
	jwt.RegisteredClaims
}

// UnmarshalJSON refuses time claims that are not JSON numbers: the JWT
// library reads "exp":"9999999999" (a string) as a date, and a token that
// bends the format is not one this gateway issued.
func (c *Claims) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("token claims: %w", err)
	}
	for _, k := range []string{"exp", "iat", "nbf"} {
		if v, ok := raw[k]; ok && !isNumber(v) {
			return fmt.Errorf("token claim %s is not a number", k)
		}
	}
	type plain Claims // without this method
	return json.Unmarshal(b, (*plain)(c))
}

// isNumber reports whether a raw JSON value is a number literal.
func isNumber(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9')
}

// IssuerConfig configures an Issuer; zero fields get the defaults.
type IssuerConfig struct {
	Issuer     string // iss; default "gpubroker"
	AccessTTL  time.Duration
	ServiceTTL time.Duration
	Now        func() time.Time
}

// Issuer signs access and service tokens with an Ed25519 key and verifies
// them with its public half. It is safe for concurrent use.
type Issuer struct {
	key    ed25519.PrivateKey
	pub    ed25519.PublicKey
	cfg    IssuerConfig
	parser *jwt.Parser
}

// Token is a signed token and when it expires.
type Token struct {
	Value     string
	ExpiresAt time.Time
	TTL       time.Duration
}

// NewIssuer returns an Issuer signing with key.
func NewIssuer(key ed25519.PrivateKey, cfg IssuerConfig) (*Issuer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("accounts: issuer needs an Ed25519 private key")
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "gpubroker"
	}
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = DefaultAccessTTL
	}
	if cfg.ServiceTTL <= 0 {
		cfg.ServiceTTL = DefaultServiceTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Issuer{
		key: key,
		pub: key.Public().(ed25519.PublicKey),
		cfg: cfg,
		parser: jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}), jwt.WithExpirationRequired(),
			jwt.WithIssuer(cfg.Issuer), jwt.WithAudience(Audience), jwt.WithIssuedAt(), jwt.WithTimeFunc(cfg.Now)),
	}, nil
}

// PublicKey verifies the Issuer's tokens.
func (i *Issuer) PublicKey() ed25519.PublicKey { return i.pub }

// Name is the iss claim of the Issuer's tokens.
func (i *Issuer) Name() string { return i.cfg.Issuer }

// IssueAccess signs a user access token.
func (i *Issuer) IssueAccess(userID, plan string) (Token, error) {
	return i.sign(Claims{Plan: plan}, userID, i.cfg.AccessTTL)
}

// IssueService signs a service token for serviceID, owned by userID.
func (i *Issuer) IssueService(serviceID, userID, plan string, scopes []string) (Token, error) {
	return i.sign(Claims{Plan: plan, Kind: KindService, Scopes: slices.Clone(scopes), UserID: userID}, serviceID, i.cfg.ServiceTTL)
}

func (i *Issuer) sign(c Claims, subject string, ttl time.Duration) (Token, error) {
	if subject == "" {
		return Token{}, errors.New("accounts: token subject is empty")
	}
	jti, err := newID()
	if err != nil {
		return Token{}, err
	}
	now := i.cfg.Now().Truncate(time.Second)
	exp := now.Add(ttl)
	c.RegisteredClaims = jwt.RegisteredClaims{
		Subject:   subject,
		Issuer:    i.cfg.Issuer,
		Audience:  jwt.ClaimStrings{Audience},
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(exp),
		ID:        jti,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(i.key)
	if err != nil {
		return Token{}, fmt.Errorf("accounts: signing token: %w", err)
	}
	return Token{Value: s, ExpiresAt: exp, TTL: ttl}, nil
}

// Verify checks a token's signature (EdDSA only), expiry, issuer and
// audience and returns its claims.
func (i *Issuer) Verify(token string) (Claims, error) {
	var c Claims
	if _, err := i.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return i.pub, nil }); err != nil {
		return Claims{}, fmt.Errorf("accounts: invalid token: %w", err)
	}
	if c.Subject == "" {
		return Claims{}, errors.New("accounts: invalid token: no subject")
	}
	return c, nil
}
