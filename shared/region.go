package shared

import (
	"slices"
	"strings"
)

// Location is a normalized place: ISO 3166-1 alpha-2 country, continent code
// (NA, SA, EU, AS, AF, OC) and a canonical region such as "us-east" that
// means the same thing for every provider. Region is the country-level
// code ("us") when a provider does not say where in a large country it is.
type Location struct {
	Country   string `json:"country"`
	Continent string `json:"continent"`
	Region    string `json:"region"`
}

// Locate normalizes a country (ISO code or English name) and an optional
// subdivision (US state / Canadian province code or name, or a city the
// region tables know) to a Location. Unknown countries give an empty
// Location; callers keep the provider's raw region alongside.
func Locate(country, subdivision string) Location {
	cc := CountryCode(country)
	if cc == "" {
		return Location{}
	}
	cont := continentOf[cc]
	return Location{Country: cc, Continent: cont, Region: canonicalRegion(cc, subdivision)}
}

// CountryCode returns the ISO alpha-2 code for a code or English name, or "".
func CountryCode(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	up := strings.ToUpper(s)
	if len(up) == 2 {
		if up == "UK" {
			return "GB"
		}
		if _, ok := continentOf[up]; ok {
			return up
		}
		return ""
	}
	return countryNames[strings.ToLower(s)]
}

func canonicalRegion(cc, sub string) string {
	sub = strings.TrimSpace(sub)
	switch cc {
	case "US":
		if r := usRegionOf[usStateCode(sub)]; r != "" {
			return r
		}
		return "us"
	case "CA":
		switch caProvinceCode(sub) {
		case "BC", "AB", "SK", "MB", "YT", "NT":
			return "ca-west"
		}
		return "ca-central"
	}
	if r, ok := regionOfCountry[cc]; ok {
		return r
	}
	return strings.ToLower(cc)
}

func usStateCode(s string) string {
	up := strings.ToUpper(strings.TrimSpace(s))
	if len(up) == 2 {
		if _, ok := usRegionOf[up]; ok {
			return up
		}
	}
	return usStateNames[strings.ToLower(strings.TrimSpace(s))]
}

func caProvinceCode(s string) string {
	up := strings.ToUpper(strings.TrimSpace(s))
	switch up {
	case "BC", "AB", "SK", "MB", "ON", "QC", "NB", "NS", "PE", "NL", "YT", "NT", "NU":
		return up
	}
	return caProvinceNames[strings.ToLower(strings.TrimSpace(s))]
}

// usRegionOf splits the US into east / central / west along the lines the big
// clouds use (Virginia and Ohio east, Iowa and Texas central, Oregon and
// California west).
var usRegionOf = map[string]string{
	"ME": "us-east", "NH": "us-east", "VT": "us-east", "MA": "us-east", "RI": "us-east", "CT": "us-east",
	"NY": "us-east", "NJ": "us-east", "PA": "us-east", "DE": "us-east", "MD": "us-east", "DC": "us-east",
	"VA": "us-east", "WV": "us-east", "NC": "us-east", "SC": "us-east", "GA": "us-east", "FL": "us-east",
	"OH": "us-east", "MI": "us-east", "IN": "us-east", "KY": "us-east", "TN": "us-east", "AL": "us-east",
	"IL": "us-central", "WI": "us-central", "MN": "us-central", "IA": "us-central", "MO": "us-central",
	"ND": "us-central", "SD": "us-central", "NE": "us-central", "KS": "us-central", "OK": "us-central",
	"TX": "us-central", "AR": "us-central", "LA": "us-central", "MS": "us-central",
	"MT": "us-west", "WY": "us-west", "CO": "us-west", "NM": "us-west", "ID": "us-west", "UT": "us-west",
	"AZ": "us-west", "NV": "us-west", "WA": "us-west", "OR": "us-west", "CA": "us-west", "AK": "us-west",
	"HI": "us-west",
}

var usStateNames = map[string]string{
	"alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
	"connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "florida": "FL", "georgia": "GA",
	"hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS",
	"kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA",
	"michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
	"nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM",
	"new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
	"oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
	"south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
	"virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
	// cities the providers name instead of states
	"ashburn": "VA", "n. virginia": "VA", "northern virginia": "VA", "dallas": "TX", "austin": "TX",
	"houston": "TX", "san antonio": "TX", "chicago": "IL", "phoenix": "AZ", "san jose": "CA",
	"los angeles": "CA", "san francisco": "CA", "seattle": "WA", "salt lake city": "UT", "atlanta": "GA",
	"miami": "FL", "new york city": "NY", "newark": "NJ", "columbus": "OH", "boston": "MA",
	"denver": "CO", "las vegas": "NV", "kansas city": "MO", "des moines": "IA", "council bluffs": "IA",
	"portland": "OR", "boardman": "OR", "quincy": "WA", "moses lake": "WA", "cheyenne": "WY",
	"abilene": "TX", "omaha": "NE", "reno": "NV", "charlotte": "NC", "raleigh": "NC", "pittsburgh": "PA",
	"philadelphia": "PA", "secaucus": "NJ", "piscataway": "NJ", "detroit": "MI", "minneapolis": "MN",
	"st. louis": "MO", "oklahoma city": "OK", "sacramento": "CA", "santa clara": "CA", "hillsboro": "OR",
	"dulles": "VA", "culpeper": "VA", "beltsville": "MD", "wichita": "KS", "casper": "WY",
}

