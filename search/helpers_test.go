package search

import (
	"testing"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/feeds/feedstest"
)

// postMortem indexes the Post Mortem feed; each document's ID is its position in the
// feed plus one, and tests look results up by episode number.
func postMortem(t testing.TB) (*Index, *feeds.Feed) {
	t.Helper()
	feed := feedstest.PostMortem(t)
	ix := NewIndex()
	for i, ep := range feed.Episodes {
		ix.Add(Doc{ID: int64(i + 1), FeedID: 1, Episode: ep})
	}
	return ix, feed
}

// numbers returns the episode numbers of results, in order.
func numbers(rs []Result) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Number
	}
	return out
}

// episode returns the feed's episode with that number.
func episode(t testing.TB, feed *feeds.Feed, n int) feeds.Episode {
	t.Helper()
	for _, ep := range feed.Episodes {
		if ep.Number == n {
			return ep
		}
	}
	t.Fatalf("no episode %d", n)
	return feeds.Episode{}
}

// epWith returns an episode with a title, notes and takeaways.
func epWith(title, notes string, takeaways []string) feeds.Episode {
	ep := feeds.Episode{Title: title, NotesText: notes}
	ep.Notes.Takeaways = takeaways
	return ep
}

// answer is a result as tests compare them: which episode, how well.
type answer struct {
	ID    int64
	Score float64
}

// answersOf returns the results' answers, in order (empty, not nil, for none).
func answersOf(rs []Result) []answer {
	out := []answer{}
	for _, r := range rs {
		out = append(out, answer{r.ID, r.Score})
	}
	return out
}
