package analytics

import (
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/shared/events"
)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

// update is a price_update of cell "c" at t0+at.
func update(id string, at time.Duration, gpu, region string, old, next *float64, gpus float64) events.PriceUpdate {
	e := events.NewPriceUpdate(events.Header{EventID: id, Type: events.TypePriceUpdate, Cell: "c", Timestamp: events.Timestamp(t0.Add(at))},
		"vastai", "o-"+id, gpu, region, old, next)
	e.GPUCount = gpus
	return e
}

func p(v float64) *float64 { return &v }

func TestPriceChangeRule(t *testing.T) {
	cases := []struct {
		name      string
		old, next *float64
		want      bool
		pct       float64
	}{
		{"up 25 %", p(2), p(2.5), true, 25},
		{"down 10 %", p(2), p(1.8), true, -10},
		{"up 2.5 %", p(2), p(2.05), false, 0},
		{"up 0.3 %", p(3), p(3.009), false, 0},
		{"exactly 5 % is not more than 5 %", p(20), p(21), false, 0},
		{"appeared", nil, p(2), false, 0},
		{"went away", p(2), nil, false, 0},
		{"old price 0", p(0), p(2), false, 0},
		{"rounded to 4 decimals", p(3), p(3.5), true, 16.6667},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := New(Config{})
			out := d.Observe(update("e1", 0, "h100", "us-east", c.old, c.next, 1))
			var got []events.PriceChange
			for _, ev := range out {
				if pc, ok := ev.(events.PriceChange); ok {
					got = append(got, pc)
				}
			}
			if (len(got) == 1) != c.want || len(got) > 1 {
				t.Fatalf("%d price_change results, want alert %v", len(got), c.want)
			}
			if !c.want {
				return
			}
			pc := got[0]
			if pc.EventID != events.ResultID("price_change:e1") || pc.Type != events.TypePriceChange || pc.SourceEventID != "e1" ||
				pc.Cell != "c" || pc.OfferID != "o-e1" || pc.ChangePercent != c.pct || pc.OldPrice != *c.old || pc.NewPrice != *c.next {
				t.Fatalf("result %+v", pc)
			}
		})
	}
}

// normal is a deterministic price near 2.0 (±0.05).
func normal(i int) float64 { return 2.0 + 0.05*math.Sin(float64(i)*1.7) }

func anomalies(out []events.Event) []events.PriceAnomaly {
	var got []events.PriceAnomaly
	for _, ev := range out {
		if a, ok := ev.(events.PriceAnomaly); ok {
			got = append(got, a)
		}
	}
	return got
}

func TestAnomalyDetector(t *testing.T) {
	t.Run("one outlier among 200 normal prices", func(t *testing.T) {
		d := New(Config{})
		var got []events.PriceAnomaly
		for i := range 201 {
			price := normal(i)
			if i == 150 {
				price = 9 * 8 // an 8-GPU offer at 9 per GPU-hour
			}
			gpus := 1.0
			if i == 150 {
				gpus = 8
			}
			got = append(got, anomalies(d.Observe(update(fmt.Sprint("e", i), time.Duration(i)*time.Second, "h100", "us-east", nil, p(price), gpus)))...)
		}
		got = append(got, anomalies(d.Observe(update("flush", time.Hour, "h100", "us-east", nil, p(2), 1)))...)
		if len(got) != 1 || got[0].SourceEventID != "e150" || got[0].Price != 9 || got[0].WindowCount != 100 || got[0].Z <= 3 {
			t.Fatalf("anomalies %+v, want one for e150 at 9/GPU-hour over a 100-price window", got)
		}
		a := got[0]
		if a.EventID != events.ResultID("price_anomaly:e150") || math.Abs(a.Z-(a.Price-a.Mean)/a.StdDev) > 1e-12 {
			t.Fatalf("anomaly %+v", a)
		}
	})
	t.Run("equal prices have no z-score", func(t *testing.T) {
		d := New(Config{})
		var got []events.PriceAnomaly
		for i := range 50 {
			got = append(got, anomalies(d.Observe(update(fmt.Sprint("e", i), time.Duration(i)*time.Second, "a100", "eu", nil, p(1.5), 1)))...)
		}
		got = append(got, anomalies(d.Observe(update("flush", time.Hour, "a100", "eu", nil, p(1.5), 1)))...)
		if len(got) != 0 {
			t.Fatalf("anomalies %+v from equal prices", got)
		}
	})
	t.Run("fewer than 20 observations are never an anomaly", func(t *testing.T) {
		d := New(Config{})
		var got []events.PriceAnomaly
		for i := range 19 {
			price := normal(i)
			if i == 18 {
				price = 50
			}
			got = append(got, anomalies(d.Observe(update(fmt.Sprint("e", i), time.Duration(i)*time.Second, "l4", "eu", nil, p(price), 1)))...)
		}
		got = append(got, anomalies(d.Observe(update("flush", time.Hour, "l4", "eu", nil, p(1.5), 1)))...)
		if len(got) != 0 {
			t.Fatalf("anomalies %+v from 19 observations", got)
		}
	})
}

