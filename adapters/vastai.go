package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// Vast.ai: POST {base}/api/v0/bundles/ with a JSON body of field filters
// ({"<field>": {"<op>": value}}, ops eq/neq/gt/lt/gte/lte/in/nin) plus
// "type", "order", "limit" and "allocated_storage"; the response is
// {"offers": [...]}, one entry per rentable ask on a host machine. The search
// works anonymously; an API key, when configured, is sent as a Bearer token.
// The API is rate limited to 10 requests per minute per IP.
// https://github.com/vast-ai/vast-cli/blob/master/openapi/yaml/search_offers.yaml
// (also rendered at https://docs.vast.ai/api-reference/search/search-offers).
var vastaiInfo = Info{
	Name:           "vastai",
	DisplayName:    "Vast.ai",
	DefaultBaseURL: "https://console.vast.ai",
	DocsURL:        "https://github.com/vast-ai/vast-cli/blob/master/openapi/yaml/search_offers.yaml",
	NeedsKey:       false,
	KeyEnv:         "VAST_API_KEY",
	sendKey:        bearer,
}

func init() { register(vastaiInfo, newVastAI) }

const (
	vastBundlesPath = "/api/v0/bundles/"
	// vastPageSize is large because the API allows only 10 requests a minute:
	// a few big pages beat many small ones.
	vastPageSize = 1000
	// vastMaxPages bounds the keyset walk; the whole marketplace is a few
	// thousand offers, so this is never reached in practice.
	vastMaxPages = 50
	// vastStorageGB is the disk priced into dph_total (see parseVastAI).
	vastStorageGB = 10
)

type vastAI struct {
	provider
	pageSize int
}

func newVastAI(cfg Config) *vastAI {
	return &vastAI{provider: newProvider(vastaiInfo, cfg), pageSize: vastPageSize}
}

type vastResponse struct {
	Offers vastOffers `json:"offers"`
}

// vastOffer holds the fields of one search result that we use. Vast returns
// null for numbers it does not know (cpu_cores among them), which decodes
// to zero. Identity, GPU and price fields are strict: an entry where they
// have the wrong JSON type is skipped. Status flags are read loosely
// (vastScalar) so a changed encoding of one flag cannot hide the market.
type vastOffer struct {
	ID                int64      `json:"id"`
	AskContractID     int64      `json:"ask_contract_id"`
	MachineID         int64      `json:"machine_id"`
	GPUName           string     `json:"gpu_name"`
	NumGPUs           float64    `json:"num_gpus"`
	GPURAM            float64    `json:"gpu_ram"` // MiB per GPU
	CPUCores          float64    `json:"cpu_cores"`
	CPUCoresEffective float64    `json:"cpu_cores_effective"`
	CPURAM            float64    `json:"cpu_ram"`    // MiB, whole machine
	DiskSpace         float64    `json:"disk_space"` // GB
	DPHTotal          float64    `json:"dph_total"`
	DPHBase           float64    `json:"dph_base"`
	MinBid            float64    `json:"min_bid"`
	Geolocation       string     `json:"geolocation"`
	Rentable          vastScalar `json:"rentable"`
	Rented            vastScalar `json:"rented"`
	Verification      vastScalar `json:"verification"` // "verified", "unverified", "deverified"
	Verified          vastScalar `json:"verified"`     // the same as a boolean, in newer responses
	HostingType       vastScalar `json:"hosting_type"` // 1 = datacenter ("Secure Cloud") host

	// malformed marks an entry whose fields had unexpected JSON types; it is
	// skipped rather than failing the whole page.
	malformed bool
}

func (o *vastOffer) UnmarshalJSON(b []byte) error {
	type plain vastOffer
	o.malformed = !decodeLenient(b, (*plain)(o))
	return nil
}

// vastScalar is a status flag in whatever JSON form it arrives.
type vastScalar struct{ v any }

func (s *vastScalar) UnmarshalJSON(b []byte) error {
	if json.Unmarshal(b, &s.v) != nil {
		s.v = nil
	}
	return nil
}

// truth reads the flag as a boolean; ok is false when it is absent or
// unrecognisable.
func (s vastScalar) truth() (val, ok bool) {
	switch x := s.v.(type) {
	case bool:
		return x, true
	case float64:
		return x != 0, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "yes", "verified", "datacenter":
			return true, true
		case "false", "0", "no", "unverified", "deverified", "consumer":
			return false, true
		}
	}
	return false, false
}

