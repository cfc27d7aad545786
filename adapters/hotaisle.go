package adapters

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/gpubroker/gpubroker/shared"
)

// Hot Aisle: AMD Instinct VMs and bare-metal servers, priced per team. All
// calls send "Authorization: Token <key>". The listing endpoints sit under
// the caller's team, so the adapter first reads the team handle from
// GET {base}/api/user/ ({"teams": [{"handle": ...}]}), then fetches
//
//   - GET {base}/api/teams/{team}/virtual_machines/available/
//   - GET {base}/api/teams/{team}/bare_metal/available/
//
// Each answers a JSON array (or null when nothing is in stock) of
// {Quantity, OnDemandPrice (US cents per hour), MinimumReservationMinutes,
// Specs: {cpu_cores, ram_capacity and disk_capacity in bytes, cpus (an
// object for VMs, a list for bare metal), gpus: [{count, manufacturer,
// model}]}}. No endpoint pages. The Swagger document is at
// https://admin.hotaisle.app/api/docs/ (dstack's gpuhunt uses the same
// calls).
var hotaisleInfo = Info{
	Name:           "hotaisle",
	DisplayName:    "Hot Aisle",
	DefaultBaseURL: "https://admin.hotaisle.app",
	DocsURL:        "https://admin.hotaisle.app/api/docs/",
	NeedsKey:       true,
	KeyEnv:         "HOTAISLE_API_KEY",
	sendKey:        keyScheme{header: "Authorization", prefix: "Token "},
}

func init() { register(hotaisleInfo, newHotAisle) }

// hotaisleRegion names Hot Aisle's only site, in Switch's Grand Rapids,
// Michigan data centre. The API has no region field; the name is the one
// dstack's gpuhunt uses, so the two agree.
const hotaisleRegion = "us-michigan-1"

// hotaisleKinds are the two listings, in the order they are fetched.
var hotaisleKinds = []struct{ kind, path string }{
	{"vm", "virtual_machines/available/"},
	{"bm", "bare_metal/available/"},
}

type hotAisle struct {
	provider

	mu   sync.Mutex
	team string // discovered once, then reused
}

func newHotAisle(cfg Config) *hotAisle { return &hotAisle{provider: newProvider(hotaisleInfo, cfg)} }

type hotaisleUser struct {
	Teams []struct {
		Handle string `json:"handle"`
	} `json:"teams"`
}

// hotaisleOffer is one listed configuration with the number of units free.
type hotaisleOffer struct {
	Quantity      *float64 `json:"Quantity"`
	OnDemandPrice float64  `json:"OnDemandPrice"` // US cents per hour, whole VM or server
	Specs         struct {
		CPUCores     float64 `json:"cpu_cores"`
		RAMCapacity  float64 `json:"ram_capacity"`  // bytes
		DiskCapacity float64 `json:"disk_capacity"` // bytes
		GPUs         []struct {
			Count        float64 `json:"count"`
			Manufacturer string  `json:"manufacturer"`
			Model        string  `json:"model"`
		} `json:"gpus"`
	} `json:"Specs"`

	// malformed marks an entry with unexpected JSON types; it is skipped
	// rather than failing the listing.
	malformed bool
}

func (o *hotaisleOffer) UnmarshalJSON(b []byte) error {
	type plain hotaisleOffer
	o.malformed = !decodeLenient(b, (*plain)(o))
	return nil
}

// hotaisleListing is one endpoint's answer: an array, or null when empty.
type hotaisleListing []hotaisleOffer

func (l *hotaisleListing) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*l = nil
		return nil
	}
	var v []hotaisleOffer
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = v
	return nil
}

func (h *hotAisle) Fetch(ctx context.Context) ([]shared.Offer, error) {
	team, err := h.teamHandle(ctx)
	if err != nil {
		return nil, err
	}
	listings := map[string]hotaisleListing{}
	for _, k := range hotaisleKinds {
		var l hotaisleListing
		if err := h.get(ctx, "/api/teams/"+url.PathEscape(team)+"/"+k.path, &l); err != nil {
			var ae *Error
			if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
				h.forgetTeam() // the team may be gone; ask again next time
			}
			return nil, err
		}
		listings[k.kind] = l
	}
	// The team handle stays out of Source: offers are shown to the
	// gateway's clients, and the handle names the operator's account.
	return parseHotAisle(listings, h.origin("/api/teams/{team}/"))
}

