package analytics

import (
	"container/heap"
	"math"
	"time"

	"github.com/gpubroker/gpubroker/shared/events"
)

// Config holds the detectors' parameters; zero values are the defaults of
// docs/analytics.md.
type Config struct {
	// Lateness is how far the watermark trails the newest timestamp
	// (default 5 s).
	Lateness time.Duration
	// ChangeThreshold is the relative price change that makes a
	// price_change (default 0.05, strictly exceeded).
	ChangeThreshold float64
	// Window is how many observations of a GPU the z-score looks at,
	// this one included (default 100), MinCount how many it needs
	// (default 20) and ZThreshold the |z| that is an anomaly (default 3,
	// strictly exceeded).
	Window     int
	MinCount   int
	ZThreshold float64
	// Tumble is the aggregate window (default 1 minute).
	Tumble time.Duration
}

func (c Config) withDefaults() Config {
	if c.Lateness <= 0 {
		c.Lateness = 5 * time.Second
	}
	if c.ChangeThreshold <= 0 {
		c.ChangeThreshold = 0.05
	}
	if c.Window <= 0 {
		c.Window = 100
	}
	if c.MinCount <= 0 {
		c.MinCount = 20
	}
	if c.ZThreshold <= 0 {
		c.ZThreshold = 3
	}
	if c.Tumble <= 0 {
		c.Tumble = time.Minute
	}
	return c
}

// Detectors holds the three detectors' state; not safe for concurrent use.
type Detectors struct {
	cfg     Config
	maxTS   time.Time // newest event time seen; zero before the first
	arrived uint64    // arrival counter, for ties in the reorder buffer
	pending observations
	windows map[gpuKey]*ring
	aggs    map[aggKey]*agg
	// Late counts observations that arrived behind the watermark (not in
	// the anomaly window).
	Late int
}

// New makes detectors with cfg.
func New(cfg Config) *Detectors {
	return &Detectors{cfg: cfg.withDefaults(), windows: map[gpuKey]*ring{}, aggs: map[aggKey]*agg{}}
}

// observation is one price_update with a new price, as the windowed
// detectors read it.
type observation struct {
	ev    events.PriceUpdate
	ts    time.Time
	price float64 // per GPU-hour
	seq   uint64
}

// watermark is the newest timestamp seen minus Lateness.
func (d *Detectors) watermark() time.Time {
	if d.maxTS.IsZero() {
		return time.Time{}
	}
	return d.maxTS.Add(-d.cfg.Lateness)
}

// Observe takes the next price_update in arrival order and returns the
// results it makes: its own price_change at once, and the anomalies and
// closed aggregate windows the watermark's move releases.
func (d *Detectors) Observe(ev events.PriceUpdate) []events.Event {
	if ev.Type != events.TypePriceUpdate {
		return nil
	}
	var out []events.Event
	if pc, ok := d.priceChange(ev); ok {
		out = append(out, pc)
	}
	ts := ev.Timestamp.Time()
	if ev.NewPrice == nil || ts.IsZero() {
		return out
	}
	o := observation{ev: ev, ts: ts, price: perGPUHour(ev), seq: d.arrived}
	d.arrived++
	// An aggregate window takes what arrives until it is emitted; only
	// the anomaly window needs timestamp order, so only it waits for the
	// watermark, and an observation the watermark has passed is too late
	// for it.
	d.aggregate(o)
	if wm := d.watermark(); !wm.IsZero() && !ts.After(wm) {
		d.Late++
	} else {
		heap.Push(&d.pending, o)
	}
	if ts.After(d.maxTS) {
		d.maxTS = ts
	}
	return d.advance(out)
}

// advance releases the observations the watermark has passed to the
// anomaly window, in timestamp order, and emits the aggregate windows it
// has reached.
func (d *Detectors) advance(out []events.Event) []events.Event {
	wm := d.watermark()
	for d.pending.Len() > 0 && !d.pending[0].ts.After(wm) {
		o := heap.Pop(&d.pending).(observation)
		if a, ok := d.anomaly(o); ok {
			out = append(out, a)
		}
	}
	return d.closeWindows(wm, out)
}

func perGPUHour(ev events.PriceUpdate) float64 {
	p := *ev.NewPrice
	if ev.GPUCount > 0 {
		p /= ev.GPUCount
	}
	return p
}

// priceChange is the price-change rule of docs/analytics.md.
func (d *Detectors) priceChange(ev events.PriceUpdate) (events.PriceChange, bool) {
	if ev.OldPrice == nil || ev.NewPrice == nil || *ev.OldPrice <= 0 {
		return events.PriceChange{}, false
	}
	old, next := *ev.OldPrice, *ev.NewPrice
	if math.Abs(next-old)/old <= d.cfg.ChangeThreshold {
		return events.PriceChange{}, false
	}
	h := events.Header{EventID: events.ResultID("price_change:" + ev.EventID), Type: events.TypePriceChange,
		Cell: ev.Cell, Timestamp: ev.Timestamp}
	return events.PriceChange{Header: h, SourceEventID: ev.EventID, OfferID: ev.OfferID, Provider: ev.Provider,
		GPU: ev.GPU, Region: ev.Region, OldPrice: old, NewPrice: next,
		ChangePercent: math.Round((next-old)/old*100*1e4) / 1e4}, true
}

// observations is the reorder buffer: a min-heap by timestamp, then
// arrival.
type observations []observation

func (h observations) Len() int { return len(h) }
func (h observations) Less(i, j int) bool {
	if !h[i].ts.Equal(h[j].ts) {
		return h[i].ts.Before(h[j].ts)
	}
	return h[i].seq < h[j].seq
}
func (h observations) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *observations) Push(x any)   { *h = append(*h, x.(observation)) }
func (h *observations) Pop() any {
	old := *h
	o := old[len(old)-1]
	*h = old[:len(old)-1]
	return o
}
