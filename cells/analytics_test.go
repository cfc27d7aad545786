package cells

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// End to end in a default cell (embedded analytics): price updates in the
// stream become a price_change and an anomaly, pushed to subscribed
// WebSockets on price_updates and anomalies; /health says the analytics
// are embedded and run here.
func TestEmbeddedAnalyticsArePushed(t *testing.T) {
	c := startCell(t, func(cfg *Config) { cfg.Providers = []string{"lambda"} })
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+c.HTTPAddr()+"/ws/providers/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	read := func() map[string]any {
		t.Helper()
		_ = ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		var m map[string]any
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("read: %v", err)
		}
		return m
	}
	read() // connection_established
	for _, ch := range []string{"price_updates", "anomalies"} {
		if err := ws.WriteJSON(map[string]string{"type": "subscribe", "channel": ch}); err != nil {
			t.Fatal(err)
		}
		if m := read(); m["type"] != "subscribed" {
			t.Fatalf("subscribe %s: %v", ch, m)
		}
	}

	js, err := jetstream.New(c.nc)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-time.Hour).UTC()
	update := func(i int, offer string, old, next float64) events.Event {
		var o *float64
		if old > 0 {
			o = events.Price(old)
		}
		return events.NewPriceUpdate(events.Header{EventID: fmt.Sprint("planted-", i), Type: events.TypePriceUpdate, Cell: c.cfg.Cell,
			Timestamp: events.Timestamp(t0.Add(time.Duration(i) * time.Second))}, "lambda", offer, "nvidia-h100-sxm-80gb", "us-east", o, events.Price(next))
	}
	var planted []events.Event
	for i := range 40 {
		planted = append(planted, update(i, fmt.Sprint("lambda:n", i), 0, 2+0.01*math.Sin(float64(i))))
	}
	planted = append(planted, update(40, "lambda:outlier", 0, 9)) // an anomaly
	planted = append(planted, update(41, "lambda:n1", 2, 2.5))    // +25 %: a price change
	planted = append(planted, update(60, "lambda:n2", 0, 2.005))  // moves the watermark past the outlier
	if err := eventbus.Store(context.Background(), js, planted...); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	for len(got) < 2 {
		m := read()
		switch m["type"] {
		case "price_change", "anomaly":
			got[m["type"].(string)] = m
		}
	}
	if pc := got["price_change"]; pc["source_event_id"] != "planted-41" || pc["change_percent"] != 25.0 || pc["event_id"] != events.ResultID("price_change:planted-41") {
		t.Fatalf("price_change %v", pc)
	}
	if a := got["anomaly"]; a["source_event_id"] != "planted-40" || a["price_per_gpu_hour"] != 9.0 || a["z"].(float64) <= 3 {
		t.Fatalf("anomaly %v", a)
	}

	resp, err := http.Get("http://" + c.HTTPAddr() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var h struct {
		Events struct {
			Analytics struct {
				Mode, Role string
				LastResult time.Time `json:"last_result"`
			}
		}
	}
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatal(err)
	}
	if a := h.Events.Analytics; a.Mode != "embedded" || a.Role != "active" || a.LastResult.IsZero() {
		t.Fatalf("health analytics %+v in %s", a, body)
	}
}

// With Flink: the embedded detectors stay off, and /health asks the Flink
// REST API which jobs run (degraded when none does).
func TestFlinkAnalyticsHealth(t *testing.T) {
	var running atomic.Bool
	running.Store(true)
	flink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		state := "RUNNING"
		if !running.Load() {
			state = "FAILED"
		}
		_, _ = w.Write([]byte(`{"jobs":[{"jid":"j1","name":"gpubroker-analytics","state":"` + state + `"}]}`))
	}))
	defer flink.Close()
	c := startCell(t, func(cfg *Config) {
		cfg.Providers = []string{"lambda"}
		cfg.Analytics, cfg.FlinkRESTURL = AnalyticsFlink, flink.URL
	})
	health := func() (status string, a map[string]any) {
		var h struct {
			Status string
			Events struct{ Analytics map[string]any }
		}
		if code := send(t, "GET", "http://"+c.HTTPAddr()+"/health", "", "", &h); code != 200 {
			t.Fatalf("health: %d", code)
		}
		return h.Status, h.Events.Analytics
	}
	status, a := health()
	f, _ := a["flink"].(map[string]any)
	if a["mode"] != "flink" || a["role"] != nil || f["reachable"] != true || f["jobs_running"] != 1.0 || status != "ok" {
		t.Fatalf("status %s, analytics %v", status, a)
	}
	if c.analytics.Load() != nil {
		t.Fatal("embedded detectors run although Flink does the analytics")
	}
	running.Store(false)
	if status, a := health(); status != "degraded" {
		t.Fatalf("no Flink job running: status %s, analytics %v", status, a)
	}
}
