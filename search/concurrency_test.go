package search

import (
	"fmt"
	"sync"
	"testing"

	"github.com/pmbot/pmbot/feeds/feedstest"
)

// TestConcurrentAddSearch adds and searches at once; run with -race.
func TestConcurrentAddSearch(t *testing.T) {
	feed := feedstest.PostMortem(t)
	ix := NewIndex()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, ep := range feed.Episodes {
				ep.Title = fmt.Sprintf("%s w%d", ep.Title, w)
				ix.Add(Doc{ID: int64(w*100 + i), FeedID: int64(w), Episode: ep})
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, q := range []string{"bgp", "dragonblod", "diff", "17", "pub sub", "security"} {
				for _, r := range ix.Search(q, 5) {
					if r.Score <= 0 {
						t.Errorf("Search(%q): empty result", q)
					}
				}
			}
		}()
	}
	wg.Wait()
	if got, want := ix.Len(), 4*len(feed.Episodes); got != want {
		t.Errorf("Len = %d, want %d", got, want)
	}
	if got := ix.Search("dragonblood", 10); len(got) != 4 {
		t.Errorf("dragonblood: %d results, want 4", len(got))
	}
}
