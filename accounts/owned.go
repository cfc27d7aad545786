package accounts

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// AddFavorite saves an offer for p; saving it again changes nothing.
func (s *Service) AddFavorite(ctx context.Context, p Principal, offerID string) (store.Favorite, error) {
	if err := p.allow(ScopeFavoritesWrite); err != nil {
		return store.Favorite{}, err
	}
	if offerID == "" {
		return store.Favorite{}, fieldErr("offer_id", "is required")
	}
	if !ValidOfferID(offerID) {
		return store.Favorite{}, fieldErr("offer_id", "must be an offer id like lambda:gpu_1x_h100_sxm5:us-east-1")
	}
	if s.cfg.Offers != nil {
		listed, err := s.cfg.Offers.OfferListed(ctx, offerID)
		switch {
		case err != nil:
			return store.Favorite{}, fmt.Errorf("%w: %v", ErrOffersUnavailable, err)
		case !listed:
			return store.Favorite{}, fieldErr("offer_id", "no provider lists an offer with this id")
		}
	}
	f := store.Favorite{UserID: p.UserID, OfferID: offerID, CreatedAt: s.cfg.Now().UTC()}
	if err := s.st.AddFavorite(ctx, f); err != nil {
		return store.Favorite{}, fmt.Errorf("accounts: adding favorite: %w", err)
	}
	return f, nil
}

// ListFavorites lists p's favorites.
func (s *Service) ListFavorites(ctx context.Context, p Principal) ([]store.Favorite, error) {
	if err := p.allow(ScopeFavoritesRead); err != nil {
		return nil, err
	}
	fs, err := s.st.ListFavorites(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("accounts: listing favorites: %w", err)
	}
	return fs, nil
}

// DeleteFavorite removes one of p's favorites.
func (s *Service) DeleteFavorite(ctx context.Context, p Principal, offerID string) error {
	if err := p.allow(ScopeFavoritesWrite); err != nil {
		return err
	}
	if err := s.st.DeleteFavorite(ctx, p.UserID, offerID); err != nil {
		return fmt.Errorf("accounts: deleting favorite: %w", err)
	}
	return nil
}

// AlertInput is a new price alert as the client sent it.
type AlertInput struct {
	GPUType  string
	MaxPrice *float64
	Region   string
	Provider string
}

// CreateAlert stores a price alert for p: it fires when an offer of GPUType
// (any spelling shared.ParseGPUQuery accepts), optionally in Region and at
// Provider, costs at most MaxPrice USD per hour.
func (s *Service) CreateAlert(ctx context.Context, p Principal, in AlertInput) (store.Alert, error) {
	if err := p.allow(ScopeAlertsWrite); err != nil {
		return store.Alert{}, err
	}
	gpu := strings.TrimSpace(in.GPUType)
	switch {
	case gpu == "":
		return store.Alert{}, fieldErr("gpu_type", "is required")
	case len(gpu) > 100 || !utf8.ValidString(gpu):
		return store.Alert{}, fieldErr("gpu_type", "must be at most 100 characters of valid UTF-8")
	}
	if q, ok := shared.ParseGPUQuery(gpu); !ok || !q.Known() {
		// An alert watches future offers, so only the catalog can say a
		// GPU exists.
		return store.Alert{}, &FieldError{Field: "gpu_type", Message: "names no GPU in the catalog (GET /api/v2/gpus lists them)",
			Suggestions: shared.SuggestGPUs(gpu, 5)}
	}
	if in.MaxPrice == nil {
		return store.Alert{}, fieldErr("max_price", "is required")
	}
	if mp := *in.MaxPrice; math.IsNaN(mp) || math.IsInf(mp, 0) || mp <= 0 {
		return store.Alert{}, fieldErr("max_price", "must be a number greater than 0")
	}
	region := strings.TrimSpace(in.Region)
	if region != "" && !validRegion(region) {
		return store.Alert{}, fieldErr("region", "must be a region like us-east, us, DE or us-east-1")
	}
	provider := strings.ToLower(strings.TrimSpace(in.Provider))
	if provider != "" && !shared.ValidName(provider) {
		return store.Alert{}, fieldErr("provider", "is not a provider name")
	}
	id, err := newID()
	if err != nil {
		return store.Alert{}, err
	}
	a := store.Alert{ID: id, UserID: p.UserID, GPUType: gpu, MaxPrice: *in.MaxPrice, Region: region, Provider: provider,
		CreatedAt: s.cfg.Now().UTC()}
	if err := s.st.CreateAlert(ctx, a); err != nil {
		return store.Alert{}, fmt.Errorf("accounts: creating alert: %w", err)
	}
	return a, nil
}

// validRegion: 1 to 64 letters, digits, '-' or '_' (canonical regions,
// provider codes, country and continent codes all fit).
func validRegion(r string) bool {
	if len(r) > 64 {
		return false
	}
	for i := 0; i < len(r); i++ {
		if !isAlnum(r[i]) && r[i] != '-' && r[i] != '_' {
			return false
		}
	}
	return true
}

// ListAlerts lists p's alerts.
func (s *Service) ListAlerts(ctx context.Context, p Principal) ([]store.Alert, error) {
	if err := p.allow(ScopeAlertsRead); err != nil {
		return nil, err
	}
	as, err := s.st.ListAlerts(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("accounts: listing alerts: %w", err)
	}
	return as, nil
}

// DeleteAlert removes one of p's alerts.
func (s *Service) DeleteAlert(ctx context.Context, p Principal, id string) error {
	if err := p.allow(ScopeAlertsWrite); err != nil {
		return err
	}
	if err := s.st.DeleteAlert(ctx, p.UserID, id); err != nil {
		return fmt.Errorf("accounts: deleting alert: %w", err)
	}
	return nil
}
