package edge

import (
	"sync"
	"time"

	"github.com/gpubroker/gpubroker/internal/bounded"
)

// maxAuthFailAddrs bounds the addresses remembered as refused; a flood
// from more addresses than this only costs credential lookups again.
const maxAuthFailAddrs = 1 << 16

// authFailures remembers client addresses whose failed credentials used
// up their budget, until the window that refused them has passed.
type authFailures struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (f *authFailures) block(ip string, now, until time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.until == nil {
		f.until = map[string]time.Time{}
	}
	if len(f.until) >= maxAuthFailAddrs {
		bounded.Shrink(f.until, func(t time.Time) bool { return !now.Before(t) }, maxAuthFailAddrs)
	}
	f.until[ip] = until
}

// blocked reports whether ip is refused at now, and until when.
func (f *authFailures) blocked(ip string, now time.Time) (time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.until[ip]
	if !ok {
		return time.Time{}, false
	}
	if !now.Before(t) {
		delete(f.until, ip)
		return time.Time{}, false
	}
	return t, true
}
