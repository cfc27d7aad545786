package feed

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/events"
)

// Kinds of update, as the clients see them ("type" of a frame).
const (
	KindPrice        = "price_update"
	KindHealth       = "health_update"
	KindAvailability = "availability_update"
	KindAlert        = "alert"
	// KindPriceChange is a move of more than 5 % (the analytics' price
	// change rule), on the price_updates channel; KindAnomaly a price far
	// from its GPU's recent ones, on the anomalies channel
	// (docs/analytics.md).
	KindPriceChange = "price_change"
	KindAnomaly     = "anomaly"
)

// Update is one event as pushed: what the index routes it by, and the
// frame every client receives, encoded once.
type Update struct {
	Seq      uint64 // the event stream's sequence number
	EventID  string
	Kind     string
	Provider string
	OfferID  string
	GPU      string   // canonical id
	Price    *float64 // instance USD/hour now; nil for health and for an offer that went away
	// PerGPU is the price per GPU-hour now (Price divided by the offer's
	// GPU count); nil when either is unknown.
	PerGPU *float64
	Keys   []string // the channel keys it is routed by
	// Owner, when set, is the one subscriber owner the update is for (an
	// alert): it skips channels and filters.
	Owner string
	Frame []byte // JSON object, one line
}

// UserOwner is the Options.Owner of a user's subscribers.
func UserOwner(userID string) string { return "user:" + userID }

// priceFrame and the others are the frames clients receive; field names
// are the protocol (docs/streams.md).
type priceFrame struct {
	Type          string           `json:"type"`
	Seq           uint64           `json:"seq"`
	EventID       string           `json:"event_id"`
	Provider      string           `json:"provider"`
	OfferID       string           `json:"offer_id"`
	GPU           string           `json:"gpu"`
	Region        string           `json:"region"`
	Country       string           `json:"country,omitempty"`
	GPUCount      float64          `json:"gpu_count,omitempty"`
	OldPrice      *float64         `json:"old_price"`
	NewPrice      *float64         `json:"new_price"`
	ChangePercent *float64         `json:"change_percent"`
	PerGPU        *float64         `json:"new_price_per_gpu_hour"`
	Timestamp     events.Timestamp `json:"timestamp"`
}

type availabilityFrame struct {
	Type         string           `json:"type"`
	Seq          uint64           `json:"seq"`
	EventID      string           `json:"event_id"`
	Provider     string           `json:"provider"`
	OfferID      string           `json:"offer_id"`
	GPU          string           `json:"gpu"`
	Region       string           `json:"region"`
	Country      string           `json:"country,omitempty"`
	Availability string           `json:"availability"`
	Old          string           `json:"old_availability"`
	Timestamp    events.Timestamp `json:"timestamp"`
}

type alertFrame struct {
	Type           string           `json:"type"`
	Seq            uint64           `json:"seq"`
	NotificationID string           `json:"notification_id"`
	AlertID        string           `json:"alert_id"`
	OfferID        string           `json:"offer_id"`
	Provider       string           `json:"provider"`
	GPU            string           `json:"gpu"`
	Region         string           `json:"region"`
	Price          float64          `json:"price"`
	MaxPrice       float64          `json:"max_price"`
	Timestamp      events.Timestamp `json:"timestamp"`
}

type priceChangeFrame struct {
	Type          string           `json:"type"`
	Seq           uint64           `json:"seq"`
	EventID       string           `json:"event_id"`
	SourceEventID string           `json:"source_event_id"`
	Provider      string           `json:"provider"`
	OfferID       string           `json:"offer_id"`
	GPU           string           `json:"gpu"`
	Region        string           `json:"region"`
	OldPrice      float64          `json:"old_price"`
	NewPrice      float64          `json:"new_price"`
	ChangePercent float64          `json:"change_percent"`
	Timestamp     events.Timestamp `json:"timestamp"`
}

