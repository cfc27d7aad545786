package stream

import "sync"

// Limits are a plan's push allowances on one edge.
type Limits struct {
	Connections   int `json:"connections"`   // open WebSocket and SSE streams per identity
	Subscriptions int `json:"subscriptions"` // channels per WebSocket connection
}

// DefaultLimits are the allowances of each plan (docs/streams.md); an
// unknown plan gets the free plan's.
var DefaultLimits = map[string]Limits{
	"free":       {Connections: 5, Subscriptions: 20},
	"pro":        {Connections: 50, Subscriptions: 100},
	"enterprise": {Connections: 500, Subscriptions: 500},
}

func (s *Service) limits(plan string) Limits {
	if l, ok := s.cfg.Limits[plan]; ok {
		return l
	}
	return s.cfg.Limits["free"]
}

// connCounts counts open streams per identity key.
type connCounts struct {
	mu sync.Mutex
	by map[string]int
}

// acquire takes a slot for key; false when limit are already open.
func (c *connCounts) acquire(key string, limit int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[string]int{}
	}
	if c.by[key] >= limit {
		return false
	}
	c.by[key]++
	return true
}

func (c *connCounts) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by[key]--; c.by[key] <= 0 {
		delete(c.by, key)
	}
}
