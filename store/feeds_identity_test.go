package store

import (
	"context"
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
	res, err := RecordPoll(context.Background(), db, feedID, eps, feeds.Policy{FloodLimit: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEnsureFeedIdentity covers rows only older pmbots left (storetest covers the
// rest of a feed's identity).
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
