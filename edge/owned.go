package edge

import (
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/edge/accounts"
)

// pathTail is the resource id after prefix + "/" (router-validated).
func pathTail(rc *requestCtx, prefix string) string {
	return strings.TrimPrefix(string(rc.Path()), prefix+"/")
}

// validResourceID reports whether a path segment can be a row id: the
// service makes UUIDs; anything else cannot exist, so it is not routed.
func validResourceID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

type favoriteJSON struct {
	OfferID   string    `json:"offer_id"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) handleFavoriteAdd(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	var b struct {
		OfferID string `json:"offer_id"`
	}
	if !decodeBody(rc, &b) {
		return
	}
	f, err := s.accounts.AddFavorite(ctx, p, b.OfferID)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	writeJSON(rc.RequestCtx, fasthttp.StatusCreated, favoriteJSON{f.OfferID, f.CreatedAt})
}

func (s *Server) handleFavoriteList(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	fs, err := s.accounts.ListFavorites(ctx, p)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	out := make([]favoriteJSON, len(fs))
	for i, f := range fs {
		out[i] = favoriteJSON{f.OfferID, f.CreatedAt.UTC()}
	}
	writeJSON(rc.RequestCtx, fasthttp.StatusOK, struct {
		Favorites []favoriteJSON `json:"favorites"`
	}{out})
}

func (s *Server) handleFavoriteDelete(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	if err := s.accounts.DeleteFavorite(ctx, p, pathTail(rc, pathFavorites)); err != nil {
		s.accountError(rc, err)
		return
	}
	rc.SetStatusCode(fasthttp.StatusNoContent)
}

type alertJSON struct {
	ID        string    `json:"id"`
	GPUType   string    `json:"gpu_type"`
	MaxPrice  float64   `json:"max_price"`
	Region    string    `json:"region,omitempty"`
	Provider  string    `json:"provider,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) handleAlertCreate(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	var b struct {
		GPUType  string   `json:"gpu_type"`
		MaxPrice *float64 `json:"max_price"`
		Region   string   `json:"region"`
		Provider string   `json:"provider"`
	}
	if !decodeBody(rc, &b) {
		return
	}
	a, err := s.accounts.CreateAlert(ctx, p, accounts.AlertInput{GPUType: b.GPUType, MaxPrice: b.MaxPrice, Region: b.Region, Provider: b.Provider})
	if err != nil {
		s.accountError(rc, err)
		return
	}
	writeJSON(rc.RequestCtx, fasthttp.StatusCreated, alertJSON{a.ID, a.GPUType, a.MaxPrice, a.Region, a.Provider, a.CreatedAt})
}

func (s *Server) handleAlertList(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	as, err := s.accounts.ListAlerts(ctx, p)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	out := make([]alertJSON, len(as))
	for i, a := range as {
		out[i] = alertJSON{a.ID, a.GPUType, a.MaxPrice, a.Region, a.Provider, a.CreatedAt.UTC()}
	}
	writeJSON(rc.RequestCtx, fasthttp.StatusOK, struct {
		Alerts []alertJSON `json:"alerts"`
	}{out})
}

func (s *Server) handleAlertDelete(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	if err := s.accounts.DeleteAlert(ctx, p, pathTail(rc, pathAlerts)); err != nil {
		s.accountError(rc, err)
		return
	}
	rc.SetStatusCode(fasthttp.StatusNoContent)
}

type webhookJSON struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) handleWebhookCreate(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	var b struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if !decodeBody(rc, &b) {
		return
	}
	w, err := s.accounts.CreateWebhook(ctx, p, b.URL, b.Events)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	rc.Response.Header.Set("Cache-Control", "no-store")
	writeJSON(rc.RequestCtx, fasthttp.StatusCreated, struct {
		webhookJSON
		Secret string `json:"secret"`
	}{webhookJSON{w.ID, w.URL, w.Events, w.CreatedAt}, w.Secret})
}

func (s *Server) handleWebhookList(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	ws, err := s.accounts.ListWebhooks(ctx, p)
	if err != nil {
		s.accountError(rc, err)
		return
	}
	out := make([]webhookJSON, len(ws))
	for i, w := range ws {
		out[i] = webhookJSON{w.ID, w.URL, w.Events, w.CreatedAt.UTC()}
	}
	writeJSON(rc.RequestCtx, fasthttp.StatusOK, struct {
		Webhooks []webhookJSON `json:"webhooks"`
	}{out})
}

func (s *Server) handleWebhookDelete(rc *requestCtx) {
	p, ctx, cancel, ok := s.accountCall(rc, false)
	if !ok {
		return
	}
	defer cancel()
	if err := s.accounts.DeleteWebhook(ctx, p, pathTail(rc, pathWebhooks)); err != nil {
		s.accountError(rc, err)
		return
	}
	rc.SetStatusCode(fasthttp.StatusNoContent)
}
