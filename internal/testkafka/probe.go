package testkafka

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Metadata is the part of a Kafka metadata response Probe reads.
type Metadata struct {
	ClusterID string
	Brokers   []string // host:port of each live broker
}

// Kafka API keys and the metadata versions Probe can encode: v4 to v7 share
// the request layout (topics, allow_auto_topic_creation) and the response
// prefix up to the cluster id; v8 adds fields, v9 is "flexible".
const (
	apiMetadata    = 3
	apiAPIVersions = 18
	metadataMin    = 4
	metadataMax    = 7
)

// Probe asks the broker at addr for its metadata over the Kafka protocol
// (ApiVersions, then Metadata for no topics). It succeeds only when the
// broker lists at least one live broker, that is when it is ready to serve
// clients, not merely accepting connections.
func Probe(addr string, timeout time.Duration) (Metadata, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return Metadata{}, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return Metadata{}, err
	}

	// ApiVersions v0: which Metadata versions the broker accepts.
	resp, err := roundTrip(conn, apiAPIVersions, 0, 1, nil)
	if err != nil {
		return Metadata{}, fmt.Errorf("api versions: %w", err)
	}
	r := &reader{b: resp}
	if code := r.int16(); r.err == nil && code != 0 {
		return Metadata{}, fmt.Errorf("api versions: error code %d", code)
	}
	version := int16(-1)
	for n := r.int32(); n > 0 && r.err == nil; n-- {
		key, lo, hi := r.int16(), r.int16(), r.int16()
		if key == apiMetadata {
			if v := max(lo, metadataMin); v <= min(hi, metadataMax) {
				version = v
			}
		}
	}
	if r.err != nil {
		return Metadata{}, fmt.Errorf("api versions: %w", r.err)
	}
	if version < 0 {
		return Metadata{}, errors.New("broker supports no metadata version between 4 and 7")
	}

	// Metadata: an empty topic list (not null, which means all topics) and
	// no auto-creation.
	resp, err = roundTrip(conn, apiMetadata, version, 2, []byte{0, 0, 0, 0, 0})
	if err != nil {
		return Metadata{}, fmt.Errorf("metadata: %w", err)
	}
	r = &reader{b: resp}
	r.int32() // throttle_time_ms
	var md Metadata
	for n := r.int32(); n > 0 && r.err == nil; n-- {
		r.int32() // node_id
		host, port := r.string(), r.int32()
		r.string() // rack
		md.Brokers = append(md.Brokers, net.JoinHostPort(host, fmt.Sprint(port)))
	}
	md.ClusterID = r.string()
	if r.err != nil {
		return Metadata{}, fmt.Errorf("metadata: %w", r.err)
	}
	if len(md.Brokers) == 0 {
		return md, errors.New("metadata lists no live broker yet")
	}
	return md, nil
}

// roundTrip sends one request (header v1: key, version, correlation id,
// client id) and returns the response body after its correlation id.
func roundTrip(conn net.Conn, key, version int16, corr int32, body []byte) ([]byte, error) {
	const clientID = "testkafka"
	req := binary.BigEndian.AppendUint32(nil, uint32(2+2+4+2+len(clientID)+len(body)))
	req = binary.BigEndian.AppendUint16(req, uint16(key))
	req = binary.BigEndian.AppendUint16(req, uint16(version))
	req = binary.BigEndian.AppendUint32(req, uint32(corr))
	req = binary.BigEndian.AppendUint16(req, uint16(len(clientID)))
	req = append(req, clientID...)
	req = append(req, body...)
	if _, err := conn.Write(req); err != nil {
		return nil, err
	}
	var size [4]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(size[:])
	if n < 4 || n > 1<<20 {
		return nil, fmt.Errorf("implausible response size %d", n)
	}
	resp := make([]byte, n)
	if _, err := io.ReadFull(conn, resp); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(resp)); got != corr {
		return nil, fmt.Errorf("correlation id %d, want %d", got, corr)
	}
	return resp[4:], nil
}

// reader decodes big-endian Kafka primitives; the first short read sticks
// in err and every later read returns zero.
type reader struct {
	b   []byte
	err error
}

func (r *reader) next(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) int16() int16 {
	if p := r.next(2); p != nil {
		return int16(binary.BigEndian.Uint16(p))
	}
	return 0
}

func (r *reader) int32() int32 {
	if p := r.next(4); p != nil {
		return int32(binary.BigEndian.Uint32(p))
	}
	return 0
}

// string reads a (nullable) string; null reads as "".
func (r *reader) string() string {
	n := r.int16()
	if n <= 0 {
		return ""
	}
	return string(r.next(int(n)))
}
