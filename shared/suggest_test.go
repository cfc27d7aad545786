package shared

import (
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// checkSuggestions compares got with the names want must start with, and
// with names that must be among the suggestions; an empty want with no
// also means no suggestion at all.
func checkSuggestions(t *testing.T, what string, got, want, also []string) {
	t.Helper()
	if len(want) == 0 && len(also) == 0 && len(got) != 0 {
		t.Errorf("%s = %q, want no suggestion", what, got)
		return
	}
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("%s = %q, want it to start with %q", what, got, want)
	}
	for _, a := range also {
		if !slices.Contains(got, a) {
			t.Errorf("%s = %q, want %q among them", what, got, a)
		}
	}
}

func TestGPUQueryKnown(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"H100", true},
		{"nvidia h100 sxm 80gb", true},
		{"nvidia-h100-sxm-80gb", true},
		{"RTX 4090", true},
		{"4090", true},
		{"A100-40GB", true},
		{"A100 20GB", false}, // the model exists, no variant with that memory
		{"H100 OAM", false},
		{"Z9000", false},
		{"acme tensor x9", false}, // may still be listed; the caller checks offers
	}
	for _, tc := range tests {
		q, _ := ParseGPUQuery(tc.q)
		if got := q.Known(); got != tc.want {
			t.Errorf("ParseGPUQuery(%q).Known() = %v, want %v", tc.q, got, tc.want)
		}
	}
	if (GPUQuery{}).Known() {
		t.Error("the zero GPUQuery is known")
	}
}

func TestSuggestGPUs(t *testing.T) {
	tests := []struct {
		q          string
		n          int
		want, also []string
	}{
		{"H10", 3, []string{"H100"}, []string{"H200"}},
		{"h10 80gb", 3, []string{"H100"}, []string{"H200"}},
		{"a1000", 3, []string{"A100"}, nil},
		{"rtx409", 3, []string{"RTX 4090", "RTX 4090D"}, nil},
		{"NVIDIA GeForce RTX 409", 1, []string{"RTX 4090"}, nil},
		{"4090", 1, []string{"RTX 4090"}, nil},
		{"mi300", 2, []string{"MI300A", "MI300X"}, nil},
		{"radeon pro w790", 1, []string{"Radeon PRO W7900"}, nil},
		{"gaudi", 3, []string{"Gaudi", "Gaudi 2", "Gaudi 3"}, nil},
		{"l40x", 2, []string{"L40", "L40S"}, nil},
		{"t5", 3, []string{"T4"}, nil},
		{"H100", 1, []string{"H100"}, nil},
		{"Z9000", 5, nil, nil},
		{"acme tensor x9", 5, nil, nil},
		{"X", 5, nil, nil},
		{"NVIDIA", 5, nil, nil}, // only a vendor word: no model key
		{"", 5, nil, nil},
		{"H10", 0, nil, nil},
		{"H10", -1, nil, nil},
	}
	for _, tc := range tests {
		got := SuggestGPUs(tc.q, tc.n)
		checkSuggestions(t, "SuggestGPUs("+tc.q+")", got, tc.want, tc.also)
		if len(got) > max(tc.n, 0) {
			t.Errorf("SuggestGPUs(%q, %d) = %q: more than n", tc.q, tc.n, got)
		}
	}
}

func TestKnownRegion(t *testing.T) {
	known := []string{"us-east", "US-EAST", "eu-central", "oceania", "ca-west", "us", "eu", "ap", "me",
		"DE", "de", "GB", "EU", "na", "OC"}
	unknown := []string{"", "mars", "uk", "u", "us-", "-east", "east", "us-east-1", "eastus", " us-east", "XX", "europe"}
	for _, r := range known {
		if !KnownRegion(r) {
			t.Errorf("KnownRegion(%q) = false", r)
		}
	}
	for _, r := range unknown {
		if KnownRegion(r) {
			t.Errorf("KnownRegion(%q) = true", r)
		}
	}
	for _, r := range regionValues {
		if !KnownRegion(r) {
			t.Errorf("suggested region value %q is not known", r)
		}
	}
}

