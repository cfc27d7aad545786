package analytics

import (
	"math"
	"time"

	"github.com/gpubroker/gpubroker/shared/events"
)

// aggKey is one window of one GPU in one region (or events.AllRegions).
type aggKey struct {
	cell, gpu, region string
	start             time.Time
}

type agg struct {
	count         int
	min, max, sum float64
}

// aggregate counts o in its window, per region and over all regions,
// unless that window has already been emitted.
func (d *Detectors) aggregate(o observation) {
	start := o.ts.UTC().Truncate(d.cfg.Tumble)
	if d.closed(start) {
		return
	}
	for _, region := range []string{o.ev.Region, events.AllRegions} {
		k := aggKey{o.ev.Cell, o.ev.GPU, region, start}
		a := d.aggs[k]
		if a == nil {
			a = &agg{min: math.Inf(1), max: math.Inf(-1)}
			d.aggs[k] = a
		}
		a.count++
		a.sum += o.price
		a.min = math.Min(a.min, o.price)
		a.max = math.Max(a.max, o.price)
	}
}

// closed reports whether the window starting at start was emitted: the
// watermark reached its last millisecond.
func (d *Detectors) closed(start time.Time) bool {
	wm := d.watermark()
	return !wm.IsZero() && !start.Add(d.cfg.Tumble-time.Millisecond).After(wm)
}

// closeWindows emits every window the watermark wm has reached.
func (d *Detectors) closeWindows(wm time.Time, out []events.Event) []events.Event {
	if wm.IsZero() {
		return out
	}
	for k, a := range d.aggs {
		if !d.closed(k.start) {
			continue
		}
		delete(d.aggs, k)
		end := k.start.Add(d.cfg.Tumble)
		startTS := events.Timestamp(k.start)
		h := events.Header{EventID: events.ResultID("price_aggregate:" + k.cell + ":" + k.gpu + ":" + k.region + ":" + formatTS(startTS)),
			Type: events.TypePriceAggregate, Cell: k.cell, Timestamp: events.Timestamp(end)}
		out = append(out, events.PriceAggregate{Header: h, GPU: k.gpu, Region: k.region, WindowStart: startTS,
			WindowEnd: events.Timestamp(end), Count: a.count, MinPrice: a.min, AvgPrice: a.sum / float64(a.count), MaxPrice: a.max})
	}
	return out
}

func formatTS(t events.Timestamp) string { return t.Time().UTC().Format(events.TimestampLayout) }
