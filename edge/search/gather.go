package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gpubroker/gpubroker/edge/cache"
	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/workers/client"
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
	Provider  string    `json:"provider"`
	Status    string    `json:"status"` // ok | stale | error
	Offers    int       `json:"offers"`
	LatencyMS int64     `json:"latency_ms"`
	FetchedAt time.Time `json:"fetched_at,omitzero"`
	Cache     string    `json:"cache,omitempty"` // l2 | l1 | load | stale
}

// dep records which snapshot of a provider an answer was built from, so a
// cached answer can tell whether it is still current.
type dep struct {
	key       string
	fetchedAt time.Time
}

// view is the set of provider snapshots one answer is computed from.
type view struct {
	snaps      []*snapshot
	results    []providerResult
	warnings   []Warning
	deps       []dep
	freshUntil time.Time // the earliest expiry among the snapshots used
	timeouts   int       // providers that failed by timing out
	gen        uint64    // snapshot generation when the gather started
}

func offersKey(provider string) string { return "offers:" + provider }

// gather gets every provider's snapshot in parallel, so the total time is
// that of the slowest provider (bounded by ctx), not the sum. Each snapshot
// comes from L2, L1 (Redis) or a fetch over NATS, which the cache runs at
// most once per provider at a time however many requests wait for it. A
// provider that fails is served from its last snapshot marked stale when
// there is one, and otherwise becomes a warning.
func (s *Service) gather(ctx context.Context, providers []string, ids shared.RequestIDs) *view {
	gen := s.snapGen.Load() // before any snapshot is read: a change after it invalidates the answer
	type answer struct {
		item    cache.Item[*snapshot]
		src     cache.Source
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
			it, src, err := s.snapshotOf(pctx, p, ids)
			answers[i] = answer{item: it, src: src, err: err, latency: time.Since(start)}
		}()
	}
	wg.Wait()

	v := &view{gen: gen}
	for i, p := range providers {
		a := answers[i]
		r := providerResult{Provider: p, LatencyMS: a.latency.Milliseconds(), Cache: sourceName(a.src)}
		if a.item.Value == nil {
			r.Status = "error"
			w := warningFor(p, a.err)
			if w.Code == shared.ErrKindTimeout {
				v.timeouts++
			}
			v.warnings = append(v.warnings, w)
			v.results = append(v.results, r)
			continue
		}
		r.Status, r.Offers, r.FetchedAt = "ok", len(a.item.Value.offers), a.item.FetchedAt
		until := a.item.FreshUntil
		if a.src == cache.FromStale {
			r.Status = "stale"
			w := warningFor(p, a.err)
			v.warnings = append(v.warnings, Warning{Provider: p, Code: "stale", Message: fmt.Sprintf(
				"serving offers fetched at %s (%s old) because the provider failed: %s",
				a.item.FetchedAt.UTC().Format(time.RFC3339), s.now().Sub(a.item.FetchedAt).Round(time.Second), w.Message)})
			// Try the provider again after the cache's failure backoff.
			until = s.now().Add(s.retryStale)
		}
		if v.freshUntil.IsZero() || until.Before(v.freshUntil) {
			v.freshUntil = until
		}
		v.snaps = append(v.snaps, a.item.Value)
		v.deps = append(v.deps, dep{key: offersKey(p), fetchedAt: a.item.FetchedAt})
		v.results = append(v.results, r)
	}
	return v
}

// snapshotOf returns a provider's snapshot through the cache, or straight
// from the source when caching is off.
func (s *Service) snapshotOf(ctx context.Context, provider string, ids shared.RequestIDs) (cache.Item[*snapshot], cache.Source, error) {
	load := s.loader(provider, ids)
	if s.offers == nil {
		snap, err := load(ctx)
		if err != nil {
			return cache.Item[*snapshot]{}, 0, err
		}
		now := time.Now()
		return cache.Item[*snapshot]{Value: snap, FetchedAt: now, FreshUntil: now}, cache.FromLoad, nil
	}
	return s.offers.Get(ctx, offersKey(provider), s.cfg.Cache.PricingTTL, s.cfg.Cache.StaleFor, load)
}

