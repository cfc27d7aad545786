package adapters

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// Verda (formerly DataCrunch): OAuth2 client credentials, then three reads.
//
//	POST {base}/v1/oauth2/token {"grant_type":"client_credentials","client_id","client_secret"}
//	GET  {base}/v1/instance-types?currency=usd          specs and prices of every type
//	GET  {base}/v1/instance-availability?is_spot=false  on-demand capacity per location
//	GET  {base}/v1/instance-availability?is_spot=true   spot capacity per location
//
// The credential (VERDA_API_KEY) is "client_id:client_secret" as created in
// the console under Keys > Cloud API Credentials; a value without a colon is
// taken as an access token already issued and sent as the Bearer directly.
// Responses are plain JSON arrays without paging. The API moved from
// api.datacrunch.io to api.verda.com; both answer the same paths.
// https://api.verda.com/v1/docs
//
// Info names no key scheme: the key goes through token, which may first
// exchange it, and the fetch sends what token returns.
var verdaInfo = Info{
	Name:           "verda",
	DisplayName:    "Verda (formerly DataCrunch)",
	DefaultBaseURL: "https://api.verda.com",
	DocsURL:        "https://api.verda.com/v1/docs",
	NeedsKey:       true,
	KeyEnv:         "VERDA_API_KEY",
}

func init() { register(verdaInfo, newVerda) }

const verdaTypesPath = "/v1/instance-types"

type verda struct{ provider }

func newVerda(cfg Config) *verda { return &verda{newProvider(verdaInfo, cfg)} }

// verdaNumber is a price or size that Verda sends as a JSON number or as a
// decimal string ("3.95"); null, "" and anything unreadable decode to 0.
type verdaNumber float64

func (n *verdaNumber) UnmarshalJSON(b []byte) error {
	*n = 0
	var f float64
	if json.Unmarshal(b, &f) == nil {
		*n = verdaNumber(f)
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		// ParseFloat also reads "NaN" and "Inf", which no price or size is.
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			*n = verdaNumber(f)
		}
	}
	return nil
}

// verdaType is one element of GET /v1/instance-types.
type verdaType struct {
	InstanceType string `json:"instance_type"` // e.g. "1H100.80S.30V"
	Model        string `json:"model"`         // e.g. "H100"
	Name         string `json:"name"`          // e.g. "H100 SXM5 80GB"
	GPU          struct {
		Description  string      `json:"description"` // e.g. "1x H100 SXM5 80GB"
		NumberOfGPUs verdaNumber `json:"number_of_gpus"`
	} `json:"gpu"`
	GPUMemory struct {
		SizeInGigabytes verdaNumber `json:"size_in_gigabytes"` // all GPUs together
	} `json:"gpu_memory"`
	CPU struct {
		NumberOfCores verdaNumber `json:"number_of_cores"`
	} `json:"cpu"`
	Memory struct {
		SizeInGigabytes verdaNumber `json:"size_in_gigabytes"`
	} `json:"memory"`
	Storage struct {
		SizeInGigabytes verdaNumber `json:"size_in_gigabytes"` // absent for "dynamic" (volume-backed) storage
	} `json:"storage"`
	PricePerHour verdaNumber `json:"price_per_hour"`
	SpotPrice    verdaNumber `json:"spot_price"`
	DynamicPrice verdaNumber `json:"dynamic_price"`
	Currency     string      `json:"currency"`

	// malformed marks an entry whose fields had unexpected JSON types; it
	// is skipped rather than failing the whole list.
	malformed bool
}

func (t *verdaType) UnmarshalJSON(b []byte) error {
	type plain verdaType
	t.malformed = !decodeLenient(b, (*plain)(t))
	return nil
}

// verdaAvailability is one element of GET /v1/instance-availability: the
// instance types that can be deployed in a location right now.
type verdaAvailability struct {
	LocationCode   string   `json:"location_code"`
	Availabilities []string `json:"availabilities"`
}

type verdaToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
}

