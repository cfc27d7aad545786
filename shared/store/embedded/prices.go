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
	"github.com/gpubroker/gpubroker/shared/store/internal/history"
)

var _ store.OfferSync = (*Store)(nil)

// appendPoint inserts a price point unless the stored offer is live at
// exactly this price; it runs before the offer's upsert so it compares
// against the previous observation, and a gone offer seen again restarts
// its step function.
const appendPoint = `INSERT INTO price_points (offer_id, provider, gpu_id, gpu_model, region, price, per_gpu, at)
	SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
	WHERE NOT EXISTS (SELECT 1 FROM offers WHERE id = ?1 AND price = ?6 AND per_gpu = ?7 AND gone_at IS NULL)`

const upsertOffer = `INSERT INTO offers (id, provider, gpu_id, gpu_model, region, price, per_gpu, currency, availability, data, last_seen_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET provider = excluded.provider, gpu_id = excluded.gpu_id,
		gpu_model = excluded.gpu_model, region = excluded.region, price = excluded.price,
		per_gpu = excluded.per_gpu, currency = excluded.currency, availability = excluded.availability,
		data = excluded.data, last_seen_at = excluded.last_seen_at, gone_at = NULL`

// goneCond selects the provider's live offers that the sync did not list
// (a JSON array) and no later sync has seen: ?1 provider, ?2 time, ?3 ids.
const goneCond = `provider = ?1 AND gone_at IS NULL AND last_seen_at < ?2 AND id NOT IN (SELECT value FROM json_each(?3))`

// UpsertOffers stores offers and appends a point at `at` for each whose
// instance or per-GPU price is new or differs from the stored one, all in
// one transaction with both statements prepared once. Offers are written
// in id order (as pgstore does) and the returned points are in that
// order. An offer without an id fails the whole call.
func (s *Store) UpsertOffers(ctx context.Context, offers []shared.Offer, at time.Time) ([]store.PricePoint, error) {
	return s.writeOffers(ctx, "upsert offers", "", offers, at, false)
}

// SyncProviderOffers is UpsertOffers plus, in the same transaction (which
// SQLite serializes), marking the provider's unlisted offers gone (see
// store.OfferSync).
func (s *Store) SyncProviderOffers(ctx context.Context, provider string, offers []shared.Offer, at time.Time) ([]store.PricePoint, error) {
	return s.writeOffers(ctx, "sync provider offers", provider, offers, at, true)
}

