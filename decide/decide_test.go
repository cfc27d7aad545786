package decide

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"testing"

	"pgregory.net/rapid"
)

func matrix(rows [][]float64) []Alternative {
	alts := make([]Alternative, len(rows))
	for i, r := range rows {
		v := map[string]float64{}
		for j, x := range r {
			v[fmt.Sprint("c", j)] = x
		}
		alts[i] = Alternative{ID: fmt.Sprint("a", i+1), Values: v}
	}
	return alts
}

func crit(weights []float64, dirs ...Direction) []Criterion {
	cs := make([]Criterion, len(weights))
	for j, w := range weights {
		d := Maximize
		if j < len(dirs) {
			d = dirs[j]
		}
		cs[j] = Criterion{Name: fmt.Sprint("c", j), Weight: w, Direction: d}
	}
	return cs
}

func scores(rs []Result) map[string]float64 {
	m := map[string]float64{}
	for _, r := range rs {
		m[r.ID] = r.Score
	}
	return m
}

// Published worked examples: closeness coefficients to 4 decimals.
func TestTOPSISWorkedExamples(t *testing.T) {
	cases := []struct {
		name    string
		rows    [][]float64
		weights []float64
		dirs    []Direction
		want    map[string]float64
	}{
		{"all benefit criteria", [][]float64{{9, 7, 6, 7}, {8, 7, 9, 6}, {7, 8, 6, 6}}, []float64{4, 2, 6, 8}, nil,
			map[string]float64{"a1": 0.3877, "a2": 0.6503, "a3": 0.0835}},
		// The common five-phone example: price a cost; storage, camera and
		// looks benefits; equal weights. Reference closeness computed
		// independently with the textbook formula (a separate script).
		{"a cost criterion", [][]float64{{250, 16, 12, 5}, {200, 16, 8, 3}, {300, 32, 16, 4}, {275, 32, 8, 4}, {225, 16, 16, 2}},
			[]float64{0.25, 0.25, 0.25, 0.25}, []Direction{Minimize, Maximize, Maximize, Maximize},
			map[string]float64{"a1": 0.5343, "a2": 0.3084, "a3": 0.6916, "a4": 0.5347, "a5": 0.4010}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs, err := TOPSIS(crit(c.weights, c.dirs...), matrix(c.rows))
			if err != nil {
				t.Fatal(err)
			}
			got := scores(rs)
			for id, w := range c.want {
				if math.Abs(got[id]-w) > 5e-5 {
					t.Errorf("%s: closeness %.5f, want %.4f", id, got[id], w)
				}
			}
			for i := 1; i < len(rs); i++ {
				if rs[i].Score > rs[i-1].Score || rs[i].Rank != i+1 {
					t.Fatalf("not best first: %+v", rs)
				}
			}
		})
	}
}

// Degenerate inputs have defined answers or are refused: never a panic
// or a NaN.
func TestEdgeCases(t *testing.T) {
	one := matrix([][]float64{{3, 4}})
	if rs, err := TOPSIS(crit([]float64{1, 1}), one); err != nil || rs[0].Score != 1 {
		t.Fatalf("a single alternative: %+v %v", rs, err)
	}
	same := matrix([][]float64{{0, 2}, {0, 2}})
	for name, f := range map[string]func([]Criterion, []Alternative) ([]Result, error){"topsis": TOPSIS, "weighted_sum": WeightedSum} {
		rs, err := f(crit([]float64{1, 1}), same)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if math.IsNaN(r.Score) || r.Score != 1 {
				t.Fatalf("%s on equal alternatives with a zero column: %+v", name, rs)
			}
		}
	}
	bad := []struct {
		name string
		c    []Criterion
		a    []Alternative
	}{
		{"no weight", crit([]float64{0, 0}), same},
		{"negative weight", crit([]float64{-1, 2}), same},
		{"NaN weight", crit([]float64{math.NaN(), 1}), same},
		{"Inf weight", crit([]float64{math.Inf(1), 1}), same},
		{"missing value", crit([]float64{1, 1, 1}), same},
		{"NaN value", crit([]float64{1}), matrix([][]float64{{math.NaN()}})},
		{"no alternatives", crit([]float64{1}), nil},
		{"bad direction", []Criterion{{Name: "c0", Weight: 1, Direction: "up"}}, same},
		{"duplicate ids", crit([]float64{1}), []Alternative{{ID: "x", Values: map[string]float64{"c0": 1}}, {ID: "x", Values: map[string]float64{"c0": 2}}}},
	}
	for _, b := range bad {
		if _, err := TOPSIS(b.c, b.a); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want ErrInput", b.name, err)
		}
	}
}

