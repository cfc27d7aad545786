package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gpubroker/gpubroker/shared/store"
)

// AddFavorite saves an offer for a user; saving it again changes nothing.
// An unknown user is ErrNotFound.
func (s *Store) AddFavorite(ctx context.Context, f store.Favorite) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO favorites (user_id, offer_id, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, offer_id) DO NOTHING`, f.UserID, f.OfferID, orNow(f.CreatedAt))
	return wrap("add favorite", err)
}

// ListFavorites returns a user's favorites, oldest first.
func (s *Store) ListFavorites(ctx context.Context, userID string) ([]store.Favorite, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT user_id, offer_id, created_at FROM favorites WHERE user_id = $1 ORDER BY created_at, offer_id", userID)
	if err != nil {
		return nil, wrap("list favorites", err)
	}
	favs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Favorite, error) {
		var f store.Favorite
		err := row.Scan(&f.UserID, &f.OfferID, &f.CreatedAt)
		f.CreatedAt = f.CreatedAt.UTC()
		return f, err
	})
	return favs, wrap("list favorites", err)
}

// DeleteFavorite removes one of a user's favorites.
func (s *Store) DeleteFavorite(ctx context.Context, userID, offerID string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM favorites WHERE user_id = $1 AND offer_id = $2", userID, offerID)
	return affected("delete favorite", tag, err)
}

// CreateAlert stores a (an empty ID gets a new UUID).
func (s *Store) CreateAlert(ctx context.Context, a store.Alert) error {
	if a.ID == "" {
		a.ID = store.NewID()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO alerts (id, user_id, gpu_type, max_price, region, provider, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		a.ID, a.UserID, a.GPUType, a.MaxPrice, a.Region, a.Provider, orNow(a.CreatedAt))
	return wrap("create alert", err)
}

// ListAlerts returns a user's alerts, oldest first.
func (s *Store) ListAlerts(ctx context.Context, userID string) ([]store.Alert, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+alertColumns+" FROM alerts WHERE user_id = $1 ORDER BY created_at, id", userID)
	if err != nil {
		return nil, wrap("list alerts", err)
	}
	alerts, err := pgx.CollectRows(rows, scanAlert)
	return alerts, wrap("list alerts", err)
}

// alertColumns are what scanAlert reads, in its order.
const alertColumns = "id, user_id, gpu_type, max_price, region, provider, created_at"

func scanAlert(row pgx.CollectableRow) (store.Alert, error) {
	var a store.Alert
	err := row.Scan(&a.ID, &a.UserID, &a.GPUType, &a.MaxPrice, &a.Region, &a.Provider, &a.CreatedAt)
	a.CreatedAt = a.CreatedAt.UTC()
	return a, err
}

// DeleteAlert removes one of a user's alerts.
func (s *Store) DeleteAlert(ctx context.Context, userID, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM alerts WHERE user_id = $1 AND id = $2", userID, id)
	return affected("delete alert", tag, err)
}

// CreateWebhook stores w (an empty ID gets a new UUID).
func (s *Store) CreateWebhook(ctx context.Context, w store.Webhook) error {
	if w.ID == "" {
		w.ID = store.NewID()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO webhooks (id, user_id, url, events, secret, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		w.ID, w.UserID, w.URL, orEmpty(w.Events), w.Secret, orNow(w.CreatedAt))
	return wrap("create webhook", err)
}

// ListWebhooks returns a user's webhooks, oldest first, secrets included:
// the deliverer signs with them, so hiding the secret from API listings is
// the HTTP layer's job.
func (s *Store) ListWebhooks(ctx context.Context, userID string) ([]store.Webhook, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE user_id = $1 ORDER BY created_at, id", userID)
	if err != nil {
		return nil, wrap("list webhooks", err)
	}
	hooks, err := pgx.CollectRows(rows, scanWebhook)
	return hooks, wrap("list webhooks", err)
}

// webhookColumns are what scanWebhook reads, in its order.
const webhookColumns = "id, user_id, url, events, secret, created_at, disabled_at, disabled_reason"

func scanWebhook(row pgx.CollectableRow) (store.Webhook, error) {
	var (
		w        store.Webhook
		disabled *time.Time
	)
	err := row.Scan(&w.ID, &w.UserID, &w.URL, &w.Events, &w.Secret, &w.CreatedAt, &disabled, &w.DisabledReason)
	w.CreatedAt = w.CreatedAt.UTC()
	w.DisabledAt = fromNull(disabled)
	return w, err
}

// DeleteWebhook removes one of a user's webhooks.
func (s *Store) DeleteWebhook(ctx context.Context, userID, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM webhooks WHERE user_id = $1 AND id = $2", userID, id)
	return affected("delete webhook", tag, err)
}
