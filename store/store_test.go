package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func openTest(t *testing.T, path string) (*DB, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	db, err := Open(context.Background(), path, Options{Now: c.Now})
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, c
}

// ep builds episode n of a test feed hosted on host.
func ep(n int, host string) feeds.Episode {
	return feeds.Episode{
		GUID:      fmt.Sprintf("%s-guid-%d", host, n),
		Number:    n,
		Type:      feeds.TypeFull,
		Title:     fmt.Sprintf("Episode about topic %d", n),
		Published: time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC).AddDate(0, 0, 7*n),
		AudioURL:  fmt.Sprintf("https://%s/ep%d.mp3?utm_source=feed", host, n),
	}
}

// feedOf lists episodes newest first, as feeds do.
func feedOf(host string, numbers ...int) []feeds.Episode {
	var out []feeds.Episode
	for i := len(numbers) - 1; i >= 0; i-- {
		out = append(out, ep(numbers[i], host))
	}
	return out
}

func setup(t *testing.T, subs int) (*DB, Feed) {
	t.Helper()
	db, _ := openTest(t, Memory)
	ctx := context.Background()
	f, err := db.EnsureFeed(ctx, "pm", "https://example.org/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range subs {
		if _, err := db.EnsureSubscription(ctx, Subscription{Platform: "console", Channel: fmt.Sprintf("c%d", i), FeedID: f.ID, Language: "en"}); err != nil {
			t.Fatal(err)
		}
	}
	return db, f
}

type delivered struct {
	Channel string
	Kind    string
	Numbers []int
}

