//go:build linux

// The Flink SQL jobs (flink/sql/, run by flink/run-local) against a real
// Kafka broker: a planted stream of price_update events in, exactly the
// results of docs/analytics.md out, computed here by a small reference.
package flink_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/gpubroker/gpubroker/analytics"
	"github.com/gpubroker/gpubroker/internal/testenv"
	"github.com/gpubroker/gpubroker/shared/events"
)

const cell = "flinktest"

// t0 is the start of the first minute window of the planted stream.
var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func TestFlinkJobs(t *testing.T) {
	if os.Getenv("GPUBROKER_TEST_FLINK") != "1" && !testenv.Required() {
		t.Skip("set GPUBROKER_TEST_FLINK=1 to run the Flink jobs (minutes: the first run installs PyFlink)")
	}
	brokers := testenv.KafkaBrokers(t)
	suffix := fmt.Sprintf("%d", time.Now().UnixNano())
	topics := map[string]string{
		"FLINK_INPUT_TOPIC":      "flinktest.price-updates." + suffix,
		"FLINK_ALERTS_TOPIC":     "flinktest.price-alerts." + suffix,
		"FLINK_ANOMALIES_TOPIC":  "flinktest.price-anomalies." + suffix,
		"FLINK_AGGREGATES_TOPIC": "flinktest.price-aggregates." + suffix,
	}
	k := connect(t, brokers)
	// One input partition: the watermark is then the newest event time of
	// the stream in the order produced, as in the reference below.
	k.createTopic(t, topics["FLINK_INPUT_TOPIC"], 1)
	for _, env := range []string{"FLINK_ALERTS_TOPIC", "FLINK_ANOMALIES_TOPIC", "FLINK_AGGREGATES_TOPIC"} {
		k.createTopic(t, topics[env], 3)
	}
	out := map[string]*collector{}
	for _, env := range []string{"FLINK_ALERTS_TOPIC", "FLINK_ANOMALIES_TOPIC", "FLINK_AGGREGATES_TOPIC"} {
		out[env] = k.consume(t, topics[env])
	}

	in := plantedStream()
	k.produce(t, topics["FLINK_INPUT_TOPIC"], in)
	wantAlerts, wantAnomalies, wantAggs := reference(in)
	sanityCheck(t, wantAlerts, wantAnomalies, wantAggs)
	sameAsEmbedded(t, in, wantAlerts, wantAnomalies, wantAggs)

	group := "flinktest-" + suffix
	t.Cleanup(func() { _ = k.admin.DeleteConsumerGroup(group) }) // after the job's cleanup
	started := time.Now()
	env := []string{"KAFKA_BROKERS=" + brokers, "FLINK_GROUP_ID=" + group, "FLINK_SAVEPOINT_DIR=" + t.TempDir()}
	for name, topic := range topics {
		env = append(env, name+"="+topic)
	}
	stop := runLocal(t, env)
	t.Logf("flink job running %v after start", time.Since(started).Round(time.Millisecond))

	// Everything is emitted once the planted stream's last event has moved
	// the watermark; a few seconds more show that nothing else comes.
	deadline := time.Now().Add(3 * time.Minute)
	for _, w := range []struct {
		c *collector
		n int
	}{{out["FLINK_ALERTS_TOPIC"], len(wantAlerts)}, {out["FLINK_ANOMALIES_TOPIC"], len(wantAnomalies)},
		{out["FLINK_AGGREGATES_TOPIC"], len(wantAggs)}} {
		w.c.waitFor(t, w.n, deadline)
	}
	t.Logf("all %d results in %v after start", len(wantAlerts)+len(wantAnomalies)+len(wantAggs),
		time.Since(started).Round(time.Millisecond))
	time.Sleep(5 * time.Second)

	checkAll(t, out, wantAlerts, wantAnomalies, wantAggs)

	// Detection latency: more +25 % changes, produced now, one at a time
	// (their event times stay in the last, open window: no window closes).
	var lat, inFlink []time.Duration
	for i := range 5 {
		n := out["FLINK_ALERTS_TOPIC"].len()
		p := planted{ev: update(900+i, 300_500+i, fmt.Sprintf("flinktest:latency:%d", i), "flinktest-latency", "us-east", 0, price(2), price(2.5))}
		in = append(in, p)
		sent := time.Now()
		appended := k.produce(t, topics["FLINK_INPUT_TOPIC"], []planted{p})
		r := out["FLINK_ALERTS_TOPIC"].waitFor(t, n+1, time.Now().Add(time.Minute))
		if r.fields["source_event_id"] != p.ev.EventID {
			t.Fatalf("latency alert: got %s", r.value)
		}
		lat = append(lat, r.at.Sub(sent).Round(time.Millisecond))
		inFlink = append(inFlink, r.appended.Sub(appended).Round(time.Millisecond))
		time.Sleep(time.Second)
	}
	t.Logf("detection latency, produce to alert consumed: %v; input appended to alert appended: %v", lat, inFlink)

	// Offsets are committed on checkpoints. A stop (SIGTERM: a savepoint)
	// and a start, then a kill (SIGKILL: the last checkpoint) and a start,
	// go on where the job was: no result comes again, and the 10:05 window,
	// open throughout, keeps what it had until an event at 10:06:10 closes it.
	k.waitCommitted(t, group, topics["FLINK_INPUT_TOPIC"])
	stop(syscall.SIGTERM)
	restarted := time.Now()
	stop = runLocal(t, env)
	t.Logf("restarted after a stop in %v", time.Since(restarted).Round(time.Millisecond))
	restart := planted{ev: update(950, 301_000, "flinktest:restart", "flinktest-latency", "us-east", 0, price(2), price(2.5))}
	in = append(in, restart)
	n := out["FLINK_ALERTS_TOPIC"].len()
	k.produce(t, topics["FLINK_INPUT_TOPIC"], []planted{restart})
	if r := out["FLINK_ALERTS_TOPIC"].waitFor(t, n+1, time.Now().Add(2*time.Minute)); r.fields["source_event_id"] != restart.ev.EventID {
		t.Fatalf("first alert after the restart: %s", r.value)
	}
	k.waitCommitted(t, group, topics["FLINK_INPUT_TOPIC"])
	stop(syscall.SIGKILL)
	restarted = time.Now()
	runLocal(t, env)
	t.Logf("restarted after a kill in %v", time.Since(restarted).Round(time.Millisecond))
	more := []planted{{ev: update(951, 370_000, "flinktest:flush", "flinktest-flush", "us-east", 1, nil, price(1))}}
	in = append(in, more...)
	k.produce(t, topics["FLINK_INPUT_TOPIC"], more)
	wantAlerts, wantAnomalies, wantAggs = reference(in)
	sameAsEmbedded(t, in, wantAlerts, wantAnomalies, wantAggs)
	deadline = time.Now().Add(2 * time.Minute)
	out["FLINK_ALERTS_TOPIC"].waitFor(t, len(wantAlerts), deadline)
	out["FLINK_AGGREGATES_TOPIC"].waitFor(t, len(wantAggs), deadline)
	time.Sleep(5 * time.Second)
	checkAll(t, out, wantAlerts, wantAnomalies, wantAggs)
}

