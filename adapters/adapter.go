package adapters

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// Adapter fetches a provider's current offers.
type Adapter interface {
	// Name is the provider's registry name, e.g. "vastai".
	Name() string
	// Fetch returns every offer the provider currently lists. It honours
	// ctx's deadline and returns an *Error describing what went wrong.
	Fetch(ctx context.Context) ([]shared.Offer, error)
}

// Config is what every adapter is built from.
type Config struct {
	// BaseURL replaces the provider's production base URL, e.g. the
	// simulator's http://127.0.0.1:8090/vastai.
	BaseURL string
	// APIKey is the provider credential, when it needs one.
	APIKey shared.Secret
	// HTTP is the client used for upstream calls; nil means a default
	// client with sane timeouts.
	HTTP *http.Client
	// Now stamps FetchedAt; nil means time.Now.
	Now func() time.Time
	// Regions limits region-by-region providers (AWS, Azure) to these
	// provider region codes; empty means the adapter's default set.
	Regions []string
}

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c Config) baseURL(def string) string {
	if c.BaseURL != "" {
		return c.BaseURL
	}
	return def
}

// Info describes a registered provider.
type Info struct {
	Name           string `json:"name"`
	DisplayName    string `json:"display_name"`
	DefaultBaseURL string `json:"default_base_url"`
	DocsURL        string `json:"docs_url"`
	// NeedsKey is true when the provider's price API requires a credential.
	NeedsKey bool `json:"needs_key"`
	// KeyEnv is the environment variable the embedded default reads the
	// credential from.
	KeyEnv string `json:"key_env,omitempty"`
	// New builds the adapter; register sets it.
	New func(Config) Adapter `json:"-"`

	// sendKey is where the provider takes a configured key.
	sendKey keyScheme
}

var (
	regMu    sync.RWMutex
	registry = map[string]Info{}
)

// register is called from each provider file's init with the provider's
// Info and the constructor New calls.
func register[A Adapter](info Info, build func(Config) A) {
	info.New = func(c Config) Adapter { return build(c) }
	regMu.Lock()
	defer regMu.Unlock()
	if !shared.ValidName(info.Name) {
		panic(fmt.Sprintf("adapters: invalid provider name %q", info.Name))
	}
	if _, dup := registry[info.Name]; dup {
		panic("adapters: duplicate provider " + info.Name)
	}
	registry[info.Name] = info
}

// All returns every registered provider, sorted by name.
func All() []Info {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]Info, 0, len(registry))
	for _, i := range registry {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Names returns every registered provider name, sorted.
func Names() []string {
	all := All()
	out := make([]string, len(all))
	for i, a := range all {
		out[i] = a.Name
	}
	return out
}

// Lookup finds a provider by name.
func Lookup(name string) (Info, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	i, ok := registry[name]
	return i, ok
}

// New builds the named provider's adapter.
func New(name string, cfg Config) (Adapter, error) {
	info, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown provider %q", name)
	}
	return info.New(cfg), nil
}
