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
	"github.com/gpubroker/gpubroker/shared/store/internal/history"
)

var _ store.OfferSync = (*Store)(nil)

// appendPoint inserts a price point unless the stored offer is live at
// exactly this price; it runs before the offer's upsert so it compares
// against the previous observation, and a gone offer seen again restarts
// its step function.
const appendPoint = `INSERT INTO price_points (offer_id, provider, gpu_id, gpu_model, region, price, per_gpu, at)
	SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::float8, $7::float8, $8::timestamptz
	WHERE NOT EXISTS (SELECT 1 FROM offers WHERE id = $1::text AND price = $6::float8 AND per_gpu = $7::float8
		AND gone_at IS NULL)`

const upsertOffer = `INSERT INTO offers (id, provider, gpu_id, gpu_model, region, price, per_gpu, currency, availability, data, last_seen_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
	ON CONFLICT (id) DO UPDATE SET provider = EXCLUDED.provider, gpu_id = EXCLUDED.gpu_id,
		gpu_model = EXCLUDED.gpu_model, region = EXCLUDED.region, price = EXCLUDED.price,
		per_gpu = EXCLUDED.per_gpu, currency = EXCLUDED.currency, availability = EXCLUDED.availability,
		data = EXCLUDED.data, last_seen_at = EXCLUDED.last_seen_at, gone_at = NULL`

// markGone ends the step function of the provider's live offers that the
// sync did not list ($3) and no later sync has seen, in one statement so
// the offers marked and the points appended are the same rows.
const markGone = `WITH gone AS (
		UPDATE offers SET gone_at = $2 WHERE provider = $1 AND gone_at IS NULL AND last_seen_at < $2 AND NOT (id = ANY($3))
		RETURNING id, provider, gpu_id, gpu_model, region, price, per_gpu)
	INSERT INTO price_points (offer_id, provider, gpu_id, gpu_model, region, price, per_gpu, at, gone)
	SELECT id, provider, gpu_id, gpu_model, region, price, per_gpu, $2, true FROM gone ORDER BY id
	RETURNING offer_id, provider, gpu_id, gpu_model, region, price, per_gpu, at, gone`

// UpsertOffers stores offers and appends a point at `at` for each whose
// instance or per-GPU price is new or differs from the stored one, all in
// one transaction sent as one batch. Offers are written in id order, so
// two concurrent syncs lock rows in the same order and cannot deadlock;
// the returned points are in that order too. An offer without an id fails
// the whole call.
func (s *Store) UpsertOffers(ctx context.Context, offers []shared.Offer, at time.Time) ([]store.PricePoint, error) {
	points, err := s.writeOffers(ctx, "", offers, at, false)
	return points, wrap("upsert offers", err)
}

// SyncProviderOffers is UpsertOffers plus, in the same transaction,
// marking the provider's unlisted offers gone (see store.OfferSync).
func (s *Store) SyncProviderOffers(ctx context.Context, provider string, offers []shared.Offer, at time.Time) ([]store.PricePoint, error) {
	points, err := s.writeOffers(ctx, provider, offers, at, true)
	return points, wrap("sync provider offers", err)
}

func (s *Store) writeOffers(ctx context.Context, provider string, offers []shared.Offer, at time.Time, complete bool) ([]store.PricePoint, error) {
	sorted := make([]shared.Offer, len(offers))
	copy(sorted, offers)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	batch := &pgx.Batch{}
	seen := make([]string, len(sorted))
	for i := range sorted {
		o := &sorted[i]
		if o.ID == "" {
			return nil, errors.New("pgstore: offer without id")
		}
		if complete && o.Provider != provider {
			return nil, fmt.Errorf("pgstore: offer %s is not of provider %s", o.ID, provider)
		}
		data, err := json.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("pgstore: encoding %s: %w", o.ID, err)
		}
		region := store.HistoryRegion(o)
		seen[i] = o.ID
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
					OfferID: o.ID, Provider: o.Provider, GPUID: o.GPUID, GPUModel: o.GPUModel, Region: store.HistoryRegion(o),
					Price: o.PricePerHour, PerGPU: o.PricePerGPUHour, At: at.UTC(),
				})
			}
			if _, err := br.Exec(); err != nil {
				_ = br.Close()
				return err
			}
		}
		if err := br.Close(); err != nil || !complete {
			return err
		}
		rows, err := tx.Query(ctx, markGone, provider, at, seen)
		if err != nil {
			return err
		}
		gone, err := pgx.CollectRows(rows, scanPoint)
		points = append(points, gone...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return points, nil
}

func scanPoint(row pgx.CollectableRow) (store.PricePoint, error) {
	var p store.PricePoint
	err := row.Scan(&p.OfferID, &p.Provider, &p.GPUID, &p.GPUModel, &p.Region, &p.Price, &p.PerGPU, &p.At, &p.Gone)
	p.At = p.At.UTC()
	return p, err
}

