package webhook

import (
	"net/netip"
	"testing"
)

func TestBlockedAddr(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		blocked bool
	}{
		{"8.8.8.8", false}, {"1.1.1.1", false}, {"2606:4700:4700::1111", false}, {"::ffff:8.8.8.8", false},
		{"10.255.255.255", true}, {"100.63.255.255", false}, {"100.64.0.0", true}, {"100.128.0.0", false},
		{"169.254.169.254", true}, {"fd00:ec2::254", true}, {"::ffff:169.254.169.254", true}, {"::ffff:100.64.0.1", true},
		{"0.1.2.3", true}, {"240.0.0.1", true}, {"ff02::1", true}, {"::", true},
	} {
		if got := BlockedAddr(netip.MustParseAddr(tc.addr)); got != tc.blocked {
			t.Errorf("BlockedAddr(%s) = %v", tc.addr, got)
		}
	}
	if !BlockedAddr(netip.Addr{}) {
		t.Error("the zero address is not blocked")
	}
}