func (v *verda) Fetch(ctx context.Context) ([]shared.Offer, error) {
	token, err := v.token(ctx)
	if err != nil {
		return nil, err
	}
	header := http.Header{"Authorization": {"Bearer " + token}}
	get := func(path string, out any) error {
		return v.send(ctx, call{method: http.MethodGet, url: v.base + path, header: header}, out)
	}
	var types []verdaType
	if err := get(verdaTypesPath+"?currency=usd", &types); err != nil {
		return nil, err
	}
	var onDemand, spot []verdaAvailability
	if err := get("/v1/instance-availability?is_spot=false", &onDemand); err != nil {
		return nil, err
	}
	if err := get("/v1/instance-availability?is_spot=true", &spot); err != nil {
		return nil, err
	}
	return parseVerda(types, onDemand, spot, v.origin(verdaTypesPath))
}

// token exchanges "client_id:client_secret" for an access token. Tokens
// live an hour and a fetch takes seconds, so each fetch asks for a fresh
// one rather than caching and refreshing. An empty key is no token: send
// refuses to call without a key.
func (v *verda) token(ctx context.Context) (string, error) {
	key := v.cfg.APIKey.Reveal()
	id, secret, ok := strings.Cut(key, ":")
	if !ok {
		return key, nil
	}
	if id == "" || secret == "" {
		return "", v.errorf(shared.ErrKindAuth, "credentials must be client_id:client_secret with both parts set")
	}
	var tok verdaToken
	if err := v.post(ctx, "/v1/oauth2/token", map[string]string{"grant_type": "client_credentials", "client_id": id, "client_secret": secret}, &tok); err != nil {
		return "", err
	}
	if tok.AccessToken == "" {
		return "", v.errorf(shared.ErrKindAuth, "token endpoint issued no access token")
	}
	return tok.AccessToken, nil
}

// parseVerda emits one offer per GPU instance type and location where it
// can be deployed, on demand or as spot.
//
// Prices: price_per_hour is the fixed pay-as-you-go price of the whole
// instance (dynamic_price stands in when it is missing); spot_price is the
// spot price. A type with a spot price but no on-demand price is sold only
// as spot: its spot price becomes the price and the offer is interruptible.
//
// Availability, per location, from the two availability lists: on-demand
// capacity is "available"; spot capacity alone is "limited" for a type that
// has an on-demand price (it can be had now, but only interruptibly) and
// "available" for a spot-only type. A type with capacity nowhere is kept as
// one "unavailable" offer in region "any" so its price stays visible.
//
// Compliance: every Verda location is in the EU/EEA (Finland, Iceland) and
// Verda is a Finnish company, so all offers carry "gdpr".
func parseVerda(types []verdaType, onDemand, spot []verdaAvailability, at origin) ([]shared.Offer, error) {
	odAt, spotAt := verdaWhere(onDemand), verdaWhere(spot)
	// verdaBase validated all of a type's offer but its id, location,
	// availability and tags, which are always valid here: every usable type
	// gives an offer, so the set is empty exactly when no type was usable.
	var set offerSet
	seen := map[string]bool{}
	for i := range types {
		t := &types[i]
		base, ok := verdaBase(t, at)
		if !ok || seen[t.InstanceType] {
			continue
		}
		seen[t.InstanceType] = true
		locs := verdaUnion(odAt[t.InstanceType], spotAt[t.InstanceType])
		if len(locs) == 0 {
			o := base
			o.ComplianceTags = []string{"gdpr"}
			o.ID = at.id(t.InstanceType, "any")
			o.SetLocation("any", shared.Location{})
			o.Availability = shared.Unavailable
			set.add(o)
			continue
		}
		for _, loc := range locs {
			o := base
			o.ComplianceTags = []string{"gdpr"}
			o.ID = at.id(t.InstanceType, loc)
			o.SetLocation(loc, verdaLocation(loc))
			switch {
			case odAt[t.InstanceType][loc] || o.Interruptible:
				o.Availability = shared.Available
			default:
				o.Availability = shared.Limited
			}
			set.add(o) // OfferID folds odd characters; two raw names can meet
		}
	}
	return set.result(at, len(types), "instance types but none with GPUs and a price")
}

