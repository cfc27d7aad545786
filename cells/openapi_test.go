package cells

import (
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metrics"

	"github.com/gpubroker/gpubroker/edge"
	"github.com/gpubroker/gpubroker/edge/ops"
	"github.com/gpubroker/gpubroker/shared/feed"
	"github.com/gpubroker/gpubroker/shared/store/embedded"
	"github.com/gpubroker/gpubroker/workers/client/clienttest"
)

// testEdge assembles the edge exactly as a cell does, over a fake source
// and an embedded store, without NATS.
func testEdge(t *testing.T) *edge.Server {
	t.Helper()
	cfg := Defaults()
	cfg.Providers, cfg.DataDir = clienttest.Providers, t.TempDir()
	c := &Cell{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: metrics.NewSet()}
	db, err := embedded.Open(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	iss, err := c.issuer()
	if err != nil {
		t.Fatal(err)
	}
	srv, closeParts, err := c.assembleEdge(edgeParts{source: clienttest.NewSource(1, 1), db: db, issuer: iss, hub: feed.NewHub(feed.Config{})})
	t.Cleanup(closeParts)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// The OpenAPI document and the assembled route table agree: every
// documented operation is a route, every route is documented.
func TestOpenAPIDescribesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(ops.OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	for _, r := range testEdge(t).Routes() {
		served[r.Method+" "+r.Path] = true
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("%s is documented but not served", op)
		}
	}
	var undocumented []string
	for op := range served {
		if !documented[op] {
			undocumented = append(undocumented, op)
		}
	}
	slices.Sort(undocumented)
	for _, op := range undocumented {
		t.Errorf("%s is served but not documented", op)
	}
}