// PriceHistoryDaily computes the daily summaries in one statement: the
// events of the range plus each offer's point in force at From become
// segments [at, next event), clipped to the range; generate_series splits
// them at UTC midnights; each (day, provider) aggregates its pieces.
// It reads only the range's points (through the (gpu_id, at),
// (gpu_model, at) or (provider, gpu_id, at) index) and one index probe per
// offer not gone before From, and returns at most days x providers rows.
// Avg is clamped into [Min, Max] so float rounding never breaks that order.
func (s *Store) PriceHistoryDaily(ctx context.Context, q store.PriceQuery) ([]store.DailyPrice, error) {
	from, end := store.HistoryRange(q, time.Now())
	if !from.IsZero() && !from.Before(end) {
		return []store.DailyPrice{}, nil
	}
	var a args
	events, err := a.events(q, from, end)
	if err != nil {
		return nil, err
	}
	start := "at"
	if !from.IsZero() {
		start = "greatest(at, " + a.add(from) + ")"
	}
	rows, err := s.pool.Query(ctx, `WITH ev AS (`+events+`),
	seg AS (
		SELECT offer_id, provider, per_gpu, gone, `+start+` AS s,
			coalesce(lead(at) OVER (PARTITION BY offer_id ORDER BY at, id), `+a.add(end)+`) AS e
		FROM ev),
	piece AS (
		SELECT g.provider, g.offer_id, g.per_gpu, d.day,
			extract(epoch FROM least(g.e, d.day + interval '24 hours') - greatest(g.s, d.day))::float8 AS secs
		FROM seg g CROSS JOIN LATERAL generate_series(date_trunc('day', g.s, 'UTC'), g.e - interval '1 microsecond',
			interval '24 hours') AS d(day)
		WHERE NOT g.gone AND g.e > g.s)
	SELECT day, provider, min(per_gpu), sum(per_gpu * secs) / sum(secs), max(per_gpu), count(DISTINCT offer_id)
	FROM piece GROUP BY day, provider ORDER BY day, provider`, a...)
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

// PriceHistoryPoints returns the carried-in points, then the range's, at
// most q.Limit of them or store.DefaultPointsLimit when it is not positive.
func (s *Store) PriceHistoryPoints(ctx context.Context, q store.PriceQuery) ([]store.PricePoint, error) {
	from, end := store.HistoryRange(q, time.Now())
	if !from.IsZero() && !from.Before(end) {
		return []store.PricePoint{}, nil
	}
	var a args
	events, err := a.events(q, from, end)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+history.PointColumns+` FROM (`+events+`) ev ORDER BY at, id LIMIT `+a.add(q.PointsLimit()), a...)
	if err != nil {
		return nil, wrap("price history points", err)
	}
	points, err := pgx.CollectRows(rows, scanPoint)
	return points, wrap("price history points", err)
}

// args collects a statement's parameters.
type args []any

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// filter is the GPU and provider condition of a query on the table aliased
// t; only the conditions the query sets, so each shape gets its own plan.
func (a *args) filter(t string, q store.PriceQuery) (string, error) {
	var conds []string
	switch {
	case len(q.GPUIDs) > 0:
		conds = append(conds, t+".gpu_id = ANY("+a.add(q.GPUIDs)+")")
	case q.GPUModel != "":
		conds = append(conds, t+".gpu_model = "+a.add(q.GPUModel))
	default:
		return "", errors.New("pgstore: price history: query names no GPU")
	}
	if q.Provider != "" {
		conds = append(conds, t+".provider = "+a.add(q.Provider))
	}
	return strings.Join(conds, " AND "), nil
}

// events selects (id, history.PointColumns) of the points in [from, end) and, for
// a non-zero from, each matching offer's live point in force at from: the
// last one before it, found per offer through price_points_offer_at_idx.
// Offers gone before from are skipped without a probe: seen again, their
// gone_at would have been cleared.
func (a *args) events(q store.PriceQuery, from, end time.Time) (string, error) {
	cond, err := a.filter("p", q)
	if err != nil {
		return "", err
	}
	inRange := `SELECT p.id, ` + history.PointColumnsOf("p") + ` FROM price_points p WHERE ` + cond + ` AND p.at < ` + a.add(end)
	if from.IsZero() {
		return inRange, nil
	}
	f := a.add(from)
	inRange += ` AND p.at >= ` + f
	offerCond, err := a.filter("o", q)
	if err != nil {
		return "", err
	}
	pointCond, err := a.filter("p", q)
	if err != nil {
		return "", err
	}
	return inRange + ` UNION ALL SELECT p.id, ` + history.PointColumnsOf("p") + ` FROM offers o
		CROSS JOIN LATERAL (SELECT * FROM price_points p WHERE p.offer_id = o.id AND p.at < ` + f + `
			ORDER BY p.at DESC, p.id DESC LIMIT 1) p
		WHERE ` + offerCond + ` AND (o.gone_at IS NULL OR o.gone_at >= ` + f + `) AND ` + pointCond + ` AND NOT p.gone`, nil
}
