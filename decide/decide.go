package decide

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Direction says whether more of a criterion is better.
type Direction string

const (
	Maximize Direction = "maximize"
	Minimize Direction = "minimize"
)

// Criterion is one criterion with its weight and direction.
type Criterion struct {
	Name      string
	Weight    float64
	Direction Direction
}

// Alternative is one candidate with a value per criterion.
type Alternative struct {
	ID     string
	Values map[string]float64
}

// Result is one alternative's place.
type Result struct {
	ID         string             `json:"id"`
	Rank       int                `json:"rank"`
	Score      float64            `json:"score"`
	Values     map[string]float64 `json:"values"`
	Normalized map[string]float64 `json:"normalized,omitempty"`
	// DistanceBest and DistanceWorst are TOPSIS's distances to the ideal
	// and anti-ideal alternatives.
	DistanceBest  *float64 `json:"distance_best,omitempty"`
	DistanceWorst *float64 `json:"distance_worst,omitempty"`
	// DominatedBy lists, for a Pareto-dominated alternative, the ids of
	// those that dominate it.
	DominatedBy []string `json:"dominated_by,omitempty"`
}

// Limits on a problem's size.
const (
	MaxAlternatives = 1000
	MaxCriteria     = 32
)

// ErrInput is the kind of every validation error.
var ErrInput = errors.New("invalid decision input")

func inputErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, a...))
}

// check validates the problem and returns the weights normalized to sum 1.
func check(criteria []Criterion, alts []Alternative, needWeights bool) ([]float64, error) {
	if len(criteria) == 0 || len(criteria) > MaxCriteria {
		return nil, inputErr("between 1 and %d criteria are needed", MaxCriteria)
	}
	if len(alts) == 0 || len(alts) > MaxAlternatives {
		return nil, inputErr("between 1 and %d alternatives are needed", MaxAlternatives)
	}
	seen := map[string]bool{}
	sum := 0.0
	for _, c := range criteria {
		if c.Name == "" || seen[c.Name] {
			return nil, inputErr("criterion names must be non-empty and distinct")
		}
		seen[c.Name] = true
		if c.Direction != Maximize && c.Direction != Minimize {
			return nil, inputErr("criterion %s: direction must be maximize or minimize", c.Name)
		}
		if math.IsNaN(c.Weight) || math.IsInf(c.Weight, 0) || c.Weight < 0 {
			return nil, inputErr("criterion %s: weight must be a finite number ≥ 0", c.Name)
		}
		sum += c.Weight
	}
	if needWeights && !(sum > 0) || math.IsInf(sum, 0) {
		return nil, inputErr("at least one weight must be > 0")
	}
	ids := map[string]bool{}
	for i, a := range alts {
		if a.ID == "" || ids[a.ID] {
			return nil, inputErr("alternative %d: ids must be non-empty and distinct", i)
		}
		ids[a.ID] = true
		for _, c := range criteria {
			v, ok := a.Values[c.Name]
			if !ok {
				return nil, inputErr("alternative %s has no value for criterion %s", a.ID, c.Name)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e15 {
				return nil, inputErr("alternative %s: %s must be a finite number of at most 1e15", a.ID, c.Name)
			}
		}
	}
	w := make([]float64, len(criteria))
	for j, c := range criteria {
		if sum > 0 {
			w[j] = c.Weight / sum
		}
	}
	return w, nil
}

// better reports whether a is better than b on c.
func better(c Criterion, a, b float64) bool {
	if c.Direction == Maximize {
		return a > b
	}
	return a < b
}

// TOPSIS ranks alts by closeness to the ideal: values vector-normalized
// per criterion, weighted, and compared with the best and worst value of
// each criterion.
func TOPSIS(criteria []Criterion, alts []Alternative) ([]Result, error) {
	w, err := check(criteria, alts, true)
	if err != nil {
		return nil, err
	}
	n, m := len(alts), len(criteria)
	norm := make([][]float64, n)
	for i := range norm {
		norm[i] = make([]float64, m)
	}
	for j, c := range criteria {
		var ss float64
		for _, a := range alts {
			v := a.Values[c.Name]
			ss += v * v
		}
		d := math.Sqrt(ss)
		for i, a := range alts {
			if d > 0 {
				norm[i][j] = a.Values[c.Name] / d
			}
		}
	}
	best, worst := make([]float64, m), make([]float64, m)
	for j, c := range criteria {
		best[j], worst[j] = w[j]*norm[0][j], w[j]*norm[0][j]
		for i := 1; i < n; i++ {
			v := w[j] * norm[i][j]
			if better(c, v, best[j]) {
				best[j] = v
			}
			if better(c, worst[j], v) {
				worst[j] = v
			}
		}
	}
	out := make([]Result, n)
	for i, a := range alts {
		var dp, dm float64
		for j := range criteria {
			v := w[j] * norm[i][j]
			dp += (v - best[j]) * (v - best[j])
			dm += (v - worst[j]) * (v - worst[j])
		}
		dp, dm = math.Sqrt(dp), math.Sqrt(dm)
		score := 1.0
		if dp+dm > 0 {
			score = dm / (dp + dm)
		}
		out[i] = Result{ID: a.ID, Score: score, Values: values(criteria, a), Normalized: row(criteria, norm[i]),
			DistanceBest: &dp, DistanceWorst: &dm}
	}
	return ranked(out), nil
}

// WeightedSum ranks alts by the weighted sum of their min-max normalized
// values (1 the best of a criterion, 0 the worst).
func WeightedSum(criteria []Criterion, alts []Alternative) ([]Result, error) {
	w, err := check(criteria, alts, true)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(alts))
	norm := make([][]float64, len(alts))
	for i := range norm {
		norm[i] = make([]float64, len(criteria))
	}
	for j, c := range criteria {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, a := range alts {
			lo, hi = math.Min(lo, a.Values[c.Name]), math.Max(hi, a.Values[c.Name])
		}
		for i, a := range alts {
			v := 1.0 // a constant column: every alternative is its best
			if hi > lo {
				v = (a.Values[c.Name] - lo) / (hi - lo)
				if c.Direction == Minimize {
					v = 1 - v
				}
			}
			norm[i][j] = v
		}
	}
	for i, a := range alts {
		var s float64
		for j := range criteria {
			s += w[j] * norm[i][j]
		}
		out[i] = Result{ID: a.ID, Score: s, Values: values(criteria, a), Normalized: row(criteria, norm[i])}
	}
	return ranked(out), nil
}

