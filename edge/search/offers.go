package search

import (
	"context"
	"time"

	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared"
)

// Offers answers one list query outside HTTP (a WebSocket get_offers): the
// body GET /api/v2/providers would answer for the same filters, or the
// error it would answer with. retryAfter is set with a 503/504.
func (s *Service) Offers(ctx context.Context, ids shared.RequestIDs, q Query) (body []byte, err *httpx.Error, retryAfter string) {
	providers, err := s.providersFor([]Query{q})
	if err != nil {
		return nil, err, ""
	}
	v, err, retry := s.gatherChecked(ctx, ids, providers)
	if err != nil {
		return nil, err, retry
	}
	if err := v.unknownValue(&q); err != nil {
		return nil, err, ""
	}
	items, total, next := v.search(&q)
	return encodeSearch([]pageResult{{items: items, total: total, perPage: q.PerPage, sort: q.Sort.name, next: next}}, v, false, time.Now()), nil, ""
}
