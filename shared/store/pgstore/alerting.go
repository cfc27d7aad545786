package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/gpubroker/gpubroker/shared/store"
)

// AllAlerts lists every user's alerts, oldest first.
func (s *Store) AllAlerts(ctx context.Context) ([]store.Alert, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+alertColumns+" FROM alerts ORDER BY created_at, id")
	if err != nil {
		return nil, wrap("all alerts", err)
	}
	alerts, err := pgx.CollectRows(rows, scanAlert)
	return alerts, wrap("all alerts", err)
}

// AlertFirings lists the pairs that fired and have not re-armed.
func (s *Store) AlertFirings(ctx context.Context) ([]store.AlertFiring, error) {
	rows, err := s.pool.Query(ctx, "SELECT alert_id, offer_id FROM alert_firings ORDER BY alert_id, offer_id")
	if err != nil {
		return nil, wrap("alert firings", err)
	}
	fs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AlertFiring, error) {
		var f store.AlertFiring
		return f, row.Scan(&f.AlertID, &f.OfferID)
	})
	return fs, wrap("alert firings", err)
}

// RecordFiring stores n and marks its pair fired, once per n.ID.
func (s *Store) RecordFiring(ctx context.Context, n store.Notification) (created bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var one int
		switch err := tx.QueryRow(ctx, "SELECT 1 FROM alerts WHERE id = $1 FOR SHARE", n.AlertID).Scan(&one); {
		case errors.Is(err, pgx.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return wrap("record firing", err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO notifications (id, user_id, kind, alert_id, offer_id, provider, gpu, region,
			price, max_price, event_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
			n.ID, n.UserID, n.Kind, n.AlertID, n.OfferID, n.Provider, n.GPU, n.Region, n.Price, n.MaxPrice, n.EventID, orNow(n.CreatedAt))
		if err != nil {
			return wrap("record firing", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		created = true
		_, err = tx.Exec(ctx, "INSERT INTO alert_firings (alert_id, offer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", n.AlertID, n.OfferID)
		return wrap("record firing", err)
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, wrap("record firing", err)
	}
	return created, err
}

// Rearm forgets that alertID fired for offerID.
func (s *Store) Rearm(ctx context.Context, alertID, offerID string) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM alert_firings WHERE alert_id = $1 AND offer_id = $2", alertID, offerID)
	return wrap("rearm", err)
}

// ListNotifications returns a page of userID's notifications, newest first.
func (s *Store) ListNotifications(ctx context.Context, userID, before string, limit int) ([]store.Notification, error) {
	q := `SELECT id, user_id, kind, alert_id, offer_id, provider, gpu, region, price, max_price, event_id, created_at
		FROM notifications WHERE user_id = $1`
	args := []any{userID}
	if before != "" {
		q += ` AND (created_at, id) < (SELECT created_at, id FROM notifications WHERE id = $2 AND user_id = $1)`
		args = append(args, before)
	}
	args = append(args, limit)
	q += " ORDER BY created_at DESC, id DESC LIMIT $" + string(rune('0'+len(args)))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrap("list notifications", err)
	}
	ns, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Notification, error) {
		var n store.Notification
		err := row.Scan(&n.ID, &n.UserID, &n.Kind, &n.AlertID, &n.OfferID, &n.Provider, &n.GPU, &n.Region, &n.Price,
			&n.MaxPrice, &n.EventID, &n.CreatedAt)
		n.CreatedAt = n.CreatedAt.UTC()
		return n, err
	})
	return ns, wrap("list notifications", err)
}
