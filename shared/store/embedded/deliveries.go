package embedded

import (
	"context"
	"database/sql"
	"time"

	"github.com/gpubroker/gpubroker/shared/store"
)

// ActiveWebhooks lists every user's webhooks that are not disabled,
// secrets included, oldest first.
func (s *Store) ActiveWebhooks(ctx context.Context) ([]store.Webhook, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE disabled_at IS NULL ORDER BY created_at, id")
	if err != nil {
		return nil, wrap("active webhooks", err)
	}
	hooks, err := collect(rows, scanWebhook)
	return hooks, wrap("active webhooks", err)
}

// WebhookByID finds a webhook whoever owns it, disabled ones included.
func (s *Store) WebhookByID(ctx context.Context, id string) (store.Webhook, error) {
	w, err := scanWebhook(s.db.QueryRowContext(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE id = ?", id))
	if err != nil {
		return store.Webhook{}, wrap("webhook by id", err)
	}
	return w, nil
}

// DisableWebhook marks a webhook disabled from at on, with reason; one
// disabled already keeps its first time and reason (SET reads the row as
// it was before the update).
func (s *Store) DisableWebhook(ctx context.Context, id string, at time.Time, reason string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE webhooks SET disabled_at = coalesce(disabled_at, ?),
		disabled_reason = CASE WHEN disabled_at IS NULL THEN ? ELSE disabled_reason END WHERE id = ?`,
		orNow(at).UnixMicro(), reason, id)
	return affected("disable webhook", res, err)
}

// RecordAttempt stores attempt a of delivery d, creating d on its first
// recorded attempt; d's state changes only for an attempt at least as late
// as the latest recorded one. The delivery belongs to the webhook's owner.
func (s *Store) RecordAttempt(ctx context.Context, d store.WebhookDelivery, a store.DeliveryAttempt) error {
	const op = "record attempt"
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		var owner string
		if err := tx.QueryRowContext(ctx, "SELECT user_id FROM webhooks WHERE id = ?", d.WebhookID).Scan(&owner); err != nil {
			return wrap(op, err) // no rows: ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, user_id, event, event_id, state,
			next_attempt_at, created_at, updated_at, last_attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET state = excluded.state, next_attempt_at = excluded.next_attempt_at,
				updated_at = excluded.updated_at, last_attempt = excluded.last_attempt
			WHERE excluded.last_attempt >= webhook_deliveries.last_attempt`,
			d.ID, d.WebhookID, owner, d.Event, d.EventID, d.State, nullMicros(d.NextAttemptAt),
			orNow(d.CreatedAt).UnixMicro(), orNow(d.UpdatedAt).UnixMicro(), a.N); err != nil {
			return wrap(op, err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_delivery_attempts (delivery_id, n, status, error, at, took_us)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id, n) DO NOTHING`,
			d.ID, a.N, a.Status, a.Error, orNow(a.At).UnixMicro(), a.Took.Microseconds())
		return wrap(op, err)
	})
}

// ListDeliveries returns a page of the deliveries to one of userID's
// webhooks, newest first, each with its attempts oldest first. A cursor
// that is not one of the webhook's deliveries yields an empty page.
func (s *Store) ListDeliveries(ctx context.Context, userID, webhookID, before string, limit int) ([]store.WebhookDelivery, error) {
	const op = "list deliveries"
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1 FROM webhooks WHERE id = ? AND user_id = ?", webhookID, userID).Scan(&one); err != nil {
		return nil, wrap(op, err)
	}
	if limit <= 0 {
		return []store.WebhookDelivery{}, nil
	}
	q := `SELECT id, webhook_id, user_id, event, event_id, state, next_attempt_at, created_at, updated_at
		FROM webhook_deliveries WHERE webhook_id = ?`
	args := []any{webhookID}
	if before != "" {
		q += ` AND (created_at, id) < (SELECT created_at, id FROM webhook_deliveries WHERE id = ? AND webhook_id = ?)`
		args = append(args, before, webhookID)
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT ?"
	rows, err := s.db.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, wrap(op, err)
	}
	ds, err := collect(rows, func(r scanner) (store.WebhookDelivery, error) {
		var (
			d                store.WebhookDelivery
			next             sql.NullInt64
			created, updated int64
		)
		err := r.Scan(&d.ID, &d.WebhookID, &d.UserID, &d.Event, &d.EventID, &d.State, &next, &created, &updated)
		d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNullMicros(next), fromMicros(created), fromMicros(updated)
		return d, err
	})
	if err != nil || len(ds) == 0 {
		return ds, wrap(op, err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT delivery_id, n, status, error, at, took_us FROM webhook_delivery_attempts
		WHERE delivery_id IN (SELECT value FROM json_each(?)) ORDER BY delivery_id, n`, encodeList(store.DeliveryIDs(ds)))
	if err != nil {
		return nil, wrap(op, err)
	}
	as, err := collect(rows, func(r scanner) (store.AttemptOf, error) {
		var (
			a        store.AttemptOf
			at, took int64
		)
		err := r.Scan(&a.DeliveryID, &a.N, &a.Status, &a.Error, &at, &took)
		a.At, a.Took = fromMicros(at), time.Duration(took)*time.Microsecond
		return a, err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	store.AttachAttempts(ds, as)
	return ds, nil
}