// key is the offer's stable id: the ask id, which Vast reuses for the same
// slice of the same machine until the host relists it.
func (o *vastOffer) key() int64 {
	if o.ID > 0 {
		return o.ID
	}
	return o.AskContractID
}

// vastOffers accepts the documented array and also a lone object, which is
// how the published example renders "offers".
type vastOffers []vastOffer

func (vs *vastOffers) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one vastOffer
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*vs = vastOffers{one}
		return nil
	}
	var many []vastOffer
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*vs = many
	return nil
}

// vastQuery is one page of the search: GPU offers that can be rented on
// demand, cheapest first, from floor up. rented is deliberately not
// filtered so that machines rented out right now, when the API lists them,
// are reported as unavailable rather than vanishing.
func vastQuery(floor float64, strict bool, limit int) map[string]any {
	op := "gte"
	if strict {
		op = "gt"
	}
	return map[string]any{
		"rentable":          map[string]any{"eq": true},
		"num_gpus":          map[string]any{"gte": 1},
		"dph_total":         map[string]any{op: floor},
		"type":              "on-demand",
		"order":             [][2]string{{"dph_total", "asc"}},
		"limit":             limit,
		"allocated_storage": vastStorageGB,
	}
}

// Fetch walks the marketplace cheapest-first. The API has no cursor, so
// pages are keyed on price: each request asks for offers priced at or above
// the dearest offer of the previous page, and ids already seen are dropped.
// When a whole page shares one price the walk steps strictly past it; the
// rest of such a tie block (over a thousand offers at one price) is lost.
func (v *vastAI) Fetch(ctx context.Context) ([]shared.Offer, error) {
	seen := map[int64]bool{}
	var all vastOffers
	floor, strict := 0.0, false
pages:
	for range vastMaxPages {
		var resp vastResponse
		if err := v.post(ctx, vastBundlesPath, vastQuery(floor, strict, v.pageSize), &resp); err != nil {
			return nil, err
		}
		top := floor
		for _, o := range resp.Offers {
			if o.malformed {
				continue
			}
			top = max(top, o.DPHTotal)
			if k := o.key(); k > 0 && !seen[k] {
				seen[k] = true
				all = append(all, o)
			}
		}
		if len(resp.Offers) < v.pageSize {
			break
		}
		switch {
		case top > floor:
			floor, strict = top, false
		case !strict:
			strict = true
		default:
			break pages // a whole page at one price even with gt: no progress possible
		}
	}
	return parseVastAI(vastResponse{Offers: all}, v.origin(vastBundlesPath))
}

// parseVastAI emits one offer per Vast ask.
//
// Prices: the on-demand price is dph_total, Vast's all-in hourly price for
// the offer: the GPU/machine rate (dph_base) plus the storage charge for the
// allocated_storage we ask for (vastStorageGB). A Vast instance cannot run
// without a disk and the host bills it by the hour, so dph_total is what a
// renter actually pays, where dph_base would understate it; it is also the
// field the search sorts and filters on, so prices and the page cursor
// agree. When dph_total is absent dph_base is used. The spot price
// is min_bid, the lowest bid that wins the machine as an interruptible
// instance (storage is billed on top, as for on-demand).
//
// Availability: an ask that is rentable and not rented is available; any
// other listed ask is unavailable. Vast sells whole asks, so there is no
// "limited" level.
//
// Compliance: datacenter hosts (hosting_type 1, Vast's "Secure Cloud") that
// Vast has verified are vetted ISO 27001 facilities
// (https://docs.vast.ai/guides/reference/faq/security), so they carry
// "iso27001"; offers located in Europe add "gdpr". Individual hosts carry
// no certification.
func parseVastAI(resp vastResponse, at origin) ([]shared.Offer, error) {
	var set offerSet
	for i := range resp.Offers {
		// A GPU count so large that the per-GPU price rounds to zero is
		// garbage; set.add drops it.
		if o, ok := vastOfferOf(&resp.Offers[i], at); ok {
			set.add(o)
		}
	}
	return set.result(at, len(resp.Offers), "offers but none with GPUs and a price")
}

