package workers

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/eventbus"
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

// observed hands a fresh fetch to the observer loop. Only the latest
// fetch waits: one that arrives while an earlier one is still waiting
// replaces it, so its changes are reported against the baseline as one
// (a price that went A→B→C between two observations is A→C); nothing is
// left out of the chain of prices.
func (w *Worker) observed(offers []shared.Offer, at time.Time) {
	snap := make(map[string]seenOffer, len(offers))
	for i := range offers {
		o := &offers[i]
		snap[o.ID] = seenOffer{price: o.PricePerHour, availability: o.Availability, gpu: o.GPUID, region: normalizedRegion(o),
			where: events.Location{ProviderRegion: o.Region, Country: o.Country, GPUCount: o.GPUCount}}
	}
	w.mu.Lock()
	if w.waiting != nil {
		w.m.superseded.Inc()
	}
	w.waiting = &fetched{offers: snap, at: at}
	w.mu.Unlock()
	select {
	case w.observe <- struct{}{}:
	default:
	}
}

// observeLoop turns fetches into events, one at a time, in fetch order.
// One that cannot be recorded (the stream or the baseline bucket is
// away) is tried again until a newer fetch replaces it.
func (w *Worker) observeLoop(ctx context.Context) {
	defer w.loops.Done()
	for fails := 0; ; {
		select {
		case <-ctx.Done():
			return
		case <-w.observe:
		}
		for ctx.Err() == nil {
			w.mu.Lock()
			snap := w.waiting
			w.waiting = nil
			w.mu.Unlock()
			if snap == nil {
				break
			}
			if err := w.record(ctx, snap); err != nil {
				fails++
				if fails == 1 || fails%30 == 0 {
					w.log.Warn("price events not recorded yet; retrying (they are derived again, nothing is skipped)", "err", err, "attempts", fails)
				}
				w.mu.Lock()
				if w.waiting == nil {
					w.waiting = snap
				}
				w.mu.Unlock()
				eventbus.Sleep(ctx, min(time.Duration(fails)*200*time.Millisecond, 5*time.Second))
				continue
			}
			fails = 0
		}
	}
}

// fetched is one fetch's offers and when they were fetched upstream.
type fetched struct {
	offers map[string]seenOffer
	at     time.Time
}

// record turns snap into events. The step from the last recorded
// offers to snap is first saved in the baselines bucket, then its events
// are derived (their ids computed from the step's revision and the
// change) and stored in the stream. A replica killed anywhere in between
// leaves the step for the next replica, which stores the same events
// again (the stream drops the copies it holds) before going on from snap:
// for every offer the stream's events form one unbroken chain of prices.
// A replica that finds another has recorded a newer step takes that one
// up the same way; a fetch older than the last recorded step (another
// replica fetched later and was quicker to record) is dropped, so the
// chain never steps back to older prices.
func (w *Worker) record(ctx context.Context, f *fetched) error {
	snap := f.offers
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if w.last == nil {
		b, found, err := w.baselines.load(ctx, w.provider)
		if err != nil {
			return err
		}
		if found {
			if err := w.storeStep(ctx, b); err != nil {
				return err
			}
			w.last = &b
		}
	}
	var prev uint64
	var base map[string]seenOffer // nil: the cell's first fetch of the provider
	if w.last != nil {
		if !f.at.After(w.last.at) {
			w.m.superseded.Inc()
			return nil
		}
		prev, base = w.last.rev, w.last.next
		if !changed(base, snap) {
			return nil
		}
	}
	step := baseline{base: base, next: snap, at: f.at}
	rev, err := w.baselines.save(ctx, w.provider, step, prev)
	if errors.Is(err, errBaselineMoved) {
		w.last = nil // take up the newer step, then compare snap with it
		return w.record(ctx, f)
	}
	if err != nil {
		return err
	}
	step.rev = rev
	if err := w.storeStep(ctx, step); err != nil {
		w.last = nil // the retry loads the step and stores its events
		return err
	}
	w.last = &step
	return nil
}

// storeStep stores the events of step b and waits for the stream's acks.
func (w *Worker) storeStep(ctx context.Context, b baseline) error {
	if b.base == nil {
		return nil
	}
	out, prices := w.changes(b)
	if len(out) == 0 {
		return nil
	}
	if err := w.store(ctx, out...); err != nil {
		return err
	}
	w.m.priceChanges.Add(prices)
	return nil
}

// changed reports whether snap differs from base in a way that makes an
// event: a price, an availability level, an offer come or gone.
func changed(base, snap map[string]seenOffer) bool {
	if len(base) != len(snap) {
		return true
	}
	for id, s := range snap {
		old, ok := base[id]
		if !ok || old.price != s.price || old.availability != s.availability {
			return true
		}
	}
	return false
}

// changes lists a price_update for every price that moved in step b,
// every offer that appeared (no old price) and every offer that went away
// (no new price), and an availability_update for every availability level
// that changed; prices counts the price_updates.
func (w *Worker) changes(b baseline) (out []events.Event, prices int) {
	now := time.Now()
	base, snap := b.base, b.next
	rev := strconv.FormatUint(b.rev, 10)
	id := func(typ, offer string, old, next any) string {
		return events.DerivedID(w.cfg.Cell, w.provider, rev, typ, offer, fmt.Sprint(old), fmt.Sprint(next))
	}
	for offer, s := range snap {
		old, ok := base[offer]
		switch {
		case !ok:
			out = append(out, w.priceUpdate(now, id(events.TypePriceUpdate, offer, nil, s.price), offer, s, nil, events.Price(s.price)))
			prices++
		case old.price != s.price:
			out = append(out, w.priceUpdate(now, id(events.TypePriceUpdate, offer, old.price, s.price), offer, s,
				events.Price(old.price), events.Price(s.price)))
			prices++
		}
		if ok && old.availability != s.availability {
			h := events.NewHeader(events.TypeAvailabilityUpdate, w.cfg.Cell, now)
			h.EventID = id(events.TypeAvailabilityUpdate, offer, old.availability, s.availability)
			out = append(out, events.AvailabilityUpdate{Header: h, Provider: w.provider, OfferID: offer, GPU: s.gpu,
				Region: s.region, Location: s.where, Old: string(old.availability), New: string(s.availability)})
		}
	}
	for offer, old := range base {
		if _, ok := snap[offer]; !ok {
			out = append(out, w.priceUpdate(now, id(events.TypePriceUpdate, offer, old.price, nil), offer, old, events.Price(old.price), nil))
			prices++
		}
	}
	return out, prices
}

func (w *Worker) priceUpdate(now time.Time, id, offerID string, s seenOffer, old, next *float64) events.PriceUpdate {
	h := events.NewHeader(events.TypePriceUpdate, w.cfg.Cell, now)
	h.EventID = id
	e := events.NewPriceUpdate(h, w.provider, offerID, s.gpu, s.region, old, next)
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
	h := events.NewHeader(events.TypeProviderEvent, w.cfg.Cell, time.Now())
	if what == events.ReplicaLeft {
		h.EventID = events.ReplicaLeftID(w.cfg.Cell, w.provider, w.cfg.Replica)
	}
	w.emit(events.ProviderEvent{Header: h, Provider: w.provider, Event: what, Replica: w.cfg.Replica, Reason: reason})
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
