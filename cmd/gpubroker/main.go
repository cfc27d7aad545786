// Command gpubroker runs the GPUBROKER gateway. One binary, several roles:
//
//	gpubroker cell        whole cell in one process (embedded NATS, simulator, workers, edge)
//	gpubroker edge        HTTP edge only, against NATS_URL
//	gpubroker worker      provider workers only, against NATS_URL
//	gpubroker simulator   provider API simulator only
//	gpubroker sync        the data-sync job only, against NATS_URL and the store
//	gpubroker bridge      the JetStream <-> Kafka bridge only, against NATS_URL and KAFKA_BROKERS
//
// Configuration comes from environment variables (see README); flags
// override them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gpubroker/gpubroker/cells"
	"github.com/gpubroker/gpubroker/internal/logboot" // imported first by the init order: holds what dependencies log at init
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gpubroker:", err)
		os.Exit(1)
	}
}

const usage = `usage: gpubroker <cell|edge|worker|simulator|sync|bridge> [flags]

  cell        run a whole cell in one process: embedded NATS, provider simulator,
              one worker per provider and the HTTP edge (the default demo)
  edge        run the HTTP edge against an external NATS (NATS_URL)
  worker      run provider workers against an external NATS (NATS_URL)
  simulator   run the provider API simulator alone
  sync        run the data-sync job alone (offers and price history into the
              store), against an external NATS and the store
  bridge      carry the cell's events between its JetStream stream and Kafka
              (KAFKA_BROKERS), against an external NATS

Run 'gpubroker <role> -h' for the role's flags.`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, usage)
		if len(args) == 0 {
			return errors.New("no role given")
		}
		return nil
	}
	role := args[0]
	cfg, err := cells.FromEnv(os.LookupEnv)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet(role, flag.ContinueOnError)
	fs.SetOutput(stderr)
	logLevel := fs.String("log-level", envOr("LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	logFormat := fs.String("log-format", envOr("LOG_FORMAT", "json"), "log format: json or text")
	providers := fs.String("providers", strings.Join(cfg.Providers, ","), "comma-separated providers")
	var roles cells.Roles
	switch role {
	case "cell":
		roles = cells.AllRoles
		if _, set := os.LookupEnv("GPUBROKER_SIMULATOR_ADDR"); !set {
			// A fixed, documented address, so the README's simulator
			// commands work against a cell as they are written.
			cfg.SimulatorAddr = "127.0.0.1:8090"
		}
		fs.StringVar(&cfg.HTTPAddr, "http", cfg.HTTPAddr, "HTTP listen address of the edge")
		fs.StringVar(&cfg.Cell, "cell", cfg.Cell, "cell name (NATS subject prefix)")
		fs.StringVar(&cfg.NATSURL, "nats", cfg.NATSURL, "external NATS URL; empty runs an embedded server")
		fs.BoolVar(&cfg.Simulator, "simulator", cfg.Simulator, "serve providers from the built-in simulator")
		fs.StringVar(&cfg.SimulatorAddr, "sim-addr", cfg.SimulatorAddr, "simulator listen address")
		fs.Uint64Var(&cfg.SimSeed, "seed", cfg.SimSeed, "simulator random seed")
		fs.StringVar(&cfg.KafkaBrokers, "kafka", cfg.KafkaBrokers, "Kafka brokers host:port,...; set, the cell runs the bridge")
	case "bridge":
		roles = cells.Roles{Bridge: true}
		fs.StringVar(&cfg.Cell, "cell", cfg.Cell, "cell name")
		fs.StringVar(&cfg.NATSURL, "nats", cfg.NATSURL, "NATS URL")
		fs.StringVar(&cfg.KafkaBrokers, "kafka", cfg.KafkaBrokers, "Kafka brokers host:port,...")
		if _, set := os.LookupEnv("GPUBROKER_METRICS_ADDR"); !set {
			cfg.MetricsAddr = ":9094"
		}
		fs.StringVar(&cfg.MetricsAddr, "metrics", cfg.MetricsAddr, "listen address of /metrics and /healthz (empty: none)")
	case "edge":
		roles = cells.Roles{Edge: true, Sync: true}
		fs.StringVar(&cfg.HTTPAddr, "http", cfg.HTTPAddr, "HTTP listen address")
		fs.StringVar(&cfg.Cell, "cell", cfg.Cell, "cell name")
		fs.StringVar(&cfg.NATSURL, "nats", cfg.NATSURL, "NATS URL")
		fs.BoolVar(&roles.Sync, "sync", roles.Sync, "also run the data-sync job in this process")
	case "worker":
		roles = cells.Roles{Workers: true}
		fs.BoolVar(&roles.Sync, "sync", roles.Sync, "also run the data-sync job in this process")
		fs.StringVar(providers, "provider", *providers, "provider(s) to serve, comma-separated")
		fs.StringVar(&cfg.Cell, "cell", cfg.Cell, "cell name")
		fs.StringVar(&cfg.NATSURL, "nats", cfg.NATSURL, "NATS URL")
		fs.StringVar(&cfg.SimulatorURL, "simulator-url", cfg.SimulatorURL, "point adapters at this simulator instead of the real APIs")
		if _, set := os.LookupEnv("GPUBROKER_METRICS_ADDR"); !set {
			cfg.MetricsAddr = ":9091"
		}
		fs.StringVar(&cfg.MetricsAddr, "metrics", cfg.MetricsAddr, "listen address of /metrics and /healthz (empty: none)")
	case "simulator":
		roles = cells.Roles{Simulator: true}
		cfg.Simulator = true
		if _, set := os.LookupEnv("GPUBROKER_SIMULATOR_ADDR"); !set {
			cfg.SimulatorAddr = ":8090"
		}
		fs.StringVar(&cfg.SimulatorAddr, "addr", cfg.SimulatorAddr, "listen address")
		fs.Uint64Var(&cfg.SimSeed, "seed", cfg.SimSeed, "random seed")
		fs.DurationVar(&cfg.SimStepEvery, "step", cfg.SimStepEvery, "price random-walk step interval (0: only on POST /_sim/step)")
	case "sync":
		roles = cells.Roles{Sync: true}
		fs.StringVar(&cfg.Cell, "cell", cfg.Cell, "cell name")
		fs.StringVar(&cfg.NATSURL, "nats", cfg.NATSURL, "NATS URL")
		if _, set := os.LookupEnv("GPUBROKER_METRICS_ADDR"); !set {
			cfg.MetricsAddr = ":9092"
		}
		fs.StringVar(&cfg.MetricsAddr, "metrics", cfg.MetricsAddr, "listen address of /metrics and /healthz (empty: none)")
	default:
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown role %q", role)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg.Providers = splitList(*providers)
	if (role == "edge" || role == "worker" || role == "sync" || role == "bridge") && cfg.NATSURL == "" {
		return fmt.Errorf("%s needs an external NATS: set NATS_URL or --nats", role)
	}
	if role == "bridge" && cfg.KafkaBrokers == "" {
		return errors.New("bridge needs Kafka: set KAFKA_BROKERS or --kafka")
	}
	if role == "cell" {
		roles.Bridge = cfg.KafkaBrokers != ""
	}
	if role == "worker" && cfg.SimulatorURL == "" {
		cfg.Simulator = false
	}
	log, err := newLogger(stdout, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	slog.SetDefault(log)
	logboot.Replay(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cell, err := cells.Start(cfg, roles, log)
	if err != nil {
		return err
	}
	ready := []any{"role", role}
	if a := cell.HTTPAddr(); a != "" {
		ready = append(ready, "http", a, "try", "curl 'http://"+localURL(a)+"/api/v2/providers?gpu=H100&max_price=4'")
	}
	if u := cell.SimulatorURL(); u != "" {
		ready = append(ready, "simulator", u)
	}
	log.Info("gpubroker ready", ready...)
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case runErr = <-cell.Done():
		log.Error("role failed", "err", runErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.DrainTimeout+5*time.Second)
	defer cancel()
	if err := cell.Stop(sctx); err != nil {
		return errors.Join(runErr, err)
	}
	log.Info("stopped")
	return runErr
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want json or text", format)
}

func envOr(k, def string) string {
	if v, ok := os.LookupEnv(k); ok && v != "" {
		return v
	}
	return def
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

// localURL turns ":8080" into "localhost:8080" for the hint in the log.
func localURL(addr string) string {
	if strings.HasPrefix(addr, "[::]:") {
		return "localhost" + addr[4:]
	}
	if strings.HasPrefix(addr, "0.0.0.0:") {
		return "localhost" + addr[7:]
	}
	if strings.HasPrefix(addr, ":") {
		return "localhost" + addr
	}
	return addr
}