// checkAll checks the three output topics.
func checkAll(t *testing.T, out map[string]*collector, alerts map[string]alert, anomalies map[string]anomaly, aggs map[string]aggregate) {
	t.Helper()
	field := func(name string) func(record) string {
		return func(r record) string { return fmt.Sprint(r.fields[name]) }
	}
	check(t, "alert", out["FLINK_ALERTS_TOPIC"], alerts, alertFields, field("offer_id"))
	check(t, "anomaly", out["FLINK_ANOMALIES_TOPIC"], anomalies, anomalyFields, field("offer_id"))
	check(t, "aggregate", out["FLINK_AGGREGATES_TOPIC"], aggs, aggregateFields, field("gpu"))
}

// planted is one input record: a price_update, or raw bytes the jobs must
// ignore (another kind, not JSON).
type planted struct {
	ev  events.PriceUpdate
	raw string
}

func price(v float64) *float64 { return &v }

func update(n, ms int, offer, gpu, region string, gpus float64, old, next *float64) events.PriceUpdate {
	h := events.Header{EventID: fmt.Sprintf("ft-%03d", n), Type: events.TypePriceUpdate, Cell: cell,
		Timestamp: events.Timestamp(t0.Add(time.Duration(ms) * time.Millisecond))}
	e := events.NewPriceUpdate(h, "flinkprov", offer, gpu, region, old, next)
	e.GPUCount = gpus
	return e
}