func TestSuggestRegions(t *testing.T) {
	tests := []struct {
		r          string
		extra      []string
		want, also []string
	}{
		{"eu-wst", nil, []string{"eu-west"}, nil},
		{"EU-WST", nil, []string{"eu-west"}, nil},
		{"us-est", nil, []string{"us-east"}, nil},
		{"apnortheast", nil, []string{"ap-northeast"}, nil},
		{"ap-south-east", nil, []string{"ap-southeast"}, nil},
		{"oceana", nil, []string{"oceania"}, nil},
		{"dx", nil, []string{"DE", "DK"}, nil},
		{"us-east-2", []string{"us-east-1", "eastus"}, nil, []string{"us-east", "us-east-1"}},
		{"eastu", []string{"eastus", "westus"}, []string{"eastus"}, nil},
		{"mars", nil, nil, nil},
		{"mars", []string{"us-east-1", "eastus"}, nil, nil},
		{"xx", nil, nil, nil},
		{"--", nil, nil, nil},
	}
	for _, tc := range tests {
		checkSuggestions(t, "SuggestRegions("+tc.r+")", SuggestRegions(tc.r, 3, tc.extra...), tc.want, tc.also)
	}
}

func TestKnownComplianceTags(t *testing.T) {
	want := []string{"fedramp", "gdpr", "hipaa", "iso27001", "pci-dss", "soc2"}
	got := KnownComplianceTags()
	if !slices.Equal(got, want) {
		t.Fatalf("KnownComplianceTags() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if KnownComplianceTags()[0] != "fedramp" {
		t.Fatal("KnownComplianceTags shares its slice with callers")
	}
	for _, tag := range []string{"soc2", "SOC2", "Pci-Dss", "gdpr"} {
		if !KnownComplianceTag(tag) {
			t.Errorf("KnownComplianceTag(%q) = false", tag)
		}
	}
	for _, tag := range []string{"", "soc", "soc 2", "pci dss", "xyz", " gdpr"} {
		if KnownComplianceTag(tag) {
			t.Errorf("KnownComplianceTag(%q) = true", tag)
		}
	}
}

func TestSuggestComplianceTags(t *testing.T) {
	tests := []struct{ tag, want string }{
		{"soc", "soc2"},
		{"SOC-2", "soc2"},
		{"pci dss", "pci-dss"},
		{"hippa", "hipaa"},
		{"gdrp", "gdpr"},
		{"iso27k", "iso27001"},
		{"fedrap", "fedramp"},
		{"xyz", ""},
		{"hitrust", ""},
	}
	for _, tc := range tests {
		var want []string
		if tc.want != "" {
			want = []string{tc.want}
		}
		checkSuggestions(t, "SuggestComplianceTags("+tc.tag+")", SuggestComplianceTags(tc.tag, 3), want, nil)
	}
}

func TestSuggestFrom(t *testing.T) {
	tests := []struct {
		q     string
		cands []string
		n     int
		want  []string
	}{
		// ties by name; a prefix match before a closer non-prefix one
		{"ab", []string{"abd", "abc", "xb"}, 5, []string{"abc", "abd"}},
		{"abcd", []string{"abcx", "abcdefg"}, 5, []string{"abcdefg", "abcx"}},
		// spelled alike: suggested once, by the first name
		{"eu-wst", []string{"eu-west", "EU-WEST", "euwest", "eu-west"}, 5, []string{"EU-WEST"}},
		// an adjacent swap is one edit
		{"hpiaa", []string{"hipaa"}, 5, []string{"hipaa"}},
		{"Ünïcödé", []string{"ÜNÏCÖDE"}, 5, []string{"ÜNÏCÖDE"}},
		{"abc", []string{"", "--", "abc"}, 5, []string{"abc"}},
		{"abc", []string{"abd", "abe"}, 1, []string{"abd"}},
		{"abc", nil, 5, nil},
		{"", []string{"abc"}, 5, nil},
		{"--", []string{"abc"}, 5, nil},
		{"abc", []string{"abc"}, 0, nil},
	}
	for _, tc := range tests {
		if got := SuggestFrom(tc.q, tc.cands, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("SuggestFrom(%q, %q, %d) = %q, want %q", tc.q, tc.cands, tc.n, got, tc.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"ab", "ba", 1}, {"abcd", "acbd", 1}, {"ca", "abc", 3}, {"h10", "h200", 2},
	}
	for _, tc := range tests {
		if got := editDistance([]rune(tc.a), []rune(tc.b)); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := editDistance([]rune(tc.b), []rune(tc.a)); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.want)
		}
	}
}

