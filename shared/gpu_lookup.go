package shared

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// noiseWords are dropped before matching: vendor and marketing words that
// providers add or omit inconsistently ("NVIDIA GeForce RTX 4090" = "RTX 4090").
var noiseWords = map[string]bool{
	"NVIDIA": true, "TESLA": true, "GEFORCE": true, "QUADRO": true, "Q": true, "AMD": true,
	"INSTINCT": true, "RADEON": true, "INTEL": true, "HABANA": true, "GPU": true,
	"GPUS": true, "EDITION": true, "GENERATION": true, "BLACKWELL": true,
	"SERVER": true, "WORKSTATION": true, "SFF": true, "HOPPER": true, "AMPERE": true,
	"DATACENTER": true, "CENTER": true, "DATA": true,
}

// formWords map interconnect tokens to a canonical form factor.
var formWords = map[string]string{
	"SXM": "SXM", "SXM2": "SXM", "SXM3": "SXM", "SXM4": "SXM", "SXM5": "SXM", "SXM6": "SXM", "HGX": "SXM", "DGX": "SXM",
	"PCIE": "PCIe", "PCI": "PCIe", "PCIEX16": "PCIe", "FHHL": "PCIe",
	"NVL": "NVL", "OAM": "OAM",
}

// memTypeWords name the memory technology; for the H100 they also tell the
// form factor apart (SXM uses HBM3, PCIe uses HBM2e).
var memTypeWords = map[string]bool{
	"HBM": true, "HBM2": true, "HBM2E": true, "HBM3": true, "HBM3E": true,
	"GDDR5": true, "GDDR6": true, "GDDR6X": true, "GDDR7": true,
}

type gpuTokens struct {
	modelTokens []string
	form        string
	memGB       float64
	memType     string
}

// tokenizeGPU splits a provider GPU name into model tokens and hints.
func tokenizeGPU(s string) gpuTokens {
	var t gpuTokens
	raw := strings.FieldsFunc(strings.ToUpper(s), func(r rune) bool {
		return (r < 'A' || r > 'Z') && (r < '0' || r > '9')
	})
	for i := 0; i < len(raw); i++ {
		w := raw[i]
		switch {
		case noiseWords[w]:
			continue
		case formWords[w] != "":
			t.form = formWords[w]
			continue
		case memTypeWords[w]:
			t.memType = w
			continue
		case w == "GB" || w == "G" || w == "GIB":
			continue
		}
		if gb, ok := memoryToken(w); ok {
			t.memGB = gb
			continue
		}
		// "80 GB": a bare number followed by a unit is memory, not model.
		if i+1 < len(raw) && (raw[i+1] == "GB" || raw[i+1] == "GIB" || raw[i+1] == "G") {
			if n, err := strconv.Atoi(w); err == nil && n > 0 && n <= 1024 {
				t.memGB = float64(n)
				i++
				continue
			}
		}
		t.modelTokens = append(t.modelTokens, w)
	}
	return t
}

// memoryToken recognises "80GB", "80G", "24GIB".
func memoryToken(w string) (float64, bool) {
	for _, suf := range []string{"GIB", "GB", "G"} {
		if strings.HasSuffix(w, suf) && len(w) > len(suf) {
			n, err := strconv.Atoi(w[:len(w)-len(suf)])
			if err == nil && n > 0 && n <= 1024 {
				return float64(n), true
			}
		}
	}
	return 0, false
}

// gpuKey is the normalized model key of a name: its model tokens joined.
func gpuKey(s string) string {
	return strings.Join(tokenizeGPU(s).modelTokens, "")
}

var (
	catalogByKey = map[string][]*GPUSpec{}
	catalogByID  = map[string]*GPUSpec{}
	// keysByID lists every model key that names a spec, for query matching.
	keysByID = map[string]map[string]bool{}
)

func init() {
	for i := range catalogEntries {
		s := &catalogEntries[i]
		s.ID = specID(s)
		s.Name = specName(s)
		keys := map[string]bool{gpuKey(s.Model): true}
		for _, k := range s.Keys {
			keys[gpuKey(k)] = true
		}
		if _, dup := catalogByID[s.ID]; dup {
			panic("gpu catalog: duplicate id " + s.ID)
		}
		catalogByID[s.ID] = s
		keysByID[s.ID] = keys
		for k := range keys {
			catalogByKey[k] = append(catalogByKey[k], s)
		}
	}
}

func specID(s *GPUSpec) string {
	parts := []string{s.Vendor}
	parts = append(parts, strings.Fields(strings.ToLower(s.Model))...)
	if s.FormFactor != "" {
		parts = append(parts, strings.ToLower(s.FormFactor))
	}
	parts = append(parts, strconv.Itoa(s.MemoryGB)+"gb")
	return strings.Join(parts, "-")
}

func specName(s *GPUSpec) string {
	vendor := map[string]string{"nvidia": "NVIDIA", "amd": "AMD", "intel": "Intel"}[s.Vendor]
	name := vendor + " " + s.Model
	if s.FormFactor != "" {
		name += " " + s.FormFactor
	}
	return name + " " + strconv.Itoa(s.MemoryGB) + "GB"
}

// Catalog returns a copy of every known GPU spec.
func Catalog() []GPUSpec {
	out := make([]GPUSpec, len(catalogEntries))
	copy(out, catalogEntries)
	return out
}

// GPUByID returns the catalog spec with that canonical id.
func GPUByID(id string) (GPUSpec, bool) {
	s, ok := catalogByID[id]
	if !ok {
		return GPUSpec{}, false
	}
	return *s, true
}

