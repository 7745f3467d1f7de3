package search

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
)

// TestSearchKinds checks each kind of difficulty on the Post Mortem feed: the
// episode expected first, by number.
func TestSearchKinds(t *testing.T) {
	ix, _ := postMortem(t)
	tests := []struct {
		kind, query string
		first       int
	}{
		{"accent and case", "VULNERABILITE", 4},
		{"accent and case", "Sécurité", 2},
		{"accent and case", "prediction", 11},
		{"elision", "l'anonymisation", 12},
		{"elision", "l’hébergeur", 17},
		{"elision", "d'exécution", 2},
		{"stemming French", "anonymiser", 12},
		{"stemming French", "vulnérabilité", 4},
		{"stemming English", "experiments", 13},
		{"English for French", "security", 2},
		{"English for French", "vulnerabilities", 4},
		{"plural", "alerte", 14},
		{"typo 1 edit", "dragonblod", 2},
		{"typo 1 edit", "facebok", 17},
		{"typo swap", "chekclist", 7},
		{"typo 2 edits", "bortzmeier", 17},
		{"prefix", "diff", 12},
		{"prefix", "algol", 14},
		{"prefix", "differential priv", 12},
		{"join", "pubsub", 13},
		{"join", "mlops", 15},
		{"split", "pub sub", 13},
		{"split", "ML Ops", 15},
		{"join", "wifi", 2},
		{"number", "17", 17},
		{"number", "#17", 17},
		{"number", "episode 17", 17},
		{"number", "ep 17", 17},
		{"number", "ep17", 17},
		{"number", "épisode 3", 3},
		{"number also in text", "2021", 17},
		{"multi-word", "Facebook BGP", 17},
		{"multi-word", "test A/B", 13},
		{"multi-word", "apprentissage profond", 3},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+tt.query, func(t *testing.T) {
			got := numbers(ix.Search(tt.query, 3))
			if len(got) == 0 || got[0] != tt.first {
				t.Errorf("Search(%q) = %v, want %d first", tt.query, got, tt.first)
			}
		})
	}
}

// TestSearchNumberBeforeText checks that a number query puts the numbered episode
// before episodes whose text holds the number.
func TestSearchNumberBeforeText(t *testing.T) {
	ix, _ := postMortem(t)
	// "2" appears in #17's notes ("us-east-2") and #2's ("WPA 2").
	got := numbers(ix.Search("#2", 10))
	if len(got) == 0 || got[0] != 2 {
		t.Errorf("Search(#2) = %v, want 2 first", got)
	}
}

