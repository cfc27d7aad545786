package accounts

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared/store"
)

func ptr(f float64) *float64 { return &f }

func TestFavorites(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	a, b := e.user(t, "a@example.com", "free"), e.user(t, "b@example.com", "free")
	for _, id := range []string{"", "nocolon", "Bad:x", "lambda:", "lambda:has space", "lambda:a/b", "-x:y", "lambda:" + strings.Repeat("x", 260)} {
		if _, err := e.svc.AddFavorite(ctx, a, id); fieldOf(err) != "offer_id" {
			t.Errorf("%q: %v", id, err)
		}
	}
	if _, err := e.svc.AddFavorite(ctx, a, "lambda:gpu_1x_h100_sxm5:us-east-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddFavorite(ctx, a, "lambda:gpu_1x_h100_sxm5:us-east-1"); err != nil {
		t.Fatalf("adding twice: %v", err)
	}
	fa, _ := e.svc.ListFavorites(ctx, a)
	fb, _ := e.svc.ListFavorites(ctx, b)
	if len(fa) != 1 || len(fb) != 0 {
		t.Fatalf("a has %d, b has %d", len(fa), len(fb))
	}
	if err := e.svc.DeleteFavorite(ctx, b, "lambda:gpu_1x_h100_sxm5:us-east-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b deleted a's favorite: %v", err)
	}
	if err := e.svc.DeleteFavorite(ctx, a, "lambda:gpu_1x_h100_sxm5:us-east-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ListFavorites(ctx, Principal{}); !errors.Is(err, ErrNoUser) {
		t.Fatalf("no user: %v", err)
	}
}

func TestAlertValidation(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	a := e.user(t, "a@example.com", "free")
	for _, tc := range []struct {
		in    AlertInput
		field string
	}{
		{AlertInput{MaxPrice: ptr(2)}, "gpu_type"},
		{AlertInput{GPUType: "   ", MaxPrice: ptr(2)}, "gpu_type"},
		{AlertInput{GPUType: "--", MaxPrice: ptr(2)}, "gpu_type"},
		{AlertInput{GPUType: strings.Repeat("H", 101), MaxPrice: ptr(2)}, "gpu_type"},
		{AlertInput{GPUType: "A100"}, "max_price"},
		{AlertInput{GPUType: "A100", MaxPrice: ptr(0)}, "max_price"},
		{AlertInput{GPUType: "A100", MaxPrice: ptr(-1)}, "max_price"},
		{AlertInput{GPUType: "A100", MaxPrice: ptr(math.Inf(1))}, "max_price"},
		{AlertInput{GPUType: "A100", MaxPrice: ptr(math.NaN())}, "max_price"},
		{AlertInput{GPUType: "A100", MaxPrice: ptr(2), Region: "us east"}, "region"},
		{AlertInput{GPUType: "A100", MaxPrice: ptr(2), Provider: "not a provider"}, "provider"},
	} {
		if _, err := e.svc.CreateAlert(ctx, a, tc.in); fieldOf(err) != tc.field {
			t.Errorf("%+v: %v; want a %s error", tc.in, err, tc.field)
		}
	}
	got, err := e.svc.CreateAlert(ctx, a, AlertInput{GPUType: " h100 nvl ", MaxPrice: ptr(2.5), Region: "us-east", Provider: "Lambda"})
	if err != nil {
		t.Fatal(err)
	}
	if got.GPUType != "h100 nvl" || got.MaxPrice != 2.5 || got.Region != "us-east" || got.Provider != "lambda" || got.ID == "" {
		t.Fatalf("alert %+v", got)
	}
}

func TestAlertIsolation(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	a, b := e.user(t, "a@example.com", "free"), e.user(t, "b@example.com", "free")
	al, err := e.svc.CreateAlert(ctx, a, AlertInput{GPUType: "A100", MaxPrice: ptr(1)})
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := e.svc.ListAlerts(ctx, b); len(l) != 0 {
		t.Fatalf("b sees %v", l)
	}
	if err := e.svc.DeleteAlert(ctx, b, al.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b deleted a's alert: %v", err)
	}
	if err := e.svc.DeleteAlert(ctx, a, al.ID); err != nil {
		t.Fatal(err)
	}
}

