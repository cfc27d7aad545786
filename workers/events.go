package workers

import (
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/events"
	"github.com/gpubroker/gpubroker/workers/breaker"
)

// seenOffer is what the replica last saw of an offer.
type seenOffer struct {
	price        float64
	availability shared.Availability
	gpu, region  string
	where        events.Location
}

// observeOffers compares a fresh fetch with the previous one and emits a
// price_update for every price that moved, every offer that appeared (no
// old price) and every offer that went away (no new price), and an
// availability_update for every availability level that changed. A
// replica's first successful fetch is its baseline: it cannot tell what
// appeared while it was not running, so it emits nothing for it.
func (w *Worker) observeOffers(offers []shared.Offer) {
	next := make(map[string]seenOffer, len(offers))
	var out []events.Event
	prices := 0
	now := time.Now()
	w.mu.Lock()
	baseline := w.seen == nil
	for i := range offers {
		o := &offers[i]
		s := seenOffer{price: o.PricePerHour, availability: o.Availability, gpu: o.GPUID, region: normalizedRegion(o),
			where: events.Location{ProviderRegion: o.Region, Country: o.Country, GPUCount: o.GPUCount}}
		next[o.ID] = s
		if baseline {
			continue
		}
		old, ok := w.seen[o.ID]
		switch {
		case !ok:
			out = append(out, w.priceUpdate(now, o.ID, s, nil, events.Price(s.price)))
			prices++
		case old.price != s.price:
			out = append(out, w.priceUpdate(now, o.ID, s, events.Price(old.price), events.Price(s.price)))
			prices++
		}
		if ok && old.availability != s.availability {
			out = append(out, events.AvailabilityUpdate{Header: events.NewHeader(events.TypeAvailabilityUpdate, w.cfg.Cell, now),
				Provider: w.provider, OfferID: o.ID, GPU: s.gpu, Region: s.region, Location: s.where,
				Old: string(old.availability), New: string(s.availability)})
		}
	}
	for id, old := range w.seen {
		if _, ok := next[id]; !ok {
			out = append(out, w.priceUpdate(now, id, old, events.Price(old.price), nil))
			prices++
		}
	}
	w.seen = next
	w.mu.Unlock()
	for _, ev := range out {
		w.emit(ev)
	}
	w.m.priceChanges.Add(prices)
}

func (w *Worker) priceUpdate(now time.Time, offerID string, s seenOffer, old, next *float64) events.PriceUpdate {
	e := events.NewPriceUpdate(events.NewHeader(events.TypePriceUpdate, w.cfg.Cell, now),
		w.provider, offerID, s.gpu, s.region, old, next)
	e.Location = s.where
	return e
}

// normalizedRegion is the offer's canonical region, or the provider's own
// code when the region tables do not know it (as the search shows it).
func normalizedRegion(o *shared.Offer) string {
	if o.NormalizedRegion != "" {
		return o.NormalizedRegion
	}
	return o.Region
}

// providerEvent emits a change in how this replica serves its provider.
func (w *Worker) providerEvent(what, reason string) {
	w.emit(events.ProviderEvent{Header: events.NewHeader(events.TypeProviderEvent, w.cfg.Cell, time.Now()),
		Provider: w.provider, Event: what, Replica: w.cfg.Replica, Reason: reason})
}

func (w *Worker) emit(ev events.Event) {
	if err := w.cfg.Events.Publish(ev); err != nil {
		w.log.Warn("emitting event", "type", ev.Head().Type, "err", err)
	}
}

// breakerEvent names a breaker state as a provider_event.
func breakerEvent(s breaker.State) string {
	switch s {
	case breaker.Open:
		return events.BreakerOpened
	case breaker.HalfOpen:
		return events.BreakerHalfOpen
	default:
		return events.BreakerClosed
	}
}