// plantedStream spans the minute windows 10:00, 10:01 and 10:02 and ends
// with one event at 10:05 that moves the watermark past all three.
func plantedStream() []planted {
	var s []planted
	n := 0
	add := func(ms int, offer, gpu, region string, gpus float64, old, next *float64) {
		n++
		s = append(s, planted{ev: update(n, ms, offer, gpu, region, gpus, old, next)})
	}
	// H100: 201 observations 0.8 s apart (10:00:00.5 to 10:02:40.5) near
	// 2.0, the 151st (10:02:00.5) an outlier at 9.0: one anomaly. Every
	// third is an 8-GPU offer priced per instance.
	for i := 0; i <= 200; i++ {
		p := 2.0 + 0.05*math.Sin(float64(i)*1.7)
		if i == 150 {
			p = 9.0
		}
		gpus := 1.0
		if i%3 == 0 {
			gpus, p = 8, p*8
		}
		add(500+800*i, fmt.Sprintf("flinktest:h100:%d", i), "nvidia-h100-sxm-80gb", []string{"us-east", "eu-west"}[i%2], gpus, nil, price(p))
	}
	// L4: 30 observations near 1.0, one a second from 10:00:01.
	for i := 1; i <= 30; i++ {
		add(1000*i, fmt.Sprintf("flinktest:l4:%d", i), "nvidia-l4-24gb", "us-west", 1, nil, price(1.0+0.01*math.Sin(float64(i))))
	}
	// Price changes of A100 offers: +25 %, -10 %, +2.5 %, +0.3 %; an offer
	// that appears.
	add(10_250, "flinktest:a100:1", "nvidia-a100-80gb", "us-east", 1, price(2), price(2.5))
	add(20_250, "flinktest:a100:2", "nvidia-a100-80gb", "us-east", 1, price(2), price(1.8))
	add(70_250, "flinktest:a100:3", "nvidia-a100-80gb", "us-east", 1, price(2), price(2.05))
	add(80_250, "flinktest:a100:4", "nvidia-a100-80gb", "eu-west", 1, price(3), price(3.009))
	add(90_250, "flinktest:a100:5", "nvidia-a100-80gb", "eu-west", 1, nil, price(1.5))
	sort.SliceStable(s, func(i, j int) bool { return s[i].ev.Timestamp.Time().Before(s[j].ev.Timestamp.Time()) })

	// Out of order: each extra goes right after the last event up to a time.
	n++
	extras := []struct {
		after int
		p     planted
	}{
		// 3 s late (newest 10:01:01.7), in the 10:00 window, still open: counted
		{62_000, planted{ev: update(n, 59_000, "flinktest:a100:6", "nvidia-a100-80gb", "eu-west", 1, nil, price(2.2))}},
		// 10 s late, its 10:01 window open: counted there, but too late for
		// the anomaly window (where its |z| would be above 3)
		{100_000, planted{ev: update(n+1, 90_000, "flinktest:l4:late", "nvidia-l4-24gb", "us-west", 1, nil, price(5))}},
		// an offer going away at 10:02:50: no observation, does not move the watermark
		{110_000, planted{ev: update(n+2, 170_000, "flinktest:a100:1", "nvidia-a100-80gb", "us-east", 1, price(2.5), nil)}},
		// records that are not price updates: ignored, and no watermark
		{111_000, planted{raw: `{"event_id":"ft-x1","type":"availability_update","cell":"flinktest","timestamp":"2026-12-04T10:09:00.000Z",` +
			`"provider":"flinkprov","offer_id":"flinktest:a100:5","gpu":"nvidia-a100-80gb","region":"eu-west",` +
			`"old_availability":"available","new_availability":"limited"}`}},
		{112_000, planted{raw: `not json`}},
		// 100 s late, its window closed: no aggregate, no anomaly; still a +30 % price change
		{140_000, planted{ev: update(n+3, 40_000, "flinktest:a100:7", "nvidia-a100-80gb", "us-east", 1, price(2), price(2.6))}},
	}
	n += 3
	var merged []planted
	for _, p := range s {
		for len(extras) > 0 && p.ev.Timestamp.Time().After(t0.Add(time.Duration(extras[0].after)*time.Millisecond)) {
			merged = append(merged, extras[0].p)
			extras = extras[1:]
		}
		merged = append(merged, p)
	}
	for _, x := range extras {
		merged = append(merged, x.p)
	}
	s = merged

	n++ // 10:05: the watermark passes 10:02:59.999, closing the three windows
	s = append(s, planted{ev: update(n, 300_000, "flinktest:flush", "flinktest-flush", "us-east", 1, nil, price(1))})
	return s
}

