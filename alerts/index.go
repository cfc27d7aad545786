package alerts

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// Change is a price change as the index needs it (from a price_update
// event). NewPrice nil: the offer went away.
type Change struct {
	OfferID, Provider, GPU          string
	Region, ProviderRegion, Country string
	OldPrice, NewPrice              *float64
}

// Fire is an alert that a change set off.
type Fire struct {
	Alert   store.Alert
	OfferID string
	Price   float64 // the offer's price now, at or below Alert.MaxPrice
}

// entry is an indexed alert.
type entry struct {
	a         store.Alert
	gpus      []string
	region    string // RegionKey of a.Region, or "" for a provider's own code
	rawRegion string
}

// Index holds every alert, keyed by canonical GPU id, and which (alert,
// offer) pairs have fired and not re-armed. Safe for concurrent use.
type Index struct {
	mu    sync.Mutex
	byGPU map[string][]*entry
	byID  map[string]*entry
	fired map[firedKey]struct{}
}

type firedKey struct{ alert, offer string }

// NewIndex makes an empty index.
func NewIndex() *Index {
	return &Index{byGPU: map[string][]*entry{}, byID: map[string]*entry{}, fired: map[firedKey]struct{}{}}
}

// Put adds or replaces an alert. An alert whose GPU names no catalog model
// cannot match any event and is refused.
func (x *Index) Put(a store.Alert) error {
	q, ok := shared.ParseGPUQuery(a.GPUType)
	ids := q.IDs()
	if !ok || len(ids) == 0 {
		return fmt.Errorf("alerts: alert %s: gpu %q names no catalog model", a.ID, a.GPUType)
	}
	e := &entry{a: a, gpus: ids}
	if a.Region != "" {
		if k, ok := shared.RegionKey(a.Region); ok {
			e.region = k
		} else {
			e.rawRegion = a.Region // a provider's own code: compared as given
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(a.ID)
	x.byID[a.ID] = e
	for _, g := range ids {
		x.byGPU[g] = append(x.byGPU[g], e)
	}
	return nil
}

// Remove drops an alert and what it fired.
func (x *Index) Remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(id)
}

func (x *Index) removeLocked(id string) {
	e, ok := x.byID[id]
	if !ok {
		return
	}
	delete(x.byID, id)
	for _, g := range e.gpus {
		list := slices.DeleteFunc(x.byGPU[g], func(o *entry) bool { return o == e })
		if len(list) == 0 {
			delete(x.byGPU, g)
		} else {
			x.byGPU[g] = list
		}
	}
	for k := range x.fired {
		if k.alert == id {
			delete(x.fired, k)
		}
	}
}

// Len is how many alerts are indexed.
func (x *Index) Len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.byID)
}

// Evaluate applies one price change: it returns the alerts it fires (in
// creation order) and the ids of those it re-armed (the offer no longer
// satisfies them).
func (x *Index) Evaluate(c Change) (fires []Fire, rearmed []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []Fire
	keys := shared.RegionKeys(c.Region, c.Country)
	for _, e := range x.byGPU[c.GPU] {
		if !e.matches(c, keys) {
			continue
		}
		k := firedKey{e.a.ID, c.OfferID}
		_, was := x.fired[k]
		switch {
		case c.NewPrice != nil && *c.NewPrice <= e.a.MaxPrice:
			if !was {
				x.fired[k] = struct{}{}
				out = append(out, Fire{Alert: e.a, OfferID: c.OfferID, Price: *c.NewPrice})
			}
		case was: // above the max again, or gone: re-armed
			delete(x.fired, k)
			rearmed = append(rearmed, e.a.ID)
		}
	}
	slices.SortStableFunc(out, func(a, b Fire) int { return a.Alert.CreatedAt.Compare(b.Alert.CreatedAt) })
	return out, rearmed
}

// Has reports whether an alert is indexed.
func (x *Index) Has(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	_, ok := x.byID[id]
	return ok
}

// IDs lists the indexed alerts.
func (x *Index) IDs() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]string, 0, len(x.byID))
	for id := range x.byID {
		out = append(out, id)
	}
	return out
}

// SetFired replaces which (alert, offer) pairs count as fired: the
// store's record, at start and after a failed write.
func (x *Index) SetFired(fs []store.AlertFiring) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.fired = make(map[firedKey]struct{}, len(fs))
	for _, f := range fs {
		if _, ok := x.byID[f.AlertID]; ok {
			x.fired[firedKey{f.AlertID, f.OfferID}] = struct{}{}
		}
	}
}

// matches applies the alert's provider and region (keys: the change's
// RegionKeys); the GPU is the index key.
func (e *entry) matches(c Change, keys []string) bool {
	if e.a.Provider != "" && e.a.Provider != c.Provider {
		return false
	}
	switch {
	case e.region != "":
		return slices.Contains(keys, e.region)
	case e.rawRegion != "":
		return strings.EqualFold(e.rawRegion, c.ProviderRegion) || strings.EqualFold(e.rawRegion, c.Region)
	}
	return true
}
