package cells

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// startEmbeddedNATS runs a NATS server inside the process, with JetStream
// keeping the event stream in storeDir. With no listen address it accepts
// in-process connections only.
func startEmbeddedNATS(listen, storeDir string, log *slog.Logger) (*server.Server, error) {
	opts := &server.Options{ServerName: "gpubroker-embedded", NoSigs: true, NoLog: true, DontListen: listen == "",
		JetStream: true, StoreDir: storeDir, JetStreamMaxMemory: 64 << 20}
	if listen != "" {
		host, port, err := net.SplitHostPort(listen)
		if err != nil {
			return nil, fmt.Errorf("embedded NATS listen address %q: %w", listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("embedded NATS port %q: %w", port, err)
		}
		opts.Host, opts.Port = host, p
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("embedded NATS did not become ready")
	}
	if listen != "" {
		log.Info("embedded NATS listening", "url", ns.ClientURL())
	} else {
		log.Info("embedded NATS running in-process")
	}
	return ns, nil
}

// connect opens a client connection to an external server (url) or to the
// embedded one (ns). It keeps reconnecting forever: a cell outlives NATS
// restarts.
func connect(url string, ns *server.Server, name string, log *slog.Logger) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", "url", c.ConnectedUrlRedacted()) }),
		// The client's default prints asynchronous errors to stderr; they
		// belong in the log, and are noise while the connection closes.
		nats.ErrorHandler(func(c *nats.Conn, sub *nats.Subscription, err error) {
			level, attrs := slog.LevelWarn, []any{"err", err}
			if c.IsClosed() || c.IsDraining() {
				level = slog.LevelDebug
			}
			if sub != nil {
				attrs = append(attrs, "subject", sub.Subject)
			}
			log.Log(context.Background(), level, "NATS asynchronous error", attrs...)
		}),
	}
	if ns != nil {
		opts = append(opts, nats.InProcessServer(ns))
		url = ns.ClientURL()
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS: %w", err)
	}
	return nc, nil
}