// LookupGPU maps a provider's GPU name (and the per-GPU memory it reports, in
// GB, or 0 when unknown) to a canonical spec. Memory written into the name
// ("A100 80GB") wins over the hint. Names that match no catalog entry yield
// an "unknown-…" spec carrying the cleaned name and reported memory, and
// known=false; callers keep such offers rather than drop them.
func LookupGPU(name string, memoryGBHint float64) (spec GPUSpec, known bool) {
	t := tokenizeGPU(name)
	mem := t.memGB
	if mem == 0 {
		mem = memoryGBHint
	}
	var cands []*GPUSpec
	// Retry with trailing tokens dropped: "H100 80GB HBM3 NVLINK" still names an H100.
	for n := len(t.modelTokens); n > 0 && cands == nil; n-- {
		cands = catalogByKey[strings.Join(t.modelTokens[:n], "")]
	}
	if len(cands) == 0 {
		return unknownSpec(name, t, mem), false
	}
	form := t.form
	if form == "" && cands[0].Model == "H100" {
		switch t.memType {
		case "HBM3":
			form = "SXM"
		case "HBM2E":
			form = "PCIe"
		}
	}
	if form != "" {
		var same []*GPUSpec
		for _, c := range cands {
			if c.FormFactor == form {
				same = append(same, c)
			}
		}
		if len(same) > 0 {
			cands = same
		}
	}
	best := cands[0]
	for _, c := range cands[1:] {
		if better(c, best, mem) {
			best = c
		}
	}
	return *best, true
}

// better reports whether c fits the reported memory better than b, falling
// back to the catalog default when memory is unknown or equally close.
func better(c, b *GPUSpec, mem float64) bool {
	if mem > 0 {
		dc, db := math.Abs(float64(c.MemoryGB)-mem), math.Abs(float64(b.MemoryGB)-mem)
		if dc != db {
			return dc < db
		}
	}
	return c.Default && !b.Default
}

func unknownSpec(name string, t gpuTokens, mem float64) GPUSpec {
	model := strings.Join(t.modelTokens, " ")
	if model == "" {
		model = "UNKNOWN"
	}
	vendor := "unknown"
	up := strings.ToUpper(name)
	switch {
	case strings.Contains(up, "NVIDIA") || strings.Contains(up, "RTX") || strings.Contains(up, "GTX") || strings.Contains(up, "TESLA"):
		vendor = "nvidia"
	case strings.Contains(up, "AMD") || strings.Contains(up, "RADEON") || strings.Contains(up, "INSTINCT"):
		vendor = "amd"
	case strings.Contains(up, "INTEL") || strings.Contains(up, "GAUDI"):
		vendor = "intel"
	}
	memGB := int(math.Round(mem))
	s := GPUSpec{Vendor: vendor, Model: model, FormFactor: t.form, MemoryGB: memGB}
	s.ID = "unknown-" + strings.ToLower(strings.Join(t.modelTokens, "-"))
	if memGB > 0 {
		s.ID += "-" + strconv.Itoa(memGB) + "gb"
	}
	s.Name = strings.TrimSpace(name)
	return s
}

// GPUQuery is a parsed "gpu" filter: a model key plus optional form factor
// and memory, so "H100", "h100 nvl", "A100 80GB" and a canonical id such as
// "nvidia-a100-sxm-80gb" are all accepted. The catalog entries it names are
// resolved once, so matching an offer is one map lookup.
type GPUQuery struct {
	raw   string
	key   string
	form  string
	memGB float64
	ids   map[string]bool // catalog ids the query names
}

// ParseGPUQuery parses a gpu filter value; ok is false when it names nothing.
func ParseGPUQuery(q string) (GPUQuery, bool) {
	t := tokenizeGPU(q)
	k := strings.Join(t.modelTokens, "")
	if k == "" {
		return GPUQuery{}, false
	}
	g := GPUQuery{raw: q, key: k, form: t.form, memGB: t.memGB, ids: map[string]bool{}}
	for _, s := range catalogByKey[k] {
		if g.fits(s.FormFactor, s.MemoryGB) {
			g.ids[s.ID] = true
		}
	}
	return g, true
}

// String returns the query as given.
func (q GPUQuery) String() string { return q.raw }

func (q GPUQuery) fits(form string, memGB int) bool {
	if q.form != "" && !strings.EqualFold(q.form, form) {
		return false
	}
	return q.memGB == 0 || math.Abs(float64(memGB)-q.memGB) <= q.memGB*0.07
}

// Matches reports whether an offer's GPU is what the query names.
func (q GPUQuery) Matches(o *Offer) bool {
	if q.ids[o.GPUID] {
		return true
	}
	rest, unknown := strings.CutPrefix(o.GPUID, "unknown-")
	return unknown && q.fits(o.GPUFormFactor, o.GPUMemoryGB) && unknownKeyIs(rest, q.key)
}

// unknownKeyIs compares the model part of an unknown GPU id
// ("acme-tensor-x9-40gb" without "unknown-") with a model key
// ("ACMETENSORX9") without allocating: dashes are skipped, case ignored, and
// a trailing "-<n>gb" memory suffix is not part of the model.
func unknownKeyIs(id, key string) bool {
	if i := strings.LastIndexByte(id, '-'); i >= 0 && strings.HasSuffix(id, "gb") {
		if _, err := strconv.Atoi(id[i+1 : len(id)-2]); err == nil {
			id = id[:i]
		}
	}
	j := 0
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c == '-' {
			continue
		}
		if j >= len(key) || upper(c) != key[j] {
			return false
		}
		j++
	}
	return j == len(key)
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// IDs returns the catalog GPU ids the query names, sorted: what an index
// keyed by canonical id looks up. Models outside the catalog have none.
func (q GPUQuery) IDs() []string {
	return slices.Sorted(maps.Keys(q.ids))
}
