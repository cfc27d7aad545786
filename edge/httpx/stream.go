package httpx

import "sync/atomic"

// Stream meters a long-lived answer (an SSE body, a WebSocket). A stream
// handler that answers at once (a 400, a 401) just returns and is recorded
// like any request; one that takes the connection over calls Open before it
// returns and End when the stream is over, from whichever goroutine serves
// it. The core then counts it as an open connection until End, counts its
// messages and bytes, and writes its access-log line and duration at End.
type Stream struct {
	meter  StreamMeter
	opened atomic.Bool
	ended  atomic.Bool
	stats  struct{ sent, sentBytes, received, receivedBytes atomic.Int64 }
}

// StreamMeter is the core's side of a Stream.
type StreamMeter interface {
	Opened()
	Sent(bytes int)
	Received(bytes int)
	Ended(StreamStats)
}

// StreamStats is what one stream carried.
type StreamStats struct {
	Sent, SentBytes, Received, ReceivedBytes int64
}

// NewStream makes a stream reporting to m; the core calls it.
func NewStream(m StreamMeter) *Stream { return &Stream{meter: m} }

// Open marks the connection as taken over.
func (s *Stream) Open() {
	if s.opened.CompareAndSwap(false, true) {
		s.meter.Opened()
	}
}

// IsOpen reports whether Open was called.
func (s *Stream) IsOpen() bool { return s.opened.Load() }

// Sent counts one message of n bytes written to the client.
func (s *Stream) Sent(n int) {
	s.stats.sent.Add(1)
	s.stats.sentBytes.Add(int64(n))
	s.meter.Sent(n)
}

// Received counts one message of n bytes read from the client.
func (s *Stream) Received(n int) {
	s.stats.received.Add(1)
	s.stats.receivedBytes.Add(int64(n))
	s.meter.Received(n)
}

// End closes the stream's books; later calls do nothing.
func (s *Stream) End() {
	if !s.opened.Load() || !s.ended.CompareAndSwap(false, true) {
		return
	}
	s.meter.Ended(StreamStats{Sent: s.stats.sent.Load(), SentBytes: s.stats.sentBytes.Load(),
		Received: s.stats.received.Load(), ReceivedBytes: s.stats.receivedBytes.Load()})
}

// Meter is the StreamMeter the stream reports to (the core's own).
func (s *Stream) Meter() StreamMeter { return s.meter }