// Results as the jobs write them (docs/analytics.md), one struct per kind.
type alert struct {
	EventID       string  `json:"event_id"`
	Type          string  `json:"type"`
	Cell          string  `json:"cell"`
	Timestamp     string  `json:"timestamp"`
	SourceEventID string  `json:"source_event_id"`
	OfferID       string  `json:"offer_id"`
	Provider      string  `json:"provider"`
	GPU           string  `json:"gpu"`
	Region        string  `json:"region"`
	OldPrice      float64 `json:"old_price"`
	NewPrice      float64 `json:"new_price"`
	ChangePercent float64 `json:"change_percent"`
}

type anomaly struct {
	EventID       string  `json:"event_id"`
	Type          string  `json:"type"`
	Cell          string  `json:"cell"`
	Timestamp     string  `json:"timestamp"`
	SourceEventID string  `json:"source_event_id"`
	OfferID       string  `json:"offer_id"`
	Provider      string  `json:"provider"`
	GPU           string  `json:"gpu"`
	Region        string  `json:"region"`
	Price         float64 `json:"price"`
	Mean          float64 `json:"mean"`
	StdDev        float64 `json:"stddev"`
	Z             float64 `json:"z"`
	WindowCount   int     `json:"window_count"`
}

type aggregate struct {
	EventID     string  `json:"event_id"`
	Type        string  `json:"type"`
	Cell        string  `json:"cell"`
	Timestamp   string  `json:"timestamp"`
	GPU         string  `json:"gpu"`
	Region      string  `json:"region"`
	WindowStart string  `json:"window_start"`
	WindowEnd   string  `json:"window_end"`
	Count       int     `json:"count"`
	MinPrice    float64 `json:"min_price"`
	AvgPrice    float64 `json:"avg_price"`
	MaxPrice    float64 `json:"max_price"`
}

var (
	alertFields = []string{"event_id", "type", "cell", "timestamp", "source_event_id", "offer_id", "provider", "gpu",
		"region", "old_price", "new_price", "change_percent"}
	anomalyFields = []string{"event_id", "type", "cell", "timestamp", "source_event_id", "offer_id", "provider", "gpu",
		"region", "price", "mean", "stddev", "z", "window_count"}
	aggregateFields = []string{"event_id", "type", "cell", "timestamp", "gpu", "region", "window_start", "window_end",
		"count", "min_price", "avg_price", "max_price"}
)

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// sameAsEmbedded feeds in, in arrival order, to the cell's embedded
// detectors (analytics/, what a cell without Flink runs) and requires the
// very results the Flink jobs must write: the same alerts, anomalies and
// aggregates, ids included, numbers within 1e-9.
func sameAsEmbedded(t *testing.T, in []planted, alerts map[string]alert, anomalies map[string]anomaly, aggs map[string]aggregate) {
	t.Helper()
	d := analytics.New(analytics.Config{})
	gotAlerts, gotAnomalies, gotAggs := map[string]alert{}, map[string]anomaly{}, map[string]aggregate{}
	for _, p := range in {
		ev := p.ev
		if p.raw != "" {
			ev = events.PriceUpdate{}
			if json.Unmarshal([]byte(p.raw), &ev) != nil {
				continue // not JSON: the runner skips it
			}
		}
		for _, r := range d.Observe(ev) {
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var err2 error
			switch r.Head().Type {
			case events.TypePriceChange:
				var a alert
				err2 = json.Unmarshal(b, &a)
				gotAlerts[a.EventID] = a
			case events.TypePriceAnomaly:
				var a anomaly
				err2 = json.Unmarshal(b, &a)
				gotAnomalies[a.EventID] = a
			case events.TypePriceAggregate:
				var a aggregate
				err2 = json.Unmarshal(b, &a)
				gotAggs[a.EventID] = a
			}
			if err2 != nil {
				t.Fatal(err2)
			}
		}
	}
	compare := func(kind string, got, want map[string]any) {
		if len(got) != len(want) {
			t.Fatalf("embedded detectors: %d %s results, the Flink jobs' contract %d", len(got), kind, len(want))
		}
		for id, w := range want {
			if g, ok := got[id]; !ok || !equal(g, w) {
				t.Fatalf("embedded detectors: %s %s is %+v, want %+v", kind, id, g, w)
			}
		}
	}
	compare("alert", anyMap(gotAlerts), anyMap(alerts))
	compare("anomaly", anyMap(gotAnomalies), anyMap(anomalies))
	compare("aggregate", anyMap(gotAggs), anyMap(aggs))
}

