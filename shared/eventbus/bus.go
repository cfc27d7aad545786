package eventbus

import "github.com/gpubroker/gpubroker/shared/events"

// Bus is where producers put events. Publish does not wait for the stream
// to store the event; failures are retried and counted by the bus.
type Bus interface {
	Publish(ev events.Event) error
}

// Discard is a Bus that drops every event: for processes and tests that
// produce nothing anyone reads.
type Discard struct{}

// Publish drops ev.
func (Discard) Publish(events.Event) error { return nil }
