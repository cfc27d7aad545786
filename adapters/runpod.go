package adapters

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gpubroker/gpubroker/shared"
)

// RunPod: POST {base}/graphql (GraphQL; https://graphql-spec.runpod.io/).
// Price and stock queries work without a credential (dstack's gpuhunt reads
// them anonymously); a configured key is sent as "Authorization: Bearer".
//
// One catalog request reads countryCodes, dataCenters and gpuTypes; then
// price requests ask, for every GPU type at once, lowestPrice(input: {...})
// under one alias per (cloud, location, GPU count): Secure Cloud per
// datacenter id, Community Cloud per country code, as gpuhunt does. Aliases
// are split into chunks of runpodAliasesPerRequest so a request stays small.
// GraphQL errors arrive as HTTP 200 with {"errors": [...]}; they fail the
// fetch. https://docs.runpod.io/sdks/graphql/manage-pods
var runpodInfo = Info{
	Name:           "runpod",
	DisplayName:    "RunPod",
	DefaultBaseURL: "https://api.runpod.io",
	DocsURL:        "https://docs.runpod.io/sdks/graphql/manage-pods",
	KeyEnv:         "RUNPOD_API_KEY",
	sendKey:        bearer,
}

func init() { register(runpodInfo, newRunPod) }

const runpodPath = "/graphql"

// runpodCounts are the pod sizes offered, where a type's maxGpuCount allows.
var runpodCounts = []int{1, 2, 4, 8}

// runpodAliasesPerRequest bounds the lowestPrice aliases in one query.
const runpodAliasesPerRequest = 50

// runpodMaxSlots bounds the whole fan-out against a runaway location list.
const runpodMaxSlots = 2000

type runpod struct{ provider }

func newRunPod(cfg Config) *runpod { return &runpod{newProvider(runpodInfo, cfg)} }

// runpodCatalog is the data of the catalog query.
type runpodCatalog struct {
	CountryCodes []string `json:"countryCodes"` // may hold nulls, decoded as ""
	DataCenters  []struct {
		ID     string `json:"id"`
		Listed *bool  `json:"listed"`
	} `json:"dataCenters"`
	GPUTypes []runpodGPUType `json:"gpuTypes"`
}

type runpodGPUType struct {
	ID                        string  `json:"id"` // e.g. "NVIDIA H100 80GB HBM3"
	DisplayName               string  `json:"displayName"`
	MemoryInGb                float64 `json:"memoryInGb"`
	MaxGpuCount               int     `json:"maxGpuCount"`
	MaxGpuCountSecureCloud    int     `json:"maxGpuCountSecureCloud"`
	MaxGpuCountCommunityCloud int     `json:"maxGpuCountCommunityCloud"`
	SecureCloud               bool    `json:"secureCloud"`
	CommunityCloud            bool    `json:"communityCloud"`
	SecurePrice               float64 `json:"securePrice"` // per GPU-hour
	CommunityPrice            float64 `json:"communityPrice"`
	SecureSpotPrice           float64 `json:"secureSpotPrice"`
	CommunitySpotPrice        float64 `json:"communitySpotPrice"`
}

// runpodQuote is one lowestPrice answer. Prices are per GPU-hour (the
// console multiplies them by the GPU count); minVcpu and minMemory (GB) are
// the smallest pod of that size.
type runpodQuote struct {
	MinimumBidPrice      float64         `json:"minimumBidPrice"`
	UninterruptablePrice float64         `json:"uninterruptablePrice"`
	MinVcpu              float64         `json:"minVcpu"`
	MinMemory            float64         `json:"minMemory"`
	StockStatus          *string         `json:"stockStatus"`
	Compliance           json.RawMessage `json:"compliance"` // decoded leniently: only a list of strings counts
}

// runpodPricedType is one gpuTypes entry of a price query: its id plus the
// aliased lowestPrice answers, keyed by alias.
type runpodPricedType struct {
	ID     string
	Quotes map[string]*runpodQuote
}

