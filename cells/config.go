package cells

import (
	"crypto/ed25519"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/adapters/simulator"
	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/gpubroker/gpubroker/edge/stream"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/webhooks"
)

// Who schedules a cell's jobs (Config.Orchestrator).
const (
	OrchestratorEmbedded = "embedded"
	OrchestratorAirflow  = "airflow"
)

// Where a cell's stream analytics run (Config.Analytics).
const (
	AnalyticsEmbedded = "embedded"
	AnalyticsFlink    = "flink"
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
	APIKeys  map[string]shared.Secret // the gateway's own provider keys
	// FXRates are USD per unit of currencies providers quote in (on top of
	// shared's reference rates); applied when the cell starts.
	FXRates map[string]float64

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

	PlanLimits map[string]int
	// StreamLimits are each plan's open WebSocket/SSE streams per identity
	// and channels per WebSocket (nil: stream.DefaultLimits).
	StreamLimits   map[string]stream.Limits
	ClientKeys     []identity.APIKey // API keys of gateway clients (not provider keys)
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
	// Development allows http:// webhook URLs and deliveries to loopback
	// receivers.
	Development bool
	// WebhookResolver resolves webhook hosts at registration and
	// WebhookSender makes delivery attempts; nil: DNS and a sender that
	// refuses private destinations. Tests set both, their receivers
	// listening on loopback.
	WebhookResolver accounts.Resolver
	WebhookSender   webhooks.Sender
	// SyncInterval is how often the data-sync job records offers and price
	// history (default 1 h; 0 disables it in this process).
	SyncInterval time.Duration

	ProbeInterval time.Duration
	// HeartbeatInterval is how often each worker replica publishes its
	// status (default 5 s); three silent intervals make it count as gone.
	HeartbeatInterval time.Duration
	BreakerOpenFor    time.Duration
	WorkerQueueSize   int
	// WorkerConcurrency caps the requests one worker answers at once
	// (the per-provider concurrency cap of each replica).
	WorkerConcurrency int
	// MetricsAddr serves /metrics and /healthz for processes without an
	// edge (the worker role); empty serves none.
	MetricsAddr string

	// Events bounds the cell's JetStream event stream (Cell is filled in).
	Events eventbus.StreamConfig
	// KafkaBrokers ("host:port,...", KAFKA_BROKERS) runs the bridge to
	// Kafka in this process; empty keeps events in JetStream only. A value
	// that does not parse is logged and the cell runs without the bridge.
	KafkaBrokers      string
	KafkaPartitions   int
	KafkaReplication  int
	KafkaFlushBytes   int
	KafkaFlushRecords int
	KafkaFlushEvery   time.Duration
	// Orchestrator says who schedules the cell's jobs: OrchestratorEmbedded
	// (default: each edge warms its cache every CacheWarmEvery, the sync
	// role syncs every SyncInterval, its deliverer delivers webhooks from
	// the stream) or OrchestratorAirflow (the DAGs of airflow/ call
	// /api/v2/jobs/...; those three stand down).
	Orchestrator string
	// AirflowURL, when set, is the Airflow API server /health asks for
	// its components and the DAGs' last successful runs; AirflowToken
	// authenticates (Bearer) where its auth manager needs it.
	AirflowURL   string
	AirflowToken shared.Secret
	// CacheWarmEvery is how often an edge warms its cache with every
	// provider's offers when the orchestrator is embedded (default 5 min).
	CacheWarmEvery time.Duration
	// Analytics says where the cell's stream analytics run: AnalyticsEmbedded
	// (default: the Go detectors in the sync role) or AnalyticsFlink (the
	// Flink jobs of flink/, their results arriving through the bridge).
	Analytics string
	// FlinkRESTURL, when set, is the Flink REST endpoint /health asks
	// which jobs run ("http://flink-jobmanager:8081").
	FlinkRESTURL string
	// BridgeLeaseTTL is how long the cell's bridge lease outlives its
	// holder's last renewal (default 10 s; see bridge.LeaseBucket).
	BridgeLeaseTTL time.Duration
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
		CacheWarmEvery:  5 * time.Minute,
		BreakerOpenFor:  30 * time.Second,
	}
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
