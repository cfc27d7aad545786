package accounts

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// Price-history bounds.
const (
	DefaultHistoryDays = 30
	MaxHistoryDays     = 365
	// RawHistoryDays is the longest range answered with raw points by
	// default; longer ranges get them only with resolution=raw.
	RawHistoryDays = 2
	// MaxHistoryPoints bounds the raw points of one answer.
	MaxHistoryPoints = 10_000
)

// HistoryQuery is a price-history request as the client sent it.
type HistoryQuery struct {
	GPU        string
	Days       string // empty: DefaultHistoryDays
	Provider   string
	Resolution string // "", "day" or "raw"
}

// History is the answer: per-day summaries per provider, and the raw
// points when asked for or when the range is short.
type History struct {
	GPU        string
	GPUIDs     []string
	Provider   string
	Days       int
	Resolution string
	From, To   time.Time
	Daily      []store.DailyPrice
	Points     []store.PricePoint // nil when not requested
	Truncated  bool               // Points hit MaxHistoryPoints
}

// PriceHistory answers a price-history request. The gpu filter resolves,
// as in searches, to every catalog GPU it names. p may be any
// authenticated caller; a service token needs the analytics:read scope.
func (s *Service) PriceHistory(ctx context.Context, p Principal, q HistoryQuery) (History, error) {
	if p.Service && !slices.Contains(p.Scopes, ScopeAnalyticsRead) {
		return History{}, &ForbiddenError{Reason: "the service token lacks the " + ScopeAnalyticsRead + " scope"}
	}
	h := History{GPU: strings.TrimSpace(q.GPU), Days: DefaultHistoryDays}
	if h.GPU == "" {
		return History{}, fieldErr("gpu", "is required")
	}
	ids, err := catalogIDs(h.GPU)
	if err != nil {
		return History{}, err
	}
	h.GPUIDs = ids
	if q.Days != "" {
		n, err := strconv.Atoi(strings.TrimSpace(q.Days))
		if err != nil || n < 1 || n > MaxHistoryDays {
			return History{}, fieldErr("days", "must be an integer from 1 to 365")
		}
		h.Days = n
	}
	if q.Provider != "" {
		h.Provider = strings.ToLower(strings.TrimSpace(q.Provider))
		if !shared.ValidName(h.Provider) {
			return History{}, fieldErr("provider", "is not a provider name")
		}
	}
	raw := h.Days <= RawHistoryDays
	switch q.Resolution {
	case "":
	case "day":
		raw = false
	case "raw":
		raw = true
	default:
		return History{}, fieldErr("resolution", `must be "day" or "raw"`)
	}
	h.Resolution = "day"
	if raw {
		h.Resolution = "raw"
	}
	h.To = s.cfg.Now().UTC()
	h.From = h.To.Add(-time.Duration(h.Days) * 24 * time.Hour)
	pq := store.PriceQuery{GPUIDs: ids, Provider: h.Provider, From: h.From, To: h.To}
	if h.Daily, err = s.st.PriceHistoryDaily(ctx, pq); err != nil {
		return History{}, fmt.Errorf("accounts: daily price history: %w", err)
	}
	if raw {
		pq.Limit = MaxHistoryPoints
		if h.Points, err = s.st.PriceHistoryPoints(ctx, pq); err != nil {
			return History{}, fmt.Errorf("accounts: price points: %w", err)
		}
		h.Truncated = len(h.Points) >= MaxHistoryPoints
	}
	return h, nil
}

// catalogIDs resolves a gpu filter to the canonical ids of every catalog
// GPU it names.
func catalogIDs(gpu string) ([]string, error) {
	if len(gpu) > 100 {
		return nil, fieldErr("gpu", "must be at most 100 characters")
	}
	q, ok := shared.ParseGPUQuery(gpu)
	if !ok {
		return nil, fieldErr("gpu", "does not name a GPU model")
	}
	var ids []string
	for _, spec := range shared.Catalog() {
		o := shared.Offer{GPUID: spec.ID, GPUFormFactor: spec.FormFactor, GPUMemoryGB: spec.MemoryGB}
		if q.Matches(&o) {
			ids = append(ids, spec.ID)
		}
	}
	if len(ids) == 0 {
		return nil, fieldErr("gpu", "names no GPU in the catalog (see /api/v2/gpus)")
	}
	return ids, nil
}
