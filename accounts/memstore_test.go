package accounts

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// memStore is a small in-memory store.Store for this package's unit tests,
// following the interface's contract (tenant scoping, ErrNotFound,
// ErrConflict, atomic rotation). The edge's HTTP tests use the real
// embedded store.
type memStore struct {
	mu        sync.Mutex
	users     map[string]store.User
	keys      map[string]store.APIKey
	refresh   map[string]store.RefreshToken
	services  map[string]store.ServiceAccount
	favorites map[string][]store.Favorite
	alerts    map[string]store.Alert
	webhooks  map[string]store.Webhook
	notes     []store.Notification // oldest first
	firings   map[store.AlertFiring]bool
	daily     []store.DailyPrice
	points    []store.PricePoint
	lastQuery store.PriceQuery

	// failing makes every call fail, as an unreachable database would.
	failing     atomic.Bool
	keyLookups  atomic.Int64
	svcLookups  atomic.Int64
	emailLookup atomic.Int64
	touches     atomic.Int64
}

var errDown = errors.New("database unreachable")

func newMemStore() *memStore {
	return &memStore{users: map[string]store.User{}, keys: map[string]store.APIKey{}, refresh: map[string]store.RefreshToken{},
		services: map[string]store.ServiceAccount{}, favorites: map[string][]store.Favorite{}, alerts: map[string]store.Alert{},
		webhooks: map[string]store.Webhook{}}
}

var _ store.Store = (*memStore)(nil)

func (m *memStore) lock() error {
	m.mu.Lock()
	if m.failing.Load() {
		m.mu.Unlock()
		return errDown
	}
	return nil
}

func (m *memStore) CreateUser(_ context.Context, u store.User) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for _, x := range m.users {
		if strings.EqualFold(x.Email, u.Email) {
			return store.ErrConflict
		}
	}
	u.Email = strings.ToLower(u.Email)
	m.users[u.ID] = u
	return nil
}

func (m *memStore) UserByEmail(_ context.Context, email string) (store.User, error) {
	m.emailLookup.Add(1)
	if err := m.lock(); err != nil {
		return store.User{}, err
	}
	defer m.mu.Unlock()
	for _, u := range m.users {
		if strings.EqualFold(u.Email, email) {
			return u, nil
		}
	}
	return store.User{}, store.ErrNotFound
}

func (m *memStore) UserByID(_ context.Context, id string) (store.User, error) {
	if err := m.lock(); err != nil {
		return store.User{}, err
	}
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return u, nil
}

func (m *memStore) CreateAPIKey(_ context.Context, k store.APIKey) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if _, ok := m.users[k.UserID]; !ok {
		return store.ErrNotFound
	}
	m.keys[k.ID] = k
	return nil
}

func (m *memStore) APIKeyByHash(_ context.Context, hash []byte) (store.APIKey, store.User, error) {
	m.keyLookups.Add(1)
	if err := m.lock(); err != nil {
		return store.APIKey{}, store.User{}, err
	}
	defer m.mu.Unlock()
	for _, k := range m.keys {
		if bytes.Equal(k.Hash, hash) && k.RevokedAt.IsZero() {
			return k, m.users[k.UserID], nil
		}
	}
	return store.APIKey{}, store.User{}, store.ErrNotFound
}

func (m *memStore) ListAPIKeys(_ context.Context, userID string) ([]store.APIKey, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	var out []store.APIKey
	for _, k := range m.keys {
		if k.UserID == userID {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b store.APIKey) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func (m *memStore) RevokeAPIKey(_ context.Context, userID, id string) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	k, ok := m.keys[id]
	if !ok || k.UserID != userID {
		return store.ErrNotFound
	}
	if k.RevokedAt.IsZero() {
		k.RevokedAt = time.Now()
	}
	m.keys[id] = k
	return nil
}

func (m *memStore) TouchAPIKey(_ context.Context, id string, at time.Time) error {
	m.touches.Add(1)
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	k, ok := m.keys[id]
	if !ok {
		return store.ErrNotFound
	}
	if at.After(k.LastUsedAt) {
		k.LastUsedAt = at
	}
	m.keys[id] = k
	return nil
}

func (m *memStore) CreateRefreshToken(_ context.Context, t store.RefreshToken) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	m.refresh[t.ID] = t
	return nil
}

