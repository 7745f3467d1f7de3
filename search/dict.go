package search

import (
	"sort"
	"strings"
)

// prefixRange returns the part of the sorted dictionary whose words start with p.
func (ix *Index) prefixRange(p string) []uint32 {
	lo := sort.Search(len(ix.dict), func(i int) bool { return ix.wordStr[ix.dict[i]] >= p })
	hi := lo + sort.Search(len(ix.dict)-lo, func(i int) bool {
		return !strings.HasPrefix(ix.wordStr[ix.dict[lo+i]], p)
	})
	return ix.dict[lo:hi]
}

// fuzzy calls fn for every dictionary word within maxDist edits of q (insertions,
// deletions, substitutions and swaps of adjacent letters, counted on bytes). It walks
// the sorted dictionary as if it were a trie: words sharing a prefix are a contiguous
// range, so each prefix's row of the edit-distance table is computed once for all of
// them, and a prefix whose row already exceeds maxDist discards its whole range. A
// typo lookup thus touches a few thousand prefixes, not the whole dictionary.
func (ix *Index) fuzzy(q string, maxDist int, fn func(id uint32, dist int)) {
	m := len(q)
	depthMax := m + maxDist + 1
	rows := make([][]int, depthMax+1)
	for i := range rows {
		rows[i] = make([]int, m+1)
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	w := fuzzyWalk{ix: ix, q: q, maxDist: maxDist, rows: rows, fn: fn, prefix: make([]byte, 0, depthMax)}
	if maxDist < 2 || m == 0 {
		w.walk(0, len(ix.dict), 0)
		return
	}
	// Two edits anywhere make the first levels of the walk visit nearly every
	// prefix; people seldom get a long word's first letter wrong, so a two-edit
	// search keeps it, which divides the walk by the alphabet's size.
	r := ix.prefixRange(q[:1])
	if len(r) == 0 {
		return
	}
	start := sort.Search(len(ix.dict), func(i int) bool { return ix.wordStr[ix.dict[i]] >= q[:1] })
	row, next := rows[0], rows[1]
	next[0] = 1
	for j := 1; j <= m; j++ {
		cost := 1
		if q[j-1] == q[0] {
			cost = 0
		}
		next[j] = min(row[j]+1, next[j-1]+1, row[j-1]+cost)
	}
	if len(ix.wordStr[ix.dict[start]]) == 1 && next[m] <= maxDist {
		fn(ix.dict[start], next[m])
	}
	w.prefix = append(w.prefix[:0], q[0])
	w.walk(start, start+len(r), 1)
}

type fuzzyWalk struct {
	ix      *Index
	q       string
	maxDist int
	rows    [][]int
	prefix  []byte
	fn      func(id uint32, dist int)
}

// walk visits the words of dict[lo:hi], which all share the first depth bytes.
func (w *fuzzyWalk) walk(lo, hi, depth int) {
	words, dict := w.ix.wordStr, w.ix.dict
	// Words equal to the prefix sort first; they were reported by the caller.
	for lo < hi && len(words[dict[lo]]) == depth {
		lo++
	}
	if depth+1 >= len(w.rows) {
		return
	}
	m, k := len(w.q), w.maxDist
	row, next := w.rows[depth], w.rows[depth+1]
	// Only the cells within k of the diagonal can be k or less: the others
	// are left out, and the two that bound the band set to k+1 (rows are
	// reused from branch to branch, so whatever else they hold is stale).
	i := depth + 1
	a, b := max(1, i-k), min(m, i+k)
	for lo < hi {
		c := words[dict[lo]][depth]
		// The end of the words whose next byte is c, by binary search.
		end, top := lo+1, hi
		for end < top {
			mid := int(uint(end+top) >> 1)
			if words[dict[mid]][depth] > c {
				top = mid
			} else {
				end = mid + 1
			}
		}
		next[0] = i
		if a > 1 {
			next[a-1] = k + 1
		}
		best := k + 1
		if a == 1 {
			best = next[0]
		}
		for j := a; j <= b; j++ {
			cost := 1
			if w.q[j-1] == c {
				cost = 0
			}
			v := min(row[j]+1, next[j-1]+1, row[j-1]+cost)
			if j > 1 && depth > 0 && w.q[j-1] == w.prefix[depth-1] && w.q[j-2] == c {
				v = min(v, w.rows[depth-1][j-2]+1)
			}
			next[j] = v
			best = min(best, v)
		}
		if b < m {
			next[b+1] = k + 1
		}
		if best <= k {
			if len(words[dict[lo]]) == i && b == m && next[m] <= k {
				w.fn(dict[lo], next[m])
			}
			w.prefix = append(w.prefix[:depth], c)
			w.walk(lo, end, depth+1)
		}
		lo = end
	}
}
