package search

import (
	"container/heap"
	"sort"
)

type hit struct {
	doc   uint32
	score float32
}

// hitHeap is a min-heap of the best hits so far, so that choosing the top 10 of
// thousands of matching documents costs no full sort.
type hitHeap []hit

func (h hitHeap) Len() int           { return len(h) }
func (h hitHeap) Less(i, j int) bool { return worse(h[i], h[j]) }
func (h hitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hitHeap) Push(x any)        { *h = append(*h, x.(hit)) }
func (h *hitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// worse orders hits: lower score first, and on a tie the older document (newer
// episodes are added later), so that results are deterministic.
func worse(a, b hit) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return a.doc < b.doc
}

// top returns the limit best documents of the feed (of every feed when feedID
// is 0), best first.
func (s *searcher) top(limit int, feedID int64) []hit {
	h := make(hitHeap, 0, limit+1)
	for _, d := range s.touched {
		x := hit{d, s.total[d]}
		if x.score <= 0 || feedID != 0 && s.ix.docs[d].feed != feedID {
			continue
		}
		if len(h) < limit {
			heap.Push(&h, x)
		} else if worse(h[0], x) {
			h[0] = x
			heap.Fix(&h, 0)
		}
	}
	sort.Slice(h, func(i, j int) bool { return worse(h[j], h[i]) })
	return h
}
