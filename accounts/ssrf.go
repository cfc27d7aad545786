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
// every range of the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (private, loopback, link-local with the 169.254.169.254
// metadata service, CGNAT, documentation, benchmarking, AS112, AMT,
// ORCHID, the dummy and SRv6 prefixes, ...), whether or not the registry
// calls it globally reachable, plus multicast, reserved space, the
// deprecated site-local fec0::/10, and every IPv6 range that embeds an
// IPv4 address and could reach a private one through a translator
// (IPv4-compatible, IPv4-translated ::ffff:0:0:0/96, NAT64, 6to4, Teredo).
var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		// IPv4 special-purpose registry, multicast, reserved, broadcast.
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24", "192.168.0.0/16",
		"192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		// IPv6 special-purpose registry and the rest above.
		"::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64",
		"2001::/23", "2001:db8::/32", "2002::/16", "2620:4f:8000::/48", "3fff::/20", "5f00::/16",
		"fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
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
		if BlockedAddr(a) {
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
