package cache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// An L1 value is a fixed binary header followed by the codec's payload:
//
//	magic 'G', version 1,
//	FetchedAt, FreshUntil, StaleUntil (unix ns), Delta (ns): int64 big-endian
//
// Carrying the times, not just a Redis TTL, lets every edge reading the
// value agree on when it stops being fresh and how long its load took.
const (
	envelopeMagic   = 'G'
	envelopeVersion = 1
	envelopeHeader  = 2 + 4*8
)

var errEnvelope = errors.New("cache: malformed l1 value")

type header struct {
	fetchedAt, freshUntil, staleUntil time.Time
	delta                             time.Duration
}

func headerOf[V any](it Item[V]) header {
	return header{fetchedAt: it.FetchedAt, freshUntil: it.FreshUntil, staleUntil: it.StaleUntil, delta: it.Delta}
}

func encodeEnvelope(h header, payload []byte) []byte {
	b := make([]byte, envelopeHeader, envelopeHeader+len(payload))
	b[0], b[1] = envelopeMagic, envelopeVersion
	binary.BigEndian.PutUint64(b[2:], uint64(h.fetchedAt.UnixNano()))
	binary.BigEndian.PutUint64(b[10:], uint64(h.freshUntil.UnixNano()))
	binary.BigEndian.PutUint64(b[18:], uint64(h.staleUntil.UnixNano()))
	binary.BigEndian.PutUint64(b[26:], uint64(h.delta))
	return append(b, payload...)
}

func decodeEnvelope(b []byte) (header, []byte, error) {
	if len(b) < envelopeHeader {
		return header{}, nil, fmt.Errorf("%w: %d bytes, header needs %d", errEnvelope, len(b), envelopeHeader)
	}
	if b[0] != envelopeMagic || b[1] != envelopeVersion {
		return header{}, nil, fmt.Errorf("%w: magic/version %#x %d", errEnvelope, b[0], b[1])
	}
	at := func(off int) int64 { return int64(binary.BigEndian.Uint64(b[off:])) }
	h := header{
		fetchedAt:  time.Unix(0, at(2)),
		freshUntil: time.Unix(0, at(10)),
		staleUntil: time.Unix(0, at(18)),
		delta:      time.Duration(at(26)),
	}
	if h.freshUntil.After(h.staleUntil) || h.delta < 0 {
		return header{}, nil, fmt.Errorf("%w: inconsistent times", errEnvelope)
	}
	return h, b[envelopeHeader:], nil
}