type anomalyFrame struct {
	Type          string           `json:"type"`
	Seq           uint64           `json:"seq"`
	EventID       string           `json:"event_id"`
	SourceEventID string           `json:"source_event_id"`
	Provider      string           `json:"provider"`
	OfferID       string           `json:"offer_id"`
	GPU           string           `json:"gpu"`
	Region        string           `json:"region"`
	Price         float64          `json:"price_per_gpu_hour"`
	Mean          float64          `json:"mean"`
	StdDev        float64          `json:"stddev"`
	Z             float64          `json:"z"`
	WindowCount   int              `json:"window_count"`
	Timestamp     events.Timestamp `json:"timestamp"`
}

type healthFrame struct {
	Type      string           `json:"type"`
	Seq       uint64           `json:"seq"`
	EventID   string           `json:"event_id"`
	Provider  string           `json:"provider"`
	Healthy   bool             `json:"healthy"`
	Event     string           `json:"event"`
	Reason    string           `json:"reason,omitempty"`
	Timestamp events.Timestamp `json:"timestamp"`
}

// Decode turns an event of kind typ from the stream (its body, and its
// stream sequence) into an Update. ok is false for events that are not
// pushed (a worker replica joining or leaving changes no provider's
// health); err is set for a body that is not a valid event of its kind.
func Decode(seq uint64, typ string, body []byte) (u Update, ok bool, err error) {
	u.Seq = seq
	switch typ {
	case events.TypePriceUpdate:
		var e events.PriceUpdate
		if err := strictEvent(body, &e, &e.Header, &e.Provider); err != nil {
			return u, false, err
		}
		if e.OfferID == "" {
			return u, false, fmt.Errorf("feed: price_update %s has no offer_id", e.EventID)
		}
		u.EventID, u.Kind, u.Provider, u.OfferID, u.GPU, u.Price = e.EventID, KindPrice, e.Provider, e.OfferID, e.GPU, e.NewPrice
		if e.NewPrice != nil && e.GPUCount > 0 {
			if per := *e.NewPrice / e.GPUCount; per >= 0 && per < 1e9 { // a price, not an overflow
				u.PerGPU = events.Price(math.Round(per*1e4) / 1e4)
			}
		}
		u.Keys = offerKeys("price_updates", e.Provider, e.GPU, e.Region, e.Country)
		u.Frame, err = json.Marshal(priceFrame{Type: KindPrice, Seq: seq, EventID: e.EventID, Provider: e.Provider,
			OfferID: e.OfferID, GPU: e.GPU, Region: e.Region, Country: e.Country, GPUCount: e.GPUCount,
			OldPrice: e.OldPrice, NewPrice: e.NewPrice, ChangePercent: e.ChangePercent, PerGPU: u.PerGPU, Timestamp: e.Timestamp})
	case events.TypeAvailabilityUpdate:
		var e events.AvailabilityUpdate
		if err := strictEvent(body, &e, &e.Header, &e.Provider); err != nil {
			return u, false, err
		}
		u.EventID, u.Kind, u.Provider, u.OfferID, u.GPU = e.EventID, KindAvailability, e.Provider, e.OfferID, e.GPU
		u.Keys = offerKeys("availability", e.Provider, e.GPU, e.Region, e.Country)
		u.Frame, err = json.Marshal(availabilityFrame{Type: KindAvailability, Seq: seq, EventID: e.EventID, Provider: e.Provider,
			OfferID: e.OfferID, GPU: e.GPU, Region: e.Region, Country: e.Country, Availability: e.New, Old: e.Old, Timestamp: e.Timestamp})
	case events.TypeProviderEvent:
		var e events.ProviderEvent
		if err := strictEvent(body, &e, &e.Header, &e.Provider); err != nil {
			return u, false, err
		}
		healthy, pushed := healthOf(e.Event)
		if !pushed {
			return u, false, nil
		}
		u.EventID, u.Kind, u.Provider = e.EventID, KindHealth, e.Provider
		u.Keys = []string{"health_status", "provider:" + e.Provider}
		u.Frame, err = json.Marshal(healthFrame{Type: KindHealth, Seq: seq, EventID: e.EventID, Provider: e.Provider,
			Healthy: healthy, Event: e.Event, Reason: e.Reason, Timestamp: e.Timestamp})
	case events.TypePriceChange:
		var e events.PriceChange
		if err := strictEvent(body, &e, &e.Header, &e.Provider); err != nil {
			return u, false, err
		}
		u.EventID, u.Kind, u.Provider, u.OfferID, u.GPU, u.Price = e.EventID, KindPriceChange, e.Provider, e.OfferID, e.GPU, events.Price(e.NewPrice)
		u.Keys = offerKeys("price_updates", e.Provider, e.GPU, e.Region, "")
		u.Frame, err = json.Marshal(priceChangeFrame{Type: KindPriceChange, Seq: seq, EventID: e.EventID, SourceEventID: e.SourceEventID,
			Provider: e.Provider, OfferID: e.OfferID, GPU: e.GPU, Region: e.Region, OldPrice: e.OldPrice, NewPrice: e.NewPrice,
			ChangePercent: e.ChangePercent, Timestamp: e.Timestamp})
	case events.TypePriceAnomaly:
		var e events.PriceAnomaly
		if err := strictEvent(body, &e, &e.Header, &e.Provider); err != nil {
			return u, false, err
		}
		u.EventID, u.Kind, u.Provider, u.OfferID, u.GPU, u.PerGPU = e.EventID, KindAnomaly, e.Provider, e.OfferID, e.GPU, events.Price(e.Price)
		u.Keys = offerKeys("anomalies", e.Provider, e.GPU, e.Region, "")
		u.Frame, err = json.Marshal(anomalyFrame{Type: KindAnomaly, Seq: seq, EventID: e.EventID, SourceEventID: e.SourceEventID,
			Provider: e.Provider, OfferID: e.OfferID, GPU: e.GPU, Region: e.Region, Price: e.Price, Mean: e.Mean, StdDev: e.StdDev,
			Z: e.Z, WindowCount: e.WindowCount, Timestamp: e.Timestamp})
	case events.TypeNotification:
		var e events.Notification
		if err := json.Unmarshal(body, &e); err != nil {
			return u, false, fmt.Errorf("feed: event body: %w", err)
		}
		if e.EventID == "" || e.UserID == "" {
			return u, false, fmt.Errorf("feed: notification without event_id or user_id")
		}
		u.EventID, u.Kind, u.Provider, u.OfferID, u.GPU, u.Owner = e.EventID, KindAlert, e.Provider, e.OfferID, e.GPU, UserOwner(e.UserID)
		u.Frame, err = json.Marshal(alertFrame{Type: KindAlert, Seq: seq, NotificationID: e.EventID, AlertID: e.AlertID,
			OfferID: e.OfferID, Provider: e.Provider, GPU: e.GPU, Region: e.Region, Price: e.Price, MaxPrice: e.MaxPrice,
			Timestamp: e.Timestamp})
	default:
		return u, false, nil
	}
	if err != nil {
		return u, false, fmt.Errorf("feed: encoding a %s frame: %w", typ, err)
	}
	return u, true, nil
}

// strictEvent decodes body into e, whose header is h and provider field
// provider: both an event id and a provider are required.
func strictEvent(body []byte, e any, h *events.Header, provider *string) error {
	if err := json.Unmarshal(body, e); err != nil {
		return fmt.Errorf("feed: event body: %w", err)
	}
	if h.EventID == "" || *provider == "" {
		return fmt.Errorf("feed: event without event_id or provider")
	}
	return nil
}

// healthOf says whether a provider event changes the provider's health as
// clients see it, and to what.
func healthOf(event string) (healthy, pushed bool) {
	switch event {
	case events.BreakerClosed, events.ProviderHealthy:
		return true, true
	case events.BreakerOpened, events.BreakerHalfOpen, events.ProviderUnhealthy:
		return false, true
	}
	return false, false
}

// offerKeys are the channel keys of an offer event: its kind's channel,
// its provider, its GPU and every form of its region.
func offerKeys(kind, provider, gpu, region, country string) []string {
	keys := []string{kind, "provider:" + provider}
	if gpu != "" {
		keys = append(keys, "gpu:"+gpu)
	}
	for _, k := range shared.RegionKeys(region, country) {
		keys = append(keys, "region:"+k)
	}
	return keys
}
