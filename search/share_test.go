package search

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/search/searchtest"
)

// Stems sharing their only word's postings (shareStems) change no answer, as
// the index grows by polls, prepares between them, has episodes rewritten and
// compacts: the same steps on an index that shares nothing find the same.
func TestSharedStemsAnswerAlike(t *testing.T) {
	corpus := searchtest.Corpus(t, 600)
	docs := func(from, to int, rewrite string) []Doc {
		var out []Doc
		for _, e := range corpus[from:to] {
			ep := e.Episode
			if rewrite != "" {
				// New words, some of them sharing a stem with words already
				// indexed (télécharger / téléchargements).
				ep.NotesText += fmt.Sprintf(" %s téléchargements sécurisés nintendos %d", rewrite, e.ID)
			}
			out = append(out, Doc{ID: e.ID, FeedID: e.FeedID, Episode: ep})
		}
		return out
	}
	steps := func(ix *Index) {
		ix.Add(docs(0, 300, "")...)
		ix.Prepare()
		for from := 300; from < 600; from += 50 {
			ix.Add(docs(from, from+50, "")...)
			ix.Prepare()
		}
		// The first hundred rewritten again and again, until the replaced
		// outnumber the live: the index compacts, and the others' postings
		// move down a hundred places.
		for i := range 7 {
			ix.Add(docs(0, 100, fmt.Sprintf("réécriture %d télécharger", i))...)
			if i%2 == 0 {
				ix.Prepare()
			}
		}
	}
	shared, plain := NewIndex(), NewIndex()
	plain.unshared = true
	steps(shared)
	steps(plain)
	shared.Prepare()
	plain.Prepare()
	if len(shared.docs) != shared.live {
		t.Fatalf("the index did not compact: %d documents, %d live", len(shared.docs), shared.live)
	}
	var queries []string
	for _, kind := range searchtest.Kinds {
		queries = append(queries, searchtest.Queries[kind]...)
	}
	queries = append(queries, "téléchargement", "sécurité", "nintendo", "réécriture", "telecharge")
	for _, q := range queries {
		if diff := cmp.Diff(answersOf(plain.Search(q, 20)), answersOf(shared.Search(q, 20))); diff != "" {
			t.Errorf("Search(%q), shared stems (-unshared +shared):\n%s", q, diff)
		}
	}
	words := make(map[*posting]bool)
	for _, w := range shared.wordPost {
		if len(w) > 0 {
			words[&w[0]] = true
		}
	}
	sharing := 0
	for _, sp := range shared.stemPost {
		if len(sp) > 0 && words[&sp[0]] {
			sharing++
		}
	}
	if sharing == 0 {
		t.Error("no stem shares its word's postings")
	}
}
