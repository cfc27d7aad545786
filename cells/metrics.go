package cells

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// startMetrics serves the workers' metrics (breaker state, transitions,
// rejections, fetch latency) and a liveness probe in processes that run
// no edge, so a multi-process deployment can scrape every worker.
func (c *Cell) startMetrics() error {
	l, err := net.Listen("tcp", c.cfg.MetricsAddr)
	if err != nil {
		return fmt.Errorf("metrics listen %s: %w", c.cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		var b bytes.Buffer
		c.Metrics.WritePrometheus(&b)
		metrics.WriteProcessMetrics(&b)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write(b.Bytes())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		// Live while the NATS connection is: a worker cut off from NATS
		// serves nobody.
		if c.nc == nil || !c.nc.IsConnected() {
			http.Error(w, "nats disconnected", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	c.metricsAddr = l.Addr().String()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.done <- fmt.Errorf("metrics server: %w", err)
		}
	}()
	c.log.Info("worker metrics listening", "addr", c.metricsAddr)
	c.stops = append(c.stops, func(ctx context.Context) error { return srv.Shutdown(ctx) })
	return nil
}

// MetricsAddr is the bound address of the workers' metrics listener, if any.
func (c *Cell) MetricsAddr() string { return c.metricsAddr }
