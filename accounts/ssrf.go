package accounts

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
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

// blockedPrefixes are the destinations a webhook may never point at:
// private, loopback, link-local (including the 169.254.169.254 metadata
// service), CGNAT, unspecified, multicast, reserved and documentation
// space, and the IPv6 ranges that embed an IPv4 address and could reach a
// private one through a translator (NAT64, 6to4, Teredo, IPv4-compatible).
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/96", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32",
		"2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Metadata endpoints, named explicitly although the ranges above cover them.
var metadataAddrs = []netip.Addr{netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254")}

// BlockedAddr reports whether a webhook must not be delivered to a. An
// IPv4-mapped IPv6 address is judged as the IPv4 address it maps. A webhook
// sender should apply it again at connection time, since DNS answers change.
func BlockedAddr(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return true
	}
	if a.Is4In6() {
		return BlockedAddr(a.Unmap())
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsMulticast() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return true
	}
	for _, m := range metadataAddrs {
		if a == m {
			return true
		}
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// CheckWebhookURL validates a webhook destination and returns it
// normalized: https (http too when allowHTTP), no user info, a port in
// 1..65535 if any, no fragment, and a host whose every address (a literal
// IP, or everything r resolves it to within resolveTimeout) is public.
// Errors are FieldErrors on field.
func CheckWebhookURL(ctx context.Context, r Resolver, field, raw string, allowHTTP bool) (string, error) {
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
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fieldErr(field, "has an invalid port")
		}
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
		if BlockedAddr(a) {
			return "", fieldErr(field, "points at a private, loopback, link-local or reserved address")
		}
	}
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
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
