package shared

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// spelling renders a catalog GPU the way one of many providers might: with
// or without the vendor and marketing words, in any case, with spaces,
// dashes or underscores, memory written in the name or only reported (in
// GB, GiB or as MiB/1024), and the form factor as the provider spells it.
func spelling(t *rapid.T, s GPUSpec) (name string, memHint float64) {
	var words []string
	if rapid.Bool().Draw(t, "vendor") {
		words = append(words, map[string][]string{
			"nvidia": {"NVIDIA", "Nvidia", "nvidia", "Tesla", "NVIDIA GeForce"},
			"amd":    {"AMD", "AMD Instinct", "Instinct"},
			"intel":  {"Intel", "Habana", "Intel Habana"},
		}[s.Vendor][rapid.IntRange(0, 2).Draw(t, "v")%3])
	}
	words = append(words, strings.Fields(s.Model)...)
	if s.FormFactor != "" {
		forms := map[string][]string{"SXM": {"SXM", "SXM4", "SXM5", "HGX"}, "PCIe": {"PCIe", "PCIE", "pcie"}, "NVL": {"NVL"}, "OAM": {"OAM"}}[s.FormFactor]
		words = append(words, rapid.SampledFrom(forms).Draw(t, "form"))
	}
	switch rapid.IntRange(0, 3).Draw(t, "memStyle") {
	case 0:
		words = append(words, fmt.Sprintf("%dGB", s.MemoryGB))
	case 1:
		words = append(words, fmt.Sprintf("%d GB", s.MemoryGB))
	case 2:
		memHint = float64(s.MemoryGB) * rapid.Float64Range(0.96, 1.0).Draw(t, "mibRatio") // MiB/1024 or GiB slightly under
	default:
		memHint = float64(s.MemoryGB)
	}
	sep := rapid.SampledFrom([]string{" ", "-", "_"}).Draw(t, "sep")
	name = strings.Join(words, sep)
	switch rapid.IntRange(0, 2).Draw(t, "case") {
	case 1:
		name = strings.ToUpper(name)
	case 2:
		name = strings.ToLower(name)
	}
	return name, memHint
}

// Any two providers' spellings of the same physical GPU resolve to the same
// canonical identity: the cross-provider identity property of issue 4.
func TestPropertySameGPUSameIdentity(t *testing.T) {
	specs := Catalog()
	rapid.Check(t, func(t *rapid.T) {
		s := specs[rapid.IntRange(0, len(specs)-1).Draw(t, "spec")]
		a, ma := spelling(t, s)
		b, mb := spelling(t, s)
		ga, oka := LookupGPU(a, ma)
		gb, okb := LookupGPU(b, mb)
		if !oka || !okb || ga.ID != s.ID || gb.ID != s.ID {
			t.Fatalf("%s spelled %q (hint %v) -> %s, %q (hint %v) -> %s", s.ID, a, ma, ga.ID, b, mb, gb.ID)
		}
	})
}
