package shared

import (
	"slices"
	"testing"
)

// A region channel named any way the REST filter accepts matches the
// events of offers there: RegionKey of the filter is among RegionKeys of
// the offer's place.
func TestRegionKeys(t *testing.T) {
	for _, c := range []struct {
		filter, region, country string
		match                   bool
	}{
		{"us-east", "us-east", "US", true},
		{"US-EAST", "us-east", "US", true},
		{"us", "us-east", "US", true},
		{"NA", "us-east", "US", true},
		{"eu", "eu-west", "DE", true},
		{"DE", "eu-west", "DE", true},
		{"UK", "eu-west", "GB", true},
		{"GB", "eu-west", "GB", true},
		{"us-west", "us-east", "US", false},
		{"FR", "eu-west", "DE", false},
		{"AS", "eu-west", "DE", false},
	} {
		k, ok := RegionKey(c.filter)
		if !ok {
			t.Errorf("RegionKey(%q) refused", c.filter)
			continue
		}
		if got := slices.Contains(RegionKeys(c.region, c.country), k); got != c.match {
			t.Errorf("filter %q (key %q) on %s/%s: match %v, want %v (keys %v)", c.filter, k, c.region, c.country, got, c.match, RegionKeys(c.region, c.country))
		}
	}
	for _, bad := range []string{"", "atlantis", "zz-north", "us-east-1"} {
		if k, ok := RegionKey(bad); ok {
			t.Errorf("RegionKey(%q) = %q, want refused", bad, k)
		}
	}
}

func TestGPUQueryIDs(t *testing.T) {
	q, ok := ParseGPUQuery("H100 SXM")
	if !ok || !slices.Contains(q.IDs(), "nvidia-h100-sxm-80gb") {
		t.Fatalf("H100 SXM ids %v", q.IDs())
	}
	if q, _ := ParseGPUQuery("acme tensor x9"); len(q.IDs()) != 0 {
		t.Fatalf("an unknown model names catalog ids %v", q.IDs())
	}
}
