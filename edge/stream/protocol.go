package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// maxClientFrame bounds a client's frame; a larger one closes the
// connection with 1009 (message too big).
const maxClientFrame = 8 << 10

// clientMsg is any client → server message. id, when given, is echoed in
// the reply so a client can match replies to requests.
type clientMsg struct {
	Type      string                     `json:"type"`
	ID        json.RawMessage            `json:"id,omitempty"`
	Channel   string                     `json:"channel"`
	Timestamp json.RawMessage            `json:"timestamp"`
	Filters   map[string]json.RawMessage `json:"filters"`
}

// parseClientMsg reads one client frame. The error is what the client is
// told in an error frame.
func parseClientMsg(data []byte) (clientMsg, error) {
	var m clientMsg
	if err := json.Unmarshal(data, &m); err != nil {
		return m, errors.New("not a JSON object: " + err.Error())
	}
	if m.Type == "" {
		return m, errors.New(`a message needs a "type"`)
	}
	if len(m.ID) > 0 && !scalarJSON(m.ID) {
		return m, errors.New(`"id" must be a string or a number`)
	}
	return m, nil
}

// scalarJSON reports whether raw is a JSON string or number.
func scalarJSON(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return false
	}
	if raw[0] == '"' {
		var s string
		return json.Unmarshal(raw, &s) == nil
	}
	_, err := strconv.ParseFloat(string(raw), 64)
	return err == nil
}

// filterValues turns get_offers filters (strings, numbers, booleans or
// arrays of them) into the list endpoint's name → values.
func filterValues(filters map[string]json.RawMessage) (map[string][]string, error) {
	out := make(map[string][]string, len(filters))
	for k, raw := range filters {
		var one any
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("filter %s: %w", k, err)
		}
		items := []any{one}
		if arr, ok := one.([]any); ok {
			items = arr
		}
		for _, it := range items {
			switch v := it.(type) {
			case string:
				out[k] = append(out[k], v)
			case float64:
				out[k] = append(out[k], strconv.FormatFloat(v, 'f', -1, 64))
			case bool:
				out[k] = append(out[k], strconv.FormatBool(v))
			default:
				return nil, fmt.Errorf("filter %s: want a string, number, boolean or an array of them", k)
			}
		}
	}
	return out, nil
}

// Server → client frames.
type (
	establishedFrame struct {
		Type           string   `json:"type"`
		SessionID      string   `json:"session_id"`
		ResumeToken    string   `json:"resume_token"`
		Available      []string `json:"available_subscriptions"`
		Provider       string   `json:"provider,omitempty"`
		Resumed        bool     `json:"resumed"`
		Channels       []string `json:"channels"`
		ReplayComplete *bool    `json:"replay_complete,omitempty"`
		LastSeq        uint64   `json:"last_seq"`
		Limits         Limits   `json:"limits"`
	}
	subscribedFrame struct {
		Type    string          `json:"type"`
		ID      json.RawMessage `json:"id,omitempty"`
		Channel string          `json:"channel"`
		GPUs    []string        `json:"gpus,omitempty"`
	}
	pongFrame struct {
		Type      string          `json:"type"`
		ID        json.RawMessage `json:"id,omitempty"`
		Timestamp json.RawMessage `json:"timestamp"`
	}
	providersFrame struct {
		Type      string          `json:"type"`
		ID        json.RawMessage `json:"id,omitempty"`
		Providers []ProviderInfo  `json:"providers"`
	}
	offersFrame struct {
		Type string          `json:"type"`
		ID   json.RawMessage `json:"id,omitempty"`
		Data json.RawMessage `json:"data"`
	}
	errorFrame struct {
		Type    string          `json:"type"`
		ID      json.RawMessage `json:"id,omitempty"`
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Field   string          `json:"field,omitempty"`
	}
	laggedFrame struct {
		Type    string `json:"type"`
		Dropped int    `json:"dropped"`
	}
)

// Error codes of error frames.
const (
	codeInvalidMessage = "invalid_message"
	codeUnknownType    = "unknown_type"
	codeUnknownChannel = "unknown_channel"
	codeNotSubscribed  = "not_subscribed"
	codeResume         = "resume_failed"
)

// frame encodes a server frame. Every field is a plain value or JSON the
// client's frame already held (so valid); should encoding still fail, the
// client gets an error frame rather than nothing.
func frame(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(`{"type":"error","code":"internal","message":"encoding the reply failed"}`)
	}
	return b
}
