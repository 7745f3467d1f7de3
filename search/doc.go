// Package search finds episodes by what a person types: numbers ("17", "#17"), title
// words, and anything in the show notes, takeaways and link texts, in French and
// English, with accents, case, elisions, plurals, typos, unfinished last words and
// joined or split words forgiven. The index is a compact in-memory inverted index
// shaped for podcast episodes; it follows the store (Add as episodes are stored) and is
// rebuilt at start.
package search

import "github.com/pmbot/pmbot/feeds"

// Doc is one episode to index.
type Doc struct {
	// ID is the store's episode id; adding a Doc with a known ID replaces the old one.
	ID int64
	// FeedID is the episode's feed, carried through to results.
	FeedID  int64
	Episode feeds.Episode
}

// Fragment is one piece of a snippet; renderers make the matched pieces bold.
type Fragment struct {
	Text  string
	Match bool
}

// Result is one episode found, best first in Search's answer. The index keeps
// no text: the episode itself is the store's (Snippet takes it).
type Result struct {
	ID     int64
	FeedID int64
	// Number is the episode's number, 0 when it has none.
	Number int
	Score  float64

	// marks are what the query matched (shared by its results), pos where the
	// episode's notes first match (noPos when they do not).
	marks *marks
	pos   uint32
}

// Snippet returns about 160 characters of ep's title or notes around the best
// match, split into fragments so that the matched words can be marked. ep is the
// result's episode as stored; when it changed since it was indexed, the snippet
// still shows a match when it finds one, or else its beginning.
func (r Result) Snippet(ep *feeds.Episode) []Fragment {
	if r.marks == nil {
		return nil
	}
	return snippet(ep, r.marks, r.pos)
}