func (t *runpodPricedType) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	t.ID, t.Quotes = "", map[string]*runpodQuote{}
	for k, v := range raw {
		if k == "id" {
			if err := json.Unmarshal(v, &t.ID); err != nil {
				return fmt.Errorf("gpuTypes id: %w", err)
			}
			continue
		}
		if _, ok := parseRunPodAlias(k); !ok {
			continue // __typename or fields we did not ask for
		}
		var q *runpodQuote
		if err := json.Unmarshal(v, &q); err != nil {
			return fmt.Errorf("gpuTypes %s: %w", k, err)
		}
		t.Quotes[k] = q
	}
	return nil
}

type runpodGraphQLError struct {
	Message string `json:"message"`
}

// runpodSlot is one (cloud, location, GPU count) the price queries ask for.
type runpodSlot struct {
	Secure   bool
	Location string // datacenter id (secure) or ISO country code (community)
	Count    int
}

// alias names the slot in the query, e.g. "s_US_TX_3_1" or "c_RO_4".
// Locations are restricted to [A-Za-z0-9-], so aliases are unique.
func (s runpodSlot) alias() string {
	p := "c_"
	if s.Secure {
		p = "s_"
	}
	return p + strings.ReplaceAll(s.Location, "-", "_") + "_" + strconv.Itoa(s.Count)
}

func parseRunPodAlias(a string) (runpodSlot, bool) {
	if len(a) < 5 || (a[:2] != "s_" && a[:2] != "c_") {
		return runpodSlot{}, false
	}
	i := strings.LastIndexByte(a, '_')
	n, err := strconv.Atoi(a[i+1:])
	if i < 3 || err != nil || n <= 0 {
		return runpodSlot{}, false
	}
	loc := strings.ReplaceAll(a[2:i], "_", "-")
	if !runpodSafeLocation(loc) {
		return runpodSlot{}, false
	}
	s := runpodSlot{Secure: a[0] == 's', Location: loc, Count: n}
	return s, s.alias() == a // rejects spellings we never send, e.g. "s_US-1_01"
}