// Every catalog model name, however a user cases and separates it, is a
// known query and suggests itself first; and any beginning of its key
// still suggests it.
func TestPropertyModelNamesSuggestThemselves(t *testing.T) {
	models := catalogModels()
	rapid.Check(t, func(t *rapid.T) {
		model := rapid.SampledFrom(models).Draw(t, "model")
		typed := strings.Join(strings.Fields(model), rapid.SampledFrom([]string{" ", "-", "_"}).Draw(t, "sep"))
		switch rapid.IntRange(0, 2).Draw(t, "case") {
		case 1:
			typed = strings.ToLower(typed)
		case 2:
			typed = strings.ToUpper(typed)
		}
		q, ok := ParseGPUQuery(typed)
		if !ok || !q.Known() {
			t.Fatalf("%q (model %q) is not a known query", typed, model)
		}
		if got := SuggestGPUs(typed, 3); len(got) == 0 || got[0] != model {
			t.Fatalf("SuggestGPUs(%q) = %q, want %q first", typed, got, model)
		}
		key := gpuKey(model)
		begin := key[:rapid.IntRange(1, len(key)).Draw(t, "cut")]
		if gpuKey(begin) != begin {
			t.Skip("the beginning tokenizes differently (a vendor or memory word)")
		}
		if got := SuggestGPUs(begin, len(models)); !slices.Contains(got, model) {
			t.Fatalf("SuggestGPUs(%q) = %q, want %q among them", begin, got, model)
		}
	})
}

func catalogModels() []string {
	var models []string
	for _, s := range Catalog() {
		if !slices.Contains(models, s.Model) {
			models = append(models, s.Model)
		}
	}
	return models
}

// Suggestions read request input: they must not panic, must only propose
// candidates, at most n of them, once each, and the same ones every time
// whatever the order of the candidates.
func FuzzSuggest(f *testing.F) {
	f.Add("H10", "H100,H200,A10", 3)
	f.Add("eu-wst", "eu-west,EU-WEST,us-east-1", 2)
	f.Add("rtx409", "", 5)
	f.Add("Ünïcödé\xff", "ÜNÏCÖDE,,--", 1)
	f.Add("", "a", -1)
	f.Fuzz(func(t *testing.T, q, list string, n int) {
		cands := strings.Split(list, ",")
		got := SuggestFrom(q, cands, n)
		checkSubset(t, "SuggestFrom", got, cands, n)
		if again := SuggestFrom(q, cands, n); !slices.Equal(got, again) {
			t.Fatalf("SuggestFrom(%q) = %q, then %q", q, got, again)
		}
		reversed := slices.Clone(cands)
		slices.Reverse(reversed)
		if other := SuggestFrom(q, reversed, n); !slices.Equal(got, other) {
			t.Fatalf("SuggestFrom(%q) = %q, reversed candidates %q", q, got, other)
		}

		gpus := SuggestGPUs(q, n)
		checkSubset(t, "SuggestGPUs", gpus, catalogModels(), n)
		if again := SuggestGPUs(q, n); !slices.Equal(gpus, again) {
			t.Fatalf("SuggestGPUs(%q) = %q, then %q", q, gpus, again)
		}
		checkSubset(t, "SuggestRegions", SuggestRegions(q, n, cands...), slices.Concat(regionValues, cands), n)
		checkSubset(t, "SuggestComplianceTags", SuggestComplianceTags(q, n), complianceTags, n)
		if g, ok := ParseGPUQuery(q); ok {
			g.Known()
		}
		KnownRegion(q)
		KnownComplianceTag(q)
	})
}

func checkSubset(t *testing.T, what string, got, cands []string, n int) {
	t.Helper()
	if len(got) > max(n, 0) {
		t.Fatalf("%s: %d suggestions for n=%d", what, len(got), n)
	}
	for i, s := range got {
		if !slices.Contains(cands, s) {
			t.Fatalf("%s suggested %q, not a candidate", what, s)
		}
		if slices.Contains(got[:i], s) {
			t.Fatalf("%s suggested %q twice", what, s)
		}
	}
}

// The suggestions run once per rejected request; this keeps their cost in
// view (a few hundred provider region codes is a large deployment).
func BenchmarkSuggest(b *testing.B) {
	var codes []string
	for _, r := range regionValues {
		codes = append(codes, strings.ToLower(r)+"-1", strings.ToLower(r)+"-2")
	}
	b.Run("gpu", func(b *testing.B) {
		for b.Loop() {
			SuggestGPUs("NVIDIA GeForce RTX 409", 3)
		}
	})
	b.Run("region", func(b *testing.B) {
		for b.Loop() {
			SuggestRegions("europe-west4", 3, codes...)
		}
	})
}