func anyMap[T any](m map[string]T) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// reference computes docs/analytics.md over in, in arrival order. The
// watermark is the newest observation's time minus 5 s, after each record:
// an observation it has passed (ts <= watermark) is too late for the
// anomaly window; an aggregate window takes observations until the
// watermark reaches its last millisecond, and only such windows are
// emitted; the anomaly window sees the on-time observations the final
// watermark has passed, in time order.
func reference(in []planted) (map[string]alert, map[string]anomaly, map[string]aggregate) {
	alerts, anomalies, aggs := map[string]alert{}, map[string]anomaly{}, map[string]aggregate{}
	type obs struct {
		ev    events.PriceUpdate
		ts    time.Time
		price float64
	}
	type window struct {
		gpu, region string
		start       time.Time
	}
	type acc struct {
		n             int
		min, max, sum float64
	}
	accs := map[window]*acc{}
	var onTime []obs
	var newest time.Time
	closed := func(start, wm time.Time) bool {
		return !newest.IsZero() && !start.Add(time.Minute-time.Millisecond).After(wm)
	}
	for _, p := range in {
		e := p.ev
		if p.raw != "" {
			continue
		}
		if e.OldPrice != nil && e.NewPrice != nil && *e.OldPrice > 0 && math.Abs(*e.NewPrice-*e.OldPrice) / *e.OldPrice > 0.05 {
			old, next := *e.OldPrice, *e.NewPrice
			id := events.ResultID("price_change:" + e.EventID)
			alerts[id] = alert{id, "price_change", e.Cell, stamp(e.Timestamp.Time()), e.EventID, e.OfferID, e.Provider,
				e.GPU, e.Region, old, next, math.Round((next-old)/old*100*1e4) / 1e4}
		}
		if e.NewPrice == nil {
			continue
		}
		o := obs{e, e.Timestamp.Time(), *e.NewPrice}
		if e.GPUCount > 0 {
			o.price /= e.GPUCount
		}
		wm := newest.Add(-5 * time.Second)
		if newest.IsZero() || o.ts.After(wm) {
			onTime = append(onTime, o)
		}
		start := o.ts.Truncate(time.Minute)
		for _, region := range []string{e.Region, "all"} {
			if closed(start, wm) {
				continue
			}
			k := window{e.GPU, region, start}
			a := accs[k]
			if a == nil {
				a = &acc{min: math.Inf(1), max: math.Inf(-1)}
				accs[k] = a
			}
			a.n++
			a.sum += o.price
			a.min, a.max = math.Min(a.min, o.price), math.Max(a.max, o.price)
		}
		if o.ts.After(newest) {
			newest = o.ts
		}
	}
	final := newest.Add(-5 * time.Second)

	sort.SliceStable(onTime, func(i, j int) bool { return onTime[i].ts.Before(onTime[j].ts) })
	last := map[string][]float64{} // per GPU (one cell), up to 100
	for _, o := range onTime {
		if o.ts.After(final) {
			break
		}
		w := append(last[o.ev.GPU], o.price)
		if len(w) > 100 {
			w = w[1:]
		}
		last[o.ev.GPU] = w
		n := float64(len(w))
		if len(w) < 20 {
			continue
		}
		var sum, sumSq float64
		for _, x := range w {
			sum += x
			sumSq += x * x
		}
		variance := (sumSq - sum*sum/n) / n
		if !(variance > 0) {
			continue
		}
		mean, sd := sum/n, math.Sqrt(variance)
		if z := (o.price - mean) / sd; math.Abs(z) > 3 {
			e := o.ev
			id := events.ResultID("price_anomaly:" + e.EventID)
			anomalies[id] = anomaly{id, "price_anomaly", e.Cell, stamp(o.ts), e.EventID, e.OfferID, e.Provider, e.GPU,
				e.Region, o.price, mean, sd, z, len(w)}
		}
	}

	for k, a := range accs {
		if !closed(k.start, final) {
			continue
		}
		start, end := stamp(k.start), stamp(k.start.Add(time.Minute))
		id := events.ResultID("price_aggregate:" + cell + ":" + k.gpu + ":" + k.region + ":" + start)
		aggs[id] = aggregate{id, "price_aggregate", cell, end, k.gpu, k.region, start, end, a.n, a.min, a.sum / float64(a.n), a.max}
	}
	return alerts, anomalies, aggs
}

