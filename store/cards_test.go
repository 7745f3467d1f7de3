package store

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
)

// A database written before the card columns existed: its rows read from
// their data until the next open fills the columns; a damaged row stays out.
func TestCardsFilledAtOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pmbot.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := db.EnsureFeed(ctx, "pm", "https://example.org/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	eps := feedOf("a", 1, 2, 3)
	for i := range eps {
		eps[i].NotesText = "Notes of " + eps[i].Title
		eps[i].Notes.Summary = "About " + eps[i].Title
	}
	res, err := RecordPoll(ctx, db, f.ID, eps, feeds.Policy{FloodLimit: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, e := range res.New {
		ids = append(ids, e.ID)
	}
	want, err := db.EpisodeCards(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	// As migration 10 leaves the rows of an older database; the last one's
	// data is damaged besides.
	if _, err := db.db.ExecContext(ctx, `UPDATE episodes SET card_filled = 0, summary = '', notes_text = '', link = '', duration = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, `UPDATE episodes SET data = '{' WHERE id = ?`, ids[2]); err != nil {
		t.Fatal(err)
	}
	titles := func(eps []Episode) []string {
		var out []string
		for _, e := range eps {
			out = append(out, e.Title+": "+e.NotesText+" / "+e.Notes.Summary)
		}
		return out
	}
	before, err := db.EpisodeCards(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(titles(want[:2]), titles(before)); diff != "" {
		t.Errorf("EpisodeCards before they are filled, from the rows' data (-want +got):\n%s", diff)
	}
	db.Close()

	db, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var unfilled int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM episodes WHERE card_filled = 0`).Scan(&unfilled); err != nil {
		t.Fatal(err)
	}
	if unfilled != 1 {
		t.Errorf("%d rows left unfilled after open, want 1 (the damaged one)", unfilled)
	}
	after, err := db.EpisodeCards(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:2], after); diff != "" {
		t.Errorf("EpisodeCards once filled (-want +got):\n%s", diff)
	}
}
