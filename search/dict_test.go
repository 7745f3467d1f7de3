package search

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// osa is the edit distance fuzzy counts (insertions, deletions,
// substitutions and swaps of adjacent bytes), the plain way.
func osa(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// The trie walk over the dictionary finds what comparing the query with every
// word finds: each word within the distance, at its distance (two edits keep
// the first letter).
func TestFuzzyFindsWhatEveryWordWouldTell(t *testing.T) {
	ix := NewIndex()
	ix.Add(corpus(t, 2000)...)
	ix.Prepare()
	rng := rand.New(rand.NewPCG(11, 12))
	queries := []string{"podcsat", "nintedo", "securty", "incidnet", "vulnerabilites", "presidnet", "x", "ab", "zzzzzz"}
	for range 60 {
		// A word of the dictionary with an edit or two.
		w := []byte(ix.wordStr[rng.IntN(len(ix.wordStr))])
		for range 1 + rng.IntN(2) {
			if len(w) < 2 {
				break
			}
			switch i := rng.IntN(len(w)); rng.IntN(3) {
			case 0:
				w[i] = byte('a' + rng.IntN(26))
			case 1:
				w = slices.Delete(w, i, i+1)
			default:
				if i+1 < len(w) {
					w[i], w[i+1] = w[i+1], w[i]
				}
			}
		}
		queries = append(queries, string(w))
	}
	for _, q := range queries {
		for _, maxDist := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/%d", q, maxDist), func(t *testing.T) {
				got := map[string]int{}
				ix.fuzzy(q, maxDist, func(id uint32, dist int) { got[ix.wordStr[id]] = dist })
				want := map[string]int{}
				for _, w := range ix.wordStr {
					if maxDist == 2 && (w == "" || q == "" || w[0] != q[0]) {
						continue
					}
					if d := osa(q, w); d <= maxDist {
						want[w] = d
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("fuzzy(%q, %d) (-every word +walk):\n%s", q, maxDist, diff)
				}
			})
		}
	}
}
