package accountapi

import (
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/edge/httpx"
	"github.com/gpubroker/gpubroker/shared/store"
	"github.com/gpubroker/gpubroker/shared/webhook"
)

type favoriteBody struct {
	OfferID string `json:"offer_id"`
}

type favoriteJSON struct {
	OfferID   string    `json:"offer_id"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *API) addFavorite() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusCreated}, func(c *call, b favoriteBody) (favoriteJSON, error) {
		f, err := a.cfg.Accounts.AddFavorite(c.ctx, c.p, b.OfferID)
		return favoriteJSON{f.OfferID, f.CreatedAt}, err
	})
}

func (a *API) listFavorites() func(*httpx.Request) {
	type list struct {
		Favorites []favoriteJSON `json:"favorites"`
	}
	return endpoint(a, spec{status: fasthttp.StatusOK}, func(c *call, _ none) (list, error) {
		fs, err := a.cfg.Accounts.ListFavorites(c.ctx, c.p)
		out := make([]favoriteJSON, len(fs))
		for i, f := range fs {
			out[i] = favoriteJSON{f.OfferID, f.CreatedAt.UTC()}
		}
		return list{out}, err
	})
}

func (a *API) deleteFavorite() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusNoContent}, func(c *call, _ none) (none, error) {
		return none{}, a.cfg.Accounts.DeleteFavorite(c.ctx, c.p, c.r.Param("offer_id"))
	})
}

type alertBody struct {
	GPUType  string   `json:"gpu_type"`
	MaxPrice *float64 `json:"max_price"`
	Region   string   `json:"region"`
	Provider string   `json:"provider"`
}

type alertJSON struct {
	ID        string    `json:"id"`
	GPUType   string    `json:"gpu_type"`
	MaxPrice  float64   `json:"max_price"`
	Region    string    `json:"region,omitempty"`
	Provider  string    `json:"provider,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *API) createAlert() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusCreated}, func(c *call, b alertBody) (alertJSON, error) {
		al, err := a.cfg.Accounts.CreateAlert(c.ctx, c.p, accounts.AlertInput{GPUType: b.GPUType, MaxPrice: b.MaxPrice, Region: b.Region, Provider: b.Provider})
		return alertJSON{al.ID, al.GPUType, al.MaxPrice, al.Region, al.Provider, al.CreatedAt}, err
	})
}

func (a *API) listAlerts() func(*httpx.Request) {
	type list struct {
		Alerts []alertJSON `json:"alerts"`
	}
	return endpoint(a, spec{status: fasthttp.StatusOK}, func(c *call, _ none) (list, error) {
		as, err := a.cfg.Accounts.ListAlerts(c.ctx, c.p)
		out := make([]alertJSON, len(as))
		for i, al := range as {
			out[i] = alertJSON{al.ID, al.GPUType, al.MaxPrice, al.Region, al.Provider, al.CreatedAt.UTC()}
		}
		return list{out}, err
	})
}

