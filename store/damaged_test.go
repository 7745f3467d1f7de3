package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"log/slog"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
)

// damagedSetup records episodes 1 to 5 of a feed, then damages the data of the
// episodes numbered in damage: the first as truncated JSON, the others as JSON of
// the wrong shape. It returns the ids by episode number and the log.
func damagedSetup(t *testing.T, damage ...int) (*DB, Feed, map[int]int64, *bytes.Buffer) {
	t.Helper()
	ctx := context.Background()
	var log bytes.Buffer
	db, err := Open(ctx, Memory, Options{
		Now:    func() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) },
		Logger: slog.New(slog.NewJSONHandler(&log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f, err := db.EnsureFeed(ctx, "pm", "https://example.org/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := RecordPoll(ctx, db, f.ID, feedOf("a", 1, 2, 3, 4, 5), feeds.Policy{FloodLimit: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := make(map[int]int64)
	for _, e := range res.New {
		ids[e.Number] = e.ID
	}
	for i, n := range damage {
		data := `{"title":` // as a half-written row reads
		if i > 0 {
			data = `{"Number":"three"}` // JSON, but not an episode
		}
		// card_filled = 0: the card columns were damaged with it, or never written.
		if _, err := db.db.ExecContext(ctx, `UPDATE episodes SET data = ?, card_filled = 0 WHERE id = ?`, data, ids[n]); err != nil {
			t.Fatal(err)
		}
	}
	return db, f, ids, &log
}

func numbers(eps []Episode) []int {
	out := []int{}
	for _, e := range eps {
		out = append(out, e.Number)
	}
	return out
}

// A damaged episode row used to fail every query that met it ("unexpected end of
// JSON input"), and with it every command and the search index of run.
func TestDamagedEpisodeRowsAreLeftOut(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		query func(db *DB, f Feed, ids map[int]int64) ([]Episode, error)
		want  []int
	}{
		{"Latest fills the count from the next rows", func(db *DB, f Feed, _ map[int]int64) ([]Episode, error) {
			return db.Latest(ctx, f.ID, 3)
		}, []int{5, 2, 1}},
		{"Episodes", func(db *DB, f Feed, _ map[int]int64) ([]Episode, error) {
			return db.Episodes(ctx, f.ID)
		}, []int{5, 2, 1}},
		{"EpisodesSince", func(db *DB, f Feed, _ map[int]int64) ([]Episode, error) {
			return db.EpisodesSince(ctx, f.ID, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		}, []int{1, 2, 5}},
		{"EpisodesByID returns the others", func(db *DB, _ Feed, ids map[int]int64) ([]Episode, error) {
			return db.EpisodesByID(ctx, []int64{ids[5], ids[3], ids[1], ids[4]})
		}, []int{5, 1}},
		{"EachEpisode", func(db *DB, f Feed, _ map[int]int64) ([]Episode, error) {
			var out []Episode
			err := db.EachEpisode(ctx, f.ID, func(e Episode) error { out = append(out, e); return nil })
			return out, err
		}, []int{5, 2, 1}},
		{"EpisodeCards returns the others", func(db *DB, _ Feed, ids map[int]int64) ([]Episode, error) {
			return db.EpisodeCards(ctx, []int64{ids[5], ids[3], ids[1], ids[4]})
		}, []int{5, 1}},
		{"EpisodesByID with only damaged ids", func(db *DB, _ Feed, ids map[int]int64) ([]Episode, error) {
			return db.EpisodesByID(ctx, []int64{ids[3]})
		}, []int{}},
		{"EpisodeByNumber of a sound episode", func(db *DB, f Feed, _ map[int]int64) ([]Episode, error) {
			e, err := db.EpisodeByNumber(ctx, f.ID, 2)
			return []Episode{e}, err
		}, []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, f, ids, _ := damagedSetup(t, 3, 4)
			got, err := tt.query(db, f, ids)
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			if diff := cmp.Diff(tt.want, numbers(got)); diff != "" {
				t.Errorf("episode numbers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDamagedEpisodeLookups(t *testing.T) {
	ctx := context.Background()
	db, f, ids, _ := damagedSetup(t, 3)
	if _, err := db.EpisodeByNumber(ctx, f.ID, 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("EpisodeByNumber(damaged 3) = %v, want ErrNotFound", err)
	}
	if _, err := db.EpisodesByID(ctx, []int64{ids[1], 9999}); !errors.Is(err, ErrNotFound) {
		t.Errorf("EpisodesByID(an id with no row) = %v, want ErrNotFound", err)
	}
}

func TestDamagedEpisodesCountedAndLoggedOnce(t *testing.T) {
	ctx := context.Background()
	db, f, ids, log := damagedSetup(t, 3, 4)
	for range 3 {
		if _, err := db.Episodes(ctx, f.ID); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.DamagedEpisodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("DamagedEpisodes = %d, want 2", n)
	}
	type record struct {
		Level   string `json:"level"`
		Episode int64  `json:"episode_id"`
		Feed    int64  `json:"feed_id"`
	}
	var got []record
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		got = append(got, r)
	}
	want := []record{{"WARN", ids[4], f.ID}, {"WARN", ids[3], f.ID}} // Episodes reads newest first
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log records, one per damaged row (-want +got):\n%s\n%s", diff, log)
	}
}

func TestDamagedEpisodesRepairedByTheNextPoll(t *testing.T) {
	ctx := context.Background()
	db, f, ids, _ := damagedSetup(t, 3, 4)
	if _, err := db.Episodes(ctx, f.ID); err != nil { // notices the wrong-shape row
		t.Fatal(err)
	}
	hashes, err := db.ContentHashes(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if hashes[ep(3, "a").GUID] != "" || hashes[ep(4, "a").GUID] != "" || hashes[ep(5, "a").GUID] == "" {
		t.Errorf("ContentHashes = %v, want empty hashes for the damaged episodes 3 and 4 only (so their notes are read again)", hashes)
	}
	res, err := RecordPoll(ctx, db, f.ID, feedOf("a", 1, 2, 3, 4, 5), feeds.Policy{FloodLimit: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var updated []int64
	for _, e := range res.Updated {
		updated = append(updated, e.ID)
	}
	if diff := cmp.Diff([]int64{ids[4], ids[3]}, updated); diff != "" {
		t.Errorf("the poll rewrote (-want +got):\n%s", diff)
	}
	if len(res.New) != 0 || res.Deliveries != 0 {
		t.Errorf("the poll found %d new episodes and enqueued %d deliveries, want none", len(res.New), res.Deliveries)
	}
	if n, err := db.DamagedEpisodes(ctx); err != nil || n != 0 {
		t.Errorf("after the poll DamagedEpisodes = %d, %v; want 0", n, err)
	}
	got, err := db.EpisodeByNumber(ctx, f.ID, 3)
	if err != nil || got.Title != ep(3, "a").Title {
		t.Errorf("after the poll EpisodeByNumber(3) = %q, %v; want the episode back", got.Title, err)
	}
}
