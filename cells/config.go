package cells

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/adapters/simulator"
	"github.com/gpubroker/gpubroker/edge"
	"github.com/gpubroker/gpubroker/edge/accounts"
	"github.com/gpubroker/gpubroker/shared"
)

// Config is everything a cell's roles are configured with. FromEnv fills it
// from the environment; cmd/gpubroker lets flags override it.
type Config struct {
	Cell       string
	HTTPAddr   string
	NATSURL    string // empty: run an embedded NATS server
	NATSListen string // embedded server's client listener; empty: in-process only
	Providers  []string

	Simulator     bool   // run the provider simulator and point adapters at it
	SimulatorAddr string // its listen address
	SimulatorURL  string // an external simulator to point adapters at
	SimSeed       uint64
	SimStepEvery  time.Duration
	SimFaults     map[string]simulator.Fault

	BaseURLs map[string]string        // per-provider base URL overrides
	APIKeys  map[string]shared.Secret // per-provider credentials

	RequestTimeout  time.Duration
	ProviderTimeout time.Duration
	FetchTimeout    time.Duration
	DrainTimeout    time.Duration
	MaxBodyBytes    int
	MaxWaiting      int
	AccessLog       bool

	// RedisURL enables the shared L1 cache and the shared rate-limit
	// budget; empty keeps both in-process.
	RedisURL      string
	CacheDisabled bool
	PricingTTL    time.Duration
	StaticTTL     time.Duration
	StaleFor      time.Duration

	PlanLimits     map[string]int
	ClientKeys     []edge.APIKey // API keys of gateway clients (not provider credentials)
	JWTPublicKey   ed25519.PublicKey
	JWTIssuer      string
	TrustedProxies []netip.Prefix

	// VaultAddr and VaultToken switch provider credentials (and users'
	// integrations) to Vault/OpenBao KV v2; without them keys come from
	// the environment and integrations live in memory.
	VaultAddr   string
	VaultToken  shared.Secret
	VaultMount  string
	VaultPrefix string

	// DatabaseURL selects PostgreSQL; empty keeps accounts and price
	// history in the embedded store under DataDir.
	DatabaseURL string
	DataDir     string
	// JWTPrivateKey signs access tokens; nil loads or creates one in DataDir.
	JWTPrivateKey ed25519.PrivateKey
	// Development allows http:// webhook URLs.
	Development bool
	// SyncInterval is how often the data-sync job records offers and price
	// history (default 1 h; 0 disables it in this process).
	SyncInterval time.Duration

	ProbeInterval   time.Duration
	BreakerOpenFor  time.Duration
	WorkerQueueSize int
	// WorkerConcurrency caps the requests one worker answers at once
	// (the per-provider concurrency cap of each replica).
	WorkerConcurrency int
	// MetricsAddr serves /metrics and /healthz for processes without an
	// edge (the worker role); empty serves none.
	MetricsAddr string
}

// Defaults returns the embedded defaults: a cell named "local" on :8080 with
// every registered provider served by the simulator.
func Defaults() Config {
	return Config{
		Cell:            "local",
		HTTPAddr:        ":8080",
		Providers:       adapters.Names(),
		Simulator:       true,
		SimulatorAddr:   "127.0.0.1:0",
		SimSeed:         1,
		SimStepEvery:    15 * time.Second,
		BaseURLs:        map[string]string{},
		APIKeys:         map[string]shared.Secret{},
		RequestTimeout:  5 * time.Second,
		ProviderTimeout: 4500 * time.Millisecond,
		FetchTimeout:    4500 * time.Millisecond,
		DrainTimeout:    10 * time.Second,
		MaxBodyBytes:    1 << 20,
		MaxWaiting:      1024,
		AccessLog:       true,
		PricingTTL:      60 * time.Second,
		StaticTTL:       300 * time.Second,
		StaleFor:        time.Hour,
		PlanLimits:      map[string]int{"free": 10, "pro": 100, "enterprise": 1000},
		JWTIssuer:       "gpubroker",
		ProbeInterval:   30 * time.Second,
		DataDir:         ".gpubroker",
		SyncInterval:    time.Hour,
		BreakerOpenFor:  30 * time.Second,
	}
}

// envName turns a provider name into its environment variable stem.
func envName(provider string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_").Replace(provider))
}

