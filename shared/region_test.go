package shared

import "testing"

func TestLocate(t *testing.T) {
	tests := []struct {
		country, sub string
		want         Location
	}{
		{"US", "VA", Location{"US", "NA", "us-east"}},
		{"us", "Virginia", Location{"US", "NA", "us-east"}},
		{"USA", "Texas", Location{"US", "NA", "us-central"}},
		{"United States", "Oregon", Location{"US", "NA", "us-west"}},
		{"US", "", Location{"US", "NA", "us"}},
		{"US", "Ashburn", Location{"US", "NA", "us-east"}},
		{"CA", "Quebec", Location{"CA", "NA", "ca-central"}},
		{"Canada", "BC", Location{"CA", "NA", "ca-west"}},
		{"DE", "", Location{"DE", "EU", "eu-central"}},
		{"Germany", "Frankfurt", Location{"DE", "EU", "eu-central"}},
		{"UK", "", Location{"GB", "EU", "eu-west"}},
		{"SE", "", Location{"SE", "EU", "eu-north"}},
		{"JP", "", Location{"JP", "AS", "ap-northeast"}},
		{"IN", "", Location{"IN", "AS", "ap-south"}},
		{"SG", "", Location{"SG", "AS", "ap-southeast"}},
		{"AU", "", Location{"AU", "OC", "oceania"}},
		{"BR", "", Location{"BR", "SA", "sa-east"}},
		{"IL", "", Location{"IL", "AS", "me-central"}},
		{"ZA", "", Location{"ZA", "AF", "af-south"}},
		{"", "", Location{}},
		{"XX", "", Location{}},
		{"Atlantis", "", Location{}},
	}
	for _, tc := range tests {
		if got := Locate(tc.country, tc.sub); got != tc.want {
			t.Errorf("Locate(%q, %q) = %+v, want %+v", tc.country, tc.sub, got, tc.want)
		}
	}
}

// Every country with a canonical region has a continent and vice versa, so
// Locate never returns half a location.
func TestRegionTablesAgree(t *testing.T) {
	for cc := range regionOfCountry {
		if continentOf[cc] == "" {
			t.Errorf("%s has a region but no continent", cc)
		}
	}
	for cc := range continentOf {
		if _, ok := regionOfCountry[cc]; !ok && cc != "US" && cc != "CA" {
			t.Errorf("%s has a continent but no region", cc)
		}
	}
	for name, cc := range countryNames {
		if continentOf[cc] == "" {
			t.Errorf("country name %q maps to %s, which has no continent", name, cc)
		}
	}
	for name, st := range usStateNames {
		if usRegionOf[st] == "" {
			t.Errorf("US place %q maps to %s, which has no region", name, st)
		}
	}
}
