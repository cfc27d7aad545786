package search

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
)

func (s *Service) handleList(rc *httpx.Request)  { s.search(rc, listQueries, false) }
func (s *Service) handleQuery(rc *httpx.Request) { s.search(rc, bodyQuery, false) }
func (s *Service) handleBulk(rc *httpx.Request)  { s.search(rc, bulkQueries, true) }

// search is the shape of the three search routes: the answer cache when
// it holds the answer, else the request's queries parsed and answered from
// one gather. The POST forms read no query parameters; that is checked
// before the cache, whose key for a POST is the body alone.
func (s *Service) search(rc *httpx.Request, parse func(*httpx.Request) ([]Query, *httpx.Error), bulk bool) {
	if rc.IsPost() {
		if err := httpx.CheckQuery(rc); err != nil {
			httpx.WriteError(rc.RequestCtx, err)
			return
		}
	}
	key := responseKey(rc)
	if s.serveCached(rc, key) {
		return
	}
	qs, err := parse(rc)
	if err != nil {
		httpx.WriteError(rc.RequestCtx, err)
		return
	}
	s.answerSearch(rc, key, qs, bulk)
}

func listQueries(rc *httpx.Request) ([]Query, *httpx.Error) {
	q, err := parseListParams(rc.QueryArgs())
	return []Query{q}, err
}

func bodyQuery(rc *httpx.Request) ([]Query, *httpx.Error) {
	q, err := parseQueryBody(rc.PostBody())
	return []Query{q}, err
}

func bulkQueries(rc *httpx.Request) ([]Query, *httpx.Error) { return parseBulkBody(rc.PostBody()) }

// answerSearch gathers the providers the queries need once and answers
// every query from that one view.
func (s *Service) answerSearch(rc *httpx.Request, key string, qs []Query, bulk bool) {
	providers, perr := s.providersFor(qs)
	if perr != nil {
		httpx.WriteError(rc.RequestCtx, perr)
		return
	}
	v, ok := s.gatherAdmitted(rc, providers)
	if !ok {
		return
	}
	for i := range qs {
		if err := v.unknownValue(&qs[i]); err != nil {
			httpx.WriteError(rc.RequestCtx, err)
			return
		}
	}
	pages := make([]pageResult, len(qs))
	for i := range qs {
		items, total, next := v.search(&qs[i])
		pages[i] = pageResult{items: items, total: total, perPage: qs[i].PerPage, sort: qs[i].Sort.name, next: next}
	}
	body := encodeSearch(pages, v, bulk, time.Now())
	s.storeResponse(key, fasthttp.StatusOK, body, v)
	httpx.WriteBody(rc.RequestCtx, fasthttp.StatusOK, body)
}

// gatherAdmitted runs a gather inside the bounded waiting room (see
// gatherChecked) and answers the request itself when that fails.
func (s *Service) gatherAdmitted(rc *httpx.Request, providers []string) (*view, bool) {
	ctx, cancel := rc.Context()
	defer cancel()
	v, err, retry := s.gatherChecked(ctx, rc.IDs, providers)
	if err != nil {
		rc.Response.Header.Set("Retry-After", retry)
		httpx.WriteError(rc.RequestCtx, err)
		return nil, false
	}
	return v, true
}

