package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Header is the envelope every event starts with.
type Header struct {
	EventID   string    `json:"event_id"`
	Type      string    `json:"type"`
	Cell      string    `json:"cell"`
	Timestamp Timestamp `json:"timestamp"`
}

// NewHeader stamps a new event of kind typ made now in cell.
func NewHeader(typ, cell string, now time.Time) Header {
	return Header{EventID: NewID(), Type: typ, Cell: cell, Timestamp: Timestamp(now)}
}

// NewID returns a fresh event id: a UUIDv7, so ids sort by creation time
// and two processes never make the same one.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil { // the random source failed; a v4 still is unique
		return uuid.NewString()
	}
	return id.String()
}

// derivedNS is the UUID namespace of DerivedID.
var derivedNS = uuid.MustParse("5b0f3c1e-8d2a-4e7b-9c61-2f4a7d9e0b13")

// DerivedID is an event id computed from what the event says rather than
// drawn at random (a UUIDv5 of parts): a process that derives the same
// event again, because its predecessor died before knowing the first one
// was stored, makes the same id, so the stream's dedup drops the copy.
func DerivedID(parts ...string) string {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(p)
	}
	return uuid.NewSHA1(derivedNS, b.Bytes()).String()
}

// TimestampLayout is RFC 3339 in UTC with milliseconds.
const TimestampLayout = "2006-01-02T15:04:05.000Z07:00"

// Timestamp marshals as RFC 3339 UTC with exactly three fractional digits.
type Timestamp time.Time

// Time returns t as a time.Time.
func (t Timestamp) Time() time.Time { return time.Time(t) }

// MarshalJSON writes t in TimestampLayout.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(TimestampLayout)+2)
	b = append(b, '"')
	b = time.Time(t).UTC().AppendFormat(b, TimestampLayout)
	return append(b, '"'), nil
}

// UnmarshalJSON accepts any RFC 3339 time (outside producers need not
// round to milliseconds).
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return fmt.Errorf("timestamp must not be null")
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp must be an RFC 3339 string: %w", err)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q is not RFC 3339", s)
	}
	*t = Timestamp(v.UTC())
	return nil
}

// Event is implemented by every kind: what the bus needs to route it.
type Event interface {
	// Head returns the envelope.
	Head() Header
	// Key is the Kafka message key and the last subject token: the offer
	// id for offer events, the provider for provider events, so one
	// offer's events stay in order on one partition.
	Key() string
}

// Head returns the envelope.
func (h Header) Head() Header { return h }