func (m *memStore) RefreshTokenByHash(_ context.Context, hash []byte) (store.RefreshToken, error) {
	if err := m.lock(); err != nil {
		return store.RefreshToken{}, err
	}
	defer m.mu.Unlock()
	for _, t := range m.refresh {
		if bytes.Equal(t.Hash, hash) {
			return t, nil
		}
	}
	return store.RefreshToken{}, store.ErrNotFound
}

func (m *memStore) RotateRefreshToken(_ context.Context, oldID string, next store.RefreshToken, at time.Time) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	old, ok := m.refresh[oldID]
	if !ok || !old.RevokedAt.IsZero() || !at.Before(old.ExpiresAt) {
		return store.ErrNotFound
	}
	old.RevokedAt, old.ReplacedBy = at, next.ID
	m.refresh[oldID] = old
	m.refresh[next.ID] = next
	return nil
}

func (m *memStore) RevokeRefreshFamily(_ context.Context, familyID string, at time.Time) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for id, t := range m.refresh {
		if t.FamilyID == familyID && t.RevokedAt.IsZero() {
			t.RevokedAt = at
			m.refresh[id] = t
		}
	}
	return nil
}

func (m *memStore) CreateServiceAccount(_ context.Context, a store.ServiceAccount) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if a.Name == "" {
		a.Name = a.ID
	}
	for _, x := range m.services {
		if x.ID == a.ID || x.OwnerID == a.OwnerID && x.Name == a.Name {
			return store.ErrConflict
		}
	}
	m.services[a.ID] = a
	return nil
}

func (m *memStore) ListServiceAccounts(_ context.Context, ownerID string) ([]store.ServiceAccount, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	out := []store.ServiceAccount{}
	for _, a := range m.services {
		if a.OwnerID == ownerID {
			a.SecretHash = ""
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b store.ServiceAccount) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

func (m *memStore) DeleteServiceAccount(_ context.Context, ownerID, id string) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if a, ok := m.services[id]; !ok || a.OwnerID != ownerID {
		return store.ErrNotFound
	}
	delete(m.services, id)
	return nil
}

func (m *memStore) ServiceAccountByID(_ context.Context, id string) (store.ServiceAccount, error) {
	m.svcLookups.Add(1)
	if err := m.lock(); err != nil {
		return store.ServiceAccount{}, err
	}
	defer m.mu.Unlock()
	a, ok := m.services[id]
	if !ok {
		return store.ServiceAccount{}, store.ErrNotFound
	}
	return a, nil
}

func (m *memStore) AddFavorite(_ context.Context, f store.Favorite) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	for _, x := range m.favorites[f.UserID] {
		if x.OfferID == f.OfferID {
			return nil
		}
	}
	m.favorites[f.UserID] = append(m.favorites[f.UserID], f)
	return nil
}

func (m *memStore) ListFavorites(_ context.Context, userID string) ([]store.Favorite, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	return slices.Clone(m.favorites[userID]), nil
}

func (m *memStore) DeleteFavorite(_ context.Context, userID, offerID string) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	fs := m.favorites[userID]
	i := slices.IndexFunc(fs, func(f store.Favorite) bool { return f.OfferID == offerID })
	if i < 0 {
		return store.ErrNotFound
	}
	m.favorites[userID] = slices.Delete(fs, i, i+1)
	return nil
}

func (m *memStore) CreateAlert(_ context.Context, a store.Alert) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	m.alerts[a.ID] = a
	return nil
}

func (m *memStore) ListAlerts(_ context.Context, userID string) ([]store.Alert, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	var out []store.Alert
	for _, a := range m.alerts {
		if a.UserID == userID {
			out = append(out, a)
		}
	}
	return out, nil
}

func (m *memStore) DeleteAlert(_ context.Context, userID, id string) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if a, ok := m.alerts[id]; !ok || a.UserID != userID {
		return store.ErrNotFound
	}
	delete(m.alerts, id)
	return nil
}

func (m *memStore) CreateWebhook(_ context.Context, w store.Webhook) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	m.webhooks[w.ID] = w
	return nil
}

func (m *memStore) ListWebhooks(_ context.Context, userID string) ([]store.Webhook, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	var out []store.Webhook
	for _, w := range m.webhooks {
		if w.UserID == userID {
			out = append(out, w)
		}
	}
	return out, nil
}

