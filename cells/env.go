package cells

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/gpubroker/gpubroker/shared"
)

// FromEnv applies environment variables on top of Defaults. Every bad
// variable is reported, in the order the variables are read here, and
// nothing outside the returned Config changes.
func FromEnv(lookup func(string) (string, bool)) (Config, error) {
	c := Defaults()
	e := &envReader{lookup: lookup}
	for _, read := range []func(*envReader, *Config){readProcess, readProviders, readSimulator, readEdge, readCallers, readStores, readWorkers, readEvents} {
		read(e, &c)
	}
	if len(e.errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(e.errs, "; "))
	}
	return c, c.Validate()
}

// envReader reads typed variables, collecting errors in reading order.
type envReader struct {
	lookup func(string) (string, bool)
	errs   []string
}

func (e *envReader) fail(k, msg string) { e.errs = append(e.errs, k+": "+msg) }

// get is the trimmed value of a set, non-empty variable.
func (e *envReader) get(k string) (string, bool) {
	v, ok := e.lookup(k)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (e *envReader) str(k string, dst *string) {
	if v, ok := e.lookup(k); ok {
		*dst = strings.TrimSpace(v)
	}
}

func (e *envReader) dur(k string, dst *time.Duration) {
	if v, ok := e.lookup(k); ok {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < 0 {
			e.fail(k, "not a duration")
			return
		}
		*dst = d
	}
}

func (e *envReader) boolean(k string, dst *bool) {
	if v, ok := e.lookup(k); ok {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			e.fail(k, "not a boolean")
			return
		}
		*dst = b
	}
}

func (e *envReader) positive(k string, dst *int) {
	if v, ok := e.lookup(k); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			e.fail(k, "not a positive integer")
			return
		}
		*dst = n
	}
}

// readProcess: the cell's name and this process's listeners.
func readProcess(e *envReader, c *Config) {
	e.str("GPUBROKER_CELL", &c.Cell)
	e.str("GPUBROKER_HTTP_ADDR", &c.HTTPAddr)
	e.str("GPUBROKER_METRICS_ADDR", &c.MetricsAddr)
	e.str("NATS_URL", &c.NATSURL)
	e.str("GPUBROKER_NATS_LISTEN", &c.NATSListen)
	e.dur("GPUBROKER_DRAIN_TIMEOUT", &c.DrainTimeout)
}

// readProviders: which providers, where their APIs are, the gateway's own
// keys for them, and currency rates for those quoting other currencies.
func readProviders(e *envReader, c *Config) {
	if v, ok := e.get("GPUBROKER_PROVIDERS"); ok {
		c.Providers = splitList(v)
	}
	for _, info := range adapters.All() {
		stem := envName(info.Name)
		if v, ok := e.get("GPUBROKER_" + stem + "_BASE_URL"); ok {
			c.BaseURLs[info.Name] = v
		}
		for _, k := range []string{"GPUBROKER_" + stem + "_API_KEY", info.KeyEnv} {
			if v, ok := e.get(k); k != "" && ok {
				c.APIKeys[info.Name] = shared.NewSecret(v)
				break
			}
		}
	}
	if v, ok := e.get("GPUBROKER_FX_RATES"); ok {
		rates, err := shared.ParseUSDRates(v)
		if err != nil {
			e.fail("GPUBROKER_FX_RATES", err.Error())
		}
		c.FXRates = rates
	}
}

// envName turns a provider name into its environment variable stem.
func envName(provider string) string {
	return strings.ToUpper(strings.NewReplacer("-", "_").Replace(provider))
}

// readSimulator: the built-in provider simulator.
func readSimulator(e *envReader, c *Config) {
	e.boolean("GPUBROKER_SIMULATOR", &c.Simulator)
	e.str("GPUBROKER_SIMULATOR_ADDR", &c.SimulatorAddr)
	e.str("GPUBROKER_SIMULATOR_URL", &c.SimulatorURL)
	if v, ok := e.lookup("GPUBROKER_SIM_SEED"); ok {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			e.fail("GPUBROKER_SIM_SEED", "not an unsigned integer")
		}
		c.SimSeed = n
	}
	e.dur("GPUBROKER_SIM_STEP", &c.SimStepEvery)
	if v, ok := e.get("GPUBROKER_SIM_FAULTS"); ok {
		if err := json.Unmarshal([]byte(v), &c.SimFaults); err != nil {
			e.fail("GPUBROKER_SIM_FAULTS", err.Error())
		}
	}
}

// readEdge: time budgets, body size, logging and caches of the HTTP edge.
func readEdge(e *envReader, c *Config) {
	e.dur("GPUBROKER_REQUEST_TIMEOUT", &c.RequestTimeout)
	e.dur("GPUBROKER_PROVIDER_TIMEOUT", &c.ProviderTimeout)
	e.positive("GPUBROKER_MAX_BODY_BYTES", &c.MaxBodyBytes)
	e.positive("GPUBROKER_MAX_WAITING", &c.MaxWaiting)
	e.boolean("GPUBROKER_ACCESS_LOG", &c.AccessLog)
	if v, ok := e.lookup("GPUBROKER_CACHE"); ok {
		switch strings.TrimSpace(v) {
		case "on", "":
		case "off":
			c.CacheDisabled = true
		default:
			e.fail("GPUBROKER_CACHE", "on or off")
		}
	}
	e.dur("GPUBROKER_CACHE_TTL_PRICING", &c.PricingTTL)
	e.dur("GPUBROKER_CACHE_TTL_STATIC", &c.StaticTTL)
	e.dur("GPUBROKER_CACHE_STALE_FOR", &c.StaleFor)
}

