package search

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/search/searchtest"
)

// An index loaded from its snapshot answers every query as the index it was
// taken from, and keeps taking documents.
func TestSnapshotAnswersAlike(t *testing.T) {
	corpus := searchtest.Corpus(t, 800)
	orig := NewIndex()
	for _, e := range corpus[:700] {
		orig.Add(Doc{ID: e.ID, FeedID: e.FeedID, Episode: e.Episode})
	}
	// A replaced document, skipped until compaction, travels too.
	e := corpus[3]
	e.Episode.Title = "Réécrit : " + e.Episode.Title
	orig.Add(Doc{ID: e.ID, FeedID: e.FeedID, Episode: e.Episode})
	snap := orig.Snapshot()
	reads := 0
	loaded, err := LoadSnapshot(snap.Header, func(stem bool, id uint32) ([]byte, error) {
		reads++
		if stem {
			return snap.Stems[id], nil
		}
		return snap.Words[id], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		ID, FeedID int64
		Number     int
		Score      float64
		Snippet    []Fragment
	}
	byID := map[int64]*Doc{}
	for i := range corpus {
		byID[corpus[i].ID] = &Doc{Episode: corpus[i].Episode}
	}
	byID[e.ID] = &Doc{Episode: e.Episode}
	answers := func(ix *Index, q string) []answer {
		var out []answer
		for _, r := range ix.SearchFeed(q, 1, 10) {
			out = append(out, answer{r.ID, r.FeedID, r.Number, r.Score, r.Snippet(&byID[r.ID].Episode)})
		}
		return out
	}
	check := func(when string) {
		t.Helper()
		for _, kind := range searchtest.Kinds {
			for _, q := range append(searchtest.Queries[kind], "réécrit") {
				if diff := cmp.Diff(answers(orig, q), answers(loaded, q)); diff != "" {
					t.Errorf("%s: Search(%q) (-original +loaded):\n%s", when, q, diff)
				}
			}
		}
	}
	loaded.Search("nintendo", 10)
	if reads == 0 || reads > 10 {
		t.Errorf("one query read %d lists, want a few", reads)
	}
	check("loaded")
	if err := loaded.Err(); err != nil {
		t.Errorf("Err = %v", err)
	}
	for _, e := range corpus[700:] {
		orig.Add(Doc{ID: e.ID, FeedID: e.FeedID, Episode: e.Episode})
		loaded.Add(Doc{ID: e.ID, FeedID: e.FeedID, Episode: e.Episode})
	}
	check("after more documents")
	if orig.Len() != loaded.Len() {
		t.Errorf("Len: original %d, loaded %d", orig.Len(), loaded.Len())
	}
}

// A header cut short, of another version or not one at all, is refused.
func TestSnapshotRefused(t *testing.T) {
	ix := NewIndex()
	ix.Add(corpus(t, 50)...)
	data := ix.Snapshot().Header
	other := append([]byte(nil), data...)
	other[len(snapshotMagic)-1]++
	for name, b := range map[string][]byte{
		"empty": nil, "cut short": data[:len(data)/2], "one byte short": data[:len(data)-1],
		"one byte more":   append(append([]byte(nil), data...), 0),
		"another version": other, "not a snapshot": []byte("SQLite format 3\x00"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadSnapshot(b, nil); err == nil {
				t.Fatal("LoadSnapshot accepted it")
			}
		})
	}
}

// Lists that cannot be read, or do not decode, leave their words out of the
// answers, and Err says so.
func TestSnapshotListErrors(t *testing.T) {
	ix := NewIndex()
	ix.Add(corpus(t, 50)...)
	snap := ix.Snapshot()
	for name, fetch := range map[string]func(bool, uint32) ([]byte, error){
		"read fails": func(bool, uint32) ([]byte, error) { return nil, errors.New("disk on fire") },
		"cut short":  func(stem bool, id uint32) ([]byte, error) { return snap.Words[id][:5], nil },
	} {
		t.Run(name, func(t *testing.T) {
			loaded, err := LoadSnapshot(snap.Header, fetch)
			if err != nil {
				t.Fatal(err)
			}
			if got := loaded.Search("podcast", 5); len(got) != 0 {
				t.Errorf("Search found %d documents with no list to read", len(got))
			}
			if loaded.Err() == nil {
				t.Error("Err = nil")
			}
		})
	}
}

// FuzzSnapshot: whatever the header's bytes, loading it fails or gives an
// index that searches without panicking.
func FuzzSnapshot(f *testing.F) {
	ix := NewIndex()
	ix.Add(corpus(f, 20)...)
	snap := ix.Snapshot()
	f.Add(snap.Header)
	f.Add(snap.Header[:len(snap.Header)/3])
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := LoadSnapshot(b, func(stem bool, id uint32) ([]byte, error) {
			if !stem && int(id) < len(snap.Words) {
				return snap.Words[id], nil
			}
			return nil, errors.New("no such list")
		})
		if err != nil {
			return
		}
		for _, q := range []string{"podcast", "nintedo", "pod", "17", "a b"} {
			x.Search(q, 5)
		}
	})
}
