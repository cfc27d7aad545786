package webhooks

import (
	"slices"

	"github.com/gpubroker/gpubroker/shared/store"
)

// subscribers is the active webhooks by event, and by owner for the
// events that are one user's (price_alert).
type subscribers struct {
	byEvent map[string][]store.Webhook
	byUser  map[string]map[string][]store.Webhook // user → event → webhooks
}

func newSubscribers(ws []store.Webhook) *subscribers {
	s := &subscribers{byEvent: map[string][]store.Webhook{}, byUser: map[string]map[string][]store.Webhook{}}
	for _, w := range ws {
		if !w.DisabledAt.IsZero() {
			continue
		}
		for _, e := range slices.Compact(slices.Sorted(slices.Values(w.Events))) {
			s.byEvent[e] = append(s.byEvent[e], w)
			if s.byUser[w.UserID] == nil {
				s.byUser[w.UserID] = map[string][]store.Webhook{}
			}
			s.byUser[w.UserID][e] = append(s.byUser[w.UserID][e], w)
		}
	}
	return s
}

// all is every webhook subscribed to event.
func (s *subscribers) all(event string) []store.Webhook { return s.byEvent[event] }

// of is user's webhooks subscribed to event.
func (s *subscribers) of(user, event string) []store.Webhook { return s.byUser[user][event] }
