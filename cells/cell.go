package cells

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/adapters"
	"github.com/gpubroker/gpubroker/adapters/simulator"
	"github.com/gpubroker/gpubroker/analytics"
	"github.com/gpubroker/gpubroker/bridge"
	"github.com/gpubroker/gpubroker/credentials"
	"github.com/gpubroker/gpubroker/edge"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/feed"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/workers"
	"github.com/gpubroker/gpubroker/workers/breaker"
	"github.com/gpubroker/gpubroker/workers/client"
)

// Cell is a running set of roles. Stop shuts them down in dependency
// order: the edge stops accepting and drains, then workers leave their
// queue groups, then connections, the simulator and NATS close.
type Cell struct {
	cfg         Config
	log         *slog.Logger
	Metrics     *metrics.Set
	ns          *server.Server
	nc          *nats.Conn
	sim         *simulator.Simulator
	simURL      string
	workers     []*workers.Worker
	edge        *edge.Server
	httpAddr    string
	metricsAddr string
	keys        credentials.Store   // provider keys (Vault or the environment)
	offers      *client.NATS        // the workers' client, shared by the edge and the sync job
	db          store.Store         // accounts, owned resources, price history
	bus         *eventbus.JetStream // the cell's event stream; nil until a producer needs it
	bridge      *bridge.Bridge      // nil: no Kafka bridge in this process
	// analytics is the embedded analytics runner (none in this process:
	// nil); set after the edge serves, so atomic.
	analytics atomic.Pointer[analytics.Runner]
	hub       atomic.Pointer[feed.Hub]      // the edge's live view; nil without an edge
	stops     []func(context.Context) error // run in reverse order
	done      chan error
	cancel    context.CancelFunc
}

// Roles selects what Start runs.
type Roles struct {
	Edge, Workers, Simulator bool
	// Sync runs the data-sync job (on SyncInterval and on demand through
	// shared.SyncSubject) in this process; it needs the store.
	Sync bool
	// Bridge carries events between the cell's stream and Kafka
	// (cfg.KafkaBrokers); a whole cell runs it when KAFKA_BROKERS is set.
	Bridge bool
}

// AllRoles runs a whole cell in one process; the bridge joins when
// KAFKA_BROKERS is set.
var AllRoles = Roles{Edge: true, Workers: true, Simulator: true, Sync: true}

