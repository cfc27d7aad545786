// Command streamload is the load client of the push API: it opens many
// WebSocket (or SSE) streams to an edge, subscribes each to channels, and
// reports how long events take from being made to reaching the clients.
// With -nats it also makes the events itself, publishing price updates
// into the cell's event stream at -rate per second, as a worker would.
//
//	go run ./cmd/streamload -url http://127.0.0.1:8080 -conns 1000 \
//	    -nats nats://127.0.0.1:4222 -rate 20 -duration 20s
//
// Latency is measured from each event's timestamp (set when the event is
// made, millisecond precision) to the moment a client has read it; client
// and edge must share a clock (one machine). scripts/bench-streams.sh runs
// the benchmarks of docs/streams.md with it.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

type options struct {
	url, mode, token, channels, natsURL, cell, query string
	conns, dialers, rate                             int
	duration, settle, hold                           time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "http://127.0.0.1:8080", "the edge")
	flag.StringVar(&o.mode, "mode", "ws", "ws or sse")
	flag.StringVar(&o.token, "token", "", "API key or JWT (sent as ?token=)")
	flag.StringVar(&o.channels, "channels", "price_updates", "WebSocket channels, comma-separated")
	flag.StringVar(&o.query, "query", "", "SSE query string (gpu=...&region=...)")
	flag.IntVar(&o.conns, "conns", 100, "streams to open")
	flag.IntVar(&o.dialers, "dialers", 64, "streams opened concurrently")
	flag.StringVar(&o.natsURL, "nats", "", "NATS URL: publish price updates into the cell's event stream")
	flag.StringVar(&o.cell, "cell", "local", "the cell, with -nats")
	flag.IntVar(&o.rate, "rate", 10, "events per second published, with -nats")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long to publish and measure")
	flag.DurationVar(&o.settle, "settle", 2*time.Second, "wait after the last event for stragglers")
	flag.DurationVar(&o.hold, "hold", 0, "keep the streams open and idle this long before publishing (to measure the edge with idle streams)")
	flag.Parse()
	if err := run(o); err != nil {
		log.Fatal(err)
	}
}

// recorder collects receive latencies (milliseconds) of every client.
type recorder struct {
	mu        sync.Mutex
	latencies []float64
	frames    atomic.Int64
	lagged    atomic.Int64
	closed    atomic.Int64
	measuring atomic.Bool
}

func (r *recorder) frame(data []byte, now time.Time) {
	r.frames.Add(1)
	if !r.measuring.Load() {
		return
	}
	// Cheap field scans rather than decoding: with 10,000 streams on the
	// same two cores as the edge, the client's own cost skews the figure.
	if bytes.Contains(data, []byte(`"type":"lagged"`)) {
		r.lagged.Add(1)
		return
	}
	_, rest, ok := bytes.Cut(data, []byte(`"timestamp":"`))
	const stamp = len("2006-01-02T15:04:05.000Z") // events' timestamps are UTC
	if !ok || len(rest) < stamp {
		return
	}
	ts, err := time.Parse(events.TimestampLayout, string(rest[:stamp]))
	if err != nil {
		return
	}
	ms := float64(now.Sub(ts).Microseconds()) / 1000
	r.mu.Lock()
	r.latencies = append(r.latencies, ms)
	r.mu.Unlock()
}

func run(o options) error {
	rec := &recorder{}
	start := time.Now()
	var opened, failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, o.dialers)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var firstErr atomic.Value
	for range o.conns {
		sem <- struct{}{}
		ready := make(chan bool, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if o.mode == "sse" {
				err = sse(ctx, o, rec, ready)
			} else {
				err = ws(ctx, o, rec, ready)
			}
			if err != nil && ctx.Err() == nil {
				firstErr.CompareAndSwap(nil, err)
				rec.closed.Add(1)
			}
		}()
		if <-ready {
			opened.Add(1)
		} else {
			failed.Add(1)
		}
		<-sem
	}
	fmt.Printf("opened %d %s streams in %s (%d failed)\n", opened.Load(), o.mode, time.Since(start).Round(time.Millisecond), failed.Load())
	if e := firstErr.Load(); e != nil {
		fmt.Printf("first error: %v\n", e)
	}
	if pid := os.Getenv("STREAMLOAD_EDGE_PID"); pid != "" {
		fmt.Printf("edge RSS with the streams open: %s\n", rss(pid))
	}
	time.Sleep(time.Second) // subscriptions confirmed
	if o.hold > 0 {
		fmt.Printf("holding %d idle streams for %s\n", opened.Load(), o.hold)
		time.Sleep(o.hold)
	}
	rec.measuring.Store(true)
	published := 0
	if o.natsURL != "" {
		n, err := publish(o)
		if err != nil {
			return err
		}
		published = n
	} else {
		time.Sleep(o.duration)
	}
	time.Sleep(o.settle)
	rec.measuring.Store(false)
	report(o, rec, published, int(opened.Load()))
	if pid := os.Getenv("STREAMLOAD_EDGE_PID"); pid != "" {
		fmt.Printf("edge RSS after the run: %s\n", rss(pid))
	}
	cancel()
	wg.Wait()
	return nil
}

