package stream

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/fasthttp/websocket"

	"github.com/gpubroker/gpubroker/edge"
	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/edge/identity"
	"github.com/gpubroker/gpubroker/internal/testlog"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/shared/feed"
)

const proKey = "pro-secret-key-0123456789"

type fixture struct {
	t    *testing.T
	hm   *metrics.Set // the hub's metrics
	hub  *feed.Hub
	svc  *Service
	base string // host:port
	seq  uint64
	logs *testlog.Buffer
}

func newFixture(t *testing.T, mutate func(*Config, *feed.Config)) *fixture {
	t.Helper()
	hc := feed.Config{Metrics: metrics.NewSet()}
	cfg := Config{Providers: []string{"vastai", "runpod", "aws"},
		Status: func() []ProviderInfo {
			return []ProviderInfo{{Name: "vastai", Healthy: true, Weight: 1, AvgLatencyMS: 12}, {Name: "runpod", Healthy: false, Weight: 0.1}}
		},
		Offers: func(_ context.Context, _ shared.RequestIDs, f map[string][]string) ([]byte, *httpx.Error) {
			if _, bad := f["max_prise"]; bad {
				return nil, &httpx.Error{Status: 400, Code: httpx.CodeUnknownParameter, Field: "max_prise", Message: "unknown query parameter"}
			}
			b, _ := json.Marshal(map[string]any{"items": []any{}, "filters": f})
			return b, nil
		}}
	if mutate != nil {
		mutate(&cfg, &hc)
	}
	f := &fixture{t: t, hub: feed.NewHub(hc), hm: hc.Metrics, logs: &testlog.Buffer{}}
	cfg.Hub, cfg.Logger = f.hub, slog.New(slog.NewTextHandler(f.logs, nil))
	f.svc = New(cfg)
	srv, err := edge.New(edge.Config{Routes: f.svc.Routes(), PlanLimits: map[string]int{"free": 1 << 30, "pro": 1 << 30},
		Identity:  identity.New(identity.Config{APIKeys: []identity.APIKey{identity.NewAPIKey("k1", "pro", proKey)}}),
		AccessLog: true, Logger: cfg.Logger})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l, time.Second) }()
	t.Cleanup(func() {
		cancel()
		<-done
		cctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		_ = f.svc.Close(cctx)
	})
	f.base = l.Addr().String()
	return f
}

// publish puts a price change on the hub as the event stream would.
func (f *fixture) publish(provider, gpu, region, country string, price float64) uint64 {
	f.seq++
	e := events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, "t", time.Now()), provider, provider+":1", gpu, region,
		events.Price(price+1), events.Price(price))
	e.Country, e.GPUCount = country, 1
	b, _ := json.Marshal(e)
	u, ok, err := feed.Decode(f.seq, events.TypePriceUpdate, b)
	if !ok || err != nil {
		f.t.Fatalf("decode: %v", err)
	}
	f.hub.Publish(u)
	return f.seq
}

type client struct {
	t *testing.T
	c *websocket.Conn
}

func (f *fixture) dial(path string, hdr http.Header) (*client, map[string]any) {
	f.t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial("ws://"+f.base+path, hdr)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		f.t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	f.t.Cleanup(func() { c.Close() })
	cl := &client{t: f.t, c: c}
	hello := cl.read()
	if hello["type"] != "connection_established" {
		f.t.Fatalf("first frame %v", hello)
	}
	return cl, hello
}

func (c *client) send(v any) {
	c.t.Helper()
	if err := c.c.WriteJSON(v); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) read() map[string]any {
	c.t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := c.c.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Fatalf("frame %q: %v", data, err)
	}
	return m
}

// closeCode reads until the server closes and returns its close code and
// reason.
func (c *client) closeCode() (int, string) {
	c.t.Helper()
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := c.c.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if ok := asClose(err, &ce); ok {
				return ce.Code, ce.Text
			}
			c.t.Fatalf("connection ended without a close frame: %v", err)
		}
	}
}

func asClose(err error, ce **websocket.CloseError) bool {
	e, ok := err.(*websocket.CloseError)
	*ce = e
	return ok
}