// gatherChecked runs a gather inside the bounded waiting room: when more
// than MaxWaiting requests already wait on providers, it refuses with 503
// (retry in 1 s) instead of queueing without bound. It also refuses with
// 503/504 (retry in 5 s) when no provider produced any data, fresh or
// stale.
func (s *Service) gatherChecked(ctx context.Context, ids shared.RequestIDs, providers []string) (*view, *httpx.Error, string) {
	select {
	case s.waiting <- struct{}{}:
		defer func() { <-s.waiting }()
	default:
		return nil, &httpx.Error{Status: fasthttp.StatusServiceUnavailable, Code: httpx.CodeOverloaded,
			Message: "too many requests are waiting on providers; retry shortly"}, "1"
	}
	v := s.gather(ctx, providers, ids)
	if len(v.snaps) > 0 {
		if len(v.warnings) > 0 {
			// Some provider failed: look again soon rather than at TTL.
			if retry := s.now().Add(s.retryStale); v.freshUntil.After(retry) {
				v.freshUntil = retry
			}
		}
		return v, nil, ""
	}
	status, code := fasthttp.StatusServiceUnavailable, httpx.CodeProviderUnavailable
	if v.timeouts > 0 {
		status, code = fasthttp.StatusGatewayTimeout, httpx.CodeTimeout
	}
	msgs := make([]string, 0, len(v.warnings))
	for _, w := range v.warnings {
		msgs = append(msgs, w.Provider+": "+w.Code)
	}
	return nil, &httpx.Error{Status: status, Code: code,
		Message: "no provider data available, fresh or cached (" + strings.Join(msgs, "; ") + ")"}, "5"
}

// providersFor is the set of providers the queries can match: all of them,
// unless every query names providers. Naming a provider the cell does not
// serve is a client error.
func (s *Service) providersFor(qs []Query) ([]string, *httpx.Error) {
	want := map[string]bool{}
	for i, q := range qs {
		if len(q.Providers) == 0 {
			return s.cfg.Providers, nil
		}
		for _, p := range q.Providers {
			if !slices.Contains(s.cfg.Providers, p) {
				field := "provider"
				if len(qs) > 1 {
					field = "queries[" + strconv.Itoa(i) + "].provider"
				}
				return nil, httpx.BadParam(field, "unknown provider "+p+"; this cell serves "+strings.Join(s.cfg.Providers, ", "))
			}
			want[p] = true
		}
	}
	out := make([]string, 0, len(want))
	for _, p := range s.cfg.Providers {
		if want[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *Service) handleOffer(rc *httpx.Request) {
	if err := httpx.CheckQuery(rc); err != nil {
		httpx.WriteError(rc.RequestCtx, err)
		return
	}
	id := rc.Param("offer_id")
	provider, ok := shared.ProviderOfOfferID(id)
	if !ok || !slices.Contains(s.cfg.Providers, provider) {
		httpx.WriteError(rc.RequestCtx, &httpx.Error{Status: fasthttp.StatusNotFound, Code: httpx.CodeNotFound, Message: "no offer with id " + id})
		return
	}
	key := responseKey(rc)
	if s.serveCached(rc, key) {
		return
	}
	v, ok := s.gatherAdmitted(rc, []string{provider})
	if !ok {
		return
	}
	h, found := v.lookup(id)
	if !found {
		httpx.WriteError(rc.RequestCtx, &httpx.Error{Status: fasthttp.StatusNotFound, Code: httpx.CodeNotFound, Message: "no offer with id " + id})
		return
	}
	s.storeResponse(key, fasthttp.StatusOK, h.json, v)
	httpx.WriteBody(rc.RequestCtx, fasthttp.StatusOK, h.json)
}

// errNoOfferData: no provider data, fresh or cached, to look an offer up in.
var errNoOfferData = errors.New("no data from the offer's provider, fresh or cached")

// OfferListed reports whether the offer's provider lists it now, from the
// offer cache (fetching when cold), for checks such as that a favorite
// names a real offer. An id of a provider this cell does not serve is not
// listed.
func (s *Service) OfferListed(ctx context.Context, id string) (bool, error) {
	provider, ok := shared.ProviderOfOfferID(id)
	if !ok || !slices.Contains(s.cfg.Providers, provider) {
		return false, nil
	}
	v := s.gather(ctx, []string{provider}, shared.RequestIDs{RequestID: "lookup-" + randomHex(8), TraceID: randomHex(32)})
	if len(v.snaps) == 0 {
		return false, errNoOfferData
	}
	_, found := v.lookup(id)
	return found, nil
}