func TestWebhooks(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	free, ent := e.user(t, "free@example.com", "free"), e.user(t, "ent@example.com", "enterprise")
	var fe *ForbiddenError
	if _, err := e.svc.CreateWebhook(ctx, free, "https://hooks.example.com/x", []string{EventPriceAlert}); !errors.As(err, &fe) {
		t.Fatalf("free plan: %v", err)
	}
	if _, err := e.svc.ListWebhooks(ctx, free); !errors.As(err, &fe) {
		t.Fatalf("free plan list: %v", err)
	}
	for _, tc := range []struct {
		url    string
		events []string
		field  string
	}{
		{"https://hooks.example.com/x", nil, "events"},
		{"https://hooks.example.com/x", []string{"price_alert", "nope"}, "events[1]"},
		{"https://hooks.example.com/x", []string{"a", "b", "c", "d"}, "events"},
		{"https://10.0.0.1/x", []string{"price_alert"}, "url"},
		{"", []string{"price_alert"}, "url"},
	} {
		if _, err := e.svc.CreateWebhook(ctx, ent, tc.url, tc.events); fieldOf(err) != tc.field {
			t.Errorf("%q %v: %v; want a %s error", tc.url, tc.events, err, tc.field)
		}
	}
	w, err := e.svc.CreateWebhook(ctx, ent, "https://Hooks.Example.com/x", []string{EventPriceAlert, EventPriceChange, EventPriceAlert})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Secret) != 64 || w.URL != "https://hooks.example.com/x" || !slices.Equal(w.Events, []string{EventPriceAlert, EventPriceChange}) {
		t.Fatalf("webhook %+v", w)
	}
	list, err := e.svc.ListWebhooks(ctx, ent)
	if err != nil || len(list) != 1 || list[0].Secret != "" {
		t.Fatalf("list %+v %v", list, err)
	}
	other := e.user(t, "ent2@example.com", "enterprise")
	if err := e.svc.DeleteWebhook(ctx, other, w.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant deleted it: %v", err)
	}
	if err := e.svc.DeleteWebhook(ctx, ent, w.ID); err != nil {
		t.Fatal(err)
	}
}

func TestServiceAccounts(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	owner := e.user(t, "owner@example.com", "pro")
	other := e.user(t, "other@example.com", "free")
	for _, tc := range []struct {
		name   string
		scopes []string
		field  string
	}{
		{"", []string{ScopeOffersRead}, "name"},
		{"ab", []string{ScopeOffersRead}, "name"},
		{"Has Caps", []string{ScopeOffersRead}, "name"},
		{"agent", nil, "scopes"},
		{"agent", []string{ScopeOffersRead, "admin"}, "scopes[1]"},
	} {
		if _, _, err := e.svc.CreateServiceAccount(ctx, owner, tc.name, tc.scopes); fieldOf(err) != tc.field {
			t.Errorf("%q %v: %v; want a %s error", tc.name, tc.scopes, err, tc.field)
		}
	}
	a, secret, err := e.svc.CreateServiceAccount(ctx, owner, "ml-pipeline-agent", []string{ScopeAlertsRead, ScopeOffersRead, ScopeAlertsRead})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "gps_") || a.Plan != "pro" || a.SecretHash != "" || a.Name != "ml-pipeline-agent" ||
		a.ID == a.Name || !slices.Equal(a.Scopes, []string{ScopeAlertsRead, ScopeOffersRead}) {
		t.Fatalf("account %+v secret %q", a, secret)
	}
	if strings.Contains(e.st.services[a.ID].SecretHash, secret) {
		t.Fatal("secret stored in the clear")
	}
	if _, _, err := e.svc.CreateServiceAccount(ctx, owner, "ml-pipeline-agent", []string{ScopeOffersRead}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate name: %v", err)
	}
	// Names are per owner: another tenant's name is no conflict, so a
	// create never tells whether it exists.
	if b, _, err := e.svc.CreateServiceAccount(ctx, other, "ml-pipeline-agent", []string{ScopeOffersRead}); err != nil || b.ID == a.ID {
		t.Fatalf("another owner's name: %+v %v", b, err)
	}
	tok, _, err := e.svc.ServiceToken(ctx, a.ID, secret, "203.0.113.1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.iss.Verify(tok.Value)
	if err != nil || c.Kind != KindService || c.UserID != owner.UserID || c.Subject != a.ID {
		t.Fatalf("claims %+v %v", c, err)
	}
	for _, tc := range []struct{ id, secret string }{
		{a.ID, "gps_" + strings.Repeat("A", 43)},
		{a.ID, "not-even-shaped-right"},
		{"ml-pipeline-agent", secret}, // the name is not the id
		{"unknown-agent", secret},
	} {
		if _, _, err := e.svc.ServiceToken(ctx, tc.id, tc.secret, "203.0.113.1"); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("%q: %v", tc.id, err)
		}
	}
	if _, _, err := e.svc.ServiceToken(ctx, a.ID, "", "203.0.113.1"); fieldOf(err) != "secret" {
		t.Fatalf("empty secret: %v", err)
	}
	// A service acts for its owner within its scopes only, and never
	// manages credentials.
	svc := Principal{UserID: owner.UserID, Plan: "pro", Service: true, Scopes: a.Scopes}
	if _, err := e.svc.ListAlerts(ctx, svc); err != nil {
		t.Fatalf("scoped read refused: %v", err)
	}
	var fe *ForbiddenError
	if _, err := e.svc.CreateAlert(ctx, svc, AlertInput{GPUType: "A100", MaxPrice: ptr(1)}); !errors.As(err, &fe) {
		t.Fatalf("write without scope: %v", err)
	}
	if _, _, err := e.svc.CreateAPIKey(ctx, svc, "x"); !errors.As(err, &fe) {
		t.Fatalf("service made an API key: %v", err)
	}
	for name, err := range map[string]error{
		"create": func() error {
			_, _, err := e.svc.CreateServiceAccount(ctx, svc, "child-agent", []string{ScopeOffersRead})
			return err
		}(),
		"list":   func() error { _, err := e.svc.ListServiceAccounts(ctx, svc); return err }(),
		"delete": e.svc.DeleteServiceAccount(ctx, svc, a.ID),
	} {
		if !errors.As(err, &fe) {
			t.Errorf("service %s service accounts: %v", name, err)
		}
	}
}

