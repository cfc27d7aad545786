package accountapi

import (
	"time"

	"github.com/valyala/fasthttp"

	"github.com/gpubroker/gpubroker/accounts"
	"github.com/gpubroker/gpubroker/edge/httpx"
)

type dailyJSON struct {
	Day      string  `json:"day"` // YYYY-MM-DD, UTC
	Provider string  `json:"provider"`
	Min      float64 `json:"min"`
	Avg      float64 `json:"avg"`
	Max      float64 `json:"max"`
	Samples  int     `json:"samples"` // offers in force during the day
}

// pointJSON is one event of an offer's step function: its price from At
// on, or, when Gone, its disappearance (the price is then the last one).
type pointJSON struct {
	OfferID     string    `json:"offer_id"`
	Provider    string    `json:"provider"`
	GPUID       string    `json:"gpu_id"`
	Region      string    `json:"region"`
	Price       float64   `json:"price"`
	PricePerGPU float64   `json:"price_per_gpu"`
	At          time.Time `json:"at"`
	Gone        bool      `json:"gone,omitempty"`
}

type historyJSON struct {
	GPU        string       `json:"gpu"`
	GPUIDs     []string     `json:"gpu_ids"`
	Provider   string       `json:"provider,omitempty"`
	Days       int          `json:"days"`
	Resolution string       `json:"resolution"`
	From       time.Time    `json:"from"`
	To         time.Time    `json:"to"`
	Daily      []dailyJSON  `json:"daily"`
	Points     *[]pointJSON `json:"points,omitempty"` // absent at day resolution, [] when raw finds none
	Truncated  bool         `json:"points_truncated,omitempty"`
}

// priceHistory answers GET /api/v2/analytics/price-history: per-day
// min/avg/max per provider over each offer's step function, plus raw
// points (those carried in from before the range first) for short ranges
// or on request.
func (a *API) priceHistory() func(*httpx.Request) {
	sp := spec{status: fasthttp.StatusOK, query: []string{"gpu", "days", "provider", "resolution"}}
	return endpoint(a, sp, func(c *call, _ none) (historyJSON, error) {
		args := c.r.QueryArgs()
		h, err := a.cfg.Accounts.PriceHistory(c.ctx, c.p, accounts.HistoryQuery{GPU: string(args.Peek("gpu")), Days: string(args.Peek("days")),
			Provider: string(args.Peek("provider")), Resolution: string(args.Peek("resolution"))})
		if err != nil {
			return historyJSON{}, err
		}
		daily := make([]dailyJSON, len(h.Daily))
		for i, d := range h.Daily {
			daily[i] = dailyJSON{d.Day.UTC().Format(time.DateOnly), d.Provider, d.Min, d.Avg, d.Max, d.Samples}
		}
		var points *[]pointJSON
		if h.Resolution == "raw" {
			ps := make([]pointJSON, len(h.Points))
			for i, pt := range h.Points {
				ps[i] = pointJSON{pt.OfferID, pt.Provider, pt.GPUID, pt.Region, pt.Price, pt.PerGPU, pt.At.UTC(), pt.Gone}
			}
			points = &ps
		}
		return historyJSON{h.GPU, h.GPUIDs, h.Provider, h.Days, h.Resolution, h.From, h.To, daily, points, h.Truncated}, nil
	})
}
