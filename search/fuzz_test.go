package search

import (
	"testing"

	"github.com/pmbot/pmbot/feeds/feedstest"
)

// FuzzSearch checks that no query string panics or returns more than asked.
func FuzzSearch(f *testing.F) {
	for _, q := range []string{"bgp", "#17", "l'anonymisation", "dragonblod", "pub/sub", "ep 17", "é’’", "  ", "a/b/c/d", "\xff\xfe", "episode 99999999999"} {
		f.Add(q, 3)
	}
	feed := feedstest.PostMortem(f)
	ix := NewIndex()
	for i, ep := range feed.Episodes {
		ix.Add(Doc{ID: int64(i + 1), Episode: ep})
	}
	f.Fuzz(func(t *testing.T, q string, limit int) {
		rs := ix.Search(q, limit)
		max := limit
		if max <= 0 {
			max = 10
		}
		if len(rs) > max {
			t.Errorf("Search(%q, %d) returned %d results", q, limit, len(rs))
		}
		_ = Matches(feed.Episodes[0], []string{q})
	})
}
