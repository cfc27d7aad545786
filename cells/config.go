package cells

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/adapters/simulator"
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
	AccessLog       bool
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
		AccessLog:       true,
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

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
