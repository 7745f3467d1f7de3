package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
)

const (
	postMortem = "https://postmortem.example/feed.xml"
	giantBomb  = "https://giantbomb.example/bombcast.xml"
)

// feedRow is what a test checks of a feed row.
type feedRow struct {
	Name     string
	Source   string
	Episodes int
}

func feedRows(t *testing.T, db *DB) map[int64]feedRow {
	t.Helper()
	ctx := context.Background()
	fs, err := db.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[int64]feedRow, len(fs))
	for _, f := range fs {
		n, err := db.CountEpisodes(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[f.ID] = feedRow{f.Name, f.Source, n}
	}
	return out
}

func mustEnsure(t *testing.T, db *DB, name, source string) Feed {
	t.Helper()
	f, err := db.EnsureFeed(context.Background(), name, source)
	if err != nil {
		t.Fatalf("EnsureFeed(%q, %q): %v", name, source, err)
	}
	return f
}

func mustPoll(t *testing.T, db *DB, feedID int64, eps []feeds.Episode) PollResult {
	t.Helper()
	res, err := db.RecordPoll(context.Background(), feedID, eps, feeds.Policy{FloodLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Reusing a database with another feed URL whose name is the same used to merge
// the second podcast's episodes into the first's.
func TestTwoSourcesWithOneNameNeverShareEpisodes(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, Memory)
	pm := mustEnsure(t, db, "Post Mortem", postMortem)
	sub, err := db.EnsureSubscription(ctx, Subscription{Platform: "console", Channel: "stdout", FeedID: pm.ID})
	if err != nil {
		t.Fatal(err)
	}
	mustPoll(t, db, pm.ID, feedOf("pm", 1, 2, 3))

	gb := mustEnsure(t, db, "Post Mortem", giantBomb)
	if gb.ID == pm.ID || gb.Polls != 0 || gb.URL != "" {
		t.Fatalf("the other source = feed %d with %d polls, URL %q; want a fresh feed beside feed %d", gb.ID, gb.Polls, gb.URL, pm.ID)
	}
	if _, err := db.EnsureSubscription(ctx, Subscription{Platform: "console", Channel: "stdout", FeedID: gb.ID}); err != nil {
		t.Fatal(err)
	}
	res := mustPoll(t, db, gb.ID, feedOf("gb", 1, 2, 3, 4, 5, 6, 7))
	if res.Reason != feeds.ReasonFirstPoll || res.Deliveries != 0 {
		t.Errorf("first poll of the new source: reason %q, %d deliveries; want %q and none (no flood)", res.Reason, res.Deliveries, feeds.ReasonFirstPoll)
	}
	want := map[int64]feedRow{
		pm.ID: {"Post Mortem~1", postMortem, 3},
		gb.ID: {"Post Mortem", giantBomb, 7},
	}
	if diff := cmp.Diff(want, feedRows(t, db)); diff != "" {
		t.Errorf("feeds (-want +got):\n%s", diff)
	}
	// The retired feed keeps its subscription as it was.
	dls, err := db.Deliveries(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 0 {
		t.Errorf("deliveries = %+v, want none", dls)
	}
	var feedID int64
	var active bool
	if err := db.db.QueryRowContext(ctx, `SELECT feed_id, active FROM subscriptions WHERE id = ?`, sub.ID).Scan(&feedID, &active); err != nil {
		t.Fatal(err)
	}
	if feedID != pm.ID || !active {
		t.Errorf("the retired feed's subscription: feed %d active %v, want feed %d, active", feedID, active, pm.ID)
	}

	// Going back to the first source finds its feed, episodes and polls again.
	back := mustEnsure(t, db, "Post Mortem", postMortem)
	if back.ID != pm.ID || back.Polls != 1 {
		t.Errorf("back to the first source: feed %d with %d polls, want feed %d with 1", back.ID, back.Polls, pm.ID)
	}
	want = map[int64]feedRow{
		pm.ID: {"Post Mortem", postMortem, 3},
		gb.ID: {"Post Mortem~2", giantBomb, 7},
	}
	if diff := cmp.Diff(want, feedRows(t, db)); diff != "" {
		t.Errorf("feeds after going back (-want +got):\n%s", diff)
	}
}

func TestEnsureFeedIdentity(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// before prepares the database and returns the id the last ensure must give.
		before func(t *testing.T, db *DB) int64
		ensure [2]string // name, source
		want   map[int64]feedRow
	}{
		{
			name: "a renamed feed keeps its episodes",
			before: func(t *testing.T, db *DB) int64 {
				f := mustEnsure(t, db, "pm", postMortem)
				mustPoll(t, db, f.ID, feedOf("pm", 1, 2))
				return f.ID
			},
			ensure: [2]string{"Post Mortem", postMortem},
			want:   map[int64]feedRow{1: {"Post Mortem", postMortem, 2}},
		},
		{
			name: "a rename onto a name another source holds retires that one",
			before: func(t *testing.T, db *DB) int64 {
				f := mustEnsure(t, db, "pm", postMortem)
				mustPoll(t, db, f.ID, feedOf("pm", 1, 2))
				g := mustEnsure(t, db, "gb", giantBomb)
				mustPoll(t, db, g.ID, feedOf("gb", 1))
				return f.ID
			},
			ensure: [2]string{"gb", postMortem},
			want:   map[int64]feedRow{1: {"gb", postMortem, 2}, 2: {"gb~2", giantBomb, 1}},
		},
		{
			name: "the same name and source is the same feed",
			before: func(t *testing.T, db *DB) int64 {
				f := mustEnsure(t, db, "pm", postMortem)
				mustPoll(t, db, f.ID, feedOf("pm", 1))
				return f.ID
			},
			ensure: [2]string{"pm", postMortem},
			want:   map[int64]feedRow{1: {"pm", postMortem, 1}},
		},
		{
			name: "a row from before sources were recorded adopts its source",
			before: func(t *testing.T, db *DB) int64 {
				f := mustEnsure(t, db, "pm", "")
				mustPoll(t, db, f.ID, feedOf("pm", 1))
				return f.ID
			},
			ensure: [2]string{"pm", postMortem},
			want:   map[int64]feedRow{1: {"pm", postMortem, 1}},
		},
		{
			name: "of two rows with the source (an older pmbot's rename), the one with the name wins",
			before: func(t *testing.T, db *DB) int64 {
				for _, name := range []string{"old", "new"} {
					if _, err := db.db.ExecContext(ctx, `INSERT INTO feeds (name, source) VALUES (?, ?)`, name, postMortem); err != nil {
						t.Fatal(err)
					}
				}
				return 2
			},
			ensure: [2]string{"new", postMortem},
			want:   map[int64]feedRow{1: {"old", postMortem, 0}, 2: {"new", postMortem, 0}},
		},
		{
			name: "of two rows with the source and neither name, the oldest wins",
			before: func(t *testing.T, db *DB) int64 {
				for _, name := range []string{"old", "new"} {
					if _, err := db.db.ExecContext(ctx, `INSERT INTO feeds (name, source) VALUES (?, ?)`, name, postMortem); err != nil {
						t.Fatal(err)
					}
				}
				return 1
			},
			ensure: [2]string{"Post Mortem", postMortem},
			want:   map[int64]feedRow{1: {"Post Mortem", postMortem, 0}, 2: {"new", postMortem, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := openTest(t, Memory)
			wantID := tt.before(t, db)
			f := mustEnsure(t, db, tt.ensure[0], tt.ensure[1])
			if f.ID != wantID || f.Name != tt.ensure[0] || f.Source != tt.ensure[1] {
				t.Errorf("EnsureFeed = feed %d %q %q, want feed %d", f.ID, f.Name, f.Source, wantID)
			}
			if diff := cmp.Diff(tt.want, feedRows(t, db)); diff != "" {
				t.Errorf("feeds (-want +got):\n%s", diff)
			}
		})
	}
}

// A feed that moves (<itunes:new-feed-url>, a 301) changes its URL, not its
// source: it stays the same feed, with what it knows.
func TestMovedFeedKeepsItsIdentity(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, Memory)
	f := mustEnsure(t, db, "pm", postMortem)
	mustPoll(t, db, f.ID, feedOf("pm", 1, 2))
	f.URL, f.ETag = "https://new-host.example/pm.xml", `"v2"`
	if err := db.SaveFeedState(ctx, f); err != nil {
		t.Fatal(err)
	}
	again := mustEnsure(t, db, "pm", postMortem)
	if again.ID != f.ID || again.URL != f.URL || again.ETag != `"v2"` || again.Polls != 1 || again.Source != postMortem {
		t.Errorf("after the move EnsureFeed = %+v; want feed %d at the new URL, with its validators and polls", again, f.ID)
	}
	if _, err := db.FeedByName(ctx, "pm~1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("FeedByName(pm~1) = %v, want ErrNotFound: nothing was retired", err)
	}
}

func TestFeedsSourceIndex(t *testing.T) {
	db, _ := openTest(t, Memory)
	var plan string
	var a, b, c int
	err := db.db.QueryRowContext(context.Background(), `EXPLAIN QUERY PLAN SELECT id FROM feeds WHERE source = ?`, postMortem).Scan(&a, &b, &c, &plan)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "INDEX feeds_source") {
		t.Errorf("query plan = %q, want the feeds_source index", plan)
	}
}
