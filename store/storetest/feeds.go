package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

const (
	postMortem = "https://postmortem.example/feed.xml"
	giantBomb  = "https://giantbomb.example/bombcast.xml"
)

// feedRow is what a test checks of a feed.
type feedRow struct {
	Name     string
	Source   string
	Episodes int
}

// feedRows returns every feed by id.
func (e *env) feedRows() map[int64]feedRow {
	e.t.Helper()
	fs, err := e.st.Feeds(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	out := make(map[int64]feedRow, len(fs))
	for _, f := range fs {
		n, err := e.st.CountEpisodes(e.ctx, f.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		out[f.ID] = feedRow{f.Name, f.Source, n}
	}
	return out
}

// A feed is its source, never its name alone: renames keep a feed's episodes, and
// a name pointed at another source retires the feed that held it.
func testFeedIdentity(t *testing.T, open Opener) {
	tests := []struct {
		name string
		// before prepares the store and returns the id the ensure must give and
		// the feeds it must leave.
		before func(e *env) (int64, map[int64]feedRow)
		ensure [2]string // name, source
	}{
		{
			name: "a renamed feed keeps its episodes",
			before: func(e *env) (int64, map[int64]feedRow) {
				f := e.feed("pm", postMortem)
				e.poll(f.ID, feedOf("pm", 1, 2))
				return f.ID, map[int64]feedRow{f.ID: {"Post Mortem", postMortem, 2}}
			},
			ensure: [2]string{"Post Mortem", postMortem},
		},
		{
			name: "a rename onto a name another source holds retires that one",
			before: func(e *env) (int64, map[int64]feedRow) {
				f := e.feed("pm", postMortem)
				e.poll(f.ID, feedOf("pm", 1, 2))
				g := e.feed("gb", giantBomb)
				e.poll(g.ID, feedOf("gb", 1))
				return f.ID, map[int64]feedRow{f.ID: {"gb", postMortem, 2}, g.ID: {fmt.Sprintf("gb~%d", g.ID), giantBomb, 1}}
			},
			ensure: [2]string{"gb", postMortem},
		},
		{
			name: "the same name and source is the same feed",
			before: func(e *env) (int64, map[int64]feedRow) {
				f := e.feed("pm", postMortem)
				e.poll(f.ID, feedOf("pm", 1))
				return f.ID, map[int64]feedRow{f.ID: {"pm", postMortem, 1}}
			},
			ensure: [2]string{"pm", postMortem},
		},
		{
			name: "a feed from before sources were recorded adopts its source",
			before: func(e *env) (int64, map[int64]feedRow) {
				f := e.feed("pm", "")
				e.poll(f.ID, feedOf("pm", 1))
				return f.ID, map[int64]feedRow{f.ID: {"pm", postMortem, 1}}
			},
			ensure: [2]string{"pm", postMortem},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, open)
			wantID, want := tt.before(e)
			f := e.feed(tt.ensure[0], tt.ensure[1])
			if f.ID != wantID || f.Name != tt.ensure[0] || f.Source != tt.ensure[1] {
				t.Errorf("EnsureFeed = feed %d %q %q, want feed %d", f.ID, f.Name, f.Source, wantID)
			}
			if diff := cmp.Diff(want, e.feedRows()); diff != "" {
				t.Errorf("feeds (-want +got):\n%s", diff)
			}
		})
	}
}

