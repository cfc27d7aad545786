package stream

import (
	"encoding/json"
	"testing"

	"github.com/valyala/fasthttp"
)

// Client WebSocket frames: parsing never panics, and what parses has a
// type, an id that is a scalar, and filters that become name → values.
func FuzzClientFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"subscribe","channel":"gpu:H100","id":1}`,
		`{"type":"get_offers","filters":{"gpu":["H100","A100"],"max_price":4,"fractional_gpu":true}}`,
		`{"type":"ping","timestamp":"x"}`, `{"type":""}`, `[]`, `{"type":"ping","id":{}}`, `{"filters":{"a":[[1]]},"type":"get_offers"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseClientMsg(data)
		if err != nil {
			return
		}
		if m.Type == "" || len(m.ID) > 0 && !scalarJSON(m.ID) {
			t.Fatalf("accepted %q as %+v", data, m)
		}
		vals, err := filterValues(m.Filters)
		if err == nil && len(vals) > len(m.Filters) {
			t.Fatalf("filters %v from %s", vals, data)
		}
		// Every reply built from a parsed frame encodes.
		if b := frame(pongFrame{Type: "pong", ID: m.ID, Timestamp: m.Timestamp}); !json.Valid(b) && len(m.Timestamp) > 0 {
			t.Fatalf("pong for %q is not JSON: %s", data, b)
		}
	})
}

// SSE query strings: refused or parsed, never a panic; a parsed filter
// has a price range that is not inverted.
func FuzzSSEQuery(f *testing.F) {
	for _, s := range []string{"gpu=H100&region=eu&max_price=3", "provider=vastai,aws", "min_price=1e309", "last_event_id=-1", "region=%00", "gpu=,"} {
		f.Add(s)
	}
	s := New(Config{Providers: []string{"vastai", "aws"}})
	f.Fuzz(func(t *testing.T, q string) {
		var args fasthttp.Args
		args.Parse(q)
		flt, _, err := s.parseSSEQuery(&args)
		if err == nil && flt.min > flt.max {
			t.Fatalf("%q: min %v > max %v", q, flt.min, flt.max)
		}
	})
}
