package accounts

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gpubroker/gpubroker/shared/webhook"
)

// Resolver resolves a host name to addresses; *net.Resolver satisfies it.
// Tests inject fakes.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var defaultResolver Resolver = net.DefaultResolver

// resolveTimeout bounds the DNS lookup of a webhook host.
const resolveTimeout = 2 * time.Second

const maxURLLen = 2048

// CheckWebhookURL validates a webhook destination and returns it
// normalized: https, no user info, a port in 1..65535 if any, no fragment,
// and a host whose every address (a literal IP, or everything r resolves it
// to within resolveTimeout) is public. development also accepts http and
// loopback addresses (a receiver on the developer's machine), as the
// development sender delivers to them; private ranges stay refused.
// Errors are FieldErrors on field.
func CheckWebhookURL(ctx context.Context, r Resolver, field, raw string, development bool) (string, error) {
	allowHTTP := development
	if raw == "" {
		return "", fieldErr(field, "is required")
	}
	if len(raw) > maxURLLen {
		return "", fieldErr(field, "must be at most 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return "", fieldErr(field, "must be an absolute URL like https://example.com/hook")
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowHTTP:
	default:
		return "", fieldErr(field, "must use https")
	}
	if u.User != nil {
		return "", fieldErr(field, "must not contain a user name or password")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "", fieldErr(field, "must not contain a fragment")
	}
	if err := checkPort(u); err != "" {
		return "", fieldErr(field, err)
	}
	host := strings.ToLower(u.Hostname())
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if !validHostName(host) {
			return "", fieldErr(field, "has an invalid host name")
		}
		rctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		defer cancel()
		addrs, err = r.LookupNetIP(rctx, "ip", strings.TrimSuffix(host, "."))
		if err != nil || len(addrs) == 0 {
			return "", fieldErr(field, "host does not resolve")
		}
	}
	for _, a := range addrs {
		if webhook.BlockedAddr(a) && !(development && a.Unmap().IsLoopback()) {
			return "", fieldErr(field, "points at a private, loopback, link-local or reserved address")
		}
	}
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}

// checkPort allows no port, 443, or 1024–65535: ports below 1024 other
// than 443 are other services' (22, 25, ...), never a webhook's. An empty
// port ("host:") is refused rather than read as the default.
func checkPort(u *url.URL) string {
	host := u.Host
	if i := strings.LastIndexByte(host, ']'); i >= 0 {
		host = host[i+1:] // after an IPv6 literal
	}
	if !strings.Contains(host, ":") {
		return ""
	}
	n, err := strconv.Atoi(u.Port())
	switch {
	case u.Port() == "":
		return "has an empty port"
	case err != nil || n < 1 || n > 65535:
		return "has an invalid port"
	case n != 443 && n < 1024:
		return "port must be 443 or 1024-65535"
	}
	return ""
}

// validHostName accepts DNS names of letters, digits and hyphens whose last
// label starts with a letter: this refuses numeric spellings of addresses
// ("2130706433", "0x7f.1") that some resolvers turn into IPs.
func validHostName(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			if !isAlnum(l[i]) && l[i] != '-' {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return last[0] >= 'a' && last[0] <= 'z'
}
