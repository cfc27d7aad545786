package edge

import (
	"context"
	"testing"
	"time"

	"github.com/gpubroker/gpubroker/shared"
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
	providers := map[string]int{}
	for _, d := range h.Daily {
		providers[d.Provider] += d.Samples
		if d.Min > d.Avg || d.Avg > d.Max || len(d.Day) != 10 {
			t.Errorf("day %+v", d)
		}
	}
	if providers["lambda"] != 4 || providers["runpod"] != 4 {
		t.Fatalf("samples per provider %v (H100 must not be counted)", providers)
	}
	code, h = get("gpu=A100&days=2")
	if code != 200 || h.Resolution != "raw" || h.Points == nil || len(*h.Points) != 4 {
		t.Fatalf("2 days: %d %+v", code, h)
	}
	code, h = get("gpu=A100&days=30&provider=runpod&resolution=raw")
	if code != 200 || h.Provider != "runpod" || h.Points == nil || len(*h.Points) != 4 {
		t.Fatalf("raw runpod: %d %+v", code, h)
	}
	for _, p := range *h.Points {
		if p.Provider != "runpod" || p.OfferID != "runpod:a100" {
			t.Errorf("point %+v", p)
		}
	}
	code, h = get("gpu=nvidia-a100-sxm-80gb&days=1&resolution=day")
	if code != 200 || h.Points != nil || len(h.GPUIDs) != 1 || len(h.Daily) != 1 || h.Daily[0].Samples != 1 {
		t.Fatalf("canonical id, 1 day: %d %+v", code, h)
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