var caProvinceNames = map[string]string{
	"british columbia": "BC", "alberta": "AB", "saskatchewan": "SK", "manitoba": "MB", "ontario": "ON",
	"quebec": "QC", "québec": "QC", "new brunswick": "NB", "nova scotia": "NS", "prince edward island": "PE",
	"newfoundland and labrador": "NL", "yukon": "YT", "northwest territories": "NT", "nunavut": "NU",
	"montreal": "QC", "montréal": "QC", "toronto": "ON", "vancouver": "BC", "calgary": "AB",
}

// regionOfCountry is the canonical region of every country outside the US and
// Canada (which are split by subdivision above).
var regionOfCountry = map[string]string{
	"GB": "eu-west", "IE": "eu-west", "FR": "eu-west", "BE": "eu-west", "NL": "eu-west", "LU": "eu-west",
	"DE": "eu-central", "CH": "eu-central", "AT": "eu-central", "PL": "eu-central", "CZ": "eu-central",
	"SK": "eu-central", "HU": "eu-central", "SI": "eu-central", "LI": "eu-central",
	"SE": "eu-north", "NO": "eu-north", "FI": "eu-north", "DK": "eu-north", "EE": "eu-north",
	"LV": "eu-north", "LT": "eu-north", "IS": "eu-north",
	"IT": "eu-south", "ES": "eu-south", "PT": "eu-south", "GR": "eu-south", "MT": "eu-south",
	"HR": "eu-south", "CY": "eu-south",
	"RO": "eu-east", "BG": "eu-east", "UA": "eu-east", "MD": "eu-east", "RS": "eu-east", "BA": "eu-east",
	"ME": "eu-east", "MK": "eu-east", "AL": "eu-east", "BY": "eu-east", "RU": "eu-east",
	"MX": "mx-central", "GT": "mx-central", "CR": "mx-central", "PA": "mx-central", "PR": "us-east",
	"BR": "sa-east", "AR": "sa-east", "UY": "sa-east", "PY": "sa-east",
	"CL": "sa-west", "PE": "sa-west", "CO": "sa-west", "EC": "sa-west", "BO": "sa-west", "VE": "sa-west",
	"JP": "ap-northeast", "KR": "ap-northeast",
	"CN": "ap-east", "HK": "ap-east", "TW": "ap-east", "MO": "ap-east", "MN": "ap-east",
	"SG": "ap-southeast", "MY": "ap-southeast", "ID": "ap-southeast", "TH": "ap-southeast",
	"VN": "ap-southeast", "PH": "ap-southeast", "KH": "ap-southeast",
	"IN": "ap-south", "PK": "ap-south", "BD": "ap-south", "LK": "ap-south", "NP": "ap-south",
	"AU": "oceania", "NZ": "oceania",
	"AE": "me-central", "SA": "me-central", "QA": "me-central", "BH": "me-central", "KW": "me-central",
	"OM": "me-central", "IL": "me-central", "JO": "me-central", "TR": "me-central", "KZ": "me-central",
	"ZA": "af-south", "NG": "af-west", "GH": "af-west", "KE": "af-east", "EG": "af-north", "MA": "af-north",
	"TN": "af-north",
}

