package workers

import (
	"encoding/json"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// observePrices compares a fresh fetch with the previous one and publishes a
// PriceChange for every offer whose price moved. Offers seen for the first
// time are not changes; offers that disappeared are forgotten.
func (w *Worker) observePrices(offers []shared.Offer) {
	next := make(map[string]float64, len(offers))
	var changes []shared.PriceChange
	now := time.Now().UTC()
	w.mu.Lock()
	for i := range offers {
		o := &offers[i]
		next[o.ID] = o.PricePerHour
		if old, ok := w.prices[o.ID]; ok && old != o.PricePerHour {
			changes = append(changes, shared.PriceChange{
				Provider: w.provider, OfferID: o.ID, GPUModel: o.GPUModel, GPUID: o.GPUID,
				Region: o.Region, OldPrice: old, NewPrice: o.PricePerHour, Currency: o.Currency, Timestamp: now,
			})
		}
	}
	w.prices = next
	w.mu.Unlock()
	subj := shared.PricesSubject(w.cfg.Cell, w.provider)
	for _, c := range changes {
		b, err := json.Marshal(c)
		if err != nil {
			continue
		}
		if err := w.cfg.Conn.Publish(subj, b); err != nil {
			w.log.Warn("publishing price change", "err", err)
			return
		}
		w.m.priceChanges.Inc()
	}
}
