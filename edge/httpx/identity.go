package httpx

// Kind is how a caller authenticated.
type Kind uint8

// The kinds of caller. The zero value is anonymous: a request carries no
// credential until the core has checked one.
const (
	Anonymous Kind = iota // no credential: the free plan, by client address
	APIKey                // X-API-Key: a configured key or a user's stored key
	User                  // a user's access token (JWT)
	Service               // a service account's token (JWT with kind "service")
)

// String is the kind as logged ("auth" in the access log).
func (k Kind) String() string {
	switch k {
	case APIKey:
		return "api_key"
	case User:
		return "jwt"
	case Service:
		return "service"
	}
	return "anonymous"
}

// Identity is who a request is served and rate limited as.
type Identity struct {
	Kind    Kind
	Subject string // user id, service id, API key id, or client address
	Plan    string
	// Key is the rate-limit bucket: one per user (a user's tokens and stored
	// API keys share it), service, configured API key or client address.
	Key string
	// UserID is the account behind the credential: the user of a token or
	// stored API key, the owner of a service. Empty for configured API keys
	// and anonymous callers.
	UserID string
	// Scopes are a service token's permissions.
	Scopes []string
}

// AnonymousFrom is the identity of a caller without a credential.
func AnonymousFrom(ip string) Identity {
	return Identity{Kind: Anonymous, Subject: ip, Plan: "free", Key: "ip:" + ip}
}
