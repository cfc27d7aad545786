package events

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTimestampIsRFC3339UTCMillis(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 4, 5, 123456789, time.FixedZone("CET", 3600))
	b, err := json.Marshal(Timestamp(at))
	if err != nil || string(b) != `"2026-12-03T09:04:05.123Z"` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	b, _ = json.Marshal(Timestamp(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	if string(b) != `"2026-01-01T00:00:00.000Z"` {
		t.Fatalf("whole second = %s (want three fractional digits)", b)
	}
	var back Timestamp
	for _, in := range []string{`"2026-12-03T09:04:05.123Z"`, `"2026-12-03T10:04:05.123+01:00"`} {
		if err := json.Unmarshal([]byte(in), &back); err != nil || !back.Time().Equal(at.Truncate(time.Millisecond)) {
			t.Errorf("Unmarshal(%s) = %v, %v", in, back.Time(), err)
		}
	}
	for _, in := range []string{`null`, `12`, `"yesterday"`, `"2026-12-03"`} {
		if err := json.Unmarshal([]byte(in), &back); err == nil {
			t.Errorf("Unmarshal(%s) accepted", in)
		}
	}
}

func TestPriceUpdateJSON(t *testing.T) {
	h := Header{EventID: "0193", Type: TypePriceUpdate, Cell: "eu", Timestamp: Timestamp(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))}
	for _, tc := range []struct {
		name     string
		old, new *float64
		want     string
	}{
		{"change", Price(2), Price(2.5), `"old_price":2,"new_price":2.5,"change_percent":25,`},
		{"appears", nil, Price(1.2), `"old_price":null,"new_price":1.2,"change_percent":null,`},
		{"disappears", Price(1.2), nil, `"old_price":1.2,"new_price":null,"change_percent":null,`},
		{"from zero", Price(0), Price(1), `"old_price":0,"new_price":1,"change_percent":null,`},
		{"drop", Price(3), Price(2), `"change_percent":-33.3333,`},
	} {
		b, err := json.Marshal(NewPriceUpdate(h, "runpod", "runpod:x", "h100-sxm", "us-east", tc.old, tc.new))
		if err != nil || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %s (%v), want it to contain %s", tc.name, b, err, tc.want)
		}
		if !strings.HasPrefix(string(b), `{"event_id":"0193","type":"price_update","cell":"eu","timestamp":"2026-12-03T00:00:00.000Z","provider":"runpod","offer_id":"runpod:x","gpu":"h100-sxm","region":"us-east",`) {
			t.Errorf("%s: envelope or field order: %s", tc.name, b)
		}
	}
}

func TestNewIDUnique(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for range 10000 {
		id := NewID()
		if seen[id] || len(id) != 36 {
			t.Fatalf("NewID gave %q again or malformed", id)
		}
		if id < prev {
			t.Fatalf("ids do not sort by creation: %s after %s", id, prev)
		}
		seen[id], prev = true, id
	}
}

func TestSubjects(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"runpod:abc", "eu.events.price_update.runpod:abc"},
		{"aws:p5.48xlarge:us-east-1", "eu.events.price_update.aws:p5%2E48xlarge:us-east-1"},
		{"a b*>%", "eu.events.price_update.a%20b%2A%3E%25"},
		{"", "eu.events.price_update._"},
	} {
		got := Subject("eu", TypePriceUpdate, tc.key)
		if got != tc.want {
			t.Errorf("Subject(%q) = %q, want %q", tc.key, got, tc.want)
		}
		if typ, ok := SubjectType("eu", got); !ok || typ != TypePriceUpdate {
			t.Errorf("SubjectType(%q) = %q, %v", got, typ, ok)
		}
	}
	if _, ok := SubjectType("eu", "us.events.price_update.x"); ok {
		t.Error("another cell's subject matched")
	}
}

func TestRoutesCoverTopics(t *testing.T) {
	topics := map[string]bool{}
	for _, tp := range Topics() {
		if topics[tp] || !strings.HasPrefix(tp, "gpubroker.") {
			t.Errorf("topic %q duplicated or outside gpubroker.", tp)
		}
		topics[tp] = true
	}
	for _, r := range Routes() {
		if !topics[r.Topic] {
			t.Errorf("route %s goes to %s, which is not created", r.Type, r.Topic)
		}
	}
}

func TestCheck(t *testing.T) {
	route := Route{Type: TypePriceChange, Topic: TopicPriceAlerts}
	const ok = `{"event_id":"e1","type":"price_change","cell":"eu","timestamp":"2026-12-03T10:00:00Z","offer_id":"o1"}`
	in, err := Check(route, []byte(ok))
	if err != nil || in.EventID != "e1" || in.Key != "o1" || in.Cell != "eu" || string(in.Data) != ok {
		t.Fatalf("Check(good) = %+v, %v", in, err)
	}
	for _, tc := range []struct{ in, reason string }{
		{`not json`, "not a JSON object"},
		{`[1,2]`, "not a JSON object"},
		{"\xff", "not UTF-8"},
		{`{"type":"price_change","cell":"eu","timestamp":"2026-12-03T10:00:00Z","offer_id":"o"}`, "event_id missing"},
		{`{"event_id":"","type":"price_change","cell":"eu","timestamp":"2026-12-03T10:00:00Z","offer_id":"o"}`, "event_id must not be empty"},
		{`{"event_id":7,"type":"price_change","cell":"eu","timestamp":"2026-12-03T10:00:00Z","offer_id":"o"}`, "event_id must be a string"},
		{`{"event_id":"` + strings.Repeat("x", 129) + `","type":"price_change","cell":"eu","timestamp":"2026-12-03T10:00:00Z","offer_id":"o"}`, "longer than 128"},
		{`{"event_id":"e","type":"price_update","cell":"eu","timestamp":"2026-12-03T10:00:00Z","offer_id":"o"}`, "does not belong on this topic"},
		{`{"event_id":"e","type":"price_change","timestamp":"2026-12-03T10:00:00Z","offer_id":"o"}`, "cell missing"},
		{`{"event_id":"e","type":"price_change","cell":"eu","offer_id":"o"}`, "timestamp missing"},
		{`{"event_id":"e","type":"price_change","cell":"eu","timestamp":"now","offer_id":"o"}`, "not RFC 3339"},
		{`{"event_id":"e","type":"price_change","cell":"eu","timestamp":"2026-12-03T10:00:00Z"}`, "offer_id missing"},
	} {
		_, err := Check(route, []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("Check(%.60s) = %v, want a reason containing %q", tc.in, err, tc.reason)
		}
	}
}

// Whatever arrives from Kafka, Check answers (never panics) and what it
// accepts has every envelope field.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"event_id":"e1","type":"price_change","cell":"eu","timestamp":"2026-12-03T10:00:00Z","offer_id":"o1"}`))
	f.Add([]byte(`{"event_id":"e1","type":"price_change"`))
	f.Add([]byte(`{}`))
	f.Add([]byte("\x00"))
	route := Route{Type: TypePriceChange, Topic: TopicPriceAlerts}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Check(route, data)
		if err != nil {
			return
		}
		if in.EventID == "" || len(in.EventID) > MaxIDLength || in.Type != TypePriceChange || in.Cell == "" || in.Key == "" || in.Timestamp.Time().IsZero() {
			t.Fatalf("accepted %q as %+v", data, in)
		}
		if s := Subject(in.Cell, in.Type, in.Key); strings.Count(s, ".") != 3+strings.Count(in.Cell, ".") {
			t.Fatalf("key %q makes more than one subject token: %s", in.Key, s)
		}
	})
}