// teamHandle returns the first team the key belongs to, asking once.
func (h *hotAisle) teamHandle(ctx context.Context) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.team != "" {
		return h.team, nil
	}
	var u hotaisleUser
	if err := h.get(ctx, "/api/user/", &u); err != nil {
		return "", err
	}
	for _, t := range u.Teams {
		if handle := strings.TrimSpace(t.Handle); handle != "" {
			h.team = handle
			return handle, nil
		}
	}
	return "", h.errorf(shared.ErrKindAuth, "the API key belongs to no team")
}

func (h *hotAisle) forgetTeam() {
	h.mu.Lock()
	h.team = ""
	h.mu.Unlock()
}

// parseHotAisle emits one offer per listed configuration; listings maps
// "vm" and "bm" (bare metal) to their entries and at's source is the
// listings' common URL prefix.
//
// Availability: Quantity is the number of units free. Hot Aisle lists only
// what can be provisioned now, so an entry without Quantity is available;
// two or more units are available, one is limited and zero unavailable.
//
// Compliance: none published by Hot Aisle for the API's offers, so the
// tags are empty.
func parseHotAisle(listings map[string]hotaisleListing, at origin) ([]shared.Offer, error) {
	var set offerSet
	total := 0
	for _, k := range hotaisleKinds {
		for i := range listings[k.kind] {
			total++
			// A price so small that it rounds to zero per GPU is garbage;
			// set.add drops it.
			if o, ok := hotaisleOfferOf(&listings[k.kind][i], k.kind, at.under(k.path)); ok {
				set.add(o)
			}
		}
	}
	return set.result(at, total, "listed configurations but none with GPUs and a price")
}

// hotaisleOfferOf converts one entry; ok is false for entries that are not
// priced GPU configurations. The caller validates the offer (offerSet.add).
func hotaisleOfferOf(e *hotaisleOffer, kind string, at origin) (shared.Offer, bool) {
	maker, model, count := hotaisleGPU(e)
	price := e.OnDemandPrice / 100
	if e.malformed || model == "" || !(count >= 1 && count <= 64) || !sanePrice(price) {
		return shared.Offer{}, false
	}
	cores := round2(e.Specs.CPUCores)
	ramGB := hotaisleGiB(e.Specs.RAMCapacity)
	diskGB := hotaisleGiB(e.Specs.DiskCapacity)
	n := strconv.FormatFloat(count, 'f', -1, 64)
	o := at.stamp(shared.Offer{
		// Hot Aisle has no offer ids: a configuration is its specs.
		ID: at.id(kind, n+"x-"+model,
			fmt.Sprintf("%gc-%gg-%gg", cores, math.Round(ramGB), math.Round(diskGB))),
		InstanceType:   fmt.Sprintf("%s-%sx-%s-%gc", kind, n, strings.ToLower(model), cores),
		VCPUs:          cores,
		RAMGB:          ramGB,
		DiskGB:         diskGB,
		Currency:       "USD",
		ComplianceTags: []string{},
	})
	o.SetGPU(maker+" "+model, 0, count)
	o.SetPrices(price, 0)
	o.SetLocation(hotaisleRegion, shared.Locate("US", "MI"))
	switch {
	case e.Quantity == nil || *e.Quantity >= 2:
		o.Availability = shared.Available
	case *e.Quantity >= 1:
		o.Availability = shared.Limited
	default:
		o.Availability = shared.Unavailable
	}
	return o, true
}

// hotaisleGPU returns the entry's GPU maker, model and count. A server
// lists one model; should it list several, the first model with a count is
// used and counts of the same model are added up. The VM listing may omit
// the maker; Hot Aisle sells AMD Instinct GPUs only.
func hotaisleGPU(e *hotaisleOffer) (maker, model string, count float64) {
	for _, g := range e.Specs.GPUs {
		m := strings.TrimSpace(g.Model)
		if m == "" || !(g.Count > 0) {
			continue
		}
		if model == "" {
			model, maker = m, strings.TrimSpace(g.Manufacturer)
		}
		if strings.EqualFold(m, model) {
			count += g.Count
		}
	}
	if maker == "" {
		maker = "AMD"
	}
	return maker, model, count
}

// hotaisleGiB converts bytes to GiB, rounded to cents; garbage reads as zero.
func hotaisleGiB(b float64) float64 { return round2(b / (1 << 30)) }
