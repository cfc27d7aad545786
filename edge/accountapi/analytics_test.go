package accountapi

import (
	"context"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

// historyOffer is an offer of gpu at provider, priced per GPU-hour.
func historyOffer(provider, id, gpu string, memGB float64, price float64) shared.Offer {
	o := shared.Offer{ID: shared.OfferID(provider, id), Provider: provider, InstanceType: id, Currency: "USD", Source: "test",
		Availability: shared.Available}
	o.SetGPU(gpu, memGB, 1)
	o.SetPrices(price, 0)
	o.SetLocation("us-east-1", shared.Locate("US", "VA"))
	return o
}

func TestPriceHistoryHTTP(t *testing.T) {
	e := newAcctEnv(t)
	e.register(t, "h@example.com")
	user := bearer(e.login(t, "h@example.com").AccessToken)
	now := e.clock.Now()
	for i, day := range []time.Duration{-5 * 24 * time.Hour, -3 * 24 * time.Hour, -36 * time.Hour, -time.Hour} {
		offers := []shared.Offer{
			historyOffer("lambda", "a100", "A100 SXM4", 80, 1.0+float64(i)/10),
			historyOffer("runpod", "a100", "A100 PCIe", 80, 1.5+float64(i)/10),
			historyOffer("lambda", "h100", "H100 SXM", 80, 3.0+float64(i)/10),
		}
		if _, err := e.st.UpsertOffers(context.Background(), offers, now.Add(day)); err != nil {
			t.Fatal(err)
		}
	}
	type history struct {
		GPU        string
		GPUIDs     []string `json:"gpu_ids"`
		Provider   string
		Days       int
		Resolution string
		From, To   time.Time
		Daily      []dailyJSON
		Points     *[]pointJSON
	}
	get := func(query string) (int, history) {
		r := e.call("GET", "/api/v2/analytics/price-history?"+query, clientIP, user, nil)
		var h history
		if r.StatusCode() == 200 {
			decode(t, r, &h)
		}
		return r.StatusCode(), h
	}
	code, h := get("gpu=A100&days=30")
	if code != 200 || h.Days != 30 || h.Resolution != "day" || h.Points != nil || len(h.GPUIDs) != 4 || !h.To.Equal(now.UTC()) {
		t.Fatalf("30 days: %d %+v", code, h)
	}
	// Each provider has one A100 offer, seen from 5 days ago until now: a
	// row for every day, even those without a change.
	today := now.UTC().Truncate(24 * time.Hour)
	rows := map[string][]dailyJSON{}
	for _, d := range h.Daily {
		rows[d.Provider] = append(rows[d.Provider], d)
		if d.Min > d.Avg || d.Avg > d.Max || d.Samples != 1 {
			t.Errorf("day %+v", d)
		}
	}
	for _, p := range []string{"lambda", "runpod"} {
		ds := rows[p]
		if len(ds) != 6 || ds[0].Day != today.AddDate(0, 0, -5).Format(time.DateOnly) || ds[5].Day != today.Format(time.DateOnly) {
			t.Fatalf("%s: days %+v, want the 6 days to today", p, ds)
		}
	}
	if first, last := rows["lambda"][0], rows["lambda"][5]; first.Min != 1.0 || first.Max != 1.0 || last.Max != 1.3 || len(rows) != 2 {
		t.Fatalf("lambda first day %+v, last %+v (H100 must not be counted): %+v", first, last, rows)
	}
	// Two days: the price in force 48 h ago is carried in, then the two
	// later changes, per provider.
	code, h = get("gpu=A100&days=2")
	if code != 200 || h.Resolution != "raw" || h.Points == nil || len(*h.Points) != 6 {
		t.Fatalf("2 days: %d %+v", code, h)
	}
	if p := (*h.Points)[0]; !p.At.Before(h.From) || p.PricePerGPU != 1.1 {
		t.Errorf("first point %+v is not the one in force at %v", p, h.From)
	}
	code, h = get("gpu=A100&days=30&provider=runpod&resolution=raw")
	if code != 200 || h.Provider != "runpod" || h.Points == nil || len(*h.Points) != 4 {
		t.Fatalf("raw runpod: %d %+v", code, h)
	}
	for _, p := range *h.Points {
		if p.Provider != "runpod" || p.OfferID != "runpod:a100" || p.Gone {
			t.Errorf("point %+v", p)
		}
	}
	// One day crosses a UTC midnight: two rows, the first starting at the
	// price set 36 h ago.
	code, h = get("gpu=nvidia-a100-sxm-80gb&days=1&resolution=day")
	if code != 200 || h.Points != nil || len(h.GPUIDs) != 1 || len(h.Daily) != 2 || h.Daily[0].Min != 1.2 || h.Daily[1].Max != 1.3 {
		t.Fatalf("canonical id, 1 day: %d %+v", code, h)
	}
	// A complete runpod answer without the offer ends it.
	offerSync, ok := e.st.(store.OfferSync)
	if !ok {
		t.Fatalf("%T is not a store.OfferSync", e.st)
	}
	if _, err := offerSync.SyncProviderOffers(context.Background(), "runpod", nil, now.Add(-30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	code, h = get("gpu=A100&days=1&provider=runpod&resolution=raw")
	if code != 200 || h.Points == nil || len(*h.Points) != 3 || !(*h.Points)[2].Gone {
		t.Fatalf("runpod after the offer went: %d %+v", code, h)
	}
	for _, tc := range []struct{ query, field string }{
		{"days=30", "gpu"}, {"gpu=", "gpu"}, {"gpu=Acme%20Tensor%20X9", "gpu"}, {"gpu=A100&days=0", "days"},
		{"gpu=A100&days=366", "days"}, {"gpu=A100&days=week", "days"}, {"gpu=A100&provider=No%20Such", "provider"},
		{"gpu=A100&resolution=hour", "resolution"}, {"gpu=A100&days=3&days=4", "days"}, {"gpu=A100&limit=5", "limit"},
	} {
		r := e.call("GET", "/api/v2/analytics/price-history?"+tc.query, clientIP, user, nil)
		if r.StatusCode() != 400 || errOf(r).Error.Field != tc.field {
			t.Errorf("%s: %d %s; want 400 naming %q", tc.query, r.StatusCode(), r.Body(), tc.field)
		}
	}
}