// TestSearchFieldWeights checks that a title match outranks a match in the notes.
func TestSearchFieldWeights(t *testing.T) {
	ix := NewIndex()
	ix.Add(
		Doc{ID: 1, Episode: epWith("Un autre sujet", "On parle ici de Kubernetes, de Kubernetes et encore de Kubernetes.", nil)},
		Doc{ID: 2, Episode: epWith("Kubernetes en production", "Un retour d'expérience.", nil)},
		Doc{ID: 3, Episode: epWith("Troisième sujet", "Rien à voir.", []string{"Kubernetes partout"})},
	)
	var ids []int64
	for _, r := range ix.Search("kubernetes", 10) {
		ids = append(ids, r.ID)
	}
	if diff := cmp.Diff([]int64{2, 3, 1}, ids); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

// TestSearchBlank checks that blank queries find nothing and limits hold.
func TestSearchBlank(t *testing.T) {
	ix, _ := postMortem(t)
	for _, q := range []string{"", "   ", "?!", "’"} {
		if got := ix.Search(q, 10); got != nil {
			t.Errorf("Search(%q) = %v, want nil", q, numbers(got))
		}
	}
	if got := len(ix.Search("le", 0)); got > 10 {
		t.Errorf("limit 0 gave %d results, want <= 10", got)
	}
	if got := len(ix.Search("le", 2)); got > 2 {
		t.Errorf("limit 2 gave %d results", got)
	}
	if got := NewIndex().Search("bgp", 10); got != nil {
		t.Errorf("empty index found %v", got)
	}
}

// TestSearchReplace checks that adding a document with a known ID replaces it.
func TestSearchReplace(t *testing.T) {
	ix := NewIndex()
	ix.Add(Doc{ID: 7, FeedID: 1, Episode: epWith("Incident chez Zorglub", "", nil)})
	ix.Add(Doc{ID: 8, FeedID: 1, Episode: epWith("Autre chose", "", nil)})
	ix.Add(Doc{ID: 7, FeedID: 1, Episode: epWith("Incident chez Flimflam", "", nil)})
	if got := ix.Len(); got != 2 {
		t.Errorf("Len = %d, want 2", got)
	}
	if got := ix.Search("zorglub", 10); len(got) != 0 {
		t.Errorf("old version still found: %v", got[0].ID)
	}
	got := ix.Search("flimflam", 10)
	if len(got) != 1 || got[0].ID != 7 {
		t.Fatalf("new version not found: %v", got)
	}
	// Many replacements compact the index; what is live stays found.
	for i := range 300 {
		ix.Add(Doc{ID: 8, Episode: epWith("Autre chose", "version "+string(rune('a'+i%26)), nil)})
	}
	if got := ix.Len(); got != 2 {
		t.Errorf("Len after compaction = %d, want 2", got)
	}
	if got := ix.Search("flimflam", 10); len(got) != 1 {
		t.Errorf("after compaction: %d results", len(got))
	}
}

// TestSnippet checks the snippets' marks: a notes match is shown in the notes with
// its words marked, a title-only match as the title.
func TestSnippet(t *testing.T) {
	ix, feed := postMortem(t)
	// postMortem's ids are the episodes' positions in the feed, plus one.
	snippetOf := func(r Result) []Fragment { return r.Snippet(&feed.Episodes[r.ID-1]) }
	tests := []struct {
		query   string
		matched []string
	}{
		{"dragonblood", []string{"Dragonblood"}},
		{"sncf", []string{"SNCF"}},
		{"vulnérabilités", []string{"vulnérabilité"}},
		{"facebook bgp", []string{"Facebook"}},
		{"pubsub", []string{"pub", "sub"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rs := ix.Search(tt.query, 1)
			if len(rs) == 0 {
				t.Fatal("no result")
			}
			var matched []string
			text := 0
			for _, f := range snippetOf(rs[0]) {
				text += len([]rune(f.Text))
				if f.Match {
					matched = append(matched, f.Text)
				}
			}
			if len(matched) < len(tt.matched) {
				t.Fatalf("matched %q, want at least %q", matched, tt.matched)
			}
			if diff := cmp.Diff(tt.matched, matched[:len(tt.matched)]); diff != "" {
				t.Errorf("matched fragments (-want +got):\n%s", diff)
			}
			if text > snippetLen+10 {
				t.Errorf("snippet of %d characters", text)
			}
		})
	}
	// A title-only episode: the snippet is its title.
	rs := ix.Search("sncf", 1)
	want := []Fragment{{Text: "Prédiction de retards à la "}, {Text: "SNCF", Match: true}, {Text: " 🚉"}}
	if diff := cmp.Diff(want, snippetOf(rs[0])); diff != "" {
		t.Errorf("title snippet (-want +got):\n%s", diff)
	}
}

// SearchFeed chooses the best among one feed's episodes: a better match in
// another feed takes none of its places.
func TestSearchFeed(t *testing.T) {
	ix := NewIndex()
	eps := make(map[int64]feeds.Episode)
	add := func(id, feed int64, ep feeds.Episode) {
		eps[id] = ep
		ix.Add(Doc{ID: id, FeedID: feed, Episode: ep})
	}
	for i := range 5 {
		// Feed 1's episodes all say bgp in the title; feed 2's only in the notes.
		add(int64(i+1), 1, epWith(fmt.Sprintf("BGP %d", i), "", nil))
	}
	add(10, 2, epWith("Outage", "a BGP leak", nil))
	add(11, 2, epWith("Other", "nothing here", nil))
	tests := []struct {
		feed  int64
		limit int
		want  []int64
	}{
		{2, 1, []int64{10}},
		{1, 2, []int64{5, 4}},
		{0, 1, []int64{5}},
		{3, 10, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("feed %d limit %d", tt.feed, tt.limit), func(t *testing.T) {
			var got []int64
			for _, r := range ix.SearchFeed("bgp", tt.feed, tt.limit) {
				got = append(got, r.ID)
				if ep := eps[r.ID]; len(r.Snippet(&ep)) == 0 {
					t.Errorf("result %d has no snippet", r.ID)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SearchFeed (-want +got):\n%s", diff)
			}
		})
	}
}