// sanityCheck pins what the planted stream is for, so a change to it that
// no longer tests these fails here rather than passing vacuously.
func sanityCheck(t *testing.T, alerts map[string]alert, anomalies map[string]anomaly, aggs map[string]aggregate) {
	t.Helper()
	var pcts []float64
	for _, a := range alerts {
		pcts = append(pcts, a.ChangePercent)
	}
	slices.Sort(pcts)
	if !slices.Equal(pcts, []float64{-10, 25, 30}) {
		t.Fatalf("reference alerts: change percents %v, want -10, 25 and the late 30", pcts)
	}
	if len(anomalies) != 1 {
		t.Fatalf("reference: %d anomalies, want 1", len(anomalies))
	}
	for _, a := range anomalies {
		if a.Price != 9 || a.GPU != "nvidia-h100-sxm-80gb" || a.WindowCount != 100 {
			t.Fatalf("reference anomaly %+v", a)
		}
	}
	starts := map[string]bool{}
	var l4, a100 int
	for _, a := range aggs {
		starts[a.WindowStart] = true
		if a.GPU == "nvidia-l4-24gb" && a.WindowStart == "2026-12-04T10:01:00.000Z" {
			l4 = a.Count // the 10 s late one alone
		}
		if a.GPU == "nvidia-a100-80gb" && a.Region == "eu-west" && a.WindowStart == "2026-12-04T10:00:00.000Z" {
			a100 = a.Count // the 3 s late one alone
		}
	}
	if len(starts) != 3 || l4 != 1 || a100 != 1 {
		t.Fatalf("reference aggregates: windows %v, late L4 count %d, late A100 count %d", starts, l4, a100)
	}
}

