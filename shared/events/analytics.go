package events

import (
	"crypto/md5"
	"encoding/hex"
)

// PriceChange is a price_update whose instance price moved by more than
// 5 % (docs/analytics.md), from the Flink job or the embedded detector.
type PriceChange struct {
	Header
	SourceEventID string  `json:"source_event_id"`
	OfferID       string  `json:"offer_id"`
	Provider      string  `json:"provider"`
	GPU           string  `json:"gpu"`
	Region        string  `json:"region"`
	OldPrice      float64 `json:"old_price"`
	NewPrice      float64 `json:"new_price"`
	ChangePercent float64 `json:"change_percent"`
}

// Key is the offer id.
func (e PriceChange) Key() string { return e.OfferID }

// PriceAnomaly is an observation whose price per GPU-hour lies more than
// 3 standard deviations from its GPU's recent prices.
type PriceAnomaly struct {
	Header
	SourceEventID string  `json:"source_event_id"`
	OfferID       string  `json:"offer_id"`
	Provider      string  `json:"provider"`
	GPU           string  `json:"gpu"`
	Region        string  `json:"region"`
	Price         float64 `json:"price"`
	Mean          float64 `json:"mean"`
	StdDev        float64 `json:"stddev"`
	Z             float64 `json:"z"`
	WindowCount   int     `json:"window_count"`
}

// Key is the offer id.
func (e PriceAnomaly) Key() string { return e.OfferID }

// PriceAggregate is one GPU's prices per GPU-hour over a 1-minute window,
// in one region or, with Region AllRegions, in all of them.
type PriceAggregate struct {
	Header
	GPU         string    `json:"gpu"`
	Region      string    `json:"region"`
	WindowStart Timestamp `json:"window_start"`
	WindowEnd   Timestamp `json:"window_end"`
	Count       int       `json:"count"`
	MinPrice    float64   `json:"min_price"`
	AvgPrice    float64   `json:"avg_price"`
	MaxPrice    float64   `json:"max_price"`
}

// Key is the GPU.
func (e PriceAggregate) Key() string { return e.GPU }

// AllRegions is the region of an aggregate over every region.
const AllRegions = "all"

// ResultID is the event id of an analytics result: the MD5 of what
// identifies it, in hex, which Flink SQL computes the same way (MD5), so a
// result has one id whoever derives it.
func ResultID(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
