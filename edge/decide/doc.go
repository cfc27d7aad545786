// Package decide is the edge feature for POST /api/v2/providers/decide:
// rank alternatives over weighted criteria with TOPSIS, the weighted sum
// or the Pareto front (the decide package holds the methods). Callers give
// the alternatives' values; ranking the cell's own offers by id
// (candidates) comes with the offer criteria of docs/decisions.md.
package decide
