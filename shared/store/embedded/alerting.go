package embedded

import (
	"context"
	"database/sql"
	"errors"

	"github.com/gpubroker/gpubroker/shared/store"
)

// AllAlerts lists every user's alerts, oldest first.
func (s *Store) AllAlerts(ctx context.Context) ([]store.Alert, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+alertColumns+" FROM alerts ORDER BY created_at, id")
	if err != nil {
		return nil, wrap("all alerts", err)
	}
	alerts, err := collect(rows, scanAlert)
	return alerts, wrap("all alerts", err)
}

// AlertFirings lists the pairs that fired and have not re-armed.
func (s *Store) AlertFirings(ctx context.Context) ([]store.AlertFiring, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT alert_id, offer_id FROM alert_firings ORDER BY alert_id, offer_id")
	if err != nil {
		return nil, wrap("alert firings", err)
	}
	fs, err := collect(rows, func(r scanner) (store.AlertFiring, error) {
		var f store.AlertFiring
		return f, r.Scan(&f.AlertID, &f.OfferID)
	})
	return fs, wrap("alert firings", err)
}

// RecordFiring stores n and marks its pair fired, once per n.ID.
func (s *Store) RecordFiring(ctx context.Context, n store.Notification) (created bool, err error) {
	err = s.inTx(ctx, "record firing", func(tx *sql.Tx) error {
		var one int
		switch err := tx.QueryRowContext(ctx, "SELECT 1 FROM alerts WHERE id = ?", n.AlertID).Scan(&one); {
		case errors.Is(err, sql.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return wrap("record firing", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, user_id, kind, alert_id, offer_id, provider, gpu, region,
			price, max_price, event_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			n.ID, n.UserID, n.Kind, n.AlertID, n.OfferID, n.Provider, n.GPU, n.Region, n.Price, n.MaxPrice, n.EventID,
			orNow(n.CreatedAt).UnixMicro())
		if err != nil {
			return wrap("record firing", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		created = true
		_, err = tx.ExecContext(ctx, "INSERT INTO alert_firings (alert_id, offer_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
			n.AlertID, n.OfferID)
		return wrap("record firing", err)
	})
	return created, err
}

// Rearm forgets that alertID fired for offerID.
func (s *Store) Rearm(ctx context.Context, alertID, offerID string) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM alert_firings WHERE alert_id = ? AND offer_id = ?", alertID, offerID)
	return wrap("rearm", err)
}

// ListNotifications returns a page of userID's notifications, newest first.
func (s *Store) ListNotifications(ctx context.Context, userID, before string, limit int) ([]store.Notification, error) {
	q := `SELECT id, user_id, kind, alert_id, offer_id, provider, gpu, region, price, max_price, event_id, created_at
		FROM notifications WHERE user_id = ?`
	args := []any{userID}
	if before != "" {
		q += ` AND (created_at, id) < (SELECT created_at, id FROM notifications WHERE id = ? AND user_id = ?)`
		args = append(args, before, userID)
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	rows, err := s.db.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, wrap("list notifications", err)
	}
	ns, err := collect(rows, func(r scanner) (store.Notification, error) {
		var (
			n       store.Notification
			created int64
		)
		err := r.Scan(&n.ID, &n.UserID, &n.Kind, &n.AlertID, &n.OfferID, &n.Provider, &n.GPU, &n.Region, &n.Price,
			&n.MaxPrice, &n.EventID, &created)
		n.CreatedAt = fromMicros(created)
		return n, err
	})
	return ns, wrap("list notifications", err)
}