func (s *Store) writeOffers(ctx context.Context, op, provider string, offers []shared.Offer, at time.Time, complete bool) ([]store.PricePoint, error) {
	sorted := make([]shared.Offer, len(offers))
	copy(sorted, offers)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	data := make([]string, len(sorted))
	seen := make([]string, len(sorted))
	for i := range sorted {
		o := &sorted[i]
		if o.ID == "" {
			return nil, fmt.Errorf("embedded: %s: offer without id", op)
		}
		if complete && o.Provider != provider {
			return nil, fmt.Errorf("embedded: %s: offer %s is not of provider %s", op, o.ID, provider)
		}
		b, err := json.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("embedded: %s: encoding %s: %w", op, o.ID, err)
		}
		data[i], seen[i] = string(b), o.ID
	}
	seenJSON, err := json.Marshal(seen)
	if err != nil {
		return nil, fmt.Errorf("embedded: %s: encoding ids: %w", op, err)
	}
	points := []store.PricePoint{}
	err = s.inTx(ctx, op, func(tx *sql.Tx) error {
		insertPoint, err := tx.PrepareContext(ctx, appendPoint)
		if err != nil {
			return wrap(op, err)
		}
		defer func() { _ = insertPoint.Close() }()
		upsert, err := tx.PrepareContext(ctx, upsertOffer)
		if err != nil {
			return wrap(op, err)
		}
		defer func() { _ = upsert.Close() }()
		us := at.UnixMicro()
		for i := range sorted {
			o := &sorted[i]
			region := store.HistoryRegion(o)
			res, err := insertPoint.ExecContext(ctx, o.ID, o.Provider, o.GPUID, o.GPUModel, region, o.PricePerHour, o.PricePerGPUHour, us)
			if err != nil {
				return wrap(op, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return wrap(op, err)
			} else if n == 1 {
				points = append(points, store.PricePoint{
					OfferID: o.ID, Provider: o.Provider, GPUID: o.GPUID, GPUModel: o.GPUModel, Region: region,
					Price: o.PricePerHour, PerGPU: o.PricePerGPUHour, At: fromMicros(us),
				})
			}
			if _, err := upsert.ExecContext(ctx, o.ID, o.Provider, o.GPUID, o.GPUModel, region, o.PricePerHour, o.PricePerGPUHour,
				o.Currency, string(o.Availability), data[i], us); err != nil {
				return wrap(op, err)
			}
		}
		if !complete {
			return nil
		}
		// The points first, while goneCond still selects the offers.
		rows, err := tx.QueryContext(ctx, `INSERT INTO price_points (`+history.PointColumns+`)
			SELECT id, provider, gpu_id, gpu_model, region, price, per_gpu, ?2, 1 FROM offers WHERE `+goneCond+` ORDER BY id
			RETURNING `+history.PointColumns, provider, us, string(seenJSON))
		if err != nil {
			return wrap(op, err)
		}
		gone, err := collect(rows, scanPoint)
		if err != nil {
			return wrap(op, err)
		}
		// RETURNING order is unspecified; the contract is id order.
		sort.Slice(gone, func(i, j int) bool { return gone[i].OfferID < gone[j].OfferID })
		points = append(points, gone...)
		_, err = tx.ExecContext(ctx, `UPDATE offers SET gone_at = ?2 WHERE `+goneCond, provider, us, string(seenJSON))
		return wrap(op, err)
	})
	if err != nil {
		return nil, err
	}
	return points, nil
}

func scanPoint(r scanner) (store.PricePoint, error) {
	var (
		p  store.PricePoint
		us int64
	)
	err := r.Scan(&p.OfferID, &p.Provider, &p.GPUID, &p.GPUModel, &p.Region, &p.Price, &p.PerGPU, &us, &p.Gone)
	p.At = fromMicros(us)
	return p, err
}

// dayKey is one summary row: a UTC midnight and a provider.
type dayKey struct {
	day      time.Time
	provider string
}

// dayAcc accumulates one summary row; integral is price x microseconds.
type dayAcc struct {
	min, max, integral, micros float64
	offers                     int
	lastOffer                  string
}

// PriceHistoryDaily streams the range's events (plus each offer's point
// in force at From) ordered by offer and time, turns each offer's
// consecutive events into segments clipped to the range, and accumulates
// them per (day, provider). The rows are ordered and counted by SQLite, so
// Go holds one accumulator per day and provider: at most days x providers.
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
	rows, err := s.db.QueryContext(ctx, `SELECT `+history.PointColumns+` FROM (`+events+`) ORDER BY offer_id, at, id`, a...)
	if err != nil {
		return nil, wrap("price history daily", err)
	}
	defer func() { _ = rows.Close() }()
	acc := map[dayKey]*dayAcc{}
	var (
		prev store.PricePoint
		have bool
	)
	for rows.Next() {
		p, err := scanPoint(rows)
		if err != nil {
			return nil, wrap("price history daily", err)
		}
		if have && prev.OfferID == p.OfferID {
			addSegment(acc, prev, from, p.At)
		} else if have {
			addSegment(acc, prev, from, end)
		}
		prev, have = p, true
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("price history daily", err)
	}
	if have {
		addSegment(acc, prev, from, end)
	}
	days := make([]store.DailyPrice, 0, len(acc))
	for k, d := range acc {
		avg := math.Min(math.Max(d.integral/d.micros, d.min), d.max)
		days = append(days, store.DailyPrice{Day: k.day, Provider: k.provider, Min: d.min, Avg: avg, Max: d.max, Samples: d.offers})
	}
	sort.Slice(days, func(i, j int) bool {
		if !days[i].Day.Equal(days[j].Day) {
			return days[i].Day.Before(days[j].Day)
		}
		return days[i].Provider < days[j].Provider
	})
	return days, nil
}

