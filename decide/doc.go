// Package decide ranks alternatives over weighted criteria: TOPSIS
// (closeness to the ideal with vector normalization), the weighted sum of
// min-max normalized values, and the Pareto front. It knows nothing of
// offers: callers give each alternative's value per criterion.
//
// Definitions for the edge cases, so no answer ever holds NaN:
//   - weights must be finite and ≥ 0 with at least one > 0; they are
//     normalized to sum 1 (Pareto ignores them);
//   - a column of zeros normalizes to zeros under TOPSIS (it separates
//     nothing), a constant column to 1 under the weighted sum;
//   - when every alternative is both as near the best and the worst
//     (all equal, or one alternative) the TOPSIS closeness is 1;
//   - ties keep the callers' order; ranks are 1..n in result order.
package decide
