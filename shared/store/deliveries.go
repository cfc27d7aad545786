package store

// AttemptOf is an attempt with the delivery it belongs to: how both
// backends read the attempts of a page of deliveries in one query.
type AttemptOf struct {
	DeliveryID string
	DeliveryAttempt
}

// DeliveryIDs lists the ids of ds, for that query.
func DeliveryIDs(ds []WebhookDelivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	return ids
}

// AttachAttempts appends each attempt to its delivery in ds, in the order
// given; attempts of other deliveries are ignored.
func AttachAttempts(ds []WebhookDelivery, as []AttemptOf) {
	index := make(map[string]int, len(ds))
	for i, d := range ds {
		index[d.ID] = i
	}
	for _, a := range as {
		if i, ok := index[a.DeliveryID]; ok {
			ds[i].Attempts = append(ds[i].Attempts, a.DeliveryAttempt)
		}
	}
}
