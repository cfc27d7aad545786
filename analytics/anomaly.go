package analytics

import (
	"math"

	"github.com/gpubroker/gpubroker/shared/events"
)

// gpuKey is one cell's GPU model.
type gpuKey struct{ cell, gpu string }

// ring is a GPU's last Window prices, oldest first from start.
type ring struct {
	prices []float64
	start  int
}

func (r *ring) add(p float64, size int) {
	if len(r.prices) < size {
		r.prices = append(r.prices, p)
		return
	}
	r.prices[r.start] = p
	r.start = (r.start + 1) % size
}

// anomaly adds o to its GPU's window and reports it when its z-score
// passes the threshold. The standard deviation is the population one,
// computed as Flink reduces STDDEV_POP: sqrt((Σx² − (Σx)²/n) / n).
func (d *Detectors) anomaly(o observation) (events.PriceAnomaly, bool) {
	k := gpuKey{o.ev.Cell, o.ev.GPU}
	r := d.windows[k]
	if r == nil {
		r = &ring{}
		d.windows[k] = r
	}
	r.add(o.price, d.cfg.Window)
	n := len(r.prices)
	if n < d.cfg.MinCount {
		return events.PriceAnomaly{}, false
	}
	var sum, sumSq float64
	for i := range n {
		p := r.prices[(r.start+i)%n]
		sum += p
		sumSq += p * p
	}
	variance := (sumSq - sum*sum/float64(n)) / float64(n)
	if !(variance > 0) { // all equal (or cancelled to ≤ 0): no z-score
		return events.PriceAnomaly{}, false
	}
	mean, sd := sum/float64(n), math.Sqrt(variance)
	z := (o.price - mean) / sd
	if math.Abs(z) <= d.cfg.ZThreshold || math.IsNaN(z) || math.IsInf(z, 0) {
		return events.PriceAnomaly{}, false
	}
	ev := o.ev
	h := events.Header{EventID: events.ResultID("price_anomaly:" + ev.EventID), Type: events.TypePriceAnomaly,
		Cell: ev.Cell, Timestamp: ev.Timestamp}
	return events.PriceAnomaly{Header: h, SourceEventID: ev.EventID, OfferID: ev.OfferID, Provider: ev.Provider,
		GPU: ev.GPU, Region: ev.Region, Price: o.price, Mean: mean, StdDev: sd, Z: z, WindowCount: n}, true
}