// Start brings up the selected roles. With Simulator set and cfg.Simulator
// true, adapters point at the in-process simulator.
func Start(cfg Config, roles Roles, log *slog.Logger) (c *Cell, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Rates are process-wide (adapters convert with them); validated when
	// parsed, applied all at once here.
	if err := shared.SetUSDRates(cfg.FXRates); err != nil {
		return nil, fmt.Errorf("currency rates: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c = &Cell{cfg: cfg, log: log.With("cell", cfg.Cell), Metrics: metrics.NewSet(), done: make(chan error, 4), cancel: cancel}
	defer func() {
		if err != nil {
			_ = c.Stop(context.Background())
		}
	}()
	if roles.Simulator && cfg.Simulator {
		if err := c.startSimulator(ctx); err != nil {
			return c, err
		}
	}
	if roles.Edge || roles.Workers || roles.Sync || roles.Bridge {
		if err := c.startNATS(); err != nil {
			return c, err
		}
	}
	if roles.Bridge {
		if err := c.startBridge(); err != nil {
			return c, err
		}
	}
	if roles.Workers {
		if err := c.startWorkers(); err != nil {
			return c, err
		}
	}
	if roles.Edge {
		if err := c.startEdge(ctx); err != nil {
			return c, err
		}
	}
	if roles.Sync {
		if err := c.startSync(ctx); err != nil {
			return c, err
		}
	}
	if !roles.Edge && (roles.Workers || roles.Sync || roles.Bridge) && cfg.MetricsAddr != "" {
		if err := c.startMetrics(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// HTTPAddr is the edge's bound address (useful with port 0).
func (c *Cell) HTTPAddr() string { return c.httpAddr }

// NATSURL is the URL other processes can join this cell's NATS at: the
// external server, or the embedded one when it listens on TCP.
func (c *Cell) NATSURL() string {
	if c.cfg.NATSURL != "" {
		return c.cfg.NATSURL
	}
	if c.ns != nil && c.cfg.NATSListen != "" {
		return c.ns.ClientURL()
	}
	return ""
}

// SimulatorURL is the simulator's base URL, when one runs in this process.
func (c *Cell) SimulatorURL() string { return c.simURL }

// Simulator returns the in-process simulator, or nil.
func (c *Cell) Simulator() *simulator.Simulator { return c.sim }

// Done delivers the first error of a role that stopped on its own.
func (c *Cell) Done() <-chan error { return c.done }

// Stop shuts everything down, waiting at most until ctx ends.
func (c *Cell) Stop(ctx context.Context) error {
	var errs []error
	for i := len(c.stops) - 1; i >= 0; i-- {
		if err := c.stops[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	c.stops = nil
	c.cancel()
	return errors.Join(errs...)
}

func (c *Cell) startSimulator(ctx context.Context) error {
	sim, err := simulator.New(simulator.Config{Seed: c.cfg.SimSeed, StepEvery: c.cfg.SimStepEvery, Faults: c.cfg.SimFaults, Providers: c.simProviders()})
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", c.cfg.SimulatorAddr)
	if err != nil {
		return fmt.Errorf("simulator listen %s: %w", c.cfg.SimulatorAddr, err)
	}
	c.sim, c.simURL = sim, "http://"+l.Addr().String()
	sctx, scancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- sim.Serve(sctx, l) }()
	c.stops = append(c.stops, func(context.Context) error { scancel(); return <-served })
	c.log.Info("provider simulator listening", "url", c.simURL, "providers", strings.Join(sim.Names(), ","))
	return nil
}

// simProviders are the configured providers the simulator can speak for.
func (c *Cell) simProviders() []string {
	var out []string
	for _, p := range c.cfg.Providers {
		for _, s := range simulator.Providers() {
			if s == p {
				out = append(out, p)
			}
		}
	}
	return out
}

func (c *Cell) startNATS() error {
	if c.cfg.NATSURL == "" {
		ns, err := startEmbeddedNATS(c.cfg.NATSListen, filepath.Join(c.cfg.DataDir, "nats"), c.log)
		if err != nil {
			return err
		}
		c.ns = ns
		c.stops = append(c.stops, func(context.Context) error { ns.Shutdown(); ns.WaitForShutdown(); return nil })
	}
	nc, err := connect(c.cfg.NATSURL, c.ns, "gpubroker-"+c.cfg.Cell, c.log)
	if err != nil {
		return err
	}
	c.nc = nc
	c.stops = append(c.stops, func(context.Context) error {
		if err := nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			nc.Close()
		}
		return nil
	})
	return nil
}

// adapterConfig points a provider at the simulator unless a base URL was
// configured for it; simulator runs get a placeholder key where one is needed.
func (c *Cell) adapterConfig(provider string) adapters.Config {
	ac := adapters.Config{BaseURL: c.cfg.BaseURLs[provider], APIKey: c.cfg.APIKeys[provider]}
	simBase := c.simURL
	if simBase == "" {
		simBase = strings.TrimRight(c.cfg.SimulatorURL, "/")
	}
	if ac.BaseURL == "" && simBase != "" {
		ac.BaseURL = simBase + "/" + provider
		if ac.APIKey.IsZero() {
			ac.APIKey = shared.NewSecret("simulator-key")
		}
	}
	return ac
}

// providerKeys is the provider-key store: Vault when configured, else the
// environment. One per process, shared by workers and the edge.
func (c *Cell) providerKeys() (credentials.Store, error) {
	if c.keys != nil {
		return c.keys, nil
	}
	if c.cfg.VaultAddr == "" {
		c.keys = credentials.NewEnv(c.cfg.APIKeys)
		return c.keys, nil
	}
	v, err := credentials.NewVault(credentials.VaultConfig{Address: c.cfg.VaultAddr, Token: c.cfg.VaultToken,
		Mount: c.cfg.VaultMount, Prefix: c.cfg.VaultPrefix, Logger: c.log})
	if err != nil {
		return nil, err
	}
	c.stops = append(c.stops, func(context.Context) error { v.Close(); return nil })
	c.keys = v
	return v, nil
}

// offersClient is the client of the workers, made once per process: the
// edge and the sync job ask through the same one (and so share its view of
// the replicas' health).
func (c *Cell) offersClient() (*client.NATS, error) {
	if c.offers != nil {
		return c.offers, nil
	}
	src, err := client.NewNATS(c.nc, c.cfg.Cell)
	if err != nil {
		return nil, err
	}
	c.stops = append(c.stops, func(context.Context) error { return src.Close() })
	c.offers = src
	return src, nil
}

func (c *Cell) startWorkers() error {
	store, err := c.providerKeys()
	if err != nil {
		return err
	}
	bus, err := c.eventBus()
	if err != nil {
		return err
	}
	// The workers' own client: they await the stream's acks, so the bus's
	// async handlers must not see their publishes.
	stream, err := jetstream.New(c.nc)
	if err != nil {
		return fmt.Errorf("cell: jetstream client for the workers: %w", err)
	}
	for _, p := range c.cfg.Providers {
		ad, err := adapters.Bind(p, c.adapterConfig(p), store)
		if err != nil {
			return err
		}
		w, err := workers.New(workers.Config{Cell: c.cfg.Cell, Adapter: ad, Conn: c.nc, FetchTimeout: c.cfg.FetchTimeout,
			MaxQueue: c.cfg.WorkerQueueSize, MaxConcurrent: c.cfg.WorkerConcurrency, ProbeInterval: c.cfg.ProbeInterval,
			HeartbeatInterval: c.cfg.HeartbeatInterval,
			Breaker:           breaker.Config{OpenFor: c.cfg.BreakerOpenFor}, Events: bus, Stream: stream, Logger: c.log, Metrics: c.Metrics,
			Verify: func(ctx context.Context, owner string) error {
				return adapters.CheckUser(ctx, store, p, c.adapterConfig(p), owner)
			}})
		if err != nil {
			return err
		}
		if err := w.Start(); err != nil {
			return err
		}
		c.workers = append(c.workers, w)
		c.stops = append(c.stops, w.Stop)
	}
	// Make sure the server has the queue subscriptions before anyone asks.
	return c.nc.Flush()
}
