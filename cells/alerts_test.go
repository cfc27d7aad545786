package cells

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// A stored alert fires end to end: prices move in the simulator, a
// worker's refresh emits price_update events, the evaluator records a
// notification for the alert's owner, the owner's WebSocket gets an
// `alert` frame (another user's does not), and GET /api/v2/notifications
// lists it, to its owner only.
func TestAlertFiresEndToEnd(t *testing.T) {
	c := startCell(t, func(cfg *Config) {
		// A few providers that sell H100 SXM, so the event rate stays low.
		cfg.Providers = []string{"lambda", "runpod", "vastai"}
		cfg.SimStepEvery, cfg.ProbeInterval = 200*time.Millisecond, 500*time.Millisecond
		cfg.PlanLimits = map[string]int{"free": 1 << 30, "pro": 1 << 30, "enterprise": 1 << 30}
	})
	base := "http://" + c.HTTPAddr()
	register := func(email string) string {
		if code := send(t, "POST", base+"/api/v2/auth/register", "", `{"email":"`+email+`","password":"correct horse battery"}`, nil); code != 201 {
			t.Fatalf("register %s: %d", email, code)
		}
		return login(t, base, email)
	}
	ann, bob := register("ann@example.com"), register("bob@example.com")
	dial := func(token string) *websocket.Conn {
		ws, _, err := websocket.DefaultDialer.Dial("ws://"+c.HTTPAddr()+"/ws/providers/?token="+token, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		var hello map[string]any
		if err := ws.ReadJSON(&hello); err != nil || hello["type"] != "connection_established" {
			t.Fatalf("hello %v %v", hello, err)
		}
		return ws
	}
	annWS, bobWS := dial(ann), dial(bob)
	// Any H100 SXM under $1000/h: the next change of one fires it.
	var alert struct{ ID string }
	if code := send(t, "POST", base+"/api/v2/alerts", ann, `{"gpu_type":"H100 SXM","max_price":1000}`, &alert); code != 201 {
		t.Fatalf("create alert: %d", code)
	}
	_ = annWS.SetReadDeadline(time.Now().Add(30 * time.Second))
	var got map[string]any
	for {
		if err := annWS.ReadJSON(&got); err != nil {
			var m string
			resp, _ := http.Get(base + "/metrics")
			if resp != nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				for _, l := range strings.Split(string(b), "\n") {
					if strings.Contains(l, "alerts") || strings.Contains(l, "feed_") {
						m += l + "\n"
					}
				}
			}
			t.Fatalf("no alert frame: %v\n%s", err, m)
		}
		if got["type"] == "alert" {
			break
		}
	}
	if got["alert_id"] != alert.ID || got["gpu"] != "nvidia-h100-sxm-80gb" || got["price"].(float64) > 1000 || got["notification_id"] == "" {
		t.Fatalf("alert frame %v", got)
	}
	_ = bobWS.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	var other map[string]any
	if err := bobWS.ReadJSON(&other); err == nil {
		t.Fatalf("another user's connection got %v", other)
	}
	type notification struct {
		ID      string  `json:"id"`
		AlertID string  `json:"alert_id"`
		Kind    string  `json:"kind"`
		OfferID string  `json:"offer_id"`
		Price   float64 `json:"price"`
	}
	var page struct {
		Notifications []notification `json:"notifications"`
		NextCursor    *string        `json:"next_cursor"`
	}
	// Every H100 SXM offer that changes fires once: page through them all.
	var found *notification
	for cursor, pages := "", 0; found == nil && pages < 100; pages++ {
		page.Notifications, page.NextCursor = nil, nil
		if code := send(t, "GET", base+"/api/v2/notifications?limit=100&cursor="+cursor, ann, "", &page); code != 200 {
			t.Fatalf("notifications: %d", code)
		}
		for i, x := range page.Notifications {
			if x.AlertID != alert.ID || x.Kind != "price_alert" || x.OfferID == "" || x.Price > 1000 {
				t.Fatalf("notification %+v", x)
			}
			if x.ID == got["notification_id"] {
				found = &page.Notifications[i]
			}
		}
		if page.NextCursor == nil {
			if found == nil { // not stored yet: from the top again
				time.Sleep(100 * time.Millisecond)
				cursor = ""
				continue
			}
			break
		}
		cursor = *page.NextCursor
	}
	if found == nil || found.OfferID != got["offer_id"] {
		t.Fatalf("the pushed notification %v is not listed (%+v)", got["notification_id"], found)
	}
	page.Notifications = nil
	if code := send(t, "GET", base+"/api/v2/notifications", bob, "", &page); code != 200 || len(page.Notifications) != 0 {
		t.Fatalf("bob sees %d notifications (%d)", len(page.Notifications), code)
	}
	if code := send(t, "GET", base+"/api/v2/notifications?limit=0", ann, "", nil); code != 400 {
		t.Fatalf("limit=0: %d", code)
	}
}