// FromEnv applies environment variables on top of Defaults.
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	c := Defaults()
	var errs []string
	str := func(k string, dst *string) {
		if v, ok := lookup(k); ok {
			*dst = strings.TrimSpace(v)
		}
	}
	dur := func(k string, dst *time.Duration) {
		if v, ok := lookup(k); ok {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil || d < 0 {
				errs = append(errs, k+": not a duration")
				return
			}
			*dst = d
		}
	}
	boolean := func(k string, dst *bool) {
		if v, ok := lookup(k); ok {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, k+": not a boolean")
				return
			}
			*dst = b
		}
	}
	str("GPUBROKER_CELL", &c.Cell)
	str("GPUBROKER_HTTP_ADDR", &c.HTTPAddr)
	str("GPUBROKER_METRICS_ADDR", &c.MetricsAddr)
	str("NATS_URL", &c.NATSURL)
	str("GPUBROKER_NATS_LISTEN", &c.NATSListen)
	if v, ok := lookup("GPUBROKER_PROVIDERS"); ok && strings.TrimSpace(v) != "" {
		c.Providers = splitList(v)
	}
	boolean("GPUBROKER_SIMULATOR", &c.Simulator)
	str("GPUBROKER_SIMULATOR_ADDR", &c.SimulatorAddr)
	str("GPUBROKER_SIMULATOR_URL", &c.SimulatorURL)
	if v, ok := lookup("GPUBROKER_SIM_SEED"); ok {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			errs = append(errs, "GPUBROKER_SIM_SEED: not an unsigned integer")
		}
		c.SimSeed = n
	}
	dur("GPUBROKER_SIM_STEP", &c.SimStepEvery)
	if v, ok := lookup("GPUBROKER_SIM_FAULTS"); ok && strings.TrimSpace(v) != "" {
		if err := json.Unmarshal([]byte(v), &c.SimFaults); err != nil {
			errs = append(errs, "GPUBROKER_SIM_FAULTS: "+err.Error())
		}
	}
	dur("GPUBROKER_REQUEST_TIMEOUT", &c.RequestTimeout)
	dur("GPUBROKER_PROVIDER_TIMEOUT", &c.ProviderTimeout)
	dur("GPUBROKER_FETCH_TIMEOUT", &c.FetchTimeout)
	dur("GPUBROKER_DRAIN_TIMEOUT", &c.DrainTimeout)
	if v, ok := lookup("GPUBROKER_MAX_BODY_BYTES"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			errs = append(errs, "GPUBROKER_MAX_BODY_BYTES: not a positive integer")
		}
		c.MaxBodyBytes = n
	}
	boolean("GPUBROKER_ACCESS_LOG", &c.AccessLog)
	str("REDIS_URL", &c.RedisURL)
	if v, ok := lookup("GPUBROKER_CACHE"); ok {
		switch strings.TrimSpace(v) {
		case "on", "":
		case "off":
			c.CacheDisabled = true
		default:
			errs = append(errs, "GPUBROKER_CACHE: on or off")
		}
	}
	dur("GPUBROKER_CACHE_TTL_PRICING", &c.PricingTTL)
	dur("GPUBROKER_CACHE_TTL_STATIC", &c.StaticTTL)
	dur("GPUBROKER_CACHE_STALE_FOR", &c.StaleFor)
	dur("GPUBROKER_PROBE_INTERVAL", &c.ProbeInterval)
	dur("GPUBROKER_BREAKER_OPEN_FOR", &c.BreakerOpenFor)
	for k, dst := range map[string]*int{"GPUBROKER_MAX_WAITING": &c.MaxWaiting, "GPUBROKER_WORKER_QUEUE": &c.WorkerQueueSize,
		"GPUBROKER_WORKER_CONCURRENCY": &c.WorkerConcurrency} {
		if v, ok := lookup(k); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n <= 0 {
				errs = append(errs, k+": not a positive integer")
			}
			*dst = n
		}
	}
	if v, ok := lookup("GPUBROKER_PLAN_LIMITS"); ok && strings.TrimSpace(v) != "" {
		limits, err := parsePlanLimits(v)
		if err != nil {
			errs = append(errs, "GPUBROKER_PLAN_LIMITS: "+err.Error())
		}
		c.PlanLimits = limits
	}
	if v, ok := lookup("GPUBROKER_API_KEYS"); ok && strings.TrimSpace(v) != "" {
		keys, err := parseAPIKeys(v, c.PlanLimits)
		if err != nil {
			errs = append(errs, "GPUBROKER_API_KEYS: "+err.Error())
		}
		c.ClientKeys = keys
	}
	if v, ok := lookup("GPUBROKER_JWT_PUBLIC_KEY"); ok && strings.TrimSpace(v) != "" {
		k, err := edge.ParseEd25519PublicKey([]byte(v))
		if err != nil {
			errs = append(errs, "GPUBROKER_JWT_PUBLIC_KEY: "+err.Error())
		}
		c.JWTPublicKey = k
	}
	str("GPUBROKER_JWT_ISSUER", &c.JWTIssuer)
	if v, ok := lookup("GPUBROKER_FX_RATES"); ok && strings.TrimSpace(v) != "" {
		rates := map[string]float64{}
		for _, part := range splitList(v) {
			cur, r, ok := strings.Cut(part, "=")
			f, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
			if !ok || err != nil {
				errs = append(errs, "GPUBROKER_FX_RATES: "+part+" is not CUR=usd_per_unit")
				continue
			}
			rates[strings.TrimSpace(cur)] = f
		}
		if err := shared.SetUSDRates(rates); err != nil {
			errs = append(errs, "GPUBROKER_FX_RATES: "+err.Error())
		}
	}
	str("DATABASE_URL", &c.DatabaseURL)
	str("GPUBROKER_DATA_DIR", &c.DataDir)
	boolean("GPUBROKER_DEVELOPMENT", &c.Development)
	dur("GPUBROKER_SYNC_INTERVAL", &c.SyncInterval)
	if v, ok := lookup("GPUBROKER_JWT_PRIVATE_KEY"); ok && strings.TrimSpace(v) != "" {
		k, err := accounts.ParsePrivateKey([]byte(v))
		if err != nil {
			errs = append(errs, "GPUBROKER_JWT_PRIVATE_KEY: "+err.Error())
		}
		c.JWTPrivateKey = k
	}
	str("VAULT_ADDR", &c.VaultAddr)
	if v, ok := lookup("VAULT_TOKEN"); ok && strings.TrimSpace(v) != "" {
		c.VaultToken = shared.NewSecret(strings.TrimSpace(v))
	}
	str("GPUBROKER_VAULT_MOUNT", &c.VaultMount)
	str("GPUBROKER_VAULT_PREFIX", &c.VaultPrefix)
	if v, ok := lookup("GPUBROKER_TRUSTED_PROXIES"); ok {
		p, err := edge.ParseCIDRs(v)
		if err != nil {
			errs = append(errs, "GPUBROKER_TRUSTED_PROXIES: "+err.Error())
		}
		c.TrustedProxies = p
	}
	for _, info := range adapters.All() {
		stem := envName(info.Name)
		if v, ok := lookup("GPUBROKER_" + stem + "_BASE_URL"); ok && v != "" {
			c.BaseURLs[info.Name] = strings.TrimSpace(v)
		}
		for _, k := range []string{"GPUBROKER_" + stem + "_API_KEY", info.KeyEnv} {
			if k == "" {
				continue
			}
			if v, ok := lookup(k); ok && v != "" {
				c.APIKeys[info.Name] = shared.NewSecret(strings.TrimSpace(v))
				break
			}
		}
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, c.Validate()
}

