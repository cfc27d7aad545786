package cache

import (
	"errors"
	"testing"
	"time"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	h := header{fetchedAt: at, freshUntil: at.Add(time.Minute), staleUntil: at.Add(3 * time.Minute), delta: 1500 * time.Millisecond}
	b := encodeEnvelope(h, []byte("payload"))
	got, payload, err := decodeEnvelope(b)
	if err != nil || string(payload) != "payload" || !got.fetchedAt.Equal(h.fetchedAt) ||
		!got.freshUntil.Equal(h.freshUntil) || !got.staleUntil.Equal(h.staleUntil) || got.delta != h.delta {
		t.Fatalf("got %+v %q %v", got, payload, err)
	}
}

func TestEnvelopeRejects(t *testing.T) {
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	good := encodeEnvelope(header{fetchedAt: at, freshUntil: at, staleUntil: at}, nil)
	tests := map[string][]byte{
		"empty":          nil,
		"short":          good[:envelopeHeader-1],
		"bad magic":      append([]byte{'X'}, good[1:]...),
		"newer version":  append([]byte{envelopeMagic, envelopeVersion + 1}, good[2:]...),
		"fresh > stale":  encodeEnvelope(header{fetchedAt: at, freshUntil: at.Add(time.Second), staleUntil: at}, nil),
		"negative delta": encodeEnvelope(header{fetchedAt: at, freshUntil: at, staleUntil: at, delta: -1}, nil),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			if _, _, err := decodeEnvelope(b); !errors.Is(err, errEnvelope) {
				t.Fatalf("err %v, want errEnvelope", err)
			}
		})
	}
}

// Whatever L1 holds, decoding never panics, and a value it accepts
// re-encodes to the same bytes.
func FuzzDecodeEnvelope(f *testing.F) {
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Add(encodeEnvelope(header{fetchedAt: at, freshUntil: at.Add(time.Minute), staleUntil: at.Add(time.Hour), delta: time.Second}, []byte("42")))
	f.Add([]byte("G"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, payload, err := decodeEnvelope(b)
		if err != nil {
			return
		}
		if again := encodeEnvelope(h, payload); string(again) != string(b) {
			t.Fatalf("re-encoded %x, want %x", again, b)
		}
	})
}
