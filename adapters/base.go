package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// provider is the part of an adapter that every provider shares, made from
// its registered Info and the Config it is built with: the registry name,
// the resolved base URL, the HTTP client, the clock and the credential
// binding. Adapters embed it, so a provider's file holds only its
// endpoints, its payload types and the pure functions that turn payloads
// into offers.
type provider struct {
	name string
	base string // the resolved base URL, without a trailing slash
	cfg  Config // the key, the clock and the regions
	// needsKey and sendKey bind the credential: whether the provider is
	// called at all without one, and where a configured key goes.
	needsKey bool
	sendKey  keyScheme
	cl       *client
}

func newProvider(info Info, cfg Config) provider {
	return provider{
		name:     info.Name,
		base:     strings.TrimRight(cfg.baseURL(info.DefaultBaseURL), "/"),
		cfg:      cfg,
		needsKey: info.NeedsKey,
		sendKey:  info.sendKey,
		cl:       newClient(info.Name, cfg),
	}
}

// Name is the provider's registry name.
func (p *provider) Name() string { return p.name }

// keyScheme is where a provider takes its key. The zero value sends none:
// for keyless APIs, and for Verda, which sends a token it obtains with it.
type keyScheme struct {
	header string // the header that carries the key, spelled as documented
	prefix string // what precedes the key in that header, e.g. "Bearer "
	query  string // or the query parameter that carries it
}

// bearer is the scheme most providers document.
var bearer = keyScheme{header: "Authorization", prefix: "Bearer "}

// attach puts key into c. The header is set as spelled, not canonicalized
// (Hyperstack documents "api_key"), on a copy, so a header map the caller
// reuses never holds a key.
func (s keyScheme) attach(c *call, key shared.Secret) error {
	switch {
	case s.header != "":
		h := c.header.Clone()
		if h == nil {
			h = http.Header{}
		}
		h[s.header] = []string{s.prefix + key.Reveal()}
		c.header = h
	case s.query != "":
		u, err := url.Parse(c.url)
		if err != nil {
			return errors.New("invalid request URL")
		}
		q := u.Query()
		q.Set(s.query, key.Reveal())
		u.RawQuery = q.Encode()
		c.url = u.String()
	}
	return nil
}

// send performs c with the configured key attached and decodes the JSON
// answer into out. A provider that needs a key is not called without one:
// it could only refuse.
func (p *provider) send(ctx context.Context, c call, out any) error {
	if p.cfg.APIKey.IsZero() {
		if p.needsKey {
			return &Error{Provider: p.name, Kind: shared.ErrKindAuth, Err: errors.New(reasonNoKey), reason: reasonNoKey}
		}
	} else if err := p.sendKey.attach(&c, p.cfg.APIKey); err != nil {
		// The URL may hold the key by now; redactURL in wrap drops it.
		return p.cl.wrap(shared.ErrKindInternal, 0, c.url, err)
	}
	return p.cl.doJSON(ctx, c, out)
}

// get requests path (with its query, if any) under the base URL.
func (p *provider) get(ctx context.Context, path string, out any) error {
	return p.send(ctx, call{method: http.MethodGet, url: p.base + path}, out)
}

// post sends body as JSON to path under the base URL.
func (p *provider) post(ctx context.Context, path string, body any, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return p.errorf(shared.ErrKindInternal, "encoding the request to %s: %v", path, err)
	}
	return p.send(ctx, call{method: http.MethodPost, url: p.base + path, body: b}, out)
}

// errorf is an *Error of this provider.
func (p *provider) errorf(kind, format string, args ...any) *Error {
	return errorf(p.name, kind, format, args...)
}

// fetchOne is the whole fetch of a provider that lists every offer in one
// answer: a GET of path, or a POST of body as JSON when there is one, its
// answer decoded as R and parsed with path, less its query, as the
// offers' source.
func fetchOne[R any](ctx context.Context, p *provider, path string, body any, parse func(R, origin) ([]shared.Offer, error)) ([]shared.Offer, error) {
	var resp R
	var err error
	if body == nil {
		err = p.get(ctx, path, &resp)
	} else {
		err = p.post(ctx, path, body, &resp)
	}
	if err != nil {
		return nil, err
	}
	source, _, _ := strings.Cut(path, "?")
	return parse(resp, p.origin(source))
}

// origin is what every offer of one fetch shares: the provider, the time
// of the fetch and the URL the offers were read from. Parse functions take
// one, so they stay pure (tests hand them payloads) and name the provider
// without spelling it.
type origin struct {
	provider string
	now      time.Time
	source   string
}

// origin is that of offers read from path under the base URL, now.
func (p *provider) origin(path string) origin {
	return origin{provider: p.name, now: p.cfg.now(), source: p.base + path}
}

// under is the origin of one of several endpoints below the source.
func (at origin) under(path string) origin {
	at.source += path
	return at
}

// stamp sets o's provider, fetch time and source.
func (at origin) stamp(o shared.Offer) shared.Offer {
	o.Provider, o.FetchedAt, o.Source = at.provider, at.now, at.source
	return o
}

// id is the provider's offer id made of parts.
func (at origin) id(parts ...string) string { return shared.OfferID(at.provider, parts...) }

// fail is the error of an answer that gives no offers although it should,
// which means the provider changed its format: upstream, not an empty
// market.
func (at origin) fail(format string, args ...any) error {
	return errorf(at.provider, shared.ErrKindUpstream, format, args...)
}
