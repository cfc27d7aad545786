package cells

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// End to end: a simulator price step, a worker's refresh, its event into
// JetStream, the edge's feed, a subscribed WebSocket client.
func TestWebSocketSeesWorkerPriceChanges(t *testing.T) {
	c := startCell(t, func(cfg *Config) {
		// A few providers: with all 22 probing this fast, the burst can
		// outrun an anonymous client's queue under -race (a lagged notice).
		cfg.Providers = []string{"runpod", "lambda", "vastai"}
		cfg.SimStepEvery, cfg.ProbeInterval = 100*time.Millisecond, 200*time.Millisecond
	})
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
	if m := read(); m["type"] != "connection_established" {
		t.Fatalf("hello %v", m)
	}
	if err := ws.WriteJSON(map[string]string{"type": "subscribe", "channel": "price_updates"}); err != nil {
		t.Fatal(err)
	}
	if m := read(); m["type"] != "subscribed" {
		t.Fatalf("subscribe %v", m)
	}
	var prev float64
	for n := 0; n < 5; {
		m := read()
		if m["type"] == "price_change" { // a move over 5 %, from the embedded analytics
			continue
		}
		n++
		if m["type"] != "price_update" || m["provider"] == "" || m["offer_id"] == "" || m["event_id"] == "" {
			t.Fatalf("update %v", m)
		}
		seq := m["seq"].(float64)
		if seq <= prev {
			t.Fatalf("seq %v after %v", seq, prev)
		}
		prev = seq
	}
	if err := ws.WriteJSON(map[string]any{"type": "get_offers", "filters": map[string]any{"gpu": "H100", "per_page": 3}}); err != nil {
		t.Fatal(err)
	}
	for {
		m := read()
		if m["type"] != "offers_list" {
			continue // updates keep coming
		}
		var body struct {
			Items []json.RawMessage `json:"items"`
		}
		b, _ := json.Marshal(m["data"])
		if err := json.Unmarshal(b, &body); err != nil || len(body.Items) != 3 {
			t.Fatalf("offers_list %s", b)
		}
		break
	}
}