func withToken(u string, o options) string {
	if o.token == "" {
		return u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "token=" + o.token
}

// ws opens one WebSocket, subscribes, and reads until ctx ends.
func ws(ctx context.Context, o options, rec *recorder, ready chan<- bool) error {
	u := withToken(strings.Replace(strings.TrimRight(o.url, "/"), "http", "ws", 1)+"/ws/providers/", o)
	d := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 2048, WriteBufferSize: 512}
	c, _, err := d.DialContext(ctx, u, nil)
	if err != nil {
		ready <- false
		return fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	go func() { <-ctx.Done(); c.Close() }()
	if _, _, err := c.ReadMessage(); err != nil { // connection_established
		ready <- false
		return err
	}
	for _, ch := range strings.Split(o.channels, ",") {
		if err := c.WriteJSON(map[string]string{"type": "subscribe", "channel": ch}); err != nil {
			ready <- false
			return err
		}
	}
	ready <- true
	// One buffer per connection, reused: 10,000 clients allocating every
	// frame would take CPU from the edge they share the machine with.
	buf := make([]byte, 0, 1024)
	for {
		_, r, err := c.NextReader()
		if err != nil {
			return err
		}
		if buf, err = readAll(r, buf[:0]); err != nil {
			return err
		}
		rec.frame(buf, time.Now())
	}
}

// readAll appends r to buf until EOF.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// sse opens one SSE stream and reads it until ctx ends.
func sse(ctx context.Context, o options, rec *recorder, ready chan<- bool) error {
	u := strings.TrimRight(o.url, "/") + "/api/v2/providers/stream"
	if o.query != "" {
		u += "?" + o.query
	}
	req, err := http.NewRequestWithContext(ctx, "GET", withToken(u, o), nil)
	if err != nil {
		ready <- false
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ready <- false
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		ready <- false
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("stream: %d %s", resp.StatusCode, b)
	}
	ready <- true
	br := bufio.NewReaderSize(resp.Body, 4096)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if data, ok := strings.CutPrefix(string(line), "data: "); ok {
			rec.frame([]byte(data), time.Now())
		}
	}
}

// publish makes price updates in the cell's event stream at o.rate for
// o.duration, as workers do.
func publish(o options) (int, error) {
	nc, err := nats.Connect(o.natsURL)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	bus, err := eventbus.New(nc, eventbus.Config{Stream: eventbus.StreamConfig{Cell: o.cell}})
	if err != nil {
		return 0, err
	}
	defer bus.Close(context.Background())
	tick := time.NewTicker(time.Second / time.Duration(max(o.rate, 1)))
	defer tick.Stop()
	n := 0
	for end := time.Now().Add(o.duration); time.Now().Before(end); n++ {
		<-tick.C
		e := events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, o.cell, time.Now()), "vastai",
			"vastai:bench-"+strconv.Itoa(n%100), "nvidia-h100-sxm-80gb", "us-east", events.Price(2), events.Price(2+float64(n%50)/100))
		e.Country, e.GPUCount = "US", 1
		if err := bus.Publish(e); err != nil {
			return n, err
		}
	}
	return n, nil
}

func report(o options, rec *recorder, published, opened int) {
	rec.mu.Lock()
	lat := slices.Clone(rec.latencies)
	rec.mu.Unlock()
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Printf("events published %d; deliveries measured %d (expected %d); lagged notices %d; streams ended early %d\n",
		published, len(lat), published*opened, rec.lagged.Load(), rec.closed.Load())
	fmt.Printf("latency from event to client (ms): p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", q(0.50), q(0.90), q(0.99), q(1))
}

// rss reads a process's resident set size.
func rss(pid string) string {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
