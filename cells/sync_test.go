package cells

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/datasync"
)

// The data-sync job runs in whichever process is configured for it: here
// a worker process with no edge answers the on-demand trigger.
func TestSyncRunsWithoutAnEdge(t *testing.T) {
	cfg := Defaults()
	cfg.Providers, cfg.SimStepEvery, cfg.SyncInterval = []string{"lambda", "vastai"}, 0, 0
	cfg.DataDir, cfg.NATSListen, cfg.MetricsAddr = t.TempDir(), "127.0.0.1:0", ""
	c, err := Start(cfg, Roles{Workers: true, Simulator: true, Sync: true}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	if c.HTTPAddr() != "" {
		t.Fatal("an edge was started")
	}
	nc, err := nats.Connect(c.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	msg, err := nc.Request(shared.SyncSubject(cfg.Cell), nil, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var reply datasync.TriggerReply
	if err := json.Unmarshal(msg.Data, &reply); err != nil || reply.Error != "" || reply.ProvidersOK != 2 || reply.Offers == 0 {
		t.Fatalf("sync reply %s (%v)", msg.Data, err)
	}
}