// continentOf lists the countries GPU clouds operate in.
var continentOf = map[string]string{
	"US": "NA", "CA": "NA", "MX": "NA", "GT": "NA", "CR": "NA", "PA": "NA", "PR": "NA",
	"BR": "SA", "AR": "SA", "UY": "SA", "PY": "SA", "CL": "SA", "PE": "SA", "CO": "SA", "EC": "SA",
	"BO": "SA", "VE": "SA",
	"GB": "EU", "IE": "EU", "FR": "EU", "BE": "EU", "NL": "EU", "LU": "EU", "DE": "EU", "CH": "EU",
	"AT": "EU", "PL": "EU", "CZ": "EU", "SK": "EU", "HU": "EU", "SI": "EU", "LI": "EU", "SE": "EU",
	"NO": "EU", "FI": "EU", "DK": "EU", "EE": "EU", "LV": "EU", "LT": "EU", "IS": "EU", "IT": "EU",
	"ES": "EU", "PT": "EU", "GR": "EU", "MT": "EU", "HR": "EU", "CY": "EU", "RO": "EU", "BG": "EU",
	"UA": "EU", "MD": "EU", "RS": "EU", "BA": "EU", "ME": "EU", "MK": "EU", "AL": "EU", "BY": "EU",
	"RU": "EU",
	"JP": "AS", "KR": "AS", "CN": "AS", "HK": "AS", "TW": "AS", "MO": "AS", "MN": "AS", "SG": "AS",
	"MY": "AS", "ID": "AS", "TH": "AS", "VN": "AS", "PH": "AS", "KH": "AS", "IN": "AS", "PK": "AS",
	"BD": "AS", "LK": "AS", "NP": "AS", "AE": "AS", "SA": "AS", "QA": "AS", "BH": "AS", "KW": "AS",
	"OM": "AS", "IL": "AS", "JO": "AS", "TR": "AS", "KZ": "AS",
	"AU": "OC", "NZ": "OC",
	"ZA": "AF", "NG": "AF", "GH": "AF", "KE": "AF", "EG": "AF", "MA": "AF", "TN": "AF",
}

var countryNames = map[string]string{
	"united states": "US", "united states of america": "US", "usa": "US", "canada": "CA", "mexico": "MX",
	"brazil": "BR", "argentina": "AR", "chile": "CL", "colombia": "CO", "peru": "PE",
	"united kingdom": "GB", "great britain": "GB", "england": "GB", "ireland": "IE", "france": "FR",
	"belgium": "BE", "netherlands": "NL", "the netherlands": "NL", "luxembourg": "LU", "germany": "DE",
	"switzerland": "CH", "austria": "AT", "poland": "PL", "czechia": "CZ", "czech republic": "CZ",
	"slovakia": "SK", "hungary": "HU", "slovenia": "SI", "sweden": "SE", "norway": "NO", "finland": "FI",
	"denmark": "DK", "estonia": "EE", "latvia": "LV", "lithuania": "LT", "iceland": "IS", "italy": "IT",
	"spain": "ES", "portugal": "PT", "greece": "GR", "malta": "MT", "croatia": "HR", "cyprus": "CY",
	"romania": "RO", "bulgaria": "BG", "ukraine": "UA", "moldova": "MD", "serbia": "RS", "russia": "RU",
	"japan": "JP", "south korea": "KR", "korea": "KR", "china": "CN", "hong kong": "HK", "taiwan": "TW",
	"singapore": "SG", "malaysia": "MY", "indonesia": "ID", "thailand": "TH", "vietnam": "VN",
	"philippines": "PH", "india": "IN", "pakistan": "PK", "bangladesh": "BD",
	"united arab emirates": "AE", "uae": "AE", "saudi arabia": "SA", "qatar": "QA", "bahrain": "BH",
	"kuwait": "KW", "oman": "OM", "israel": "IL", "jordan": "JO", "turkey": "TR", "türkiye": "TR",
	"kazakhstan": "KZ", "australia": "AU", "new zealand": "NZ", "south africa": "ZA", "nigeria": "NG",
	"kenya": "KE", "egypt": "EG", "morocco": "MA",
}

// CanonicalRegions lists every canonical region name Locate can return,
// excluding bare country codes.
func CanonicalRegions() []string {
	seen := map[string]bool{"ca-central": true, "ca-west": true}
	for _, r := range usRegionOf {
		seen[r] = true
	}
	for _, r := range regionOfCountry {
		seen[r] = true
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	return out
}

// RegionKey normalizes a region filter value to the form RegionKeys
// produces, lowercased: a canonical region ("us-east"), its prefix ("us",
// "eu"), a country code ("DE", "UK" meaning GB) or a continent code
// ("EU"). ok is false for a value that names none of them (a provider's
// own region code is not among them: events carry the normalized region).
func RegionKey(v string) (string, bool) {
	if cc := CountryCode(v); cc != "" && len(strings.TrimSpace(v)) == 2 {
		return strings.ToLower(cc), true
	}
	if !KnownRegion(v) {
		return "", false
	}
	return strings.ToLower(v), true
}

// RegionKeys are the RegionKey values that match an offer in the canonical
// region with the country code: the region, its prefix, the country and
// its continent ("us-east", "US" → us-east, us, na). Duplicates are left
// out.
func RegionKeys(region, country string) []string {
	keys := make([]string, 0, 4)
	add := func(k string) {
		if k != "" && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	add(strings.ToLower(region))
	if p, _, ok := strings.Cut(region, "-"); ok {
		add(strings.ToLower(p))
	}
	if cc := CountryCode(country); cc != "" {
		add(strings.ToLower(cc))
		add(strings.ToLower(continentOf[cc]))
	}
	return keys
}
