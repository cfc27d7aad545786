package shared

import (
	"cmp"
	"slices"
	"unicode"
)

// Suggestions answer a filter value that names nothing with the known values
// closest to it ("H10" -> "H100", "H200"). They run only on the 400 path, so
// they rank every candidate on each call rather than keep an index.
//
// Closeness is an edit distance (adjacent transpositions count as one edit)
// between normalized keys, plus one when the first character differs: typos
// rarely hit it, and for GPUs it names the family (H, A, L, MI). A candidate
// is close when that cost is at most 1 + a third of the shorter key, so a
// three-character query tolerates two edits but not two plus a new first
// character ("H10" -> "H200", not "L20"). A query that begins a candidate
// ("rtx409" of "RTX4090") always matches and ranks first.

// candidate is one suggestible name and the normalized keys that spell it.
type candidate struct {
	name string
	keys [][]rune
}

// match is how close one candidate came to the query.
type match struct {
	name   string
	prefix bool // the query begins one of the candidate's keys
	cost   int  // edit distance, plus one for a different first character
	common int  // length of the prefix shared with the query
}

// compareMatches orders closest first: prefix matches, then lower cost, then
// a longer shared prefix, then name, so equal inputs give equal answers.
func compareMatches(a, b match) int {
	if a.prefix != b.prefix {
		if a.prefix {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(a.cost, b.cost); c != 0 {
		return c
	}
	if c := cmp.Compare(b.common, a.common); c != 0 {
		return c
	}
	return cmp.Compare(a.name, b.name)
}

// SuggestFrom returns up to n of the candidates closest to q, closest first,
// compared case-insensitively on their letters and digits only (so "pci dss"
// finds "pci-dss"). Candidates spelled alike that way are suggested once.
// It is the core of the other Suggest functions; callers use it directly for
// values only they know, such as the provider region codes of listed offers.
func SuggestFrom(q string, candidates []string, n int) []string {
	key := foldKey(q)
	if n <= 0 || len(key) == 0 {
		return nil
	}
	// One candidate per key, the first by name, so the answer does not
	// depend on the order or repetition of candidates.
	byKey := make(map[string]int, len(candidates))
	cands := make([]candidate, 0, len(candidates))
	for _, c := range candidates {
		k := foldKey(c)
		if len(k) == 0 {
			continue
		}
		if i, dup := byKey[string(k)]; dup {
			cands[i].name = min(cands[i].name, c)
			continue
		}
		byKey[string(k)] = len(cands)
		cands = append(cands, candidate{name: c, keys: [][]rune{k}})
	}
	return rank(key, cands, n)
}

// foldKey keeps the letters and digits of s, lower-cased.
func foldKey(s string) []rune {
	var k []rune
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			k = append(k, unicode.ToLower(r))
		}
	}
	return k
}

// rank returns the names of up to n candidates close to the query key.
func rank(q []rune, cands []candidate, n int) []string {
	if n <= 0 || len(q) == 0 {
		return nil
	}
	var found []match
	for _, c := range cands {
		var best match
		ok := false
		for _, k := range c.keys {
			if m, close := score(q, k); close && (!ok || compareMatches(m, best) < 0) {
				best, ok = m, true
			}
		}
		if ok {
			best.name = c.name
			found = append(found, best)
		}
	}
	slices.SortFunc(found, compareMatches)
	out := make([]string, 0, min(n, len(found)))
	for _, m := range found[:min(n, len(found))] {
		out = append(out, m.name)
	}
	return out
}

// score compares the query key with one candidate key (both non-empty).
func score(q, k []rune) (match, bool) {
	m := match{common: commonPrefix(q, k)}
	if m.common == len(q) {
		m.prefix, m.cost = true, len(k)-len(q)
		return m, true
	}
	first := 0
	if q[0] != k[0] {
		first = 1
	}
	budget := 1 + min(len(q), len(k))/3
	// The length difference bounds the distance from below; checking it
	// first skips the quadratic distance for keys of very different length.
	if diff := len(q) - len(k); max(diff, -diff)+first > budget {
		return m, false
	}
	m.cost = editDistance(q, k) + first
	return m, m.cost <= budget
}

func commonPrefix(a, b []rune) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of adjacent runes each cost one.
func editDistance(a, b []rune) int {
	prev2 := make([]int, len(b)+1) // row i-2
	prev := make([]int, len(b)+1)  // row i-1
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := 1
			if a[i-1] == b[j-1] {
				sub = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+sub)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
