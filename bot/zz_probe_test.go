package bot

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pmbot/pmbot/search/searchtest"
)

func BenchmarkZZProbe(b *testing.B) {
	ctx := context.Background()
	db, r := searchCatalogue(b, 10000)
	f, _ := db.FeedByName(ctx, "corpus-1")
	for _, kind := range searchtest.Kinds {
		for _, q := range searchtest.Queries[kind] {
			var ti, ts, tn time.Duration
			var n, sz int
			for range 50 {
				t0 := time.Now()
				res := r.Index.SearchFeed(q, f.ID, 10)
				t1 := time.Now()
				ids := make([]int64, len(res))
				for i, x := range res { ids[i] = x.ID }
				eps, _ := db.EpisodeCards(ctx, ids)
				t2 := time.Now()
				sz = 0
				for i := range eps { res[i].Snippet(&eps[i].Episode); sz += len(eps[i].NotesHTML) + len(eps[i].NotesText) }
				t3 := time.Now()
				ti += t1.Sub(t0); ts += t2.Sub(t1); tn += t3.Sub(t2); n = len(res)
			}
			fmt.Printf("%-10s %-30q hits=%2d idx=%6.0fµs store=%6.0fµs snip=%6.0fµs notesbytes=%d\n", kind, q, n, float64(ti.Microseconds())/50, float64(ts.Microseconds())/50, float64(tn.Microseconds())/50, sz)
		}
	}
}
