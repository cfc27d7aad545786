package simulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// RunPod: POST /graphql with {"query", "variables"}. The simulator parses
// queries loosely (fields, aliases, arguments, variables; no fragments) and
// answers the schema subset the adapter and gpuhunt use: countryCodes,
// dataCenters and gpuTypes { ... lowestPrice(input: {...}) { ... } }.
// Unknown fields or syntax errors are answered with {"errors": [...]}.
// Price queries are public, as at RunPod; a key, when sent (Bearer header or
// api_key parameter), must not be empty.
func init() {
	registerProvider(providerSim{name: "runpod", inventory: runpodInventory, handler: runpodHandler})
}

// runpodDC is one simulated Secure Cloud datacenter.
type runpodDC struct {
	id, country, location string
	listed                bool
	compliance            []string
}

var runpodDCs = []runpodDC{
	{"US-TX-3", "US", "United States", true, []string{"SOC_2_TYPE_2", "ISO_IEC_27001"}},
	{"US-KS-2", "US", "United States", true, []string{"SOC_2_TYPE_2"}},
	{"US-GA-1", "US", "United States", true, []string{"SOC_2_TYPE_2", "HIPAA"}},
	{"US-CA-2", "US", "United States", true, []string{"ISO_IEC_27001"}},
	{"US-IL-1", "US", "United States", true, []string{"SOC_2_TYPE_2"}},
	{"US-DE-1", "US", "United States", false, nil},
	{"CA-MTL-1", "CA", "Canada", true, []string{"ISO_IEC_27001", "SOC_2_TYPE_2"}},
	{"CA-MTL-3", "CA", "Canada", true, []string{"SOC_2_TYPE_2"}},
	{"EU-RO-1", "RO", "Europe", true, []string{"GDPR", "ISO_IEC_27001"}},
	{"EU-SE-1", "SE", "Europe", true, []string{"GDPR", "ISO_14001"}},
	{"EU-NL-1", "NL", "Europe", true, []string{"GDPR", "ISO_IEC_27001", "PCI_DSS"}},
	{"EUR-IS-1", "IS", "Europe", true, []string{"GDPR"}},
	{"AP-JP-1", "JP", "Asia", true, []string{"ISO_IEC_27001"}},
	{"OC-AU-1", "AU", "Oceania", true, nil},
}

// runpodCommunityCountries host Community Cloud machines.
var runpodCommunityCountries = []string{"US", "CA", "RO", "PL", "DE", "SE", "NO", "GB", "JP", "BR"}

func runpodDCByID(id string) (runpodDC, bool) {
	for _, d := range runpodDCs {
		if d.id == id {
			return d, true
		}
	}
	return runpodDC{}, false
}