// check compares what the jobs wrote with want: the same event ids, each
// with exactly the kind's fields, equal strings and numbers within 1e-9,
// and the Kafka key the kind is partitioned by.
func check[T any](t *testing.T, kind string, c *collector, want map[string]T, fields []string, key func(record) string) {
	t.Helper()
	got := map[string]T{}
	for _, r := range c.all() {
		if keys := slices.Sorted(maps.Keys(r.fields)); !slices.Equal(keys, sortedCopy(fields)) {
			t.Errorf("%s %s: fields %v, want %v", kind, r.value, keys, fields)
		}
		var v T
		if err := json.Unmarshal(r.value, &v); err != nil {
			t.Errorf("%s %s: %v", kind, r.value, err)
			continue
		}
		id, _ := r.fields["event_id"].(string)
		if _, dup := got[id]; dup {
			t.Errorf("%s %s twice", kind, id)
		}
		got[id] = v
		if r.key != key(r) {
			t.Errorf("%s %s: record key %q", kind, id, r.key)
		}
		if r.headers["event_id"] != id || r.headers["type"] != r.fields["type"] || r.headers["cell"] != cell {
			t.Errorf("%s %s: headers %v", kind, id, r.headers)
		}
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("missing %s %+v", kind, w)
			continue
		}
		if !equal(g, w) {
			t.Errorf("%s %s:\n got %+v\nwant %+v", kind, id, g, w)
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("unexpected %s %+v", kind, g)
		}
	}
	if recs := c.all(); len(recs) > 0 {
		t.Logf("%d %s results as expected, e.g. key %q: %s", len(want), kind, recs[0].key, recs[0].value)
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// equal compares two results field by field through their JSON: strings
// and integers exactly, other numbers within 1e-9.
func equal(a, b any) bool {
	var ma, mb map[string]any
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if json.Unmarshal(ja, &ma) != nil || json.Unmarshal(jb, &mb) != nil || len(ma) != len(mb) {
		return false
	}
	for k, va := range ma {
		fa, okA := va.(float64)
		fb, okB := mb[k].(float64)
		if okA && okB {
			if math.Abs(fa-fb) > 1e-9 || (k == "count" || k == "window_count") && fa != fb {
				return false
			}
		} else if va != mb[k] {
			return false
		}
	}
	return true
}

// kafka is the test's client of the broker.
type kafka struct {
	client sarama.Client
	admin  sarama.ClusterAdmin
}

func connect(t *testing.T, brokers string) *kafka {
	t.Helper()
	sc := sarama.NewConfig()
	sc.Version = sarama.V4_0_0_0
	sc.Producer.RequiredAcks = sarama.WaitForAll
	sc.Producer.Return.Successes = true
	sc.Net.MaxOpenRequests = 1 // the planted order is the order in the partition
	// An empty fetch returns after 50 ms, not 500: the consumer is not what
	// the latency measures.
	sc.Consumer.MaxWaitTime = 50 * time.Millisecond
	client, err := sarama.NewClient(strings.Split(brokers, ","), sc)
	if err != nil {
		t.Fatalf("kafka client: %v", err)
	}
	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	return &kafka{client, admin}
}

func (k *kafka) createTopic(t *testing.T, topic string, partitions int32) {
	t.Helper()
	appendTime := "LogAppendTime" // record timestamps are the broker's: latency without the clients
	detail := &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"message.timestamp.type": &appendTime}}
	if err := k.admin.CreateTopic(topic, detail, false); err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
	t.Cleanup(func() { _ = k.admin.DeleteTopic(topic) }) // after the Flink job's cleanup (LIFO)
	for deadline := time.Now().Add(30 * time.Second); ; {
		parts, err := k.client.Partitions(topic)
		if err == nil && len(parts) == int(partitions) {
			ok := true
			for _, p := range parts {
				if _, err := k.client.Leader(topic, p); err != nil {
					ok = false
				}
			}
			if ok {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not ready: %v", topic, err)
		}
		time.Sleep(200 * time.Millisecond)
		_ = k.client.RefreshMetadata(topic)
	}
}

// produce writes in to topic, in order, and returns when the last record
// was appended.
func (k *kafka) produce(t *testing.T, topic string, in []planted) time.Time {
	t.Helper()
	prod, err := sarama.NewSyncProducerFromClient(k.client)
	if err != nil {
		t.Fatal(err)
	}
	msgs := make([]*sarama.ProducerMessage, len(in))
	for i, p := range in {
		value, key := []byte(p.raw), ""
		if p.raw == "" {
			value, _ = json.Marshal(p.ev)
			key = p.ev.OfferID
		}
		msgs[i] = &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(key), Value: sarama.ByteEncoder(value)}
	}
	if err := prod.SendMessages(msgs); err != nil {
		t.Fatalf("produce: %v", err)
	}
	return msgs[len(msgs)-1].Timestamp
}

// waitCommitted waits until group has committed the end of topic's
// partition 0.
func (k *kafka) waitCommitted(t *testing.T, group, topic string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; {
		end, err := k.client.GetOffset(topic, 0, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := k.admin.ListConsumerGroupOffsets(group, map[string][]int32{topic: {0}})
		if err == nil {
			if b := resp.GetBlock(topic, 0); b != nil && b.Offset == end {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s has not committed offset %d of %s: %v", group, end, topic, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// record is one result read back, with the time it was read.
type record struct {
	key      string
	value    []byte
	fields   map[string]any
	headers  map[string]string
	at       time.Time // read
	appended time.Time // written to the topic (LogAppendTime)
}

// collector holds every record of a topic, all partitions, from the start.
type collector struct {
	mu   sync.Mutex
	recs []record
	more chan struct{} // closed and replaced on every record
}

func (k *kafka) consume(t *testing.T, topic string) *collector {
	t.Helper()
	consumer, err := sarama.NewConsumerFromClient(k.client)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = consumer.Close() })
	parts, err := k.client.Partitions(topic)
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{more: make(chan struct{})}
	for _, p := range parts {
		pc, err := consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		for deadline := time.Now().Add(30 * time.Second); err != nil && time.Now().Before(deadline); {
			time.Sleep(200 * time.Millisecond) // a new partition's leader is still being elected
			_ = k.client.RefreshMetadata(topic)
			pc, err = consumer.ConsumePartition(topic, p, sarama.OffsetOldest)
		}
		if err != nil {
			t.Fatalf("consume %s/%d: %v", topic, p, err)
		}
		go func() {
			for m := range pc.Messages() {
				r := record{key: string(m.Key), value: m.Value, headers: map[string]string{}, at: time.Now(), appended: m.Timestamp}
				_ = json.Unmarshal(m.Value, &r.fields)
				for _, h := range m.Headers {
					r.headers[string(h.Key)] = string(h.Value)
				}
				c.mu.Lock()
				c.recs = append(c.recs, r)
				close(c.more)
				c.more = make(chan struct{})
				c.mu.Unlock()
			}
		}()
	}
	return c
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.recs)
}

func (c *collector) all() []record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.recs)
}