// Reusing a database with another feed URL under the same name used to merge the
// second podcast's episodes into the first's.
func testTwoSourcesWithOneName(t *testing.T, open Opener) {
	e := newEnv(t, open)
	pm := e.feed("Post Mortem", postMortem)
	sub := e.subscribe(pm.ID, "stdout")
	e.poll(pm.ID, feedOf("pm", 1, 2, 3))

	gb := e.feed("Post Mortem", giantBomb)
	if gb.ID == pm.ID || gb.Polls != 0 || gb.URL != "" {
		t.Fatalf("the other source = feed %d with %d polls, URL %q; want a fresh feed beside feed %d", gb.ID, gb.Polls, gb.URL, pm.ID)
	}
	e.subscribe(gb.ID, "stdout")
	res := e.poll(gb.ID, feedOf("gb", 1, 2, 3, 4, 5, 6, 7))
	if res.Reason != feeds.ReasonFirstPoll || res.Deliveries != 0 {
		t.Errorf("first poll of the new source: reason %q, %d deliveries; want %q and none (no flood)", res.Reason, res.Deliveries, feeds.ReasonFirstPoll)
	}
	want := map[int64]feedRow{
		pm.ID: {fmt.Sprintf("Post Mortem~%d", pm.ID), postMortem, 3},
		gb.ID: {"Post Mortem", giantBomb, 7},
	}
	if diff := cmp.Diff(want, e.feedRows()); diff != "" {
		t.Errorf("feeds (-want +got):\n%s", diff)
	}
	if got := e.deliveries(""); len(got) != 0 {
		t.Errorf("deliveries = %+v, want none", got)
	}
	// The retired feed keeps its subscription as it was.
	subs, err := e.st.Subscriptions(e.ctx, pm.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || subs[0].ID != sub.ID || !subs[0].Active {
		t.Errorf("the retired feed's subscriptions = %+v, want subscription %d, active", subs, sub.ID)
	}

	// Going back to the first source finds its feed, episodes and polls again.
	back := e.feed("Post Mortem", postMortem)
	if back.ID != pm.ID || back.Polls != 1 {
		t.Errorf("back to the first source: feed %d with %d polls, want feed %d with 1", back.ID, back.Polls, pm.ID)
	}
	want = map[int64]feedRow{
		pm.ID: {"Post Mortem", postMortem, 3},
		gb.ID: {fmt.Sprintf("Post Mortem~%d", gb.ID), giantBomb, 7},
	}
	if diff := cmp.Diff(want, e.feedRows()); diff != "" {
		t.Errorf("feeds after going back (-want +got):\n%s", diff)
	}
}

// A feed's fetch state is kept between polls; a feed that moves
// (<itunes:new-feed-url>, a 301) changes its URL, not its source, and stays the
// same feed.
func testFeedState(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", postMortem)
	if title, err := e.st.FeedTitle(e.ctx, f.ID); err != nil || title != "pm" {
		t.Errorf("FeedTitle before any poll = %q, %v; want the name", title, err)
	}
	e.poll(f.ID, feedOf("pm", 1, 2))
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	f.URL, f.Title, f.ETag, f.LastModified = "https://new-host.example/pm.xml", "Post Mortem", `"v2"`, "Thu, 26 Nov 2026 10:00:00 GMT"
	f.NextPollAt, f.LastPolledAt, f.FailingSince = at.Add(time.Hour), at, at.Add(-time.Hour)
	f.Failures, f.LastError = 2, "HTTP 503"
	if err := e.st.SaveFeedState(e.ctx, f); err != nil {
		t.Fatal(err)
	}
	want := f
	want.Polls, want.Changes = 1, 1 // counted by the poll; SaveFeedState leaves them alone
	got, err := e.st.FeedByName(e.ctx, "pm")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FeedByName after SaveFeedState (-want +got):\n%s", diff)
	}
	again := e.feed("pm", postMortem)
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("EnsureFeed after the move (-want +got):\n%s", diff)
	}
	if title, err := e.st.FeedTitle(e.ctx, f.ID); err != nil || title != "Post Mortem" {
		t.Errorf("FeedTitle = %q, %v; want the title", title, err)
	}
	if _, err := e.st.FeedByName(e.ctx, fmt.Sprintf("pm~%d", f.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FeedByName(pm~%d) = %v, want ErrNotFound: nothing was retired", f.ID, err)
	}
	other := e.feed("other", giantBomb)
	all, err := e.st.Feeds(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != f.ID || all[1].ID != other.ID {
		t.Errorf("Feeds = %+v, want feeds %d and %d, by id", all, f.ID, other.ID)
	}
}
