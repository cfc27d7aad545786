package embedded

import (
	"context"
	"database/sql"

	"github.com/gpubroker/gpubroker/shared/store"
)

// AddFavorite saves an offer for a user; saving it again changes nothing.
// An unknown user is ErrNotFound.
func (s *Store) AddFavorite(ctx context.Context, f store.Favorite) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO favorites (user_id, offer_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id, offer_id) DO NOTHING`, f.UserID, f.OfferID, orNow(f.CreatedAt).UnixMicro())
	return wrap("add favorite", err)
}

// ListFavorites returns a user's favorites, oldest first.
func (s *Store) ListFavorites(ctx context.Context, userID string) ([]store.Favorite, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT user_id, offer_id, created_at FROM favorites WHERE user_id = ? ORDER BY created_at, offer_id", userID)
	if err != nil {
		return nil, wrap("list favorites", err)
	}
	favs, err := collect(rows, func(r scanner) (store.Favorite, error) {
		var (
			f       store.Favorite
			created int64
		)
		err := r.Scan(&f.UserID, &f.OfferID, &created)
		f.CreatedAt = fromMicros(created)
		return f, err
	})
	return favs, wrap("list favorites", err)
}

// DeleteFavorite removes one of a user's favorites.
func (s *Store) DeleteFavorite(ctx context.Context, userID, offerID string) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM favorites WHERE user_id = ? AND offer_id = ?", userID, offerID)
	return affected("delete favorite", res, err)
}

// CreateAlert stores a (an empty ID gets a new UUID).
func (s *Store) CreateAlert(ctx context.Context, a store.Alert) error {
	if a.ID == "" {
		a.ID = store.NewID()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO alerts (id, user_id, gpu_type, max_price, region, provider, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.UserID, a.GPUType, a.MaxPrice, a.Region, a.Provider, orNow(a.CreatedAt).UnixMicro())
	return wrap("create alert", err)
}

// ListAlerts returns a user's alerts, oldest first.
func (s *Store) ListAlerts(ctx context.Context, userID string) ([]store.Alert, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+alertColumns+" FROM alerts WHERE user_id = ? ORDER BY created_at, id", userID)
	if err != nil {
		return nil, wrap("list alerts", err)
	}
	alerts, err := collect(rows, scanAlert)
	return alerts, wrap("list alerts", err)
}

// alertColumns are what scanAlert reads, in its order.
const alertColumns = "id, user_id, gpu_type, max_price, region, provider, created_at"

func scanAlert(r scanner) (store.Alert, error) {
	var (
		a       store.Alert
		created int64
	)
	err := r.Scan(&a.ID, &a.UserID, &a.GPUType, &a.MaxPrice, &a.Region, &a.Provider, &created)
	a.CreatedAt = fromMicros(created)
	return a, err
}

// DeleteAlert removes one of a user's alerts.
func (s *Store) DeleteAlert(ctx context.Context, userID, id string) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM alerts WHERE user_id = ? AND id = ?", userID, id)
	return affected("delete alert", res, err)
}

// CreateWebhook stores w (an empty ID gets a new UUID).
func (s *Store) CreateWebhook(ctx context.Context, w store.Webhook) error {
	if w.ID == "" {
		w.ID = store.NewID()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO webhooks (id, user_id, url, events, secret, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		w.ID, w.UserID, w.URL, encodeList(w.Events), w.Secret, orNow(w.CreatedAt).UnixMicro())
	return wrap("create webhook", err)
}

// ListWebhooks returns a user's webhooks, oldest first, secrets included:
// the deliverer signs with them, so hiding the secret from API listings is
// the HTTP layer's job.
func (s *Store) ListWebhooks(ctx context.Context, userID string) ([]store.Webhook, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+webhookColumns+" FROM webhooks WHERE user_id = ? ORDER BY created_at, id", userID)
	if err != nil {
		return nil, wrap("list webhooks", err)
	}
	hooks, err := collect(rows, scanWebhook)
	return hooks, wrap("list webhooks", err)
}

// webhookColumns are what scanWebhook reads, in its order.
const webhookColumns = "id, user_id, url, events, secret, created_at, disabled_at, disabled_reason"

func scanWebhook(r scanner) (store.Webhook, error) {
	var (
		w        store.Webhook
		events   string
		created  int64
		disabled sql.NullInt64
	)
	if err := r.Scan(&w.ID, &w.UserID, &w.URL, &events, &w.Secret, &created, &disabled, &w.DisabledReason); err != nil {
		return store.Webhook{}, err
	}
	var err error
	w.Events, err = decodeList(events)
	w.CreatedAt = fromMicros(created)
	w.DisabledAt = fromNullMicros(disabled)
	return w, err
}

// DeleteWebhook removes one of a user's webhooks.
func (s *Store) DeleteWebhook(ctx context.Context, userID, id string) error {
	res, err := s.db.ExecContext(ctx, "DELETE FROM webhooks WHERE user_id = ? AND id = ?", userID, id)
	return affected("delete webhook", res, err)
}
