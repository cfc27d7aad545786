package edge

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/gpubroker/gpubroker/shared"
)

// Warning tells a client that a provider is missing from (or stale in) an
// answer, and why.
type Warning struct {
	Provider string `json:"provider"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

// providerResult is one provider's part of a gathered view.
type providerResult struct {
	Provider  string    `json:"-"`
	Status    string    `json:"status"` // ok | error
	Offers    int       `json:"offers"`
	LatencyMS int64     `json:"latency_ms"`
	FetchedAt time.Time `json:"fetched_at,omitzero"`
}

// view is the merged, deduplicated set of offers from a fan-out.
type view struct {
	offers   []*shared.Offer
	byID     map[string]*shared.Offer
	results  []providerResult
	warnings []Warning
}

// gather asks every provider in parallel, so the total time is that of the
// slowest provider (bounded by ctx), not the sum. Failed or late providers
// become warnings.
func (s *Server) gather(ctx context.Context, providers []string, ids RequestIDs) *view {
	type answer struct {
		po      ProviderOffers
		err     error
		latency time.Duration
	}
	answers := make([]answer, len(providers))
	var wg sync.WaitGroup
	for i, p := range providers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, s.cfg.ProviderTimeout)
			defer cancel()
			start := time.Now()
			po, err := s.cfg.Source.Fetch(pctx, p, ids)
			answers[i] = answer{po: po, err: err, latency: time.Since(start)}
		}()
	}
	wg.Wait()

	v := &view{byID: map[string]*shared.Offer{}}
	for i, p := range providers {
		a := answers[i]
		s.health.record(p, a.err, a.latency, len(a.po.Offers))
		s.m.providerFetch(p, a.latency, a.err)
		r := providerResult{Provider: p, LatencyMS: a.latency.Milliseconds()}
		if a.err != nil {
			r.Status = "error"
			v.warnings = append(v.warnings, warningFor(p, a.err))
			v.results = append(v.results, r)
			continue
		}
		r.Status, r.Offers, r.FetchedAt = "ok", len(a.po.Offers), a.po.FetchedAt
		v.results = append(v.results, r)
		for j := range a.po.Offers {
			o := &a.po.Offers[j]
			// The same offer can arrive twice (a provider listing it on
			// two pages, or two overlapping replies); keep the newest.
			if prev, dup := v.byID[o.ID]; dup {
				if !o.FetchedAt.After(prev.FetchedAt) {
					continue
				}
				*prev = *o
				continue
			}
			v.byID[o.ID] = o
			v.offers = append(v.offers, o)
		}
	}
	return v
}

func warningFor(provider string, err error) Warning {
	var fe *FetchError
	if errors.As(err, &fe) {
		return Warning{Provider: provider, Code: fe.Kind, Message: fe.Message}
	}
	return Warning{Provider: provider, Code: "error", Message: err.Error()}
}

// search filters, sorts and pages a view.
func (v *view) search(q *Query) (page []*shared.Offer, total int, next *cursor) {
	matched := make([]*shared.Offer, 0, len(v.offers)/4)
	for _, o := range v.offers {
		if q.match(o) {
			matched = append(matched, o)
		}
	}
	sk := q.Sort
	sort.Slice(matched, func(i, j int) bool { return sk.less(matched[i], matched[j]) })
	start := 0
	switch {
	case q.Cursor != nil:
		c := q.Cursor
		start = sort.Search(len(matched), func(i int) bool {
			return sk.before(c.Key, c.ID, sk.key(matched[i]), matched[i].ID)
		})
	case q.Page > 1:
		start = min((q.Page-1)*q.PerPage, len(matched))
	}
	end := min(start+q.PerPage, len(matched))
	page = matched[start:end]
	if end < len(matched) && len(page) > 0 {
		last := page[len(page)-1]
		next = &cursor{Sort: sk.name, Key: sk.key(last), ID: last.ID, Fingerprint: q.fingerprint()}
	}
	return page, len(matched), next
}