// runpodInventory holds one item per GPU type, cloud and location: GPUCount
// is 1, Price and Spot are per GPU-hour and Stock is the GPUs free there.
func runpodInventory(r *rand.Rand) []Item {
	type gpuType struct {
		id, display, maker string
		mem                float64
		max                int
		secure, community  float64 // per-GPU list price; 0 = not in that cloud
		vcpus, ram         float64 // per GPU
		soldOut            bool
	}
	types := []gpuType{
		{"NVIDIA H100 80GB HBM3", "H100 SXM", "Nvidia", 80, 8, 2.69, 2.39, 20, 125, false},
		{"NVIDIA H100 PCIe", "H100 PCIe", "Nvidia", 80, 8, 2.39, 1.99, 16, 176, false},
		{"NVIDIA H100 NVL", "H100 NVL", "Nvidia", 94, 8, 2.59, 2.79, 16, 94, false},
		{"NVIDIA H200", "H200 SXM", "Nvidia", 141, 8, 3.59, 0, 12, 188, false},
		{"NVIDIA B200", "B200", "Nvidia", 180, 8, 5.99, 0, 28, 180, false},
		{"NVIDIA A100 80GB PCIe", "A100 PCIe", "Nvidia", 80, 8, 1.64, 1.19, 8, 117, false},
		{"NVIDIA A100-SXM4-80GB", "A100 SXM", "Nvidia", 80, 8, 1.74, 1.39, 16, 117, false},
		{"NVIDIA L40S", "L40S", "Nvidia", 48, 8, 0.86, 0.79, 12, 62, false},
		{"NVIDIA L40", "L40", "Nvidia", 48, 8, 0.99, 0.69, 9, 125, false},
		{"NVIDIA L4", "L4", "Nvidia", 24, 8, 0.43, 0.39, 8, 45, false},
		{"NVIDIA A40", "A40", "Nvidia", 48, 8, 0.40, 0.35, 9, 48, false},
		{"NVIDIA RTX A6000", "RTX A6000", "Nvidia", 48, 8, 0.49, 0.33, 8, 50, false},
		{"NVIDIA RTX 6000 Ada Generation", "RTX 6000 Ada", "Nvidia", 48, 8, 0.77, 0.74, 10, 62, false},
		{"NVIDIA RTX PRO 6000 Blackwell Server Edition", "RTX PRO 6000", "Nvidia", 96, 8, 1.84, 1.69, 14, 125, false},
		{"NVIDIA RTX A5000", "RTX A5000", "Nvidia", 24, 8, 0.27, 0.16, 3, 25, false},
		{"NVIDIA RTX A4000", "RTX A4000", "Nvidia", 16, 8, 0.25, 0.17, 6, 35, false},
		{"NVIDIA RTX 4000 Ada Generation", "RTX 4000 Ada", "Nvidia", 20, 8, 0.26, 0.20, 8, 47, false},
		{"NVIDIA RTX 2000 Ada Generation", "RTX 2000 Ada", "Nvidia", 16, 8, 0.24, 0.23, 6, 31, false},
		{"NVIDIA GeForce RTX 4090", "RTX 4090", "Nvidia", 24, 8, 0.69, 0.34, 5, 29, false},
		{"NVIDIA GeForce RTX 5090", "RTX 5090", "Nvidia", 32, 8, 0.94, 0.69, 6, 46, false},
		{"NVIDIA GeForce RTX 3090", "RTX 3090", "Nvidia", 24, 8, 0.46, 0.22, 4, 25, false},
		{"NVIDIA GeForce RTX 4080 SUPER", "RTX 4080 SUPER", "Nvidia", 16, 6, 0, 0.28, 12, 62, false},
		{"NVIDIA GeForce RTX 5080", "RTX 5080", "Nvidia", 16, 8, 0, 0.39, 5, 30, false},
		{"AMD Instinct MI300X OAM", "MI300X", "AMD", 192, 8, 2.49, 0, 24, 283, false},
		{"Tesla V100-SXM2-32GB", "V100 SXM2 32GB", "Nvidia", 32, 4, 0, 0.25, 20, 93, true},
		{"NVIDIA A30", "A30", "Nvidia", 24, 8, 0, 0.22, 12, 39, false},
	}
	var items []Item
	add := func(t gpuType, cloud, region string, price float64, first bool, compliance []string) {
		stock := 1 + r.IntN(16)
		if t.soldOut || (!first && r.Float64() < 0.12) {
			stock = 0
		}
		spot := 0.0
		if r.Float64() < 0.85 {
			spot = round4(price * between(r, 0.5, 0.7))
		}
		items = append(items, Item{
			ID: t.id, GPU: t.id, GPUMemGB: t.mem, GPUCount: 1, VCPUs: t.vcpus, RAMGB: t.ram,
			Region: region, Price: price, Spot: spot, Stock: stock,
			Attrs: map[string]string{
				"cloud": cloud, "display": t.display, "maker": t.maker,
				"max": strconv.Itoa(t.max), "compliance": joinComma(compliance),
			},
		})
	}
	listed := make([]runpodDC, 0, len(runpodDCs))
	for _, d := range runpodDCs {
		if d.listed {
			listed = append(listed, d)
		}
	}
	for _, t := range types {
		if t.secure > 0 {
			// Secure Cloud prices are list prices, equal in every datacenter.
			for i, j := range r.Perm(len(listed))[:2+r.IntN(2)] {
				add(t, "secure", listed[j].id, t.secure, i == 0, listed[j].compliance)
			}
		}
		if t.community > 0 {
			// Community hosts set their own prices around the list price.
			for i, j := range r.Perm(len(runpodCommunityCountries))[:1+r.IntN(2)] {
				add(t, "community", runpodCommunityCountries[j], round4(t.community*between(r, 0.92, 1.08)), i == 0, nil)
			}
		}
	}
	return items
}