// addSegment adds p's price, in force from p.At (or from, if later) until
// e, to every day it overlaps. A gone point or an empty segment adds
// nothing. Segments arrive grouped by offer, so lastOffer counts offers.
func addSegment(acc map[dayKey]*dayAcc, p store.PricePoint, from, e time.Time) {
	s := p.At
	if s.Before(from) {
		s = from
	}
	if p.Gone || !e.After(s) {
		return
	}
	for day := s.Truncate(24 * time.Hour); day.Before(e); day = day.Add(24 * time.Hour) {
		lo, hi := s, e
		if lo.Before(day) {
			lo = day
		}
		if next := day.Add(24 * time.Hour); hi.After(next) {
			hi = next
		}
		k := dayKey{day, p.Provider}
		d, ok := acc[k]
		if !ok {
			d = &dayAcc{min: p.PerGPU, max: p.PerGPU}
			acc[k] = d
		}
		d.min, d.max = math.Min(d.min, p.PerGPU), math.Max(d.max, p.PerGPU)
		us := float64(hi.Sub(lo).Microseconds())
		d.integral += p.PerGPU * us
		d.micros += us
		if d.lastOffer != p.OfferID {
			d.offers++
			d.lastOffer = p.OfferID
		}
	}
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
	rows, err := s.db.QueryContext(ctx, `SELECT `+history.PointColumns+` FROM (`+events+`) ORDER BY at, id LIMIT ?`, append(a, q.PointsLimit())...)
	if err != nil {
		return nil, wrap("price history points", err)
	}
	points, err := collect(rows, scanPoint)
	return points, wrap("price history points", err)
}

// args collects a statement's positional parameters, in text order.
type args []any

// filter is the GPU and provider condition of a query on the table aliased
// t, from only the conditions the query sets, so SQLite can use the
// (gpu_id, at), (gpu_model, at) or (provider, gpu_id, at) index.
func (a *args) filter(t string, q store.PriceQuery) (string, error) {
	var conds []string
	switch {
	case len(q.GPUIDs) > 0:
		conds = append(conds, t+".gpu_id IN (?"+strings.Repeat(", ?", len(q.GPUIDs)-1)+")")
		for _, id := range q.GPUIDs {
			*a = append(*a, id)
		}
	case q.GPUModel != "":
		conds, *a = append(conds, t+".gpu_model = ?"), append(*a, q.GPUModel)
	default:
		return "", errors.New("embedded: price history: query names no GPU")
	}
	if q.Provider != "" {
		conds, *a = append(conds, t+".provider = ?"), append(*a, q.Provider)
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
	inRange := `SELECT p.id, ` + history.PointColumnsOf("p") + ` FROM price_points p WHERE ` + cond + ` AND p.at < ?`
	*a = append(*a, end.UnixMicro())
	if from.IsZero() {
		return inRange, nil
	}
	f := from.UnixMicro()
	inRange += ` AND p.at >= ?`
	*a = append(*a, f)
	carried := ` UNION ALL SELECT p.id, ` + history.PointColumnsOf("p") + ` FROM offers o
		JOIN price_points p ON p.id = (SELECT i.id FROM price_points i WHERE i.offer_id = o.id AND i.at < ?
			ORDER BY i.at DESC, i.id DESC LIMIT 1)`
	*a = append(*a, f)
	offerCond, err := a.filter("o", q)
	if err != nil {
		return "", err
	}
	carried += ` WHERE ` + offerCond + ` AND (o.gone_at IS NULL OR o.gone_at >= ?)`
	*a = append(*a, f)
	pointCond, err := a.filter("p", q)
	if err != nil {
		return "", err
	}
	return inRange + carried + ` AND ` + pointCond + ` AND NOT p.gone`, nil
}