// Listing shows only the caller's accounts and never a secret; deleting
// another tenant's is ErrNotFound and leaves it working.
func TestServiceAccountListAndDelete(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	ann, bob := e.user(t, "ann@example.com", "pro"), e.user(t, "bob@example.com", "pro")
	a, _, err := e.svc.CreateServiceAccount(ctx, ann, "agent", []string{ScopeOffersRead})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.CreateServiceAccount(ctx, bob, "bob-agent", []string{ScopeAlertsRead}); err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.ListServiceAccounts(ctx, ann)
	if err != nil || len(list) != 1 || list[0].ID != a.ID || list[0].SecretHash != "" || list[0].Name != "agent" {
		t.Fatalf("ann's list: %+v %v", list, err)
	}
	if _, err := e.svc.ServiceAuth().Lookup(ctx, a.ID, ann.UserID); err != nil {
		t.Fatalf("lookup before delete: %v", err)
	}
	for _, tc := range []struct {
		name string
		who  Principal
		id   string
		want error
	}{
		{"bob deletes ann's", bob, a.ID, ErrNotFound},
		{"unknown", ann, "0d1c3f6e-1111-4111-8111-111111111111", ErrNotFound},
		{"ann deletes hers", ann, a.ID, nil},
		{"twice", ann, a.ID, ErrNotFound},
	} {
		if err := e.svc.DeleteServiceAccount(ctx, tc.who, tc.id); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// Deleting on this edge takes effect at once, cache or not.
	if _, err := e.svc.ServiceAuth().Lookup(ctx, a.ID, ann.UserID); !errors.Is(err, ErrUnknownService) {
		t.Fatalf("lookup after delete: %v", err)
	}
}

func TestAPIKeys(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	a, b := e.user(t, "a@example.com", "free"), e.user(t, "b@example.com", "free")
	for _, name := range []string{"", "   ", strings.Repeat("n", 101), "tab\there"} {
		if _, _, err := e.svc.CreateAPIKey(ctx, a, name); fieldOf(err) != "name" {
			t.Errorf("%q: %v", name, err)
		}
	}
	var fe *ForbiddenError
	if _, _, err := e.svc.CreateAPIKey(ctx, Principal{UserID: a.UserID, APIKey: true}, "x"); !errors.As(err, &fe) {
		t.Fatalf("an API key made an API key: %v", err)
	}
	k, key, err := e.svc.CreateAPIKey(ctx, a, " laptop ")
	if err != nil {
		t.Fatal(err)
	}
	if !LooksLikeAPIKey([]byte(key)) || k.Prefix != key[:10] || k.Name != "laptop" || k.Hash != nil {
		t.Fatalf("key %+v %q", k, key)
	}
	if lb, _ := e.svc.ListAPIKeys(ctx, b); len(lb) != 0 {
		t.Fatalf("b sees %v", lb)
	}
	if err := e.svc.RevokeAPIKey(ctx, b, k.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b revoked a's key: %v", err)
	}
	la, _ := e.svc.ListAPIKeys(ctx, a)
	if len(la) != 1 || la[0].Hash != nil || !la[0].RevokedAt.IsZero() {
		t.Fatalf("list %+v", la)
	}
	if err := e.svc.RevokeAPIKey(ctx, a, k.ID); err != nil {
		t.Fatal(err)
	}
	if la, _ = e.svc.ListAPIKeys(ctx, a); la[0].RevokedAt.IsZero() {
		t.Fatal("not revoked")
	}
}

func TestPriceHistory(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	p := Principal{Plan: "free"} // any authenticated caller, even without a user
	day := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	e.st.daily = []store.DailyPrice{{Day: day, Provider: "lambda", Min: 1, Avg: 1.5, Max: 2, Samples: 3}}
	e.st.points = []store.PricePoint{{OfferID: "lambda:x", Provider: "lambda", GPUID: "nvidia-a100-sxm-80gb", Price: 1, At: day}}
	for _, tc := range []struct {
		q     HistoryQuery
		field string
	}{
		{HistoryQuery{}, "gpu"},
		{HistoryQuery{GPU: "--"}, "gpu"},
		{HistoryQuery{GPU: "Acme Tensor X9"}, "gpu"},
		{HistoryQuery{GPU: "A100", Days: "0"}, "days"},
		{HistoryQuery{GPU: "A100", Days: "366"}, "days"},
		{HistoryQuery{GPU: "A100", Days: "x"}, "days"},
		{HistoryQuery{GPU: "A100", Days: "1.5"}, "days"},
		{HistoryQuery{GPU: "A100", Provider: "Not Valid"}, "provider"},
		{HistoryQuery{GPU: "A100", Resolution: "hour"}, "resolution"},
	} {
		if _, err := e.svc.PriceHistory(ctx, p, tc.q); fieldOf(err) != tc.field {
			t.Errorf("%+v: %v; want a %s error", tc.q, err, tc.field)
		}
	}
	h, err := e.svc.PriceHistory(ctx, p, HistoryQuery{GPU: "A100"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"nvidia-a100-sxm-80gb", "nvidia-a100-sxm-40gb", "nvidia-a100-pcie-80gb", "nvidia-a100-pcie-40gb"}
	slices.Sort(want)
	got := slices.Clone(h.GPUIDs)
	slices.Sort(got)
	if !slices.Equal(got, want) || h.Days != 30 || h.Resolution != "day" || h.Points != nil || len(h.Daily) != 1 {
		t.Fatalf("history %+v", h)
	}
	if q := e.st.lastQuery; !q.To.Equal(e.clock.Now().UTC()) || q.To.Sub(q.From) != 30*24*time.Hour || q.Limit != 0 {
		t.Fatalf("query %+v", q)
	}
	h, _ = e.svc.PriceHistory(ctx, p, HistoryQuery{GPU: "A100 80GB SXM", Days: "2", Provider: "Lambda"})
	if !slices.Equal(h.GPUIDs, []string{"nvidia-a100-sxm-80gb"}) || h.Resolution != "raw" || len(h.Points) != 1 || h.Provider != "lambda" ||
		e.st.lastQuery.Provider != "lambda" || e.st.lastQuery.Limit != MaxHistoryPoints {
		t.Fatalf("short range %+v / %+v", h, e.st.lastQuery)
	}
	if h, _ = e.svc.PriceHistory(ctx, p, HistoryQuery{GPU: "A100", Days: "1", Resolution: "day"}); h.Points != nil {
		t.Fatal("resolution=day returned points")
	}
	if h, _ = e.svc.PriceHistory(ctx, p, HistoryQuery{GPU: "A100", Days: "365", Resolution: "raw"}); h.Resolution != "raw" || h.Points == nil {
		t.Fatal("resolution=raw returned no points")
	}
	var fe *ForbiddenError
	if _, err := e.svc.PriceHistory(ctx, Principal{UserID: "u", Service: true, Scopes: []string{ScopeOffersRead}}, HistoryQuery{GPU: "A100"}); !errors.As(err, &fe) {
		t.Fatalf("service without analytics scope: %v", err)
	}
}

func TestValidOfferID(t *testing.T) {
	for id, want := range map[string]bool{
		"lambda:gpu_1x_h100_sxm5:us-east-1": true, "vastai:123": true, "aws:p5.48xlarge:us-east-1:spot": true,
		"": false, "lambda": false, "lambda:": false, ":x": false, "Lambda:x": false, "lambda:x y": false, "lambda:x/y": false,
		"lambda:x%2F": false, "lambda:" + strings.Repeat("x", 300): false,
	} {
		if got := ValidOfferID(id); got != want {
			t.Errorf("ValidOfferID(%q) = %v", id, got)
		}
	}
}