func runpodHandler(p *Provider) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /graphql", func(w http.ResponseWriter, r *http.Request) {
		if !runpodKeyOK(r) {
			runpodErrors(w, http.StatusUnauthorized, "Unauthorized: the API key is empty or malformed.")
			return
		}
		var body struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
			runpodErrors(w, http.StatusBadRequest, "POST body sent invalid JSON.")
			return
		}
		fields, err := runpodParseQuery(body.Query, body.Variables)
		if err != nil {
			runpodErrors(w, http.StatusBadRequest, "Syntax Error: "+err.Error())
			return
		}
		if err := runpodValidate(fields, "Query"); err != nil {
			runpodErrors(w, http.StatusBadRequest, err.Error())
			return
		}
		data, err := (&runpodResolver{items: p.Snapshot()}).query(fields)
		if err != nil {
			// Execution errors come back as HTTP 200, as from any GraphQL server.
			writeJSON(w, http.StatusOK, map[string]any{"data": nil, "errors": []map[string]any{{"message": err.Error()}}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"data": data})
	})
	return mux
}

// runpodKeyOK accepts requests without a credential (prices are public) and
// rejects a credential that is present but empty.
func runpodKeyOK(r *http.Request) bool {
	if h, ok := r.Header["Authorization"]; ok && len(h) > 0 && bearer(r) == "" {
		return false
	}
	if q := r.URL.Query(); q.Has("api_key") && strings.TrimSpace(q.Get("api_key")) == "" {
		return false
	}
	return true
}

func runpodErrors(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{"message": msg}}})
}

// runpodSchema lists, per GraphQL type, its fields and the type of each
// (empty for scalars and scalar lists).
var runpodSchema = map[string]map[string]string{
	"Query": {"countryCodes": "", "dataCenters": "DataCenter", "gpuTypes": "GpuType"},
	"DataCenter": {"id": "", "name": "", "location": "", "listed": "", "storageSupport": "",
		"__typename": ""},
	"GpuType": {"id": "", "displayName": "", "manufacturer": "", "memoryInGb": "", "maxGpuCount": "",
		"maxGpuCountSecureCloud": "", "maxGpuCountCommunityCloud": "", "minPodGpuCount": "",
		"secureCloud": "", "communityCloud": "", "securePrice": "", "communityPrice": "",
		"secureSpotPrice": "", "communitySpotPrice": "", "__typename": "", "lowestPrice": "LowestPrice"},
	"LowestPrice": {"minimumBidPrice": "", "uninterruptablePrice": "", "minVcpu": "", "minMemory": "",
		"stockStatus": "", "compliance": "", "countryCode": "", "maxUnreservedGpuCount": "", "__typename": ""},
}

// runpodLowestPriceInput are the GpuLowestPriceInput fields accepted.
var runpodLowestPriceInput = map[string]bool{
	"gpuCount": true, "secureCloud": true, "dataCenterId": true, "countryCode": true,
	"minDisk": true, "minMemoryInGb": true, "minVcpuCount": true, "minCudaVersion": true,
	"minDownload": true, "minUpload": true, "supportPublicIp": true, "compliance": true,
	"globalNetwork": true, "includeAiApi": true,
}

// runpodValidate checks a selection against runpodSchema. Its messages copy
// graphql-js wording, capitals and full stops included.
func runpodValidate(fields []runpodField, typ string) error {
	for _, f := range fields {
		child, ok := runpodSchema[typ][f.name]
		if !ok {
			return graphqlErrorf("Cannot query field %q on type %q.", f.name, typ)
		}
		if child == "" && f.sel != nil {
			return graphqlErrorf("Field %q must not have a selection since type is a scalar.", f.name)
		}
		if child != "" && len(f.sel) == 0 {
			return graphqlErrorf("Field %q of type %q must have a selection of subfields.", f.name, child)
		}
		if f.name == "lowestPrice" {
			in, _ := f.args["input"].(map[string]any)
			for k := range in {
				if !runpodLowestPriceInput[k] {
					return graphqlErrorf("Field %q is not defined by type \"GpuLowestPriceInput\".", k)
				}
			}
		}
		if child != "" {
			if err := runpodValidate(f.sel, child); err != nil {
				return err
			}
		}
	}
	return nil
}

type runpodResolver struct {
	items []Item
}