// readCallers: plans and how the edge tells who calls.
func readCallers(e *envReader, c *Config) {
	if v, ok := e.get("GPUBROKER_STREAM_LIMITS"); ok {
		limits, err := parseStreamLimits(v)
		if err != nil {
			e.fail("GPUBROKER_STREAM_LIMITS", err.Error())
		}
		c.StreamLimits = limits
	}
	if v, ok := e.get("GPUBROKER_PLAN_LIMITS"); ok {
		limits, err := parsePlanLimits(v)
		if err != nil {
			e.fail("GPUBROKER_PLAN_LIMITS", err.Error())
		}
		c.PlanLimits = limits
	}
	if v, ok := e.get("GPUBROKER_API_KEYS"); ok {
		keys, err := parseAPIKeys(v, c.PlanLimits)
		if err != nil {
			e.fail("GPUBROKER_API_KEYS", err.Error())
		}
		c.ClientKeys = keys
	}
	if v, ok := e.get("GPUBROKER_JWT_PUBLIC_KEY"); ok {
		k, err := identity.ParseEd25519PublicKey([]byte(v))
		if err != nil {
			e.fail("GPUBROKER_JWT_PUBLIC_KEY", err.Error())
		}
		c.JWTPublicKey = k
	}
	e.str("GPUBROKER_JWT_ISSUER", &c.JWTIssuer)
	if v, ok := e.get("GPUBROKER_JWT_PRIVATE_KEY"); ok {
		k, err := accounts.ParsePrivateKey([]byte(v))
		if err != nil {
			e.fail("GPUBROKER_JWT_PRIVATE_KEY", err.Error())
		}
		c.JWTPrivateKey = k
	}
	if v, ok := e.lookup("GPUBROKER_TRUSTED_PROXIES"); ok {
		p, err := identity.ParseCIDRs(v)
		if err != nil {
			e.fail("GPUBROKER_TRUSTED_PROXIES", err.Error())
		}
		c.TrustedProxies = p
	}
}

// readStores: Redis, the account store, the provider-key store, the data
// directory and the data-sync job that writes the store.
func readStores(e *envReader, c *Config) {
	e.str("REDIS_URL", &c.RedisURL)
	e.str("DATABASE_URL", &c.DatabaseURL)
	e.str("GPUBROKER_DATA_DIR", &c.DataDir)
	e.boolean("GPUBROKER_DEVELOPMENT", &c.Development)
	e.dur("GPUBROKER_SYNC_INTERVAL", &c.SyncInterval)
	e.str("VAULT_ADDR", &c.VaultAddr)
	if v, ok := e.get("VAULT_TOKEN"); ok {
		c.VaultToken = shared.NewSecret(v)
	}
	e.str("GPUBROKER_VAULT_MOUNT", &c.VaultMount)
	e.str("GPUBROKER_VAULT_PREFIX", &c.VaultPrefix)
}

// readWorkers: the provider workers' timeouts, probes, breaker and queue.
func readWorkers(e *envReader, c *Config) {
	e.dur("GPUBROKER_FETCH_TIMEOUT", &c.FetchTimeout)
	e.dur("GPUBROKER_PROBE_INTERVAL", &c.ProbeInterval)
	e.dur("GPUBROKER_HEARTBEAT_INTERVAL", &c.HeartbeatInterval)
	e.dur("GPUBROKER_BREAKER_OPEN_FOR", &c.BreakerOpenFor)
	e.positive("GPUBROKER_WORKER_QUEUE", &c.WorkerQueueSize)
	e.positive("GPUBROKER_WORKER_CONCURRENCY", &c.WorkerConcurrency)
}

// readEvents: the JetStream stream's bounds and the bridge to Kafka.
func readEvents(e *envReader, c *Config) {
	if v, ok := e.get("GPUBROKER_EVENTS_MAX_BYTES"); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			e.fail("GPUBROKER_EVENTS_MAX_BYTES", "not a positive integer")
		} else {
			c.Events.MaxBytes = n
		}
	}
	e.dur("GPUBROKER_EVENTS_MAX_AGE", &c.Events.MaxAge)
	e.str("KAFKA_BROKERS", &c.KafkaBrokers)
	e.positive("KAFKA_PARTITIONS", &c.KafkaPartitions)
	e.positive("KAFKA_REPLICATION_FACTOR", &c.KafkaReplication)
	e.positive("KAFKA_FLUSH_BYTES", &c.KafkaFlushBytes)
	e.positive("KAFKA_FLUSH_MESSAGES", &c.KafkaFlushRecords)
	e.dur("KAFKA_FLUSH_FREQUENCY", &c.KafkaFlushEvery)
	e.dur("GPUBROKER_BRIDGE_LEASE_TTL", &c.BridgeLeaseTTL)
	if v, ok := e.get("GPUBROKER_ORCHESTRATOR"); ok {
		switch v {
		case OrchestratorEmbedded, OrchestratorAirflow:
			c.Orchestrator = v
		default:
			e.fail("GPUBROKER_ORCHESTRATOR", "want embedded or airflow")
		}
	}
	e.dur("GPUBROKER_CACHE_WARM_EVERY", &c.CacheWarmEvery)
	e.str("GPUBROKER_FLINK_REST_URL", &c.FlinkRESTURL)
	e.str("GPUBROKER_AIRFLOW_URL", &c.AirflowURL)
	if v, ok := e.get("GPUBROKER_AIRFLOW_TOKEN"); ok {
		c.AirflowToken = shared.NewSecret(v)
	}
	if v, ok := e.get("GPUBROKER_ANALYTICS"); ok {
		switch v {
		case AnalyticsEmbedded, AnalyticsFlink:
			c.Analytics = v
		default:
			e.fail("GPUBROKER_ANALYTICS", "want embedded or flink")
		}
	}
}
