// Package suggest finds the nearest known name to a mistyped one, for "did you mean" in error messages.
package suggest

import (
	"strings"

	"github.com/agext/levenshtein"
)

// Nearest returns the candidate closest to s by edit distance (case-insensitive), or "" when none is close: within
// a third of the longer name's length (at least 2, so that a swap of two letters is caught), and at most 4 edits.
func Nearest(s string, candidates []string) string {
	best, bestDist := "", 0
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := levenshtein.Distance(ls, strings.ToLower(c), nil)
		limit := max(len(s), len(c)) / 3
		limit = min(max(limit, 2), 4)
		if d <= limit && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// DidYouMean is "; did you mean X?" for the nearest candidate, or "".
func DidYouMean(s string, candidates []string) string {
	if n := Nearest(s, candidates); n != "" {
		return "; did you mean " + n + "?"
	}
	return ""
}