func (rs *runpodResolver) query(fields []runpodField) (map[string]any, error) {
	out := map[string]any{}
	for _, f := range fields {
		switch f.name {
		case "countryCodes":
			out[f.key()] = rs.countryCodes()
		case "dataCenters":
			var list []any
			for _, d := range runpodDCs {
				list = append(list, runpodPick(f.sel, map[string]any{
					"id": d.id, "name": d.id, "location": d.location, "listed": d.listed,
					"storageSupport": d.listed, "__typename": "DataCenter",
				}))
			}
			out[f.key()] = list
		case "gpuTypes":
			list, err := rs.gpuTypes(f)
			if err != nil {
				return nil, err
			}
			out[f.key()] = list
		}
	}
	return out, nil
}

func (rs *runpodResolver) countryCodes() []any {
	seen := map[string]bool{}
	for _, it := range rs.items {
		if it.Attrs["cloud"] == "community" {
			seen[it.Region] = true
		}
	}
	codes := make([]string, 0, len(seen))
	for c := range seen {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	out := []any{nil} // RunPod's list carries a null for hosts without a country
	for _, c := range codes {
		out = append(out, c)
	}
	return out
}

func (rs *runpodResolver) gpuTypes(f runpodField) ([]any, error) {
	filter, _ := f.args["input"].(map[string]any)
	wantID, _ := filter["id"].(string)
	byType := map[string][]Item{}
	var ids []string
	for _, it := range rs.items {
		if _, ok := byType[it.ID]; !ok {
			ids = append(ids, it.ID)
		}
		byType[it.ID] = append(byType[it.ID], it)
	}
	sort.Strings(ids)
	list := []any{}
	for _, id := range ids {
		if wantID != "" && id != wantID {
			continue
		}
		its := byType[id]
		maxCount, _ := strconv.Atoi(its[0].Attrs["max"])
		vals := map[string]any{
			"id": id, "displayName": its[0].Attrs["display"], "manufacturer": its[0].Attrs["maker"],
			"memoryInGb": its[0].GPUMemGB, "maxGpuCount": maxCount, "minPodGpuCount": 1, "__typename": "GpuType",
		}
		for _, cloud := range []string{"secure", "community"} {
			price, spot := runpodListPrices(its, cloud)
			offered := price != nil
			vals[cloud+"Cloud"] = offered
			vals[cloud+"Price"] = price
			vals[cloud+"SpotPrice"] = spot
			cloudMax := 0
			if offered {
				cloudMax = maxCount
			}
			vals["maxGpuCount"+strings.ToUpper(cloud[:1])+cloud[1:]+"Cloud"] = cloudMax
		}
		obj := map[string]any{}
		for _, sf := range f.sel {
			if sf.name != "lowestPrice" {
				obj[sf.key()] = vals[sf.name]
				continue
			}
			q, err := runpodLowestPrice(its, sf)
			if err != nil {
				return nil, err
			}
			obj[sf.key()] = q
		}
		list = append(list, obj)
	}
	return list, nil
}

// runpodListPrices are a type's cheapest per-GPU on-demand and spot prices
// in one cloud, or nil when the type is not sold there.
func runpodListPrices(its []Item, cloud string) (price, spot any) {
	var p, s float64
	for _, it := range its {
		if it.Attrs["cloud"] != cloud {
			continue
		}
		if p == 0 || it.Price < p {
			p = it.Price
		}
		if it.Spot > 0 && (s == 0 || it.Spot < s) {
			s = it.Spot
		}
	}
	if p == 0 {
		return nil, nil
	}
	if s == 0 {
		return p, nil
	}
	return p, s
}

// runpodLowestPrice answers lowestPrice(input) for one GPU type: the
// cheapest matching location with enough free GPUs, else the cheapest
// matching location with stockStatus null; null when the type is not at
// any matching location.
func runpodLowestPrice(its []Item, f runpodField) (any, error) {
	in, _ := f.args["input"].(map[string]any)
	count := 1
	if v, ok := in["gpuCount"]; ok && v != nil {
		n, ok := v.(float64)
		if !ok || n < 1 || n != float64(int(n)) {
			return nil, fmt.Errorf("gpuCount must be a positive integer, got %v", v)
		}
		count = int(n)
	}
	secure, hasCloud := in["secureCloud"].(bool)
	dcID, _ := in["dataCenterId"].(string)
	country, _ := in["countryCode"].(string)
	var best, fallback *Item
	for i := range its {
		it := &its[i]
		isSecure := it.Attrs["cloud"] == "secure"
		if hasCloud && isSecure != secure {
			continue
		}
		if dcID != "" && (!isSecure || it.Region != dcID) {
			continue
		}
		if country != "" && runpodItemCountry(*it) != country {
			continue
		}
		if fallback == nil || it.Price < fallback.Price {
			fallback = it
		}
		if it.Stock >= count && (best == nil || it.Price < best.Price) {
			best = it
		}
	}
	it := best
	if it == nil {
		it = fallback
	}
	if it == nil {
		return nil, nil
	}
	var status any
	if best != nil {
		switch free := it.Stock / count; {
		case free >= 3:
			status = "High"
		case free >= 2:
			status = "Medium"
		default:
			status = "Low"
		}
	}
	var bid any
	if it.Spot > 0 {
		bid = it.Spot
	}
	compliance := []string{}
	compliance = append(compliance, splitComma(it.Attrs["compliance"])...)
	return runpodPick(f.sel, map[string]any{
		"minimumBidPrice": bid, "uninterruptablePrice": it.Price, "minVcpu": it.VCPUs * float64(count),
		"minMemory": it.RAMGB * float64(count), "stockStatus": status, "compliance": compliance,
		"countryCode": runpodItemCountry(*it), "maxUnreservedGpuCount": it.Stock, "__typename": "LowestPrice",
	}), nil
}

func runpodItemCountry(it Item) string {
	if it.Attrs["cloud"] == "secure" {
		d, _ := runpodDCByID(it.Region)
		return d.country
	}
	return it.Region
}

// runpodPick renders a selection over precomputed scalar values.
func runpodPick(sel []runpodField, vals map[string]any) map[string]any {
	out := make(map[string]any, len(sel))
	for _, f := range sel {
		out[f.key()] = vals[f.name]
	}
	return out
}

// runpodField is one field of a parsed selection set.
type runpodField struct {
	alias, name string
	args        map[string]any
	sel         []runpodField // nil for a leaf
}

func (f runpodField) key() string {
	if f.alias != "" {
		return f.alias
	}
	return f.name
}

// runpodParseQuery parses one operation: an optional "query Name($v: T ...)" header
// and a selection set. Arguments may be literals, enums, lists, objects or
// variables; fragments, directives and mutations are not understood.
func runpodParseQuery(src string, vars map[string]any) ([]runpodField, error) {
	toks, err := runpodLex(src)
	if err != nil {
		return nil, err
	}
	p := &runpodParser{toks: toks, vars: vars}
	if p.peek().text == "query" {
		p.next()
		if p.peek().kind == 'n' {
			p.next()
		}
		if p.peek().text == "(" {
			if err := p.skipVariableDefs(); err != nil {
				return nil, err
			}
		}
	} else if p.peek().kind == 'n' {
		return nil, fmt.Errorf("unsupported operation %q", p.peek().text)
	}
	sel, err := p.selectionSet(0)
	if err != nil {
		return nil, err
	}
	if p.peek().kind != 0 {
		return nil, fmt.Errorf("unexpected %q after the operation", p.peek().text)
	}
	return sel, nil
}

type runpodToken struct {
	kind byte // 'n' name, 's' string, '#' number, 'p' punctuator, 0 end
	text string
}

func runpodLex(src string) ([]runpodToken, error) {
	var toks []runpodToken
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.IndexByte("{}():[]$!=@", c) >= 0:
			toks = append(toks, runpodToken{'p', string(c)})
			i++
		case c == '.':
			return nil, fmt.Errorf("fragments are not supported")
		case c == '"':
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, fmt.Errorf("unterminated string")
			}
			var s string
			if err := json.Unmarshal([]byte(src[i:j+1]), &s); err != nil {
				return nil, fmt.Errorf("invalid string %s", src[i:j+1])
			}
			toks = append(toks, runpodToken{'s', s})
			i = j + 1
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(src) && strings.IndexByte("0123456789.eE+-", src[j]) >= 0 {
				j++
			}
			toks = append(toks, runpodToken{'#', src[i:j]})
			i = j
		case c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z'):
			j := i + 1
			for j < len(src) && (src[j] == '_' || (src[j]|0x20 >= 'a' && src[j]|0x20 <= 'z') || (src[j] >= '0' && src[j] <= '9')) {
				j++
			}
			toks = append(toks, runpodToken{'n', src[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return toks, nil
}

type runpodParser struct {
	toks []runpodToken
	pos  int
	vars map[string]any
}

func (p *runpodParser) peek() runpodToken {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return runpodToken{}
}

func (p *runpodParser) next() runpodToken {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *runpodParser) expect(text string) error {
	if t := p.next(); t.text != text || t.kind == 's' {
		return fmt.Errorf("expected %q, found %q", text, t.text)
	}
	return nil
}

// skipVariableDefs skips "($a: T, $b: [T!]! = default)"; values come from
// the request's variables.
func (p *runpodParser) skipVariableDefs() error {
	depth := 0
	for {
		t := p.next()
		switch {
		case t.kind == 0:
			return fmt.Errorf("unterminated variable definitions")
		case t.kind == 'p' && t.text == "(":
			depth++
		case t.kind == 'p' && t.text == ")":
			depth--
			if depth == 0 {
				return nil
			}
		}
	}
}

// runpodMaxDepth bounds nesting so a hostile query cannot exhaust the stack.
const runpodMaxDepth = 32

func (p *runpodParser) selectionSet(depth int) ([]runpodField, error) {
	if depth > runpodMaxDepth {
		return nil, fmt.Errorf("query nested too deeply")
	}
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	fields := []runpodField{}
	for {
		t := p.next()
		if t.kind == 'p' && t.text == "}" {
			if len(fields) == 0 {
				return nil, fmt.Errorf("empty selection set")
			}
			return fields, nil
		}
		if t.kind != 'n' {
			return nil, fmt.Errorf("expected a field name, found %q", t.text)
		}
		f := runpodField{name: t.text}
		if p.peek().text == ":" && p.peek().kind == 'p' {
			p.next()
			n := p.next()
			if n.kind != 'n' {
				return nil, fmt.Errorf("expected a field name after alias %q", t.text)
			}
			f.alias, f.name = t.text, n.text
		}
		if p.peek().text == "(" && p.peek().kind == 'p' {
			args, err := p.arguments(depth)
			if err != nil {
				return nil, err
			}
			f.args = args
		}
		if p.peek().text == "{" && p.peek().kind == 'p' {
			sel, err := p.selectionSet(depth + 1)
			if err != nil {
				return nil, err
			}
			f.sel = sel
		}
		fields = append(fields, f)
	}
}

func (p *runpodParser) arguments(depth int) (map[string]any, error) {
	p.next() // "("
	args := map[string]any{}
	for {
		t := p.next()
		if t.kind == 'p' && t.text == ")" {
			return args, nil
		}
		if t.kind != 'n' {
			return nil, fmt.Errorf("expected an argument name, found %q", t.text)
		}
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		args[t.text] = v
	}
}

// value parses a GraphQL value into JSON-like Go values (numbers as float64).
func (p *runpodParser) value(depth int) (any, error) {
	if depth > runpodMaxDepth {
		return nil, fmt.Errorf("value nested too deeply")
	}
	t := p.next()
	switch t.kind {
	case 's':
		return t.text, nil
	case '#':
		n, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("invalid number %q", t.text)
		}
		return n, nil
	case 'n':
		switch t.text {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		return t.text, nil // enum value
	case 'p':
		switch t.text {
		case "$":
			n := p.next()
			if n.kind != 'n' {
				return nil, fmt.Errorf("expected a variable name")
			}
			return p.vars[n.text], nil
		case "[":
			list := []any{}
			for p.peek().text != "]" || p.peek().kind != 'p' {
				if p.peek().kind == 0 {
					return nil, fmt.Errorf("unterminated list")
				}
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			p.next()
			return list, nil
		case "{":
			obj := map[string]any{}
			for {
				k := p.next()
				if k.kind == 'p' && k.text == "}" {
					return obj, nil
				}
				if k.kind != 'n' {
					return nil, fmt.Errorf("expected an object field name, found %q", k.text)
				}
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				v, err := p.value(depth + 1)
				if err != nil {
					return nil, err
				}
				obj[k.text] = v
			}
		}
	}
	return nil, fmt.Errorf("unexpected %q in a value", t.text)
}

// graphqlError is a message in graphql-js's own wording (capitalised, with a
// full stop), which clients match on; it is not a Go-style error string.
type graphqlError string

func (e graphqlError) Error() string { return string(e) }

func graphqlErrorf(format string, args ...any) error {
	return graphqlError(fmt.Sprintf(format, args...))
}
