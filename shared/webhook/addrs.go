package webhook

import "net/netip"

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