// verdaBase builds the location-independent part of a type's offers; ok is
// false for CPU-only, unpriced, nameless or malformed types.
func verdaBase(t *verdaType, at origin) (shared.Offer, bool) {
	count := float64(t.GPU.NumberOfGPUs)
	if t.malformed || t.InstanceType == "" || !(count > 0) || count > 1024 {
		return shared.Offer{}, false
	}
	name := verdaGPUName(t)
	if name == "" {
		return shared.Offer{}, false
	}
	onDemand := float64(t.PricePerHour)
	if !sanePrice(onDemand) {
		onDemand = float64(t.DynamicPrice)
	}
	spotPrice := float64(t.SpotPrice)
	if !sanePrice(spotPrice) {
		spotPrice = 0
	}
	o := at.stamp(shared.Offer{
		InstanceType: t.InstanceType,
		VCPUs:        round2(float64(t.CPU.NumberOfCores)),
		RAMGB:        round2(float64(t.Memory.SizeInGigabytes)),
		DiskGB:       round2(float64(t.Storage.SizeInGigabytes)),
		Currency:     verdaCurrency(t.Currency),
	})
	o.SetGPU(name, max(float64(t.GPUMemory.SizeInGigabytes), 0)/count, count)
	if !setPricesOrSpot(&o, onDemand, spotPrice) {
		return shared.Offer{}, false
	}
	// A count so large that the per-GPU price rounds to zero is garbage;
	// ComplianceTags and the location are set per offer, so check the rest.
	probe := o
	probe.ID, probe.Region, probe.Availability, probe.ComplianceTags = "x", "x", shared.Unavailable, []string{}
	if probe.Validate() != nil {
		return shared.Offer{}, false
	}
	return o, true
}

// verdaGPUName takes the GPU description without its "8x " count ("8x H100
// SXM5 80GB" -> "H100 SXM5 80GB"), falling back to the type's name and
// model. Form factor and memory stay in the name for the catalog lookup.
func verdaGPUName(t *verdaType) string {
	s := strings.TrimSpace(t.GPU.Description)
	if i := strings.Index(s, "x "); i > 0 && i <= 4 {
		if _, err := strconv.Atoi(s[:i]); err == nil {
			s = strings.TrimSpace(s[i+2:])
		}
	}
	if s == "" {
		s = strings.TrimSpace(t.Name)
	}
	if s == "" {
		s = strings.TrimSpace(t.Model)
	}
	return s
}

// verdaCurrency is the type's currency as an ISO code; we ask for USD.
func verdaCurrency(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	if len(c) == 3 && strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		return c
	}
	return "USD"
}

// verdaWhere indexes availability lists as instance type -> location -> true.
func verdaWhere(list []verdaAvailability) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, l := range list {
		loc := strings.TrimSpace(l.LocationCode)
		if loc == "" {
			continue
		}
		for _, t := range l.Availabilities {
			if out[t] == nil {
				out[t] = map[string]bool{}
			}
			out[t][loc] = true
		}
	}
	return out
}

// verdaUnion lists the locations of both sets, sorted.
func verdaUnion(a, b map[string]bool) []string {
	var out []string
	for l := range a {
		out = append(out, l)
	}
	for l := range b {
		if !a[l] {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// verdaCountries maps the country prefix of Verda's location codes (FIN-01,
// ICE-01) to ISO codes; new sites in a known country need no code change.
var verdaCountries = map[string]string{"FIN": "FI", "ICE": "IS", "ISL": "IS", "SWE": "SE", "NOR": "NO", "DEU": "DE"}

func verdaLocation(code string) shared.Location {
	prefix, _, _ := strings.Cut(strings.ToUpper(code), "-")
	if cc, ok := verdaCountries[prefix]; ok {
		return shared.Locate(cc, "")
	}
	return shared.Locate(prefix, "")
}
