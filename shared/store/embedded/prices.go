package embedded

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// defaultPointsLimit bounds PriceHistoryPoints when the query sets no Limit.
const defaultPointsLimit = 10_000

// dayMicros is one UTC day in the stored time unit.
const dayMicros = int64(24 * time.Hour / time.Microsecond)

// appendPoint inserts a price point unless the stored offer already has
// exactly this price; it runs before the offer's upsert so it compares
// against the previous observation.
const appendPoint = `INSERT INTO price_points (offer_id, provider, gpu_id, gpu_model, region, price, per_gpu, at)
	SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
	WHERE NOT EXISTS (SELECT 1 FROM offers WHERE id = ?1 AND price = ?6 AND per_gpu = ?7)`

const upsertOffer = `INSERT INTO offers (id, provider, gpu_id, gpu_model, region, price, per_gpu, currency, availability, data, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET provider = excluded.provider, gpu_id = excluded.gpu_id,
		gpu_model = excluded.gpu_model, region = excluded.region, price = excluded.price,
		per_gpu = excluded.per_gpu, currency = excluded.currency, availability = excluded.availability,
		data = excluded.data, updated_at = excluded.updated_at`

// UpsertOffers stores offers and appends a point at `at` for each whose
// instance or per-GPU price is new or differs from the stored one, all in
// one transaction with both statements prepared once. Offers are written
// in id order (as pgstore does) and the returned points are in that
// order. An offer without an id fails the whole call.
func (s *Store) UpsertOffers(ctx context.Context, offers []shared.Offer, at time.Time) ([]store.PricePoint, error) {
	sorted := make([]shared.Offer, len(offers))
	copy(sorted, offers)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	data := make([]string, len(sorted))
	for i := range sorted {
		if sorted[i].ID == "" {
			return nil, errors.New("embedded: upsert offers: offer without id")
		}
		b, err := json.Marshal(&sorted[i])
		if err != nil {
			return nil, fmt.Errorf("embedded: upsert offers: encoding %s: %w", sorted[i].ID, err)
		}
		data[i] = string(b)
	}
	points := []store.PricePoint{}
	err := s.inTx(ctx, "upsert offers", func(tx *sql.Tx) error {
		insertPoint, err := tx.PrepareContext(ctx, appendPoint)
		if err != nil {
			return wrap("upsert offers", err)
		}
		defer func() { _ = insertPoint.Close() }()
		upsert, err := tx.PrepareContext(ctx, upsertOffer)
		if err != nil {
			return wrap("upsert offers", err)
		}
		defer func() { _ = upsert.Close() }()
		us := at.UnixMicro()
		for i := range sorted {
			o := &sorted[i]
			region := offerRegion(o)
			res, err := insertPoint.ExecContext(ctx, o.ID, o.Provider, o.GPUID, o.GPUModel, region, o.PricePerHour, o.PricePerGPUHour, us)
			if err != nil {
				return wrap("upsert offers", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return wrap("upsert offers", err)
			} else if n == 1 {
				points = append(points, store.PricePoint{
					OfferID: o.ID, Provider: o.Provider, GPUID: o.GPUID, GPUModel: o.GPUModel, Region: region,
					Price: o.PricePerHour, PerGPU: o.PricePerGPUHour, At: fromMicros(us),
				})
			}
			if _, err := upsert.ExecContext(ctx, o.ID, o.Provider, o.GPUID, o.GPUModel, region, o.PricePerHour, o.PricePerGPUHour,
				o.Currency, string(o.Availability), data[i], us); err != nil {
				return wrap("upsert offers", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return points, nil
}

// offerRegion is the region history is kept under: the normalized one, so
// it compares across providers, or the provider's own when unknown.
func offerRegion(o *shared.Offer) string {
	if o.NormalizedRegion != "" {
		return o.NormalizedRegion
	}
	return o.Region
}

// PriceHistoryDaily returns per-UTC-day min/avg/max of the per-GPU price
// for each provider, ordered by day then provider. Avg is clamped into
// [Min, Max] so float rounding of the mean never breaks that order.
func (s *Store) PriceHistoryDaily(ctx context.Context, q store.PriceQuery) ([]store.DailyPrice, error) {
	where, args, err := historyFilter(q)
	if err != nil {
		return nil, err
	}
	// Floor division: the day of a time before 1970 is still the midnight
	// at or before it.
	day := fmt.Sprintf("(at - ((at %% %[1]d) + %[1]d) %% %[1]d)", dayMicros)
	rows, err := s.db.QueryContext(ctx, `SELECT `+day+` AS day, provider, min(per_gpu), avg(per_gpu), max(per_gpu), count(*)
		FROM price_points WHERE `+where+` GROUP BY day, provider ORDER BY day, provider`, args...)
	if err != nil {
		return nil, wrap("price history daily", err)
	}
	days, err := collect(rows, func(r scanner) (store.DailyPrice, error) {
		var (
			d  store.DailyPrice
			us int64
		)
		err := r.Scan(&us, &d.Provider, &d.Min, &d.Avg, &d.Max, &d.Samples)
		d.Day = fromMicros(us)
		d.Avg = math.Min(math.Max(d.Avg, d.Min), d.Max)
		return d, err
	})
	return days, wrap("price history daily", err)
}

// PriceHistoryPoints returns the raw points, oldest first (ties in the
// order they were recorded), at most q.Limit of them or
// defaultPointsLimit when it is not positive.
func (s *Store) PriceHistoryPoints(ctx context.Context, q store.PriceQuery) ([]store.PricePoint, error) {
	where, args, err := historyFilter(q)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultPointsLimit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT offer_id, provider, gpu_id, gpu_model, region, price, per_gpu, at
		FROM price_points WHERE `+where+` ORDER BY at, id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, wrap("price history points", err)
	}
	points, err := collect(rows, func(r scanner) (store.PricePoint, error) {
		var (
			p  store.PricePoint
			us int64
		)
		err := r.Scan(&p.OfferID, &p.Provider, &p.GPUID, &p.GPUModel, &p.Region, &p.Price, &p.PerGPU, &us)
		p.At = fromMicros(us)
		return p, err
	})
	return points, wrap("price history points", err)
}

// historyFilter builds the WHERE clause of a history query from only the
// conditions the query sets, so SQLite can use the (gpu_id, at),
// (gpu_model, at) or (provider, gpu_id, at) index. The time range is
// half-open, [From, To); a zero bound is open.
func historyFilter(q store.PriceQuery) (string, []any, error) {
	var (
		conds []string
		args  []any
	)
	switch {
	case len(q.GPUIDs) > 0:
		conds = append(conds, "gpu_id IN (?"+strings.Repeat(", ?", len(q.GPUIDs)-1)+")")
		for _, id := range q.GPUIDs {
			args = append(args, id)
		}
	case q.GPUModel != "":
		conds, args = append(conds, "gpu_model = ?"), append(args, q.GPUModel)
	default:
		return "", nil, errors.New("embedded: price history: query names no GPU")
	}
	if q.Provider != "" {
		conds, args = append(conds, "provider = ?"), append(args, q.Provider)
	}
	if !q.From.IsZero() {
		conds, args = append(conds, "at >= ?"), append(args, q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		conds, args = append(conds, "at < ?"), append(args, q.To.UnixMicro())
	}
	return strings.Join(conds, " AND "), args, nil
}