// loader fetches a provider's offers from the workers and records the
// outcome for /health and metrics.
func (s *Service) loader(provider string, ids shared.RequestIDs) cache.Loader[*snapshot] {
	return func(ctx context.Context) (*snapshot, error) {
		start := time.Now()
		po, err := s.cfg.Source.Fetch(ctx, provider, ids)
		took := time.Since(start)
		s.health.Record(provider, err, took, len(po.Offers))
		s.m.providerFetch(provider, took, err)
		if err != nil {
			return nil, err
		}
		return newSnapshot(po.Offers)
	}
}

func sourceName(src cache.Source) string {
	switch src {
	case cache.FromL2:
		return "l2"
	case cache.FromL1:
		return "l1"
	case cache.FromLoad:
		return "load"
	case cache.FromStale:
		return "stale"
	}
	return ""
}

func warningFor(provider string, err error) Warning {
	var fe *client.FetchError
	switch {
	case errors.As(err, &fe):
		return Warning{Provider: provider, Code: fe.Kind, Message: fe.Message}
	case errors.Is(err, context.DeadlineExceeded):
		return Warning{Provider: provider, Code: shared.ErrKindTimeout, Message: "no answer before the deadline"}
	case err == nil:
		return Warning{Provider: provider, Code: "error", Message: "no data"}
	}
	return Warning{Provider: provider, Code: "error", Message: err.Error()}
}

// hit is one matching offer with its pre-encoded JSON and its sort key.
type hit struct {
	o    *shared.Offer
	json []byte
	key  float64
}

// lookup finds an offer by id in the view.
func (v *view) lookup(id string) (hit, bool) {
	for _, sn := range v.snaps {
		if i, ok := sn.byID[id]; ok {
			return hit{o: &sn.offers[i], json: sn.encoded[i]}, true
		}
	}
	return hit{}, false
}

// search filters, sorts and pages a view. It keeps only the first
// offset+per_page offers after the cursor in a bounded heap, so a page costs
// O(n log k) rather than a sort of every match.
func (v *view) search(q *Query) (page []hit, total int, next *cursor) {
	sk := q.Sort
	offset := 0
	if q.Cursor == nil && q.Page > 1 {
		offset = (q.Page - 1) * q.PerPage
	}
	top := topK{sk: sk, k: offset + q.PerPage}
	after := 0 // matches after the cursor
	for _, sn := range v.snaps {
		for i := range sn.offers {
			o := &sn.offers[i]
			if !q.match(o) {
				continue
			}
			total++
			k := sk.key(o)
			if c := q.Cursor; c != nil && !sk.before(c.Key, c.ID, k, o.ID) {
				continue // at or before the cursor: on an earlier page
			}
			after++
			top.offer(hit{o: o, json: sn.encoded[i], key: k})
		}
	}
	ranked := top.sorted()
	start := min(offset, len(ranked))
	page = ranked[start:]
	if offset+len(page) < after && len(page) > 0 {
		last := page[len(page)-1]
		next = &cursor{Sort: sk.name, Key: last.key, ID: last.o.ID, Fingerprint: q.fingerprint()}
	}
	return page, total, next
}

// topK keeps the k first hits in sort order: a max-heap whose root is the
// last of those kept, replaced whenever a hit sorts before it.
type topK struct {
	sk sortKey
	k  int
	h  []hit
}

func (t *topK) less(a, b *hit) bool { return t.sk.before(a.key, a.o.ID, b.key, b.o.ID) }

func (t *topK) offer(x hit) {
	if len(t.h) < t.k {
		t.h = append(t.h, x)
		for i := len(t.h) - 1; i > 0; { // sift up
			p := (i - 1) / 2
			if !t.less(&t.h[p], &t.h[i]) {
				break
			}
			t.h[p], t.h[i] = t.h[i], t.h[p]
			i = p
		}
		return
	}
	if t.k == 0 || !t.less(&x, &t.h[0]) {
		return
	}
	t.h[0] = x
	for i := 0; ; { // sift down
		l, r, big := 2*i+1, 2*i+2, i
		if l < len(t.h) && t.less(&t.h[big], &t.h[l]) {
			big = l
		}
		if r < len(t.h) && t.less(&t.h[big], &t.h[r]) {
			big = r
		}
		if big == i {
			break
		}
		t.h[i], t.h[big] = t.h[big], t.h[i]
		i = big
	}
}

func (t *topK) sorted() []hit {
	slices.SortFunc(t.h, func(a, b hit) int {
		if t.less(&a, &b) {
			return -1
		}
		return 1 // ids are unique, so no two hits are equal
	})
	return t.h
}
