package httpx

// Route is one endpoint a feature package serves. Feature packages list
// theirs (a Routes method) and the core assembles one table from them, so
// adding an endpoint touches its feature package and the OpenAPI document
// only.
type Route struct {
	Method string // GET also answers HEAD
	// Path is the route's path as the OpenAPI document writes it: literal
	// segments and {name} segments, each matching one non-empty segment
	// that Params[name] accepts. A literal path always wins over a pattern.
	Path   string
	Params map[string]func(string) bool
	// Name labels the route in metrics and the access log; routes sharing a
	// path share their name.
	Name string
	// Scope is what a service token needs to use the route (accounts'
	// Scope* values, or ScopeUserOnly); "" opens it to every caller.
	Scope string
	// QueryToken lets a caller that cannot set headers (a browser's
	// WebSocket, EventSource) pass its credential as ?token=: a JWT (as
	// Authorization: Bearer) or an API key (as X-API-Key). Headers win.
	QueryToken bool
	// Ops marks probe and scrape endpoints: limited by client address on a
	// budget of their own, without any credential lookup.
	Ops bool
	// Handler answers the request; Stream instead takes it over for a
	// long-lived answer (SSE, WebSocket). Exactly one is set.
	Handler func(*Request)
	Stream  func(*Request, *Stream)
}

// ScopeUserOnly marks routes no scope opens to service tokens: managing
// credentials is for people, so a leaked token cannot mint successors.
const ScopeUserOnly = "user"
