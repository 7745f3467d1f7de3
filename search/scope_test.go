package search

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/search/searchtest"
)

// A search in one feed reads only the feed's runs of each list, and finds
// what reading every list whole and skipping the other feeds finds: over two
// feeds added in turns by polls, with episodes rewritten (moved to the end),
// and for the queries that match directly, what the search of every feed
// finds, less the other feed's episodes.
func TestSearchFeedRuns(t *testing.T) {
	corpus := searchtest.Corpus(t, 2400)
	var one, two []Doc
	for _, e := range corpus {
		d := Doc{ID: e.ID, FeedID: 1 + e.ID%2, Episode: e.Episode}
		if d.FeedID == 1 {
			one = append(one, d)
		} else {
			two = append(two, d)
		}
	}
	steps := func(ix *Index) {
		// A build (one feed, then the other), then polls in turns.
		ix.Add(one[:600]...)
		ix.Add(two[:600]...)
		ix.Prepare()
		for from := 600; from < 1200; from += 100 {
			ix.Add(one[from : from+100]...)
			ix.Add(two[from : from+100]...)
			ix.Prepare()
		}
		for i := range 40 {
			d := one[i*7]
			d.Episode.NotesText += fmt.Sprintf(" rewritten %d", i)
			ix.Add(d)
		}
	}
	runs, whole := NewIndex(), NewIndex()
	whole.unscoped = true
	steps(runs)
	steps(whole)
	runs.Prepare()
	whole.Prepare()
	if n := len(runs.runs[1]); n < 5 {
		t.Fatalf("feed 1 is in %d runs, want several", n)
	}
	inFeed := func(rs []Result, feed int64, limit int) []Result {
		var out []Result
		for _, r := range rs {
			if r.FeedID == feed && len(out) < limit {
				out = append(out, r)
			}
		}
		return out
	}
	for _, kind := range searchtest.Kinds {
		for _, q := range searchtest.Queries[kind] {
			for _, feed := range []int64{1, 2} {
				got := runs.SearchFeed(q, feed, 10)
				for _, r := range got {
					if r.FeedID != feed {
						t.Errorf("SearchFeed(%q, %d) found episode %d of feed %d", q, feed, r.ID, r.FeedID)
					}
				}
				if diff := cmp.Diff(answersOf(whole.SearchFeed(q, feed, 10)), answersOf(got)); diff != "" {
					t.Errorf("SearchFeed(%q, %d), runs (-whole lists +runs):\n%s", q, feed, diff)
				}
				if kind == "plain" || kind == "prefix" || kind == "number" {
					all := inFeed(runs.Search(q, 5000), feed, 10)
					if diff := cmp.Diff(answersOf(all), answersOf(got)); diff != "" {
						t.Errorf("SearchFeed(%q, %d) (-every feed's, less the other's +feed's):\n%s", q, feed, diff)
					}
				}
			}
		}
	}
}

// A word that no episode of the feed holds, though another feed's do, is
// looked for in the feed as a typo: the other feed's episodes do not stop
// the search in this one from trying.
func TestSearchFeedTypoInFeed(t *testing.T) {
	ix := NewIndex()
	ix.Add(
		Doc{ID: 1, FeedID: 1, Episode: epWith("Kubernetes upgrade", "", nil)},
		Doc{ID: 2, FeedID: 2, Episode: epWith("Kubernetis misspelt", "", nil)},
	)
	got := resultIDs(ix.SearchFeed("kubernetis", 1, 10))
	if diff := cmp.Diff([]int64{1}, got); diff != "" {
		t.Errorf("SearchFeed(kubernetis, 1) (-want +got):\n%s", diff)
	}
}

func resultIDs(rs []Result) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}
