package alerts

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gpubroker/gpubroker/shared"
	"github.com/gpubroker/gpubroker/shared/store"
)

func price(p float64) *float64 { return &p }

func alert(id, gpu string, max float64, region, provider string) store.Alert {
	return store.Alert{ID: id, UserID: "u-" + id, GPUType: gpu, MaxPrice: max, Region: region, Provider: provider,
		CreatedAt: time.Unix(int64(len(id)), 0)}
}

func h100(offer string, p *float64) Change {
	return Change{OfferID: offer, Provider: "vastai", GPU: "nvidia-h100-sxm-80gb", Region: "us-east", ProviderRegion: "us-east-1",
		Country: "US", NewPrice: p}
}

func ids(fs []Fire) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Alert.ID+"@"+f.OfferID)
	}
	return strings.Join(out, ",")
}

// The seeds' alert semantics, step by step: at or below the max fires once
// per alert and offer; staying below does not fire again; rising above
// re-arms; going away re-arms; provider and region narrow it; another GPU
// never reaches it.
func TestEvaluate(t *testing.T) {
	x := NewIndex()
	for _, a := range []store.Alert{
		alert("a", "H100 SXM", 2.0, "", ""),
		alert("bb", "H100", 2.5, "us", "vastai"),
		alert("ccc", "nvidia-h100-sxm-80gb", 3.0, "EU", ""),
		alert("dddd", "H100 SXM", 2.0, "us-east-1", "runpod"),
		alert("eeeee", "A100", 9.0, "", ""),
	} {
		if err := x.Put(a); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []struct {
		name string
		c    Change
		want string
	}{
		{"above every max", h100("o1", price(3.5)), ""},
		{"under bb's", h100("o1", price(2.4)), "bb@o1"},
		{"still under: no repeat", h100("o1", price(2.3)), ""},
		{"exactly a's max", h100("o1", price(2.0)), "a@o1"},
		{"another offer fires on its own", h100("o2", price(1.0)), "a@o2,bb@o2"},
		{"o1 above both: re-armed", h100("o1", price(2.6)), ""},
		{"o1 under again: fires again", h100("o1", price(1.9)), "a@o1,bb@o1"},
		{"o2 goes away: re-armed", h100("o2", nil), ""},
		{"o2 back under", h100("o2", price(1.5)), "a@o2,bb@o2"},
		{"region EU (Germany)", Change{OfferID: "o3", Provider: "aws", GPU: "nvidia-h100-sxm-80gb", Region: "eu-central", Country: "DE", NewPrice: price(2.9)}, "ccc@o3"},
		{"provider code region at runpod", Change{OfferID: "o4", Provider: "runpod", GPU: "nvidia-h100-sxm-80gb", Region: "us-east", ProviderRegion: "US-EAST-1", Country: "US", NewPrice: price(1.0)}, "a@o4,dddd@o4"},
		{"an A100 change reaches only A100 alerts", Change{OfferID: "o5", Provider: "aws", GPU: "nvidia-a100-sxm-80gb", Region: "us-east", Country: "US", NewPrice: price(5)}, "eeeee@o5"},
	} {
		if fired, _ := x.Evaluate(step.c); ids(fired) != step.want {
			t.Errorf("%s: fired %q, want %q", step.name, ids(fired), step.want)
		}
	}
	if _, rearmed := x.Evaluate(h100("o2", price(9))); strings.Join(rearmed, ",") != "a,bb" {
		t.Errorf("o2 above every max re-armed %v, want a,bb", rearmed)
	}
	x.Remove("a")
	if fired, _ := x.Evaluate(h100("o6", price(0.5))); ids(fired) != "bb@o6" {
		t.Errorf("after removing a: %q", ids(fired))
	}
	if err := x.Put(alert("z", "acme tensor x9", 1, "", "")); err == nil {
		t.Error("an alert on no catalog model was indexed")
	}
	if x.Len() != 4 {
		t.Errorf("len %d", x.Len())
	}
}

// reference is the brute-force model the index must agree with: every
// alert checked against every change.
type reference struct {
	alerts []store.Alert
	fired  map[[2]string]bool
}

func (r *reference) evaluate(c Change) []string {
	var out []string
	for _, a := range r.alerts {
		q, _ := shared.ParseGPUQuery(a.GPUType)
		if !slices.Contains(q.IDs(), c.GPU) || a.Provider != "" && a.Provider != c.Provider {
			continue
		}
		if a.Region != "" {
			k, known := shared.RegionKey(a.Region)
			if known && !slices.Contains(shared.RegionKeys(c.Region, c.Country), k) ||
				!known && !strings.EqualFold(a.Region, c.ProviderRegion) && !strings.EqualFold(a.Region, c.Region) {
				continue
			}
		}
		key := [2]string{a.ID, c.OfferID}
		if c.NewPrice != nil && *c.NewPrice <= a.MaxPrice {
			if !r.fired[key] {
				r.fired[key] = true
				out = append(out, a.ID+"@"+c.OfferID)
			}
		} else {
			delete(r.fired, key)
		}
	}
	return out
}

// Over random alerts and random price sequences, the index fires exactly
// what checking every alert would.
func TestIndexMatchesBruteForce(t *testing.T) {
	gpus := []string{"H100", "H100 SXM", "A100", "RTX 4090", "L40S"}
	regions := []string{"", "us", "us-east", "EU", "DE", "eu-central", "us-east-1", "ap"}
	providers := []string{"", "vastai", "aws"}
	places := [][3]string{{"us-east", "US", "us-east-1"}, {"eu-central", "DE", "eu-central-1"}, {"ap-northeast", "JP", "ap-northeast-1"}}
	rapid.Check(t, func(t *rapid.T) {
		x, ref := NewIndex(), &reference{fired: map[[2]string]bool{}}
		n := rapid.IntRange(1, 40).Draw(t, "alerts")
		for i := range n {
			a := store.Alert{ID: fmt.Sprint("a", i), GPUType: rapid.SampledFrom(gpus).Draw(t, "gpu"),
				MaxPrice: float64(rapid.IntRange(1, 40).Draw(t, "max")) / 10, Region: rapid.SampledFrom(regions).Draw(t, "region"),
				Provider: rapid.SampledFrom(providers).Draw(t, "provider"), CreatedAt: time.Unix(int64(i), 0)}
			if err := x.Put(a); err != nil {
				t.Fatal(err)
			}
			ref.alerts = append(ref.alerts, a)
		}
		catalog := []string{"nvidia-h100-sxm-80gb", "nvidia-h100-pcie-80gb", "nvidia-a100-sxm-80gb", "nvidia-rtx-4090-24gb"}
		for range rapid.IntRange(1, 100).Draw(t, "changes") {
			pl := rapid.SampledFrom(places).Draw(t, "place")
			c := Change{OfferID: fmt.Sprint("o", rapid.IntRange(0, 5).Draw(t, "offer")), GPU: rapid.SampledFrom(catalog).Draw(t, "gpu"),
				Provider: rapid.SampledFrom(providers[1:]).Draw(t, "provider"), Region: pl[0], Country: pl[1], ProviderRegion: pl[2]}
			if !rapid.Bool().Draw(t, "gone") {
				c.NewPrice = price(float64(rapid.IntRange(1, 40).Draw(t, "price")) / 10)
			}
			fired, _ := x.Evaluate(c)
			got, want := ids(fired), strings.Join(ref.evaluate(c), ",")
			if got != want {
				t.Fatalf("change %+v: index fired %q, brute force %q", c, got, want)
			}
		}
	})
}

// BenchmarkEvaluate100k: one price change evaluated against 100,000 stored
// alerts spread over the catalog (scripts: go test -bench Evaluate ./alerts).
func BenchmarkEvaluate100k(b *testing.B) {
	x := NewIndex()
	models := []string{"H100 SXM", "H100 PCIe", "A100 SXM", "A100 PCIe", "L40S", "RTX 4090", "RTX 3090", "A10", "L4", "T4",
		"V100", "A6000", "H200", "B200", "MI300X", "A40", "RTX 6000 Ada", "GH200", "L40", "A800"}
	for i := range 100000 {
		a := store.Alert{ID: fmt.Sprint("a", i), GPUType: models[i%len(models)], MaxPrice: float64(i%400) / 100,
			Region: []string{"", "us", "EU", "us-east"}[i%4], CreatedAt: time.Unix(int64(i), 0)}
		if err := x.Put(a); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		p := 1.0 + float64(i%2) // alternately under and over many maxes: fires and re-arms
		x.Evaluate(Change{OfferID: "o", Provider: "vastai", GPU: "nvidia-h100-sxm-80gb", Region: "us-east", Country: "US", NewPrice: &p})
	}
}