// waitFor waits until there are n records and returns the n-th.
func (c *collector) waitFor(t *testing.T, n int, deadline time.Time) record {
	t.Helper()
	for {
		c.mu.Lock()
		recs, more := c.recs, c.more
		c.mu.Unlock()
		if len(recs) >= n {
			return recs[n-1]
		}
		select {
		case <-more:
		case <-time.After(time.Until(deadline)):
			var got []string
			for _, r := range recs {
				got = append(got, string(r.value))
			}
			t.Fatalf("%d results by the deadline, want %d:\n%s", len(recs), n, strings.Join(got, "\n"))
		}
	}
}

// runLocal starts flink/run-local with env in its own process group and
// waits for its "flink jobs running" line. stop sends the group a signal;
// after SIGTERM (also the cleanup) it wants exit status 0.
func runLocal(t *testing.T, env []string) (stop func(syscall.Signal)) {
	t.Helper()
	logFile, err := os.CreateTemp(t.TempDir(), "run-local-*.log")
	if err != nil {
		t.Fatal(err)
	}
	logPath := logFile.Name()
	running := make(chan string, 1)
	cmd := exec.Command("./run-local")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = &lineWatch{w: logFile, running: running}
	cmd.Stderr = logFile
	cmd.WaitDelay = 30 * time.Second // for the JVM, which shares our stdout
	// Its own group, so the signal reaches it and nothing else; SIGKILL
	// when the test binary dies without cleanups (a -timeout).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	stop = func(sig syscall.Signal) {
		once.Do(func() {
			_ = syscall.Kill(-cmd.Process.Pid, sig)
			select {
			case err := <-exited:
				if err != nil && sig != syscall.SIGKILL {
					t.Errorf("run-local did not stop cleanly: %v\n%s", err, tail(logPath))
				}
			case <-time.After(time.Minute):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				t.Errorf("run-local still running a minute after SIGTERM\n%s", tail(logPath))
				<-exited
			}
			if t.Failed() {
				t.Logf("run-local output:\n%s", tail(logPath))
			}
		})
	}
	t.Cleanup(func() { stop(syscall.SIGTERM) })
	select {
	case ids := <-running:
		t.Logf("flink jobs running: %s", ids)
	case err := <-exited:
		exited <- err
		t.Fatalf("run-local exited before the job ran: %v\n%s", err, tail(logPath))
	case <-time.After(15 * time.Minute):
		t.Fatal("run-local: no \"flink jobs running\" line within 15 minutes")
	}
	return stop
}

// lineWatch copies run-local's output to w and sends the job ids of its
// "flink jobs running" line to running.
type lineWatch struct {
	w       io.Writer
	line    []byte
	running chan string
}

func (l *lineWatch) Write(p []byte) (int, error) {
	_, _ = l.w.Write(p)
	for _, c := range p {
		if c != '\n' {
			l.line = append(l.line, c)
			continue
		}
		if ids, ok := strings.CutPrefix(string(l.line), "flink jobs running: "); ok {
			select {
			case l.running <- ids:
			default:
			}
		}
		l.line = l.line[:0]
	}
	return len(p), nil
}

// tail is the end of a log file.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 8000 {
		b = b[len(b)-8000:]
	}
	return string(b)
}