func pending(t *testing.T, db *DB) []delivered {
	t.Helper()
	ctx := context.Background()
	dls, err := db.Deliveries(ctx, StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	var out []delivered
	for _, dl := range dls {
		eps, err := db.EpisodesByID(ctx, dl.EpisodeIDs)
		if err != nil {
			t.Fatal(err)
		}
		d := delivered{Channel: dl.Subscription.Channel, Kind: dl.Kind}
		for _, e := range eps {
			d.Numbers = append(d.Numbers, e.Number)
		}
		out = append(out, d)
	}
	return out
}

func TestRecordPoll(t *testing.T) {
	policy := feeds.Policy{FloodLimit: 3}
	tests := []struct {
		name    string
		policy  feeds.Policy
		polls   [][]feeds.Episode
		wantNew int // new episodes in the last poll
		want    []delivered
		wantEps int
		wantWhy string
	}{
		{
			name:    "first poll announces nothing",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1, 2, 3)},
			wantNew: 3, wantEps: 3, wantWhy: feeds.ReasonFirstPoll,
		},
		{
			name:    "first poll with backfill announces the newest, oldest first",
			policy:  feeds.Policy{FloodLimit: 3, Backfill: 2},
			polls:   [][]feeds.Episode{feedOf("a", 1, 2, 3)},
			wantNew: 3, wantEps: 3, wantWhy: feeds.ReasonFirstPoll,
			// Episode by episode across the channels; each channel oldest first.
			want: []delivered{{"c0", KindEpisode, []int{2}}, {"c1", KindEpisode, []int{2}}, {"c0", KindEpisode, []int{3}}, {"c1", KindEpisode, []int{3}}},
		},
		{
			name:    "a new episode is announced once per subscription",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1, 2), feedOf("a", 1, 2, 3)},
			wantNew: 1, wantEps: 3,
			want: []delivered{{"c0", KindEpisode, []int{3}}, {"c1", KindEpisode, []int{3}}},
		},
		{
			name:    "the same poll twice announces once",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1), feedOf("a", 1, 2), feedOf("a", 1, 2)},
			wantNew: 0, wantEps: 2,
			want: []delivered{{"c0", KindEpisode, []int{2}}, {"c1", KindEpisode, []int{2}}},
		},
		{
			name:    "host migration rewriting GUIDs and enclosures is recognised by number and title",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1, 2, 3), feedOf("b", 1, 2, 3)},
			wantNew: 0, wantEps: 3,
		},
		{
			name:   "a migration that changes everything announces nothing",
			policy: policy,
			polls: [][]feeds.Episode{feedOf("a", 1, 2, 3), func() []feeds.Episode {
				eps := feedOf("b", 1, 2, 3)
				for i := range eps {
					eps[i].Number, eps[i].Title = 0, "Renamed "+eps[i].Title
					eps[i].Published = eps[i].Published.Add(48 * time.Hour)
				}
				return eps
			}()},
			wantNew: 3, wantEps: 6, wantWhy: feeds.ReasonHostMigration,
		},
		{
			name:    "an item that leaves the feed and comes back is not new",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1, 2, 3), feedOf("a", 3), feedOf("a", 1, 2, 3)},
			wantNew: 0, wantEps: 3,
		},
		{
			name:    "more new episodes than the flood limit make one summary",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1), feedOf("a", 1, 2, 3, 4, 5, 6)},
			wantNew: 5, wantEps: 6,
			want: []delivered{{"c0", KindSummary, []int{2, 3, 4, 5, 6}}, {"c1", KindSummary, []int{2, 3, 4, 5, 6}}},
		},
		{
			name:    "exactly the flood limit is announced one by one",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1), feedOf("a", 1, 2, 3, 4)},
			wantNew: 3, wantEps: 4,
			want: []delivered{
				{"c0", KindEpisode, []int{2}}, {"c1", KindEpisode, []int{2}},
				{"c0", KindEpisode, []int{3}}, {"c1", KindEpisode, []int{3}},
				{"c0", KindEpisode, []int{4}}, {"c1", KindEpisode, []int{4}},
			},
		},
		{
			name:    "a feed listing an item twice records it once",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1), append(feedOf("a", 1, 2), ep(2, "a"))},
			wantNew: 1, wantEps: 2,
			want: []delivered{{"c0", KindEpisode, []int{2}}, {"c1", KindEpisode, []int{2}}},
		},
		{
			name:   "tracking parameters on the enclosure do not make a new episode",
			policy: policy,
			polls: [][]feeds.Episode{feedOf("a", 1, 2), func() []feeds.Episode {
				eps := feedOf("a", 1, 2)
				for i := range eps {
					eps[i].GUID += "-v2"
					eps[i].Number = 0
					eps[i].AudioURL += "&utm_campaign=x"
				}
				return eps
			}()},
			wantNew: 0, wantEps: 2,
		},
		{
			name:    "an empty first poll does not silence the first real episode",
			policy:  policy,
			polls:   [][]feeds.Episode{nil, feedOf("a", 1)},
			wantNew: 1, wantEps: 1,
			want: []delivered{{"c0", KindEpisode, []int{1}}, {"c1", KindEpisode, []int{1}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, f := setup(t, 2)
			var res PollResult
			for i, p := range tt.polls {
				var err error
				res, err = db.RecordPoll(ctx, f.ID, p, tt.policy)
				if err != nil {
					t.Fatalf("poll %d: %v", i, err)
				}
			}
			if len(res.New) != tt.wantNew {
				t.Errorf("last poll: %d new episodes, want %d", len(res.New), tt.wantNew)
			}
			if res.Reason != tt.wantWhy {
				t.Errorf("last poll: reason %q, want %q", res.Reason, tt.wantWhy)
			}
			if n, _ := db.CountEpisodes(ctx, f.ID); n != tt.wantEps {
				t.Errorf("stored %d episodes, want %d", n, tt.wantEps)
			}
			if diff := cmp.Diff(tt.want, pending(t, db)); diff != "" {
				t.Errorf("pending deliveries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordPollUpdatesKnownEpisodes(t *testing.T) {
	ctx := context.Background()
	db, f := setup(t, 1)
	if _, err := db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2), feeds.Policy{FloodLimit: 3}); err != nil {
		t.Fatal(err)
	}
	eps := feedOf("b", 1, 2)
	eps[0].Notes.Summary = "edited notes"
	res, err := db.RecordPoll(ctx, f.ID, eps, feeds.Policy{FloodLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated) != 2 {
		t.Errorf("Updated = %d episodes, want 2 (GUIDs changed)", len(res.Updated))
	}
	got, err := db.EpisodeByNumber(ctx, f.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.GUID != "b-guid-2" || got.Notes.Summary != "edited notes" {
		t.Errorf("episode 2 = GUID %q summary %q, want the new GUID and notes", got.GUID, got.Notes.Summary)
	}
	// The old GUID still names the episode: a rollback of the migration is no flood.
	res, err = db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2), feeds.Policy{FloodLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 0 {
		t.Errorf("rollback: %d new episodes, want 0", len(res.New))
	}
}

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	db, c := openTest(t, Memory)
	f, _ := db.EnsureFeed(ctx, "pm", "src")
	sub, _ := db.EnsureSubscription(ctx, Subscription{Platform: "console", Channel: "stdout", FeedID: f.ID})
	db.RecordPoll(ctx, f.ID, feedOf("a", 1), feeds.Policy{FloodLimit: 3})
	db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2, 3), feeds.Policy{FloodLimit: 3})

	claimed, err := db.ClaimDue(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 2 || claimed[0].Subscription.ID != sub.ID || claimed[0].Attempts != 1 {
		t.Fatalf("ClaimDue = %+v, want 2 deliveries on attempt 1", claimed)
	}
	if again, _ := db.ClaimDue(ctx, 10, time.Minute); len(again) != 0 {
		t.Fatalf("second ClaimDue within the lease = %d deliveries, want 0", len(again))
	}
	if err := db.MarkSent(ctx, claimed[0].ID, "m1"); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkRetry(ctx, claimed[1].ID, "HTTP 500", c.t.Add(10*time.Second), true); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.ClaimDue(ctx, 10, time.Minute); len(due) != 0 {
		t.Fatalf("ClaimDue before the retry time = %d, want 0", len(due))
	}
	next, ok, err := db.NextDue(ctx)
	if err != nil || !ok || !next.Equal(c.t.Add(10*time.Second)) {
		t.Fatalf("NextDue = %v %v %v, want the retry time", next, ok, err)
	}
	c.t = c.t.Add(11 * time.Second)
	due, _ := db.ClaimDue(ctx, 10, time.Minute)
	if len(due) != 1 || due[0].Attempts != 2 || due[0].LastError != "HTTP 500" {
		t.Fatalf("ClaimDue after the retry time = %+v, want the retried delivery on attempt 2", due)
	}
	if err := db.MarkDead(ctx, due[0].ID, "channel_not_found"); err != nil {
		t.Fatal(err)
	}
	// A lease that runs out (the dispatcher died mid-post) makes the delivery due again.
	db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2, 3, 4), feeds.Policy{FloodLimit: 3})
	if got, _ := db.ClaimDue(ctx, 10, time.Minute); len(got) != 1 {
		t.Fatalf("ClaimDue = %d, want 1", len(got))
	}
	c.t = c.t.Add(2 * time.Minute)
	if got, _ := db.ClaimDue(ctx, 10, time.Minute); len(got) != 1 {
		t.Fatalf("ClaimDue after an expired lease = %d, want 1", len(got))
	}
	all, _ := db.Deliveries(ctx, "")
	var statuses []string
	for _, d := range all {
		statuses = append(statuses, d.Status)
	}
	if diff := cmp.Diff([]string{StatusSent, StatusDead, StatusPending}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestReopenKeepsState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pm.db")
	db, _ := openTest(t, path)
	f, _ := db.EnsureFeed(ctx, "pm", "src")
	db.EnsureSubscription(ctx, Subscription{Platform: "console", Channel: "stdout", FeedID: f.ID})
	db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2), feeds.Policy{FloodLimit: 3})
	f.ETag = `"v1"`
	if err := db.SaveFeedState(ctx, f); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db2, _ := openTest(t, path)
	f2, err := db2.EnsureFeed(ctx, "pm", "src")
	if err != nil {
		t.Fatal(err)
	}
	if f2.ETag != `"v1"` || f2.Polls != 1 {
		t.Errorf("after reopen: etag %q polls %d, want \"v1\" and 1", f2.ETag, f2.Polls)
	}
	res, err := db2.RecordPoll(ctx, f2.ID, feedOf("a", 1, 2, 3), feeds.Policy{FloodLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deliveries != 1 {
		t.Errorf("after reopen: %d deliveries, want 1 (not a first poll)", res.Deliveries)
	}
	// A changed source is another feed: a fresh row, whose first poll announces
	// nothing; the old one is retired with its episodes, never merged.
	f3, _ := db2.EnsureFeed(ctx, "pm", "other-src")
	if f3.ID == f2.ID || f3.ETag != "" || f3.Polls != 0 {
		t.Errorf("after source change: feed %d (was %d) etag %q polls %d; want a new feed, no etag, 0 polls", f3.ID, f2.ID, f3.ETag, f3.Polls)
	}
}

func TestDispatcherLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pm.db")
	first, err := Open(ctx, path, Options{Dispatcher: true})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := first.EnsureFeed(ctx, "pm", "src")
	first.EnsureSubscription(ctx, Subscription{Platform: "console", Channel: "stdout", FeedID: f.ID})
	first.RecordPoll(ctx, f.ID, feedOf("a", 1), feeds.Policy{FloodLimit: 3})
	first.RecordPoll(ctx, f.ID, feedOf("a", 1, 2), feeds.Policy{FloodLimit: 3})
	if got, _ := first.ClaimDue(ctx, 10, time.Hour); len(got) != 1 {
		t.Fatalf("ClaimDue = %d, want 1", len(got))
	}
	if _, err := Open(ctx, path, Options{Dispatcher: true}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second dispatcher Open = %v, want ErrLocked", err)
	}
	reader, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("a reader opens beside the dispatcher: %v", err)
	}
	reader.Close()
	first.Close() // as if killed: the claim stays in the database

	next, err := Open(ctx, path, Options{Dispatcher: true})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if got, _ := next.ClaimDue(ctx, 10, time.Hour); len(got) != 1 {
		t.Fatalf("after restart ClaimDue = %d, want the stale claim released", len(got))
	}
}