func (m *memStore) DeleteWebhook(_ context.Context, userID, id string) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if w, ok := m.webhooks[id]; !ok || w.UserID != userID {
		return store.ErrNotFound
	}
	delete(m.webhooks, id)
	return nil
}

func (m *memStore) UpsertOffers(context.Context, []shared.Offer, time.Time) ([]store.PricePoint, error) {
	return nil, errors.New("memStore: not used by these tests")
}

func (m *memStore) PriceHistoryDaily(_ context.Context, q store.PriceQuery) ([]store.DailyPrice, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	m.lastQuery = q
	return slices.Clone(m.daily), nil
}

func (m *memStore) PriceHistoryPoints(_ context.Context, q store.PriceQuery) ([]store.PricePoint, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	m.lastQuery = q
	return slices.Clone(m.points), nil
}

func (m *memStore) Ping(context.Context) error {
	if m.failing.Load() {
		return errDown
	}
	return nil
}

func (m *memStore) Close() error { return nil }

func (m *memStore) AllAlerts(_ context.Context) ([]store.Alert, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	out := make([]store.Alert, 0, len(m.alerts))
	for _, a := range m.alerts {
		out = append(out, a)
	}
	return out, nil
}

func (m *memStore) AlertFirings(_ context.Context) ([]store.AlertFiring, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	var out []store.AlertFiring
	for f := range m.firings {
		out = append(out, f)
	}
	return out, nil
}

func (m *memStore) RecordFiring(_ context.Context, n store.Notification) (bool, error) {
	if err := m.lock(); err != nil {
		return false, err
	}
	defer m.mu.Unlock()
	if _, ok := m.alerts[n.AlertID]; !ok {
		return false, store.ErrNotFound
	}
	if slices.ContainsFunc(m.notes, func(x store.Notification) bool { return x.ID == n.ID }) {
		return false, nil
	}
	m.notes = append(m.notes, n)
	if m.firings == nil {
		m.firings = map[store.AlertFiring]bool{}
	}
	m.firings[store.AlertFiring{AlertID: n.AlertID, OfferID: n.OfferID}] = true
	return true, nil
}

func (m *memStore) Rearm(_ context.Context, alertID, offerID string) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	delete(m.firings, store.AlertFiring{AlertID: alertID, OfferID: offerID})
	return nil
}

func (m *memStore) ListNotifications(_ context.Context, userID, before string, limit int) ([]store.Notification, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	var out []store.Notification
	started := before == ""
	for i := len(m.notes) - 1; i >= 0 && len(out) < limit; i-- {
		n := m.notes[i]
		if n.UserID != userID {
			continue
		}
		if !started {
			started = n.ID == before
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// The delivery side of webhooks is the delivery worker's; these tests use
// only WebhookByID, ListDeliveries (empty) and DisableWebhook (to set up a
// disabled one).
func (m *memStore) ActiveWebhooks(context.Context) ([]store.Webhook, error) {
	return nil, errors.New("memStore: not used by these tests")
}

func (m *memStore) WebhookByID(_ context.Context, id string) (store.Webhook, error) {
	if err := m.lock(); err != nil {
		return store.Webhook{}, err
	}
	defer m.mu.Unlock()
	w, ok := m.webhooks[id]
	if !ok {
		return store.Webhook{}, store.ErrNotFound
	}
	return w, nil
}

func (m *memStore) DisableWebhook(_ context.Context, id string, at time.Time, reason string) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	w, ok := m.webhooks[id]
	if !ok {
		return store.ErrNotFound
	}
	if w.DisabledAt.IsZero() {
		w.DisabledAt, w.DisabledReason = at, reason
		m.webhooks[id] = w
	}
	return nil
}

func (m *memStore) RecordAttempt(context.Context, store.WebhookDelivery, store.DeliveryAttempt) error {
	return errors.New("memStore: not used by these tests")
}

func (m *memStore) ListDeliveries(_ context.Context, userID, webhookID, _ string, _ int) ([]store.WebhookDelivery, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	if w, ok := m.webhooks[webhookID]; !ok || w.UserID != userID {
		return nil, store.ErrNotFound
	}
	return nil, nil
}
