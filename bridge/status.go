package bridge

import (
	"context"
	"time"
)

// Status is what /health shows of the bridge.
type Status struct {
	Healthy bool `json:"healthy"`
	// Role is "active" (this bridge holds the cell's lease and forwards)
	// or "standby" (another one does; this one takes over when its lease
	// lapses).
	Role      string          `json:"role,omitempty"`
	Brokers   []string        `json:"brokers"`
	Reachable bool            `json:"reachable"`
	LastOK    time.Time       `json:"last_ok,omitzero"`
	LastError string          `json:"last_error,omitempty"`
	Mappings  []MappingStatus `json:"mappings"`
}

// MappingStatus is one outbound kind's lag: stream messages not yet in
// Kafka.
type MappingStatus struct {
	Type    string `json:"type"`
	Topic   string `json:"topic"`
	Pending uint64 `json:"pending"`
	// InFlight were handed to Kafka and await its acknowledgement.
	InFlight int `json:"in_flight"`
}

// Status reads the bridge's view of Kafka and each mapping's lag.
func (b *Bridge) Status(ctx context.Context) Status {
	b.state.Lock()
	st := Status{Role: b.role, Brokers: b.cfg.Brokers, Reachable: b.up, LastOK: b.lastOK, LastError: b.err}
	outs := b.outs
	b.state.Unlock()
	for _, o := range outs {
		ms := MappingStatus{Type: o.route.Type, Topic: o.route.Topic}
		if info, err := o.consumer().Info(ctx); err == nil {
			ms.Pending, ms.InFlight = info.NumPending, info.NumAckPending
		}
		st.Mappings = append(st.Mappings, ms)
	}
	st.Healthy = st.Reachable || st.Role == roleStandby // a standby is waiting by design
	return st
}
