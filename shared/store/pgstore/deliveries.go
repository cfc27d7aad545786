package pgstore

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gpubroker/gpubroker/shared/store"
)

// ActiveWebhooks lists every user's webhooks that are not disabled,
// secrets included, oldest first.
func (s *Store) ActiveWebhooks(ctx context.Context) ([]store.Webhook, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE disabled_at IS NULL ORDER BY created_at, id")
	if err != nil {
		return nil, wrap("active webhooks", err)
	}
	hooks, err := pgx.CollectRows(rows, scanWebhook)
	return hooks, wrap("active webhooks", err)
}

// WebhookByID finds a webhook whoever owns it, disabled ones included.
func (s *Store) WebhookByID(ctx context.Context, id string) (store.Webhook, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE id = $1", id)
	if err != nil {
		return store.Webhook{}, wrap("webhook by id", err)
	}
	w, err := pgx.CollectExactlyOneRow(rows, scanWebhook)
	if err != nil {
		return store.Webhook{}, wrap("webhook by id", err)
	}
	return w, nil
}

// DisableWebhook marks a webhook disabled from at on, with reason; one
// disabled already keeps its first time and reason (SET reads the row as
// it was before the update).
func (s *Store) DisableWebhook(ctx context.Context, id string, at time.Time, reason string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE webhooks SET disabled_at = coalesce(disabled_at, $2),
		disabled_reason = CASE WHEN disabled_at IS NULL THEN $3 ELSE disabled_reason END WHERE id = $1`,
		id, orNow(at), reason)
	return affected("disable webhook", tag, err)
}

// RecordAttempt stores attempt a of delivery d, creating d on its first
// recorded attempt; d's state changes only for an attempt at least as late
// as the latest recorded one. The delivery belongs to the webhook's owner.
// The webhook row is locked FOR SHARE, so it cannot be deleted before the
// delivery row referencing it is written.
func (s *Store) RecordAttempt(ctx context.Context, d store.WebhookDelivery, a store.DeliveryAttempt) error {
	const op = "record attempt"
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var owner string
		if err := tx.QueryRow(ctx, "SELECT user_id FROM webhooks WHERE id = $1 FOR SHARE", d.WebhookID).Scan(&owner); err != nil {
			return err // no rows: ErrNotFound
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (id, webhook_id, user_id, event, event_id, state,
			next_attempt_at, created_at, updated_at, last_attempt) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (id) DO UPDATE SET state = excluded.state, next_attempt_at = excluded.next_attempt_at,
				updated_at = excluded.updated_at, last_attempt = excluded.last_attempt
			WHERE excluded.last_attempt >= webhook_deliveries.last_attempt`,
			d.ID, d.WebhookID, owner, d.Event, d.EventID, d.State, nullTime(d.NextAttemptAt),
			orNow(d.CreatedAt), orNow(d.UpdatedAt), a.N); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO webhook_delivery_attempts (delivery_id, n, status, error, at, took_us)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id, n) DO NOTHING`,
			d.ID, a.N, a.Status, a.Error, orNow(a.At), a.Took.Microseconds())
		return err
	})
	return wrap(op, err)
}

// ListDeliveries returns a page of the deliveries to one of userID's
// webhooks, newest first, each with its attempts oldest first. A cursor
// that is not one of the webhook's deliveries yields an empty page.
func (s *Store) ListDeliveries(ctx context.Context, userID, webhookID, before string, limit int) ([]store.WebhookDelivery, error) {
	const op = "list deliveries"
	var one int
	if err := s.pool.QueryRow(ctx, "SELECT 1 FROM webhooks WHERE id = $1 AND user_id = $2", webhookID, userID).Scan(&one); err != nil {
		return nil, wrap(op, err)
	}
	if limit <= 0 {
		return []store.WebhookDelivery{}, nil
	}
	q := `SELECT id, webhook_id, user_id, event, event_id, state, next_attempt_at, created_at, updated_at
		FROM webhook_deliveries WHERE webhook_id = $1`
	args := []any{webhookID}
	if before != "" {
		q += ` AND (created_at, id) < (SELECT created_at, id FROM webhook_deliveries WHERE id = $2 AND webhook_id = $1)`
		args = append(args, before)
	}
	args = append(args, limit)
	q += " ORDER BY created_at DESC, id DESC LIMIT $" + strconv.Itoa(len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	ds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.WebhookDelivery, error) {
		var (
			d    store.WebhookDelivery
			next *time.Time
		)
		err := row.Scan(&d.ID, &d.WebhookID, &d.UserID, &d.Event, &d.EventID, &d.State, &next, &d.CreatedAt, &d.UpdatedAt)
		d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNull(next), d.CreatedAt.UTC(), d.UpdatedAt.UTC()
		return d, err
	})
	if err != nil || len(ds) == 0 {
		return ds, wrap(op, err)
	}
	rows, err = s.pool.Query(ctx, `SELECT delivery_id, n, status, error, at, took_us FROM webhook_delivery_attempts
		WHERE delivery_id = ANY($1) ORDER BY delivery_id, n`, store.DeliveryIDs(ds))
	if err != nil {
		return nil, wrap(op, err)
	}
	as, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.AttemptOf, error) {
		var (
			a    store.AttemptOf
			took int64
		)
		err := row.Scan(&a.DeliveryID, &a.N, &a.Status, &a.Error, &a.At, &took)
		a.At, a.Took = a.At.UTC(), time.Duration(took)*time.Microsecond
		return a, err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	store.AttachAttempts(ds, as)
	return ds, nil
}
