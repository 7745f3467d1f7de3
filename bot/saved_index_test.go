package bot

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/search"
	"github.com/pmbot/pmbot/store"
)

// The index run saves is loaded while the store holds what it held (polls
// that change nothing included), answers as the index it was saved from, and
// is refused once a poll has changed the episodes; a loaded index whose
// generation was replaced meanwhile says so rather than answer from another.
func TestSavedIndex(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Memory, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := db.EnsureFeed(ctx, "pm", "https://example.org/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	episodes := func(n int) []feeds.Episode {
		var out []feeds.Episode
		for i := n; i >= 1; i-- {
			out = append(out, feeds.Episode{
				GUID: fmt.Sprintf("g%d", i), Number: i, Title: fmt.Sprintf("Outage number %d", i),
				Published: time.Date(2026, 1, i, 0, 0, 0, 0, time.UTC), NotesText: fmt.Sprintf("A BGP incident, told by guest %d.", i),
			})
		}
		return out
	}
	poll := func(eps []feeds.Episode) {
		t.Helper()
		if _, err := store.RecordPoll(ctx, db, f.ID, eps, feeds.Policy{FloodLimit: 3}, nil); err != nil {
			t.Fatal(err)
		}
	}
	poll(episodes(5))
	r := &IndexRefresher{Store: db, Saver: db, Logger: quietLogger()}
	if err := r.Build(ctx); err != nil {
		t.Fatal(err)
	}
	if ix, err := LoadIndex(ctx, db); ix != nil || err != nil {
		t.Fatalf("LoadIndex before any save = %v, %v; want none", ix, err)
	}
	if err := r.Save(ctx); err != nil {
		t.Fatal(err)
	}
	answers := func(s *Searcher) []string {
		t.Helper()
		hits, err := s.Search(ctx, "bgp outage 3", 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, fmt.Sprintf("#%d %.3f %v", h.Episode.Number, h.Score, h.Snippet))
		}
		return out
	}
	want := answers(&Searcher{Index: r.Index, Store: db, Feed: "pm"})
	poll(episodes(5)) // nothing new: polls move, changes do not
	// A feed with no episodes yet changes nothing either.
	if _, err := db.EnsureFeed(ctx, "other", "https://example.org/other.xml"); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadIndex(ctx, db)
	if err != nil || loaded == nil {
		t.Fatalf("LoadIndex after a poll that changed nothing and a new feed = %v, %v; want the saved index", loaded, err)
	}
	if diff := cmp.Diff(want, answers(&Searcher{Index: loaded, Store: db, Feed: "pm"})); diff != "" {
		t.Errorf("answers of the loaded index (-built +loaded):\n%s", diff)
	}

	// Another save replaces the generation a loaded index reads its lists
	// from: a word it had not read yet is then an error, not another index's
	// postings.
	stale, err := LoadIndex(ctx, db)
	if err != nil || stale == nil {
		t.Fatal(err)
	}
	poll(episodes(6))
	if ix, err := LoadIndex(ctx, db); ix != nil || err != nil {
		t.Errorf("LoadIndex after a poll that added an episode = %v, %v; want none", ix, err)
	}
	if _, err := r.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Searcher{Index: stale, Store: db, Feed: "pm"}).Search(ctx, "incident", 5); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("search on an index whose generation was replaced = %v, want ErrNotFound", err)
	}
	fresh, err := LoadIndex(ctx, db)
	if err != nil || fresh == nil {
		t.Fatalf("LoadIndex after the refresher saved again = %v, %v", fresh, err)
	}
	if got := answers(&Searcher{Index: fresh, Store: db, Feed: "pm"}); len(got) != 6 {
		t.Errorf("the new saved index finds %d episodes, want 6: %v", len(got), got)
	}
}

// slowSaver is an IndexSaver whose saves take took on the test's clock.
type slowSaver struct {
	clock *time.Time
	took  time.Duration
	saves int
}

func (s *slowSaver) SearchIndex(context.Context) (store.SavedIndex, error) {
	return store.SavedIndex{}, store.ErrNotFound
}

func (s *slowSaver) SaveSearchIndex(context.Context, string, []byte, [][]byte, [][]byte) (int64, error) {
	*s.clock = s.clock.Add(s.took)
	s.saves++
	return int64(s.saves), nil
}

// Run saves again no sooner than saveSpacing times what the last save took: a
// save of 3 s (50,000 episodes on PostgreSQL) waits 5 minutes, one of 5 ms
// half a second.
func TestSaveSpacing(t *testing.T) {
	for _, tt := range []struct {
		took, after time.Duration
		want        bool
	}{
		{3 * time.Second, time.Minute, false},
		{3 * time.Second, 299 * time.Second, false},
		{3 * time.Second, 300 * time.Second, true},
		{5 * time.Millisecond, 400 * time.Millisecond, false},
		{5 * time.Millisecond, 500 * time.Millisecond, true},
	} {
		t.Run(fmt.Sprintf("took %v, %v later", tt.took, tt.after), func(t *testing.T) {
			now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			saver := &slowSaver{clock: &now, took: tt.took}
			r := &IndexRefresher{Index: search.NewIndex(), Saver: saver, Now: func() time.Time { return now }}
			if !r.saveDue() {
				t.Fatal("saveDue before any save = false, want true")
			}
			if err := r.Save(context.Background()); err != nil {
				t.Fatal(err)
			}
			now = now.Add(tt.after)
			if got := r.saveDue(); got != tt.want {
				t.Errorf("saveDue = %v, want %v", got, tt.want)
			}
		})
	}
}
