package feed

import (
	"errors"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// Channel is one subscription: the name confirmed to the client and the
// index keys it covers.
type Channel struct {
	Name string
	Keys []string
	// GPUs are the canonical GPU ids a gpu: channel covers.
	GPUs []string `json:",omitempty"`
}

// Channels a client can subscribe to; {x} parts are filled by the client.
var Available = []string{"price_updates", "health_status", "availability", "anomalies", "provider:{name}", "gpu:{type}", "region:{name}"}

// ErrUnknownChannel is a channel name no channel has.
var ErrUnknownChannel = errors.New("unknown channel")

// maxChannelLen bounds a channel name from a client.
const maxChannelLen = 128

// ParseChannel reads a channel name from a client. knownProvider says
// whether the cell serves a provider. A gpu: channel accepts any spelling
// the REST gpu filter does and covers every catalog model it names; a
// region: channel accepts the REST region forms (canonical region, its
// prefix, country or continent code).
func ParseChannel(name string, knownProvider func(string) bool) (Channel, error) {
	if len(name) > maxChannelLen || hasControl(name) {
		return Channel{}, ErrUnknownChannel
	}
	switch name {
	case "price_updates", "health_status", "availability", "anomalies":
		return Channel{Name: name, Keys: []string{name}}, nil
	}
	kind, arg, ok := strings.Cut(name, ":")
	arg = strings.TrimSpace(arg)
	if !ok || arg == "" {
		return Channel{}, ErrUnknownChannel
	}
	switch kind {
	case "provider":
		p := strings.ToLower(arg)
		if !knownProvider(p) {
			return Channel{}, errors.New("unknown provider " + p)
		}
		return Channel{Name: "provider:" + p, Keys: []string{"provider:" + p}}, nil
	case "gpu":
		q, ok := shared.ParseGPUQuery(arg)
		ids := q.IDs()
		if !ok || len(ids) == 0 {
			return Channel{}, errors.New("gpu " + arg + " names no known GPU model")
		}
		c := Channel{Name: "gpu:" + strings.ToLower(arg), GPUs: ids}
		if len(ids) == 1 {
			c.Name = "gpu:" + ids[0]
		}
		for _, id := range ids {
			c.Keys = append(c.Keys, "gpu:"+id)
		}
		return c, nil
	case "region":
		k, ok := shared.RegionKey(arg)
		if !ok {
			return Channel{}, errors.New("region " + arg + " is not a known region, country or continent")
		}
		return Channel{Name: "region:" + k, Keys: []string{"region:" + k}}, nil
	}
	return Channel{}, ErrUnknownChannel
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