// randomProblem is n alternatives over m criteria with random values,
// weights and directions.
func randomProblem(t *rapid.T) ([]Criterion, []Alternative) {
	m := rapid.IntRange(1, 5).Draw(t, "m")
	n := rapid.IntRange(1, 12).Draw(t, "n")
	cs := make([]Criterion, m)
	for j := range cs {
		cs[j] = Criterion{Name: fmt.Sprint("c", j), Weight: rapid.Float64Range(0.01, 10).Draw(t, "w"),
			Direction: rapid.SampledFrom([]Direction{Maximize, Minimize}).Draw(t, "d")}
	}
	alts := make([]Alternative, n)
	for i := range alts {
		v := map[string]float64{}
		for j := range cs {
			v[cs[j].Name] = float64(rapid.IntRange(0, 20).Draw(t, "v")) // small integers: ties and dominance happen
		}
		alts[i] = Alternative{ID: fmt.Sprint("a", i), Values: v}
	}
	return cs, alts
}

// Properties of docs' seeds: scaling a criterion by a positive constant
// leaves TOPSIS's order alone; an alternative that dominates another
// never ranks below it (TOPSIS, weighted sum); the Pareto front holds no
// dominated alternative and every dropped one is dominated by those it
// names; the weighted sum with one weighted criterion orders like a sort
// on it; every score is finite and in [0, 1].
func TestProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		cs, alts := randomProblem(rt)
		top, err := TOPSIS(cs, alts)
		if err != nil {
			rt.Fatal(err)
		}
		k := rapid.IntRange(0, len(cs)-1).Draw(rt, "scaled")
		factor := rapid.Float64Range(0.001, 1000).Draw(rt, "factor")
		scaled := make([]Alternative, len(alts))
		for i, a := range alts {
			v := map[string]float64{}
			for name, x := range a.Values {
				v[name] = x
			}
			v[cs[k].Name] *= factor
			scaled[i] = Alternative{ID: a.ID, Values: v}
		}
		top2, err := TOPSIS(cs, scaled)
		if err != nil {
			rt.Fatal(err)
		}
		s1, s2 := scores(top), scores(top2)
		for id := range s1 {
			if math.Abs(s1[id]-s2[id]) > 1e-9 {
				rt.Fatalf("scaling %s by %g moved %s from %g to %g", cs[k].Name, factor, id, s1[id], s2[id])
			}
		}
		ws, err := WeightedSum(cs, alts)
		if err != nil {
			rt.Fatal(err)
		}
		for _, rs := range [][]Result{top, ws} {
			for _, r := range rs {
				if math.IsNaN(r.Score) || r.Score < -1e-12 || r.Score > 1+1e-12 {
					rt.Fatalf("score %g", r.Score)
				}
			}
			sc := scores(rs)
			for _, a := range alts {
				for _, b := range alts {
					if dominates(cs, a, b) && sc[a.ID] < sc[b.ID]-1e-12 {
						rt.Fatalf("%s dominates %s but scores %g < %g", a.ID, b.ID, sc[a.ID], sc[b.ID])
					}
				}
			}
		}
		front, dominated, err := Pareto(cs, alts)
		if err != nil || len(front)+len(dominated) != len(alts) || len(front) == 0 {
			rt.Fatalf("front %d dominated %d of %d (%v)", len(front), len(dominated), len(alts), err)
		}
		byID := map[string]Alternative{}
		for _, a := range alts {
			byID[a.ID] = a
		}
		for _, f := range front {
			for _, a := range alts {
				if dominates(cs, a, byID[f.ID]) {
					rt.Fatalf("%s on the front is dominated by %s", f.ID, a.ID)
				}
			}
		}
		for _, d := range dominated {
			if len(d.DominatedBy) == 0 {
				rt.Fatalf("%s dropped without a dominator", d.ID)
			}
			for _, by := range d.DominatedBy {
				if !dominates(cs, byID[by], byID[d.ID]) {
					rt.Fatalf("%s named as dominating %s, which it does not", by, d.ID)
				}
			}
		}
		// One weighted criterion: the order of a sort on it.
		single := make([]Criterion, len(cs))
		copy(single, cs)
		for j := range single {
			single[j].Weight = 0
		}
		single[k].Weight = 1
		one, err := WeightedSum(single, alts)
		if err != nil {
			rt.Fatal(err)
		}
		want := make([]Alternative, len(alts))
		copy(want, alts)
		sort.SliceStable(want, func(i, j int) bool { return better(cs[k], want[i].Values[cs[k].Name], want[j].Values[cs[k].Name]) })
		for i := range one {
			if one[i].Values[cs[k].Name] != want[i].Values[cs[k].Name] {
				rt.Fatalf("weighted sum on %s alone: position %d holds %g, a sort %g", cs[k].Name, i, one[i].Values[cs[k].Name], want[i].Values[cs[k].Name])
			}
		}
	})
}