func TestAggregatesOverMinuteWindows(t *testing.T) {
	d := New(Config{})
	var out []events.Event
	obs := []struct {
		id     string
		at     time.Duration
		region string
		price  float64
	}{
		{"a", 10 * time.Second, "us-east", 2},
		{"b", 50 * time.Second, "eu", 4},
		{"c", 70 * time.Second, "us-east", 3},
		{"late", 57 * time.Second, "us-east", 1}, // 13 s behind the newest, but its window is open until 65 s is passed... see below
		{"d", 130 * time.Second, "us-east", 5},
		{"flush", 10 * time.Minute, "us-east", 9},
	}
	for _, o := range obs {
		out = append(out, d.Observe(update(o.id, o.at, "h100", o.region, nil, p(o.price), 1))...)
	}
	type row struct {
		start         time.Duration
		region        string
		count         int
		min, avg, max float64
	}
	var got []row
	for _, ev := range out {
		if a, ok := ev.(events.PriceAggregate); ok {
			got = append(got, row{a.WindowStart.Time().Sub(t0), a.Region, a.Count, a.MinPrice, a.AvgPrice, a.MaxPrice})
			if a.EventID != events.ResultID("price_aggregate:c:h100:"+a.Region+":"+formatTS(a.WindowStart)) || a.WindowEnd.Time().Sub(a.WindowStart.Time()) != time.Minute {
				t.Fatalf("aggregate %+v", a)
			}
		}
	}
	sort.Slice(got, func(i, j int) bool {
		if got[i].start != got[j].start {
			return got[i].start < got[j].start
		}
		return got[i].region < got[j].region
	})
	// The watermark reached 65 s (70 - 5) when "c" arrived: window 0–60 s
	// was emitted then, so "late" (57 s) arrives after it closed.
	want := []row{
		{0, "all", 2, 2, 3, 4}, {0, "eu", 1, 4, 4, 4}, {0, "us-east", 1, 2, 2, 2},
		{time.Minute, "all", 1, 3, 3, 3}, {time.Minute, "us-east", 1, 3, 3, 3},
		{2 * time.Minute, "all", 1, 5, 5, 5}, {2 * time.Minute, "us-east", 1, 5, 5, 5},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("aggregates\n got %v\nwant %v", got, want)
	}
}

// An out-of-order event inside the lateness is counted in its window and
// takes its place by time in the anomaly window.
func TestOnTimeOutOfOrderEvent(t *testing.T) {
	d := New(Config{})
	var out []events.Event
	for _, o := range []struct {
		id    string
		at    time.Duration
		price float64
	}{{"a", 50 * time.Second, 2}, {"b", 62 * time.Second, 3}, {"late", 59 * time.Second, 1}, {"flush", 10 * time.Minute, 9}} {
		out = append(out, d.Observe(update(o.id, o.at, "h100", "eu", nil, p(o.price), 1))...)
	}
	for _, ev := range out {
		if a, ok := ev.(events.PriceAggregate); ok && a.WindowStart.Time().Equal(t0) && a.Region == "all" {
			if a.Count != 2 || a.MinPrice != 1 {
				t.Fatalf("window 0–60 s: %+v, want the 3 s late event in it", a)
			}
			if d.Late != 0 {
				t.Fatalf("%d late observations", d.Late)
			}
			return
		}
	}
	t.Fatal("window 0–60 s was not emitted")
}

// Over random streams (timestamps jittered back and forth, some far
// behind, random prices and GPU counts): results are finite, anomalies
// pass the threshold over a window of 20–100 and come in timestamp order
// per GPU, aggregates have min ≤ avg ≤ max over at least one observation,
// and the same input gives the same results, ids included.
func TestPropertyDetectors(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(0, 400).Draw(rt, "n")
		var in []events.PriceUpdate
		at := time.Duration(0)
		for i := range n {
			at += time.Duration(rapid.IntRange(0, 3000).Draw(rt, "step")) * time.Millisecond
			jitter := time.Duration(rapid.IntRange(-12000, 0).Draw(rt, "jitter")) * time.Millisecond
			price := rapid.Float64Range(0.01, 50).Draw(rt, "price")
			var old *float64
			if rapid.Bool().Draw(rt, "has old") {
				old = p(rapid.Float64Range(0, 50).Draw(rt, "old"))
			}
			var next *float64
			if rapid.IntRange(0, 9).Draw(rt, "gone") > 0 {
				next = p(price)
			}
			gpu := rapid.SampledFrom([]string{"h100", "a100"}).Draw(rt, "gpu")
			in = append(in, update(fmt.Sprint("e", i), at+jitter, gpu, rapid.SampledFrom([]string{"eu", "us"}).Draw(rt, "region"),
				old, next, float64(rapid.IntRange(0, 8).Draw(rt, "gpus"))))
		}
		run := func() []events.Event {
			d := New(Config{})
			var out []events.Event
			for _, ev := range in {
				out = append(out, d.Observe(ev)...)
			}
			return out
		}
		out := run()
		lastTS := map[string]time.Time{}
		for _, ev := range out {
			switch r := ev.(type) {
			case events.PriceAnomaly:
				for _, v := range []float64{r.Price, r.Mean, r.StdDev, r.Z} {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						rt.Fatalf("non-finite anomaly %+v", r)
					}
				}
				if math.Abs(r.Z) <= 3 || r.WindowCount < 20 || r.WindowCount > 100 || r.StdDev <= 0 {
					rt.Fatalf("anomaly %+v", r)
				}
				if ts := r.Timestamp.Time(); ts.Before(lastTS[r.GPU]) {
					rt.Fatalf("anomaly at %s after one at %s", ts, lastTS[r.GPU])
				} else {
					lastTS[r.GPU] = ts
				}
			case events.PriceAggregate:
				if r.Count < 1 || r.MinPrice > r.AvgPrice+1e-12 || r.AvgPrice > r.MaxPrice+1e-12 || math.IsNaN(r.AvgPrice) {
					rt.Fatalf("aggregate %+v", r)
				}
			}
		}
		again := run()
		if len(again) != len(out) {
			rt.Fatalf("%d results, then %d", len(out), len(again))
		}
		ids := map[string]bool{}
		for _, ev := range out {
			ids[ev.Head().EventID] = true
		}
		for _, ev := range again {
			if !ids[ev.Head().EventID] {
				rt.Fatalf("result %s only in the second run", ev.Head().EventID)
			}
		}
	})
}
