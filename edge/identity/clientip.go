package identity

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/valyala/fasthttp"
)

// ClientIP is the peer address, or, when the peer is a trusted proxy, the
// right-most X-Forwarded-For entry that is not itself a trusted proxy.
// Entries left of an untrusted hop are client-controlled and ignored.
func (a *Authenticator) ClientIP(ctx *fasthttp.RequestCtx) string {
	peer, ok := netip.AddrFromSlice(ctx.RemoteIP())
	if !ok {
		return "unknown"
	}
	peer = peer.Unmap()
	if !a.trusted(peer) {
		return peer.String()
	}
	// Proxies may add their own header line rather than append to the
	// client's, so all lines are read in order as one list.
	var hops []string
	for _, line := range ctx.Request.Header.PeekAll("X-Forwarded-For") {
		hops = append(hops, strings.Split(string(line), ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		addr, err := netip.ParseAddr(h)
		if err != nil {
			break // a malformed hop: trust nothing further left
		}
		addr = addr.Unmap()
		if !a.trusted(addr) {
			return addr.String()
		}
		peer = addr
	}
	return peer.String()
}

func (a *Authenticator) trusted(ip netip.Addr) bool {
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// ParseCIDRs parses a comma-separated list of CIDRs or single addresses.
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			a, err := netip.ParseAddr(part)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", part, err)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", part, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