// Pareto splits alts into the front (no other alternative is at least as
// good on every criterion and better on one) and the dominated, each with
// the ids that dominate it. The front keeps the callers' order, rank 1.
func Pareto(criteria []Criterion, alts []Alternative) (front, dominated []Result, err error) {
	if _, err := check(criteria, alts, false); err != nil {
		return nil, nil, err
	}
	for i, a := range alts {
		var by []string
		for k, b := range alts {
			if k != i && dominates(criteria, b, a) {
				by = append(by, b.ID)
			}
		}
		r := Result{ID: a.ID, Rank: 1, Values: values(criteria, a)}
		if by == nil {
			r.Score = 1
			front = append(front, r)
			continue
		}
		r.Rank, r.DominatedBy = 0, by
		dominated = append(dominated, r)
	}
	return front, dominated, nil
}

// dominates reports whether a is at least as good as b on every criterion
// and better on one.
func dominates(criteria []Criterion, a, b Alternative) bool {
	strictly := false
	for _, c := range criteria {
		va, vb := a.Values[c.Name], b.Values[c.Name]
		if better(c, vb, va) {
			return false
		}
		if better(c, va, vb) {
			strictly = true
		}
	}
	return strictly
}

func values(criteria []Criterion, a Alternative) map[string]float64 {
	v := make(map[string]float64, len(criteria))
	for _, c := range criteria {
		v[c.Name] = a.Values[c.Name]
	}
	return v
}

func row(criteria []Criterion, r []float64) map[string]float64 {
	v := make(map[string]float64, len(criteria))
	for j, c := range criteria {
		v[c.Name] = r[j]
	}
	return v
}

// ranked orders results best first (ties keep their order) and numbers
// them.
func ranked(out []Result) []Result {
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}