// vastOfferOf converts one search result; ok is false for entries that are
// not priced GPU offers. The caller validates the offer (offerSet.add).
func vastOfferOf(v *vastOffer, at origin) (shared.Offer, bool) {
	id := v.key()
	name := strings.TrimSpace(v.GPUName)
	if v.malformed || id <= 0 || name == "" || !(v.NumGPUs > 0) {
		return shared.Offer{}, false
	}
	onDemand := v.DPHTotal
	if !sanePrice(onDemand) {
		onDemand = v.DPHBase
	}
	spot := v.MinBid
	if !sanePrice(spot) {
		spot = 0
	}
	o := at.stamp(shared.Offer{
		ID:           at.id(strconv.FormatInt(id, 10)),
		InstanceType: vastInstanceType(v, name),
		VCPUs:        round2(v.CPUCoresEffective),
		RAMGB:        vastRAMGB(v),
		DiskGB:       round2(max(v.DiskSpace, 0)),
		Currency:     "USD",
	})
	o.SetGPU(name, max(v.GPURAM, 0)/1024, v.NumGPUs)
	// An ask listed only for bidding is sold at the bid, and it can be lost.
	if !setPricesOrSpot(&o, onDemand, spot) {
		return shared.Offer{}, false
	}
	region, loc := vastLocation(v.Geolocation)
	o.SetLocation(region, loc)
	var certs []string
	if vastDatacenter(v) && vastVerified(v) {
		certs = append(certs, "iso27001")
	}
	o.ComplianceTags = withGDPR(loc, certs...)
	// We asked for rentable asks only, so an entry that omits the flag is one.
	rentable, known := v.Rentable.truth()
	rentable = rentable || !known
	rented, _ := v.Rented.truth()
	o.Availability = shared.Unavailable
	if rentable && !rented {
		o.Availability = shared.Available
	}
	return o, true
}

// vastInstanceType names an offer the way a Vast user would describe it:
// Vast has no instance types, only slices of host machines.
func vastInstanceType(v *vastOffer, gpu string) string {
	s := strconv.FormatFloat(v.NumGPUs, 'f', -1, 64) + "x " + gpu
	if v.MachineID > 0 {
		s += " (machine " + strconv.FormatInt(v.MachineID, 10) + ")"
	}
	return s
}

// vastRAMGB is the offer's share of host RAM. cpu_ram is the whole
// machine's memory in MiB; an ask gets the same fraction of it as of the
// CPU cores (cpu_cores_effective of cpu_cores).
func vastRAMGB(v *vastOffer) float64 {
	gb := v.CPURAM / 1024
	if v.CPUCores > 0 && v.CPUCoresEffective > 0 && v.CPUCoresEffective < v.CPUCores {
		gb *= v.CPUCoresEffective / v.CPUCores
	}
	return round2(gb)
}

func vastVerified(v *vastOffer) bool {
	if ok, known := v.Verified.truth(); known {
		return ok
	}
	ok, _ := v.Verification.truth()
	return ok
}

// vastDatacenter reports a datacenter host: hosting_type 1 (0 is an
// individual host).
func vastDatacenter(v *vastOffer) bool {
	switch x := v.HostingType.v.(type) {
	case float64:
		return x == 1
	case string:
		return x == "1" || strings.EqualFold(x, "datacenter")
	}
	return false
}

// vastContinents are the continent codes Vast appends to geolocation when
// region grouping is on ("Texas, US, NA").
var vastContinents = map[string]bool{"NA": true, "SA": true, "EU": true, "AS": true, "AF": true, "OC": true}

// vastLocation reads Vast's free-text geolocation: "State, CC" or
// "Country, CC", sometimes with an empty first part (", US") or a continent
// suffix. The provider region is the text itself, tidied; unknown text
// still yields a region so the offer stays visible.
func vastLocation(geo string) (string, shared.Location) {
	var parts []string
	for _, p := range strings.Split(geo, ",") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "unknown", shared.Location{}
	}
	if n := len(parts); n >= 3 && vastContinents[strings.ToUpper(parts[n-1])] && shared.CountryCode(parts[n-2]) != "" {
		parts = parts[:n-1]
	}
	region := strings.Join(parts, ", ")
	sub := ""
	if len(parts) > 1 {
		sub = parts[0]
	}
	return region, shared.Locate(parts[len(parts)-1], sub)
}
