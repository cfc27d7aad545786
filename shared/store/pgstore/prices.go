package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// defaultPointsLimit bounds PriceHistoryPoints when the query sets no Limit.
const defaultPointsLimit = 10_000

// appendPoint inserts a price point unless the stored offer already has
// exactly this price; it runs before the offer's upsert so it compares
// against the previous observation.
const appendPoint = `INSERT INTO price_points (offer_id, provider, gpu_id, gpu_model, region, price, per_gpu, at)
	SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::float8, $7::float8, $8::timestamptz
	WHERE NOT EXISTS (SELECT 1 FROM offers WHERE id = $1::text AND price = $6::float8 AND per_gpu = $7::float8)`

const upsertOffer = `INSERT INTO offers (id, provider, gpu_id, gpu_model, region, price, per_gpu, currency, availability, data, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
	ON CONFLICT (id) DO UPDATE SET provider = EXCLUDED.provider, gpu_id = EXCLUDED.gpu_id,
		gpu_model = EXCLUDED.gpu_model, region = EXCLUDED.region, price = EXCLUDED.price,
		per_gpu = EXCLUDED.per_gpu, currency = EXCLUDED.currency, availability = EXCLUDED.availability,
		data = EXCLUDED.data, updated_at = EXCLUDED.updated_at`

// UpsertOffers stores offers and appends a point at `at` for each whose
// instance or per-GPU price is new or differs from the stored one, all in
// one transaction sent as one batch. Offers are written in id order, so
// two concurrent syncs lock rows in the same order and cannot deadlock;
// the returned points are in that order too. An offer without an id fails
// the whole call.
func (s *Store) UpsertOffers(ctx context.Context, offers []shared.Offer, at time.Time) ([]store.PricePoint, error) {
	sorted := make([]shared.Offer, len(offers))
	copy(sorted, offers)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	batch := &pgx.Batch{}
	for i := range sorted {
		o := &sorted[i]
		if o.ID == "" {
			return nil, errors.New("pgstore: upsert offers: offer without id")
		}
		data, err := json.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("pgstore: upsert offers: encoding %s: %w", o.ID, err)
		}
		region := offerRegion(o)
		batch.Queue(appendPoint, o.ID, o.Provider, o.GPUID, o.GPUModel, region, o.PricePerHour, o.PricePerGPUHour, at)
		batch.Queue(upsertOffer, o.ID, o.Provider, o.GPUID, o.GPUModel, region, o.PricePerHour, o.PricePerGPUHour,
			o.Currency, string(o.Availability), json.RawMessage(data), at)
	}
	points := []store.PricePoint{}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, batch)
		for i := range sorted {
			o := &sorted[i]
			tag, err := br.Exec()
			if err != nil {
				_ = br.Close()
				return err
			}
			if tag.RowsAffected() == 1 {
				points = append(points, store.PricePoint{
					OfferID: o.ID, Provider: o.Provider, GPUID: o.GPUID, GPUModel: o.GPUModel, Region: offerRegion(o),
					Price: o.PricePerHour, PerGPU: o.PricePerGPUHour, At: at.UTC(),
				})
			}
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return err
			}
		}
		return br.Close()
	})
	if err != nil {
		return nil, wrap("upsert offers", err)
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
	rows, err := s.pool.Query(ctx, `SELECT date_trunc('day', at, 'UTC'), provider,
		min(per_gpu), avg(per_gpu), max(per_gpu), count(*)
		FROM price_points WHERE `+where+` GROUP BY 1, 2 ORDER BY 1, 2`, args...)
	if err != nil {
		return nil, wrap("price history daily", err)
	}
	days, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DailyPrice, error) {
		var d store.DailyPrice
		err := row.Scan(&d.Day, &d.Provider, &d.Min, &d.Avg, &d.Max, &d.Samples)
		d.Day = d.Day.UTC()
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
	args = append(args, limit)
	rows, err := s.pool.Query(ctx, `SELECT offer_id, provider, gpu_id, gpu_model, region, price, per_gpu, at
		FROM price_points WHERE `+where+` ORDER BY at, id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, wrap("price history points", err)
	}
	points, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.PricePoint, error) {
		var p store.PricePoint
		err := row.Scan(&p.OfferID, &p.Provider, &p.GPUID, &p.GPUModel, &p.Region, &p.Price, &p.PerGPU, &p.At)
		p.At = p.At.UTC()
		return p, err
	})
	return points, wrap("price history points", err)
}

// historyFilter builds the WHERE clause of a history query: only the
// conditions the query sets, so each shape gets its own plan on the
// (gpu_id, at), (gpu_model, at) or (provider, gpu_id, at) index. The time
// range is half-open, [From, To); a zero bound is open.
func historyFilter(q store.PriceQuery) (string, []any, error) {
	var (
		conds []string
		args  []any
	)
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1))
	}
	switch {
	case len(q.GPUIDs) > 0:
		add("gpu_id = ANY(?)", q.GPUIDs)
	case q.GPUModel != "":
		add("gpu_model = ?", q.GPUModel)
	default:
		return "", nil, errors.New("pgstore: price history: query names no GPU")
	}
	if q.Provider != "" {
		add("provider = ?", q.Provider)
	}
	if !q.From.IsZero() {
		add("at >= ?", q.From)
	}
	if !q.To.IsZero() {
		add("at < ?", q.To)
	}
	return strings.Join(conds, " AND "), args, nil
}
