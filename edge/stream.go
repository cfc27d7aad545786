package edge

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/gpubroker/gpubroker/edge/httpx"
)

// streamMeter is the core's side of one stream: an open connection in the
// route's gauge from Open to End, messages and bytes counted as they pass,
// and the access-log line and duration once both the handler has returned
// and the stream has ended (in either order: a WebSocket may close before
// the upgrade handler returns).
type streamMeter struct {
	s      *Server
	m      *streamMetrics
	opened time.Time

	mu       sync.Mutex
	line     *requestLine // set when the handler returned
	ended    bool
	stats    httpx.StreamStats
	finished bool
}

// streamMetrics are one stream route's metric handles.
type streamMetrics struct {
	open                    *metrics.Gauge
	sent, received          *metrics.Counter
	sentBytes, receivedByte *metrics.Counter
	duration                *metrics.PrometheusHistogram
}

func (s *Server) newStream(route string) *httpx.Stream {
	m, ok := s.m.streams.Load(route)
	if !ok {
		set := s.m.set
		c := func(what, dir string) *metrics.Counter {
			return set.GetOrCreateCounter(fmt.Sprintf(`gpubroker_stream_%s_total{route=%q,direction=%q}`, what, route, dir))
		}
		m, _ = s.m.streams.LoadOrStore(route, &streamMetrics{
			open: set.GetOrCreateGauge(fmt.Sprintf(`gpubroker_stream_connections{route=%q}`, route), nil),
			sent: c("messages", "sent"), received: c("messages", "received"),
			sentBytes: c("bytes", "sent"), receivedByte: c("bytes", "received"),
			duration: set.GetOrCreatePrometheusHistogram(fmt.Sprintf(`gpubroker_stream_duration_seconds{route=%q}`, route)),
		})
	}
	return httpx.NewStream(&streamMeter{s: s, m: m.(*streamMetrics)})
}

func (sm *streamMeter) Opened() {
	sm.opened = time.Now()
	sm.m.open.Inc()
}

func (sm *streamMeter) Sent(n int) {
	sm.m.sent.Inc()
	sm.m.sentBytes.Add(n)
}

func (sm *streamMeter) Received(n int) {
	sm.m.received.Inc()
	sm.m.receivedByte.Add(n)
}

func (sm *streamMeter) Ended(st httpx.StreamStats) {
	sm.m.open.Dec()
	sm.m.duration.Update(time.Since(sm.opened).Seconds())
	sm.mu.Lock()
	sm.ended, sm.stats = true, st
	sm.mu.Unlock()
	sm.finish()
}

// streamReturned records the request line of a stream whose handler has
// returned, copying what the log needs out of the request context, which
// fasthttp reuses once a connection is hijacked.
func (s *Server) streamReturned(st *httpx.Stream, l requestLine) {
	l.ids, l.remote, l.id, l.r = l.r.IDs, l.r.RemoteIP().String(), l.r.Identity, nil
	sm := st.Meter().(*streamMeter)
	sm.mu.Lock()
	sm.line = &l
	sm.mu.Unlock()
	sm.finish()
}

func (sm *streamMeter) finish() {
	sm.mu.Lock()
	if sm.finished || sm.line == nil || !sm.ended {
		sm.mu.Unlock()
		return
	}
	sm.finished = true
	l, st := *sm.line, sm.stats
	sm.mu.Unlock()
	if sm.s.cfg.AccessLog {
		sm.s.accessLog(l, time.Since(sm.opened), slog.Bool("stream", true),
			slog.Int64("messages_sent", st.Sent), slog.Int64("bytes_sent", st.SentBytes),
			slog.Int64("messages_received", st.Received), slog.Int64("bytes_received", st.ReceivedBytes))
	}
}
