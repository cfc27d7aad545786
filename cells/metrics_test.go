package cells

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A worker-only process exports its breaker metrics itself, since no edge
// in that process serves /metrics.
func TestWorkerRoleServesMetrics(t *testing.T) {
	cfg := Defaults()
	cfg.Providers = []string{"lambda", "vastai"}
	cfg.SimStepEvery = 0
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.DataDir, cfg.SyncInterval = t.TempDir(), 0
	c, err := Start(cfg, Roles{Workers: true, Simulator: true}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Stop(ctx); err != nil {
			t.Errorf("stopping: %v", err)
		}
	})
	base := "http://" + c.MetricsAddr()
	r, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{`gpubroker_breaker_state{provider="lambda"}`, `gpubroker_breaker_rejections_total{provider="vastai"}`, "process_cpu_seconds_total"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	r, err = http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("/healthz: %d", r.StatusCode)
	}
}
