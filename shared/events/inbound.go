package events

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// MaxIDLength bounds event_id (a UUID is 36 bytes; outside producers get
// some room, not unbounded subject-sized headers).
const MaxIDLength = 128

// Inbound is an event from Kafka that passed Check: its envelope and key,
// with the original bytes to forward unchanged.
type Inbound struct {
	Header
	Key  string
	Data []byte
}

// inboundKeys names the field that keys each inbound kind.
var inboundKeys = map[string]string{TypePriceChange: "offer_id", TypePriceAnomaly: "offer_id", TypePriceAggregate: "gpu"}

// Check validates an event arriving on an inbound topic: a JSON object with
// a non-empty event_id, the topic's type, a cell, an RFC 3339 timestamp and
// the kind's key field. The error is the reason the bridge records in the
// dead-letter message.
func Check(route Route, data []byte) (Inbound, error) {
	if !utf8.Valid(data) {
		return Inbound{}, fmt.Errorf("not UTF-8")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return Inbound{}, fmt.Errorf("not a JSON object: %v", err)
	}
	var in Inbound
	for _, f := range []struct {
		name string
		dst  *string
	}{{"event_id", &in.EventID}, {"type", &in.Type}, {"cell", &in.Cell}} {
		if err := requiredString(raw, f.name, f.dst); err != nil {
			return Inbound{}, err
		}
	}
	if len(in.EventID) > MaxIDLength {
		return Inbound{}, fmt.Errorf("event_id longer than %d bytes", MaxIDLength)
	}
	if in.Type != route.Type {
		return Inbound{}, fmt.Errorf("type %q does not belong on this topic (want %q)", in.Type, route.Type)
	}
	ts, ok := raw["timestamp"]
	if !ok {
		return Inbound{}, fmt.Errorf("timestamp missing")
	}
	if err := json.Unmarshal(ts, &in.Timestamp); err != nil {
		return Inbound{}, err
	}
	if field := inboundKeys[route.Type]; field != "" {
		if err := requiredString(raw, field, &in.Key); err != nil {
			return Inbound{}, err
		}
	}
	in.Data = data
	return in, nil
}

func requiredString(raw map[string]json.RawMessage, name string, dst *string) error {
	v, ok := raw[name]
	if !ok {
		return fmt.Errorf("%s missing", name)
	}
	if err := json.Unmarshal(v, dst); err != nil {
		return fmt.Errorf("%s must be a string", name)
	}
	if *dst == "" {
		return fmt.Errorf("%s must not be empty", name)
	}
	return nil
}