// Validate checks names and durations.
func (c Config) Validate() error {
	if !shared.ValidName(c.Cell) {
		return fmt.Errorf("cell name %q must be lower-case letters, digits, '-' or '_'", c.Cell)
	}
	if len(c.Providers) == 0 {
		return fmt.Errorf("no providers configured")
	}
	for _, p := range c.Providers {
		if _, ok := adapters.Lookup(p); !ok {
			return fmt.Errorf("unknown provider %q (known: %s)", p, strings.Join(adapters.Names(), ", "))
		}
	}
	if c.RequestTimeout <= 0 || c.ProviderTimeout <= 0 || c.FetchTimeout <= 0 {
		return fmt.Errorf("timeouts must be positive")
	}
	return nil
}

// parsePlanLimits reads "free=10,pro=100,enterprise=1000[,name=n...]".
func parsePlanLimits(s string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range splitList(s) {
		name, n, ok := strings.Cut(part, "=")
		limit, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err != nil || limit <= 0 || !shared.ValidName(strings.TrimSpace(name)) {
			return nil, fmt.Errorf("%q is not plan=requests_per_second", part)
		}
		out[strings.TrimSpace(name)] = limit
	}
	if _, ok := out["free"]; !ok {
		return nil, errors.New("the free plan (anonymous callers) needs a limit")
	}
	return out, nil
}

// parseAPIKeys reads "id:plan:secret,...". Secrets are hashed at once and
// never kept or printed.
func parseAPIKeys(s string, plans map[string]int) ([]edge.APIKey, error) {
	var out []edge.APIKey
	for i, part := range splitList(s) {
		fields := strings.SplitN(part, ":", 3)
		if len(fields) != 3 || fields[0] == "" || len(fields[2]) < 8 {
			return nil, fmt.Errorf("entry %d is not id:plan:secret (secret at least 8 characters)", i+1)
		}
		if _, ok := plans[fields[1]]; !ok {
			return nil, fmt.Errorf("entry %d (%s): unknown plan %q", i+1, fields[0], fields[1])
		}
		out = append(out, edge.NewAPIKey(fields[0], fields[1], fields[2]))
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