// runpodSafeLocation admits ids such as "US-TX-3" and country codes; they
// go into GraphQL string literals and aliases, so nothing else is allowed.
func runpodSafeLocation(s string) bool {
	if s == "" || len(s) > 32 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// runpodSlots lists what to ask for: every listed datacenter (Secure Cloud)
// and every country code (Community Cloud), times the pod sizes the largest
// GPU type allows. The order is the catalog's, so queries are stable.
func runpodSlots(cat runpodCatalog) []runpodSlot {
	maxCount := 0
	for _, t := range cat.GPUTypes {
		maxCount = max(maxCount, t.MaxGpuCount, t.MaxGpuCountSecureCloud, t.MaxGpuCountCommunityCloud)
	}
	var counts []int
	for _, c := range runpodCounts {
		if c <= maxCount {
			counts = append(counts, c)
		}
	}
	var out []runpodSlot
	seen := map[runpodSlot]bool{}
	add := func(secure bool, loc string) {
		if !runpodSafeLocation(loc) {
			return
		}
		for _, c := range counts {
			s := runpodSlot{Secure: secure, Location: loc, Count: c}
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	for _, dc := range cat.DataCenters {
		if dc.Listed == nil || *dc.Listed {
			add(true, dc.ID)
		}
	}
	for _, cc := range cat.CountryCodes {
		add(false, cc)
	}
	return out
}

const runpodCatalogQuery = `query GpuCatalog {
  countryCodes
  dataCenters { id listed }
  gpuTypes {
    id displayName memoryInGb maxGpuCount maxGpuCountSecureCloud maxGpuCountCommunityCloud
    secureCloud communityCloud securePrice communityPrice secureSpotPrice communitySpotPrice
  }
}`

// runpodPriceQuery asks every GPU type for the lowest price of each slot.
func runpodPriceQuery(slots []runpodSlot) string {
	var b strings.Builder
	b.WriteString("query GpuLowestPrices {\n  gpuTypes {\n    id\n")
	for _, s := range slots {
		loc := "countryCode"
		if s.Secure {
			loc = "dataCenterId"
		}
		fmt.Fprintf(&b, "    %s: lowestPrice(input: {gpuCount: %d, secureCloud: %t, %s: %q}) { minimumBidPrice uninterruptablePrice minVcpu minMemory stockStatus compliance }\n",
			s.alias(), s.Count, s.Secure, loc, s.Location)
	}
	b.WriteString("  }\n}")
	return b.String()
}

func (r *runpod) Fetch(ctx context.Context) ([]shared.Offer, error) {
	var cat runpodCatalog
	if err := r.query(ctx, runpodCatalogQuery, &cat); err != nil {
		return nil, err
	}
	slots := runpodSlots(cat)
	if len(slots) > runpodMaxSlots {
		return nil, r.errorf(shared.ErrKindUpstream, "%d price slots exceed the bound of %d", len(slots), runpodMaxSlots)
	}
	var priced []runpodPricedType
	for start := 0; start < len(slots); start += runpodAliasesPerRequest {
		chunk := slots[start:min(start+runpodAliasesPerRequest, len(slots))]
		var data struct {
			GPUTypes []runpodPricedType `json:"gpuTypes"`
		}
		if err := r.query(ctx, runpodPriceQuery(chunk), &data); err != nil {
			return nil, err
		}
		priced = append(priced, data.GPUTypes...)
	}
	return parseRunPod(cat, priced, r.origin(runpodPath))
}

// query posts one GraphQL query and decodes its data into out. An answer
// with "errors" fails even when it also carries partial data.
func (r *runpod) query(ctx context.Context, q string, out any) error {
	var resp struct {
		Data   json.RawMessage      `json:"data"`
		Errors []runpodGraphQLError `json:"errors"`
	}
	if err := r.post(ctx, runpodPath, map[string]string{"query": q}, &resp); err != nil {
		return err
	}
	if len(resp.Errors) > 0 {
		return r.graphQLFailure(resp.Errors)
	}
	if len(resp.Data) == 0 || string(resp.Data) == "null" {
		return r.errorf(shared.ErrKindUpstream, "GraphQL answer without data")
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		return r.errorf(shared.ErrKindUpstream, "decoding GraphQL data: %w", err)
	}
	return nil
}

// graphQLFailure turns GraphQL errors into an adapter error; an
// authentication complaint is an auth error, anything else upstream.
func (r *runpod) graphQLFailure(errs []runpodGraphQLError) *Error {
	msg := errs[0].Message
	if r := []rune(msg); len(r) > 200 {
		msg = string(r[:200]) + "…"
	}
	kind := shared.ErrKindUpstream
	for _, e := range errs {
		m := strings.ToLower(e.Message)
		if strings.Contains(m, "unauthorized") || strings.Contains(m, "unauthenticated") || strings.Contains(m, "api key") {
			kind = shared.ErrKindAuth
		}
	}
	return r.errorf(kind, "GraphQL error (%d): %s", len(errs), msg)
}

// runpodAvailability maps lowestPrice.stockStatus: "High" and "Medium" are
// available, "Low" is limited. null (or "") means no capacity of that size
// there; any other word is treated as unavailable.
func runpodAvailability(status string) shared.Availability {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "high", "medium":
		return shared.Available
	case "low":
		return shared.Limited
	}
	return shared.Unavailable
}

// runpodPrice admits finite, plausible per-GPU-hour prices; zero, negative
// and absurd values mean "no price".
func runpodPrice(p float64) bool { return p > 0 && p < 10000 }

// parseRunPod emits one offer per GPU type, cloud, location and pod size
// that RunPod reports stock for (stockStatus not null). A type sold out at
// every location of a cloud keeps one single-GPU "unavailable" offer in
// region "any" at its list price, so the price stays visible.
func parseRunPod(cat runpodCatalog, priced []runpodPricedType, at origin) ([]shared.Offer, error) {
	slots := map[string]runpodSlot{}
	for _, s := range runpodSlots(cat) {
		slots[s.alias()] = s
	}
	types := map[string]runpodGPUType{}
	var ids []string
	for _, t := range cat.GPUTypes {
		if t.ID == "" {
			continue
		}
		if _, dup := types[t.ID]; !dup {
			types[t.ID] = t
			ids = append(ids, t.ID)
		}
	}
	quotes := map[string]map[string]*runpodQuote{}
	for _, p := range priced {
		if p.ID == "" {
			continue
		}
		if _, ok := types[p.ID]; !ok {
			types[p.ID] = runpodGPUType{ID: p.ID}
			ids = append(ids, p.ID)
		}
		if quotes[p.ID] == nil {
			quotes[p.ID] = map[string]*runpodQuote{}
		}
		for a, q := range p.Quotes {
			quotes[p.ID][a] = q
		}
	}
	sort.Strings(ids)
	var out []shared.Offer
	for _, id := range ids {
		t := types[id]
		stocked := map[bool]bool{}
		for _, a := range slices.Sorted(maps.Keys(quotes[id])) {
			s, ok := slots[a]
			q := quotes[id][a]
			if !ok || q == nil || q.StockStatus == nil || strings.TrimSpace(*q.StockStatus) == "" {
				continue // not asked for, not offered there, or no capacity of that size
			}
			if s.Count > t.maxCount(s.Secure) && t.maxCount(s.Secure) > 0 {
				continue
			}
			o, ok := runpodOffer(t, s, q, at)
			if !ok {
				continue
			}
			o.Availability = runpodAvailability(*q.StockStatus)
			stocked[s.Secure] = true
			out = append(out, o)
		}
		for _, secure := range []bool{true, false} {
			if stocked[secure] || !t.offeredIn(secure) {
				continue
			}
			if o, ok := runpodOffer(t, runpodSlot{Secure: secure, Location: "any", Count: 1}, nil, at); ok {
				o.Availability = shared.Unavailable
				out = append(out, o)
			}
		}
	}
	if len(cat.GPUTypes) > 0 && len(out) == 0 {
		return nil, at.fail("%d GPU types but none with a price", len(cat.GPUTypes))
	}
	return out, nil
}

func (t runpodGPUType) maxCount(secure bool) int {
	if secure && t.MaxGpuCountSecureCloud > 0 {
		return t.MaxGpuCountSecureCloud
	}
	if !secure && t.MaxGpuCountCommunityCloud > 0 {
		return t.MaxGpuCountCommunityCloud
	}
	return t.MaxGpuCount
}

func (t runpodGPUType) offeredIn(secure bool) bool {
	if secure {
		return t.SecureCloud
	}
	return t.CommunityCloud
}

// listPrices are the type-wide per-GPU on-demand and spot prices of a cloud.
func (t runpodGPUType) listPrices(secure bool) (float64, float64) {
	if secure {
		return t.SecurePrice, t.SecureSpotPrice
	}
	return t.CommunityPrice, t.CommunitySpotPrice
}

// runpodOffer builds the offer for one slot; q may be nil for the "any"
// placeholder. The location's own quote wins over the type's list price.
// ok is false when there is neither an on-demand nor a spot price.
func runpodOffer(t runpodGPUType, s runpodSlot, q *runpodQuote, at origin) (shared.Offer, bool) {
	onDemand, spot := t.listPrices(s.Secure)
	if q != nil {
		if runpodPrice(q.UninterruptablePrice) {
			onDemand = q.UninterruptablePrice
		}
		if runpodPrice(q.MinimumBidPrice) {
			spot = q.MinimumBidPrice
		}
	}
	if !runpodPrice(onDemand) {
		onDemand = 0
	}
	if !runpodPrice(spot) {
		spot = 0
	}
	if onDemand == 0 && spot == 0 {
		return shared.Offer{}, false
	}
	cloud := "community"
	if s.Secure {
		cloud = "secure"
	}
	name := t.DisplayName
	if name == "" {
		name = t.ID
	}
	n := float64(s.Count)
	o := at.stamp(shared.Offer{
		ID:           at.id(cloud, s.Location, t.ID, strconv.Itoa(s.Count)),
		InstanceType: fmt.Sprintf("%dx %s (%s cloud)", s.Count, name, cloud),
		Currency:     "USD",
	})
	mem := t.MemoryInGb
	if mem < 0 || mem > 4096 {
		mem = 0
	}
	o.SetGPU(t.ID, mem, n)
	if onDemand > 0 {
		o.SetPrices(onDemand*n, spot*n)
	} else {
		o.SetPrices(spot*n, 0)
		o.Interruptible = true
	}
	var loc shared.Location
	if s.Location != "any" {
		if s.Secure {
			loc = runpodDatacenterLocation(s.Location)
		} else {
			loc = shared.Locate(s.Location, "")
		}
	}
	o.SetLocation(s.Location, loc)
	if q != nil {
		if q.MinVcpu > 0 && q.MinVcpu < 1e6 {
			o.VCPUs = q.MinVcpu
		}
		if q.MinMemory > 0 && q.MinMemory < 1e7 {
			o.RAMGB = q.MinMemory
		}
	}
	o.ComplianceTags = runpodCompliance(s.Secure, loc, q)
	return o, true
}

// runpodCompliance: Secure Cloud runs under RunPod's SOC 2 Type II report
// and in partner datacenters that each publish their own certifications
// (lowestPrice.compliance, e.g. "ISO_IEC_27001"); Community Cloud hosts carry
// none. EU locations add "gdpr".
func runpodCompliance(secure bool, loc shared.Location, q *runpodQuote) []string {
	set := map[string]bool{}
	if secure {
		set["soc2"] = true
		if q != nil {
			var names []string
			if json.Unmarshal(q.Compliance, &names) == nil {
				for _, n := range names {
					if tag := runpodComplianceTag(n); tag != "" {
						set[tag] = true
					}
				}
			}
		}
	}
	if loc.Continent == "EU" {
		set["gdpr"] = true
	}
	tags := make([]string, 0, len(set))
	for t := range set {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	return tags
}

// runpodComplianceTag maps a datacenter certification name to our tag
// vocabulary, ignoring punctuation and case; unknown names yield "".
func runpodComplianceTag(name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	k := b.String()
	switch {
	case strings.HasPrefix(k, "SOC2"):
		return "soc2"
	case strings.Contains(k, "27001"):
		return "iso27001"
	case strings.HasPrefix(k, "HIPAA"):
		return "hipaa"
	case k == "GDPR":
		return "gdpr"
	}
	return ""
}

// runpodSites maps the first two parts of a datacenter id ("US-TX" of
// "US-TX-3") to a country and subdivision. Ids are
// <area>-<state|city|country>-<n>; the table covers the sites named in
// RunPod's docs and in SkyPilot's RunPod catalog.
var runpodSites = map[string][2]string{
	"US-CA": {"US", "CA"}, "US-DE": {"US", "DE"}, "US-GA": {"US", "GA"}, "US-IL": {"US", "IL"},
	"US-KS": {"US", "KS"}, "US-MD": {"US", "MD"}, "US-MO": {"US", "MO"}, "US-NC": {"US", "NC"},
	"US-NE": {"US", "NE"}, "US-OR": {"US", "OR"}, "US-PA": {"US", "PA"}, "US-TX": {"US", "TX"},
	"US-WA":  {"US", "WA"},
	"CA-MTL": {"CA", "QC"},
	"EU-RO":  {"RO", ""}, "EU-SE": {"SE", ""}, "EU-NL": {"NL", ""}, "EU-CZ": {"CZ", ""},
	"EU-FR": {"FR", ""}, "EU-DK": {"DK", ""}, "EUR-IS": {"IS", ""}, "EUR-NO": {"NO", ""},
	"AP-JP": {"JP", ""}, "AP-IN": {"IN", ""}, "OC-AU": {"AU", ""}, "SEA-SG": {"SG", ""},
}

// runpodDatacenterLocation resolves a datacenter id; for a site not in the
// table it falls back to the id's pattern (US-<state>-n, <area>-<ISO country>-n).
func runpodDatacenterLocation(id string) shared.Location {
	parts := strings.Split(strings.ToUpper(id), "-")
	if len(parts) < 2 {
		return shared.Location{}
	}
	if s, ok := runpodSites[parts[0]+"-"+parts[1]]; ok {
		return shared.Locate(s[0], s[1])
	}
	if parts[0] == "US" {
		return shared.Locate("US", parts[1])
	}
	return shared.Locate(parts[1], "")
}