// The protocol: hello, subscribe/unsubscribe, ping/pong, get_providers,
// get_offers, pushed updates on subscribed channels only, and errors that
// leave the connection open.
func TestWebSocketProtocol(t *testing.T) {
	f := newFixture(t, nil)
	c, hello := f.dial("/ws/providers/", nil)
	if hello["session_id"] == "" || hello["resume_token"] == "" || len(hello["available_subscriptions"].([]any)) != 7 {
		t.Fatalf("hello %v", hello)
	}
	c.send(map[string]any{"type": "subscribe", "channel": "gpu:H100 SXM", "id": 1})
	if m := c.read(); m["type"] != "subscribed" || m["channel"] != "gpu:nvidia-h100-sxm-80gb" || m["id"] != 1.0 {
		t.Fatalf("subscribe reply %v", m)
	}
	c.send(map[string]any{"type": "subscribe", "channel": "region:UK"})
	if m := c.read(); m["channel"] != "region:gb" {
		t.Fatalf("region reply %v", m)
	}
	f.publish("vastai", "nvidia-a100-sxm-80gb", "us-east", "US", 1) // on no channel of ours
	seq := f.publish("runpod", "nvidia-h100-sxm-80gb", "us-east", "US", 2.5)
	if m := c.read(); m["type"] != "price_update" || m["seq"] != float64(seq) || m["provider"] != "runpod" || m["new_price"] != 2.5 ||
		m["old_price"] != 3.5 || m["gpu"] != "nvidia-h100-sxm-80gb" || m["region"] != "us-east" || m["offer_id"] != "runpod:1" {
		t.Fatalf("update %v", m)
	}
	seq = f.publish("aws", "nvidia-a100-sxm-80gb", "eu-west", "GB", 3)
	if m := c.read(); m["seq"] != float64(seq) {
		t.Fatalf("region update %v", m)
	}
	for _, bad := range []struct {
		frame string
		code  string
	}{
		{`{"type":"subscribe","channel":"gpu:acme x9"}`, codeUnknownChannel},
		{`{"type":"subscribe","channel":"prices"}`, codeUnknownChannel},
		{`{"type":"unsubscribe","channel":"availability"}`, codeNotSubscribed},
		{`not json`, codeInvalidMessage},
		{`{"type":"launch"}`, codeUnknownType},
		{`{"channel":"x"}`, codeInvalidMessage},
		{`{"type":"ping","id":{"a":1}}`, codeInvalidMessage},
		{`{"type":"get_offers","filters":{"max_prise":4}}`, httpx.CodeUnknownParameter},
		{`{"type":"get_offers","filters":{"gpu":{"x":1}}}`, httpx.CodeInvalidParameter},
	} {
		if err := c.c.WriteMessage(websocket.TextMessage, []byte(bad.frame)); err != nil {
			t.Fatal(err)
		}
		if m := c.read(); m["type"] != "error" || m["code"] != bad.code {
			t.Fatalf("%s: reply %v, want error %s", bad.frame, m, bad.code)
		}
	}
	c.send(map[string]any{"type": "ping", "timestamp": 1733221445123})
	if m := c.read(); m["type"] != "pong" || m["timestamp"] != 1733221445123.0 {
		t.Fatalf("pong %v", m)
	}
	c.send(map[string]any{"type": "get_providers"})
	if m := c.read(); m["type"] != "providers_list" || len(m["providers"].([]any)) != 2 ||
		m["providers"].([]any)[0].(map[string]any)["avg_latency_ms"] != 12.0 {
		t.Fatalf("providers %v", m)
	}
	c.send(map[string]any{"type": "get_offers", "id": "q1", "filters": map[string]any{"gpu": []string{"H100", "A100"}, "max_price": 4}})
	m := c.read()
	filters := m["data"].(map[string]any)["filters"].(map[string]any)
	if m["type"] != "offers_list" || m["id"] != "q1" || fmt.Sprint(filters["gpu"]) != "[H100 A100]" || fmt.Sprint(filters["max_price"]) != "[4]" {
		t.Fatalf("offers %v", m)
	}
	c.send(map[string]any{"type": "unsubscribe", "channel": "gpu:nvidia-h100-sxm-80gb"})
	if m := c.read(); m["type"] != "unsubscribed" {
		t.Fatalf("unsubscribe %v", m)
	}
	// Disconnecting removes every subscription from the index.
	c.c.Close()
	waitFor(t, func() bool { return f.hub.IndexSize() == 0 && f.svc.Open() == 0 })
	// The access log names the stream, never the credential.
	if logs := f.logs.String(); !strings.Contains(logs, "route=ws_providers") {
		t.Fatalf("no access-log line:\n%s", logs)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// /ws/providers/{provider}/ pushes that provider's events only, whatever
// the channel.
func TestWebSocketProviderPath(t *testing.T) {
	f := newFixture(t, nil)
	c, hello := f.dial("/ws/providers/runpod/", nil)
	if hello["provider"] != "runpod" {
		t.Fatalf("hello %v", hello)
	}
	c.send(map[string]any{"type": "subscribe", "channel": "price_updates"})
	c.read()
	f.publish("vastai", "nvidia-h100-sxm-80gb", "us-east", "US", 1)
	seq := f.publish("runpod", "nvidia-h100-sxm-80gb", "us-east", "US", 1)
	if m := c.read(); m["seq"] != float64(seq) || m["provider"] != "runpod" {
		t.Fatalf("update %v", m)
	}
	if _, resp, err := websocket.DefaultDialer.Dial("ws://"+f.base+"/ws/providers/nosuch/", nil); err == nil || resp.StatusCode != 404 {
		t.Fatalf("unknown provider: %v", resp)
	}
}

// Reconnecting with the resume token within the window restores the
// subscriptions and replays what was missed meanwhile; the token works
// once and only for the same identity.
func TestWebSocketResume(t *testing.T) {
	f := newFixture(t, nil)
	c, hello := f.dial("/ws/providers/?token="+proKey, nil)
	c.send(map[string]any{"type": "subscribe", "channel": "provider:vastai"})
	c.read()
	first := f.publish("vastai", "nvidia-h100-sxm-80gb", "us-east", "US", 1)
	if m := c.read(); m["seq"] != float64(first) {
		t.Fatalf("update %v", m)
	}
	c.c.Close()
	waitFor(t, func() bool { return f.hub.Parked() == 1 })
	var missed []uint64
	for i := range 3 {
		missed = append(missed, f.publish("vastai", "nvidia-h100-sxm-80gb", "us-east", "US", float64(i)))
	}
	tok := hello["resume_token"].(string)
	// Someone else's connection cannot take it.
	_, other := f.dial("/ws/providers/?resume="+tok, nil)
	if other["resumed"] != false {
		t.Fatalf("anonymous caller resumed a pro session: %v", other)
	}
	r, again := f.dial("/ws/providers/?resume="+tok+"&token="+proKey, nil)
	if again["resumed"] != true || fmt.Sprint(again["channels"]) != "[provider:vastai]" || again["replay_complete"] != true {
		t.Fatalf("resumed hello %v", again)
	}
	for _, want := range missed {
		if m := r.read(); m["seq"] != float64(want) {
			t.Fatalf("replayed %v, want seq %d", m, want)
		}
	}
	live := f.publish("vastai", "nvidia-h100-sxm-80gb", "us-east", "US", 9)
	if m := r.read(); m["seq"] != float64(live) {
		t.Fatalf("live after replay %v", m)
	}
	r2, used := f.dial("/ws/providers/?resume="+tok+"&token="+proKey, nil)
	if used["resumed"] != false {
		t.Fatal("a resume token worked twice")
	}
	if m := r2.read(); m["type"] != "error" || m["code"] != codeResume {
		t.Fatalf("reused token: %v", m)
	}
	if strings.Contains(f.logs.String(), proKey) {
		t.Fatal("a ?token= credential reached the log")
	}
}

// Plan limits: connections per identity and subscriptions per connection;
// past them the connection is closed with 1008 and a reason.
func TestWebSocketLimits(t *testing.T) {
	f := newFixture(t, func(c *Config, _ *feed.Config) {
		c.Limits = map[string]Limits{"free": {Connections: 1, Subscriptions: 2}}
	})
	c, _ := f.dial("/ws/providers/", nil)
	c.send(map[string]any{"type": "subscribe", "channel": "price_updates"})
	c.read()
	second, _, err := websocket.DefaultDialer.Dial("ws://"+f.base+"/ws/providers/", nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := &client{t: t, c: second}
	if code, reason := sc.closeCode(); code != websocket.ClosePolicyViolation || !strings.Contains(reason, "connection limit of 1") {
		t.Fatalf("second connection closed with %d %q", code, reason)
	}
	c.send(map[string]any{"type": "subscribe", "channel": "availability"})
	c.read()
	c.send(map[string]any{"type": "subscribe", "channel": "health_status"})
	if code, reason := c.closeCode(); code != websocket.ClosePolicyViolation || !strings.Contains(reason, "subscription limit of 2") {
		t.Fatalf("third subscription closed with %d %q", code, reason)
	}
	waitFor(t, func() bool { return f.svc.Open() == 0 && f.hub.IndexSize() == 0 })
	// The slot is free again.
	f.dial("/ws/providers/", nil)
}

// A client that reads too slowly never holds up another: its queue drops
// the oldest updates (it is told how many) and, once the queue stays full,
// it is closed with 1008.
func TestWebSocketSlowClient(t *testing.T) {
	f := newFixture(t, func(_ *Config, h *feed.Config) { h.QueueSize, h.SlowAfter = 1024, 300*time.Millisecond })
	slow, _ := f.dial("/ws/providers/", nil)
	slow.send(map[string]any{"type": "subscribe", "channel": "price_updates"})
	slow.read()
	fast, _ := f.dial("/ws/providers/", nil)
	fast.send(map[string]any{"type": "subscribe", "channel": "price_updates"})
	fast.read()
	// The slow client reads a frame every 2 ms (a client that keeps
	// reading, just not fast enough) until it is dropped, then reads what
	// is left as fast as it can.
	dropped := make(chan struct{})
	result := make(chan string, 1)
	go func() {
		lagged := false
		for {
			select {
			case <-dropped:
			default:
				time.Sleep(2 * time.Millisecond)
			}
			_ = slow.c.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, data, err := slow.c.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				switch {
				case !asClose(err, &ce):
					result <- "ended without a close frame: " + err.Error()
				case ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "too slow"):
					result <- fmt.Sprintf("closed with %d %q", ce.Code, ce.Text)
				case !lagged:
					result <- "never told it lagged"
				default:
					result <- ""
				}
				return
			}
			lagged = lagged || strings.Contains(string(data), `"type":"lagged"`)
		}
	}()
	// Once the hub has judged it too slow, the client reads fast, so the
	// close frame behind what its socket buffers hold can reach it.
	slowJudged := func() bool {
		var b strings.Builder
		f.hm.WritePrometheus(&b)
		return !strings.Contains(b.String(), "gpubroker_feed_slow_subscribers_total 0")
	}
	deadline := time.Now().Add(60 * time.Second)
	for !slowJudged() {
		if time.Now().After(deadline) {
			t.Fatal("the slow client was never dropped")
		}
		var last uint64
		for range 500 {
			last = f.publish("vastai", "nvidia-h100-sxm-80gb", "us-east", "US", 1)
		}
		for { // the fast client keeps up throughout, losing nothing
			m := fast.read()
			if m["type"] == "lagged" {
				t.Fatalf("the fast client lagged: %v", m)
			}
			if m["seq"] == float64(last) {
				break
			}
		}
	}
	close(dropped)
	select {
	case r := <-result:
		if r != "" {
			t.Fatal("slow client: " + r)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the slow client's connection did not end")
	}
}

// Shutdown drains: queued frames are written, then close 1001.
func TestWebSocketDrain(t *testing.T) {
	f := newFixture(t, nil)
	c, _ := f.dial("/ws/providers/", nil)
	c.send(map[string]any{"type": "subscribe", "channel": "price_updates"})
	c.read()
	seq := f.publish("vastai", "nvidia-h100-sxm-80gb", "us-east", "US", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() { _ = f.svc.Close(ctx) }()
	if m := c.read(); m["seq"] != float64(seq) {
		t.Fatalf("queued update %v", m)
	}
	if code, _ := c.closeCode(); code != websocket.CloseGoingAway {
		t.Fatalf("close code %d, want 1001", code)
	}
}

// The server pings; a client that answers stays, one that never does is
// closed.
func TestWebSocketPing(t *testing.T) {
	f := newFixture(t, func(c *Config, _ *feed.Config) { c.PingEvery = 100 * time.Millisecond })
	c, _ := f.dial("/ws/providers/", nil)
	pings := make(chan struct{}, 10)
	c.c.SetPingHandler(func(string) error {
		pings <- struct{}{}
		return c.c.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second))
	})
	go func() {
		for {
			if _, _, err := c.c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for range 3 {
		select {
		case <-pings:
		case <-time.After(5 * time.Second):
			t.Fatal("no server ping")
		}
	}
	if f.svc.Open() != 1 {
		t.Fatal("a client answering pings was dropped")
	}
}

// A client frame over the size limit closes the connection with 1009.
func TestWebSocketFrameLimit(t *testing.T) {
	f := newFixture(t, nil)
	c, _ := f.dial("/ws/providers/", nil)
	big := `{"type":"ping","timestamp":"` + strings.Repeat("x", maxClientFrame) + `"}`
	_ = c.c.WriteMessage(websocket.TextMessage, []byte(big))
	if code, _ := c.closeCode(); code != websocket.CloseMessageTooBig {
		t.Fatalf("close code %d, want 1009", code)
	}
}

// SSE: a credential is required; events carry id, event and one-line data;
// the query filters like the list endpoint; Last-Event-ID resumes.
func TestSSE(t *testing.T) {
	f := newFixture(t, nil)
	resp, err := http.Get("http://" + f.base + "/api/v2/providers/stream")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("anonymous stream: %d", resp.StatusCode)
	}
	for _, q := range []string{"?max_prise=3", "?gpu=acme", "?region=atlantis", "?min_price=-1", "?provider=nosuch", "?min_price=3&max_price=2"} {
		resp, err := http.Get("http://" + f.base + "/api/v2/providers/stream" + strings.Replace(q, "?", "?token="+proKey+"&", 1))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("%s: %d, want 400", q, resp.StatusCode)
		}
	}
	open := func(query string, lastID string) (*bufio.Reader, func()) {
		req, _ := http.NewRequest("GET", "http://"+f.base+"/api/v2/providers/stream"+query, nil)
		req.Header.Set("X-API-Key", proKey)
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return bufio.NewReader(resp.Body), func() { resp.Body.Close() }
	}
	br, stop := open("?gpu=H100&region=eu&max_price=3", "")
	waitFor(t, func() bool { return f.hub.Subscribers() == 1 })
	f.publish("vastai", "nvidia-h100-sxm-80gb", "us-east", "US", 1)         // wrong region
	f.publish("vastai", "nvidia-h100-sxm-80gb", "eu-west", "DE", 5)         // too dear
	f.publish("vastai", "nvidia-a100-sxm-80gb", "eu-west", "DE", 1)         // wrong GPU
	want := f.publish("runpod", "nvidia-h100-sxm-80gb", "eu-west", "DE", 2) // this one
	id, name, data := readEvent(t, br)
	if id != fmt.Sprint(want) || name != "price_update" || !strings.Contains(data, `"provider":"runpod"`) {
		t.Fatalf("event id=%s event=%s data=%s", id, name, data)
	}
	stop()
	waitFor(t, func() bool { return f.hub.Subscribers() == 0 })
	// Missed while away, replayed from the next one on.
	a := f.publish("aws", "nvidia-h100-sxm-80gb", "eu-west", "DE", 1)
	b := f.publish("aws", "nvidia-h100-sxm-80gb", "eu-west", "DE", 1.5)
	br, stop = open("?gpu=H100&region=eu&max_price=3", fmt.Sprint(want))
	defer stop()
	for _, w := range []uint64{a, b} {
		if id, _, _ := readEvent(t, br); id != fmt.Sprint(w) {
			t.Fatalf("replayed id %s, want %d", id, w)
		}
	}
}

// readEvent reads one SSE event, skipping comments and the retry line.
func readEvent(t *testing.T, br *bufio.Reader) (id, name, data string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "" && name != "":
				return
			case strings.HasPrefix(line, "id: "):
				id = line[4:]
			case strings.HasPrefix(line, "event: "):
				name = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = line[6:]
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("no event in 5 s")
	}
	return id, name, data
}

// SSE heartbeats keep an idle stream open through proxies.
func TestSSEHeartbeat(t *testing.T) {
	f := newFixture(t, func(c *Config, _ *feed.Config) { c.Heartbeat = 50 * time.Millisecond })
	req, _ := http.NewRequest("GET", "http://"+f.base+"/api/v2/providers/stream?token="+proKey, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	n := 0
	for n < 2 {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == ": heartbeat\n" {
			n++
		}
	}
	_ = io.Discard
}
