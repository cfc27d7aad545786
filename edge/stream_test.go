package edge

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/internal/testlog"
)

// serve runs s on a loopback port until the test ends.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l, time.Second) }()
	t.Cleanup(func() { cancel(); <-done })
	return "http://" + l.Addr().String()
}

// A streaming route is a first-class route: counted as an open connection
// while it lasts, its messages and bytes counted, its access-log line and
// duration written when it ends; a stream handler that answers at once is
// an ordinary request.
func TestStreamRoutesAreMetered(t *testing.T) {
	release := make(chan struct{})
	events := httpx.Route{Method: "GET", Path: "/t/events", Name: "events", Stream: func(r *httpx.Request, st *httpx.Stream) {
		if r.QueryArgs().Has("refuse") {
			httpx.WriteError(r.RequestCtx, httpx.BadParam("refuse", "refused"))
			return
		}
		st.Open()
		r.SetContentType("text/event-stream")
		r.SetBodyStreamWriter(func(w *bufio.Writer) {
			defer st.End()
			for i := range 3 {
				n, _ := fmt.Fprintf(w, "data: %d\n\n", i)
				_ = w.Flush()
				st.Sent(n)
				if i == 0 {
					<-release // hold the stream open while the test looks
				}
			}
		})
	}}
	logs := &testlog.Buffer{}
	s := newTestServer(t, Config{Routes: []httpx.Route{events}, AccessLog: true, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	base := serve(t, s)

	resp, err := http.Get(base + "/t/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || line != "data: 0\n" {
		t.Fatalf("first event %q, %v", line, err)
	}
	metricsText := func() string {
		r := do(s, "GET", "/metrics", nil)
		return string(r.Body())
	}
	if m := metricsText(); !strings.Contains(m, `gpubroker_stream_connections{route="events"} 1`) {
		t.Fatalf("open stream not counted:\n%s", grep(m, "gpubroker_stream"))
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if want := "\ndata: 1\n\ndata: 2\n\n"; string(rest) != want {
		t.Fatalf("rest of the stream %q", rest)
	}
	waitFor(t, func() bool { return strings.Contains(metricsText(), `gpubroker_stream_connections{route="events"} 0`) })
	m := metricsText()
	for _, want := range []string{
		`gpubroker_stream_messages_total{route="events",direction="sent"} 3`,
		`gpubroker_stream_bytes_total{route="events",direction="sent"} 27`,
		`gpubroker_stream_duration_seconds_count{route="events"} 1`,
		`gpubroker_http_requests_total{route="events",method="GET",status="200"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s:\n%s", want, grep(m, "events"))
		}
	}
	waitFor(t, func() bool { return strings.Contains(logs.String(), `"stream":true`) })
	if line := grep(logs.String(), `"route":"events"`); !strings.Contains(line, `"messages_sent":3`) || !strings.Contains(line, `"bytes_sent":27`) {
		t.Fatalf("access log of the stream: %s", line)
	}
	// Answered at once: an ordinary request, no stream counted.
	r, err := http.Get(base + "/t/events?refuse")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	m = metricsText()
	if r.StatusCode != 400 || !strings.Contains(m, `gpubroker_http_requests_total{route="events",method="GET",status="400"} 1`) ||
		!strings.Contains(m, `gpubroker_stream_duration_seconds_count{route="events"} 1`) {
		t.Fatalf("refused stream: %d\n%s", r.StatusCode, grep(m, "events"))
	}
}

func grep(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5 s")
}