type notificationJSON struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	AlertID   string    `json:"alert_id"`
	OfferID   string    `json:"offer_id"`
	Provider  string    `json:"provider"`
	GPU       string    `json:"gpu"`
	Region    string    `json:"region"`
	Price     float64   `json:"price"`
	MaxPrice  float64   `json:"max_price"`
	EventID   string    `json:"event_id"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *API) listNotifications() func(*httpx.Request) {
	type page struct {
		Notifications []notificationJSON `json:"notifications"`
		NextCursor    *string            `json:"next_cursor"`
	}
	sp := spec{status: fasthttp.StatusOK, query: []string{"cursor", "limit"}}
	return endpoint(a, sp, func(c *call, _ none) (page, error) {
		args := c.r.QueryArgs()
		p, err := a.cfg.Accounts.ListNotifications(c.ctx, c.p, string(args.Peek("cursor")), string(args.Peek("limit")))
		out := page{Notifications: make([]notificationJSON, len(p.Items))}
		for i, n := range p.Items {
			out.Notifications[i] = notificationJSON{n.ID, n.Kind, n.AlertID, n.OfferID, n.Provider, n.GPU, n.Region, n.Price,
				n.MaxPrice, n.EventID, n.CreatedAt.UTC()}
		}
		if p.Next != "" {
			out.NextCursor = &p.Next
		}
		return out, err
	})
}

func (a *API) deleteAlert() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusNoContent}, func(c *call, _ none) (none, error) {
		return none{}, a.cfg.Accounts.DeleteAlert(c.ctx, c.p, c.r.Param("id"))
	})
}

type webhookBody struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type webhookJSON struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"created_at"`
	// Status is "active", or "disabled" once the receiver answered 410
	// Gone (when DisabledAt and DisabledReason say so).
	Status         string     `json:"status"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
}

func newWebhookView(w store.Webhook) webhookJSON {
	out := webhookJSON{ID: w.ID, URL: w.URL, Events: w.Events, CreatedAt: w.CreatedAt.UTC(), Status: "active"}
	if !w.DisabledAt.IsZero() {
		at := w.DisabledAt.UTC()
		out.Status, out.DisabledAt, out.DisabledReason = "disabled", &at, w.DisabledReason
	}
	return out
}

// newWebhookJSON is a webhook as registered: the only time its signing
// secret is shown.
type newWebhookJSON struct {
	webhookJSON
	Secret string `json:"secret"`
}

func (a *API) createWebhook() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusCreated, noStore: true}, func(c *call, b webhookBody) (newWebhookJSON, error) {
		w, err := a.cfg.Accounts.CreateWebhook(c.ctx, c.p, b.URL, b.Events)
		return newWebhookJSON{newWebhookView(w), w.Secret}, err
	})
}

func (a *API) listWebhooks() func(*httpx.Request) {
	type list struct {
		Webhooks []webhookJSON `json:"webhooks"`
	}
	return endpoint(a, spec{status: fasthttp.StatusOK}, func(c *call, _ none) (list, error) {
		ws, err := a.cfg.Accounts.ListWebhooks(c.ctx, c.p)
		out := make([]webhookJSON, len(ws))
		for i, w := range ws {
			out[i] = newWebhookView(w)
		}
		return list{out}, err
	})
}

func (a *API) deleteWebhook() func(*httpx.Request) {
	return endpoint(a, spec{status: fasthttp.StatusNoContent}, func(c *call, _ none) (none, error) {
		return none{}, a.cfg.Accounts.DeleteWebhook(c.ctx, c.p, c.r.Param("id"))
	})
}

type attemptJSON struct {
	Attempt int       `json:"attempt"`
	Status  *int      `json:"status"` // null when no answer came
	Error   string    `json:"error,omitempty"`
	At      time.Time `json:"at"`
	TookMS  float64   `json:"took_ms"`
}

type deliveryJSON struct {
	ID            string        `json:"id"`
	Event         string        `json:"event"`
	EventID       string        `json:"event_id,omitempty"`
	State         string        `json:"state"`
	Attempts      []attemptJSON `json:"attempts"`
	NextAttemptAt *time.Time    `json:"next_attempt_at"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
}

func newDeliveryView(d store.WebhookDelivery) deliveryJSON {
	out := deliveryJSON{ID: d.ID, Event: d.Event, EventID: d.EventID, State: d.State, Attempts: make([]attemptJSON, len(d.Attempts)),
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC()}
	for i, a := range d.Attempts {
		out.Attempts[i] = attemptJSON{Attempt: a.N, Error: a.Error, At: a.At.UTC(), TookMS: float64(a.Took.Microseconds()) / 1000}
		if a.Status != 0 {
			out.Attempts[i].Status = &a.Status
		}
	}
	if !d.NextAttemptAt.IsZero() {
		next := d.NextAttemptAt.UTC()
		out.NextAttemptAt = &next
	}
	return out
}

func (a *API) listDeliveries() func(*httpx.Request) {
	type page struct {
		Deliveries []deliveryJSON `json:"deliveries"`
		NextCursor *string        `json:"next_cursor"`
	}
	sp := spec{status: fasthttp.StatusOK, query: []string{"cursor", "limit"}}
	return endpoint(a, sp, func(c *call, _ none) (page, error) {
		args := c.r.QueryArgs()
		p, err := a.cfg.Accounts.ListDeliveries(c.ctx, c.p, c.r.Param("id"), string(args.Peek("cursor")), string(args.Peek("limit")))
		out := page{Deliveries: make([]deliveryJSON, len(p.Items))}
		for i, d := range p.Items {
			out.Deliveries[i] = newDeliveryView(d)
		}
		if p.Next != "" {
			out.NextCursor = &p.Next
		}
		return out, err
	})
}

func (a *API) testWebhook() func(*httpx.Request) {
	type queued struct {
		DeliveryID string `json:"delivery_id"`
		WebhookID  string `json:"webhook_id"`
		Event      string `json:"event"`
	}
	return endpoint(a, spec{status: fasthttp.StatusAccepted}, func(c *call, _ none) (queued, error) {
		id, err := a.cfg.Accounts.TestWebhook(c.ctx, c.p, c.r.Param("id"))
		return queued{id, c.r.Param("id"), webhook.EventTest}, err
	})
}
