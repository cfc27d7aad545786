package bridge

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/nats-io/nats.go"

	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/internal/testnats"
	"github.com/gpubroker/gpubroker/shared/eventbus"
	"github.com/gpubroker/gpubroker/shared/events"
)

// Event benchmarks against the real broker (scripts/bench-events.sh):
//
//	BenchmarkBridgeDrain: b.N price events wait in JetStream (Kafka was
//	away); the bridge starts and moves them all into Kafka. events/s is
//	the bridge's sustained rate.
//	BenchmarkBridgeLatency: 10,000 events/s published for 10 s with the
//	bridge running; p50/p99 from the stream taking an event to Kafka
//	acknowledging it.

func benchBus(b *testing.B, nc *nats.Conn, cell string) *eventbus.JetStream {
	bus, err := eventbus.New(nc, eventbus.Config{Stream: eventbus.StreamConfig{Cell: cell, MaxBytes: 2 << 30}, Logger: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = bus.Close(context.Background()) })
	return bus
}

func benchEvent(cell string, i int) events.PriceUpdate {
	return events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, cell, time.Now()), "vastai",
		"vastai:"+strconv.Itoa(i%5000), "h100-sxm", "us-east", events.Price(2.5), events.Price(2.5+float64(i%100)/100))
}

func runBenchBridge(b *testing.B, nc *nats.Conn, cell, brokers string, set *metrics.Set) *Bridge {
	// One consumer group for every run: a new group per run would first
	// read every earlier test's inbound records and skew the figure.
	br, err := New(nc, Config{Cell: cell, Brokers: strings.Split(brokers, ","), Group: "gpubroker-bridge-bench", Logger: quietLog(), Metrics: set},
		eventbus.StreamConfig{MaxBytes: 2 << 30})
	if err != nil {
		b.Fatal(err)
	}
	br.Start()
	b.Cleanup(func() { _ = br.Stop(context.Background()) })
	return br
}

func waitLag(b *testing.B, br *Bridge, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		st := br.Status(context.Background())
		if len(st.Mappings) > 0 && st.Mappings[0].Pending == 0 && st.Mappings[0].InFlight == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.Fatalf("bridge still behind after %s: %+v", timeout, br.Status(context.Background()))
}

func BenchmarkBridgeDrain(b *testing.B) {
	brokers := testenv.KafkaBrokers(b)
	nc := testnats.JetStream(b)
	cell := "bench" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	bus := benchBus(b, nc, cell)
	for i := range b.N {
		if err := bus.Publish(benchEvent(cell, i)); err != nil {
			b.Fatal(err)
		}
	}
	<-bus.JetStream().PublishAsyncComplete()
	set := metrics.NewSet()
	b.ResetTimer()
	start := time.Now()
	br := runBenchBridge(b, nc, cell, brokers, set)
	waitLag(b, br, 10*time.Minute)
	took := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/took.Seconds(), "events/s")
}

func BenchmarkBridgeLatency(b *testing.B) {
	brokers := testenv.KafkaBrokers(b)
	nc := testnats.JetStream(b)
	cell := "lat" + strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	bus := benchBus(b, nc, cell)
	set := metrics.NewSet()
	br := runBenchBridge(b, nc, cell, brokers, set)
	// Warm up: topics exist, the producer is connected.
	_ = bus.Publish(benchEvent(cell, 0))
	waitLag(b, br, time.Minute)
	br.m.delivery.Reset()
	b.ResetTimer()
	for range b.N {
		const rate, seconds = 10000, 10
		tick := time.NewTicker(10 * time.Millisecond) // 100 events per tick
		for i := 0; i < rate*seconds; i += rate / 100 {
			<-tick.C
			for j := range rate / 100 {
				if err := bus.Publish(benchEvent(cell, i+j)); err != nil {
					b.Fatal(err)
				}
			}
		}
		tick.Stop()
		waitLag(b, br, time.Minute)
	}
	b.StopTimer()
	p50, p99 := quantiles(br.m.delivery)
	b.ReportMetric(p50*1000, "p50-ms")
	b.ReportMetric(p99*1000, "p99-ms")
}

// quantiles reads p50 and p99 (upper bucket bounds, within ~12 %) from a
// VictoriaMetrics histogram.
func quantiles(h *metrics.Histogram) (p50, p99 float64) {
	type bucket struct {
		upper float64
		n     uint64
	}
	var bs []bucket
	var total uint64
	h.VisitNonZeroBuckets(func(vmrange string, n uint64) {
		_, hi, _ := strings.Cut(vmrange, "...")
		upper, err := strconv.ParseFloat(hi, 64)
		if err != nil {
			return
		}
		bs = append(bs, bucket{upper, n})
		total += n
	})
	sort.Slice(bs, func(i, j int) bool { return bs[i].upper < bs[j].upper })
	var seen uint64
	for _, bk := range bs {
		seen += bk.n
		if p50 == 0 && seen*100 >= total*50 {
			p50 = bk.upper
		}
		if seen*100 >= total*99 {
			return p50, bk.upper
		}
	}
	return p50, p99
}
