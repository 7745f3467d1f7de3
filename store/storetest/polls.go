package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/shownotes"
	"github.com/pmbot/pmbot/store"
)

// Episode identity across polls and the policy: nothing lost, nothing twice, no
// flood.
func testRecordPoll(t *testing.T, open Opener) {
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
			want: []delivered{{"c0", store.KindEpisode, []int{2}}, {"c1", store.KindEpisode, []int{2}}, {"c0", store.KindEpisode, []int{3}}, {"c1", store.KindEpisode, []int{3}}},
		},
		{
			name:    "a new episode is announced once per subscription",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1, 2), feedOf("a", 1, 2, 3)},
			wantNew: 1, wantEps: 3,
			want: []delivered{{"c0", store.KindEpisode, []int{3}}, {"c1", store.KindEpisode, []int{3}}},
		},
		{
			name:    "the same poll twice announces once",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1), feedOf("a", 1, 2), feedOf("a", 1, 2)},
			wantNew: 0, wantEps: 2,
			want: []delivered{{"c0", store.KindEpisode, []int{2}}, {"c1", store.KindEpisode, []int{2}}},
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
			want: []delivered{{"c0", store.KindSummary, []int{2, 3, 4, 5, 6}}, {"c1", store.KindSummary, []int{2, 3, 4, 5, 6}}},
		},
		{
			name:    "exactly the flood limit is announced one by one",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1), feedOf("a", 1, 2, 3, 4)},
			wantNew: 3, wantEps: 4,
			want: []delivered{
				{"c0", store.KindEpisode, []int{2}}, {"c1", store.KindEpisode, []int{2}},
				{"c0", store.KindEpisode, []int{3}}, {"c1", store.KindEpisode, []int{3}},
				{"c0", store.KindEpisode, []int{4}}, {"c1", store.KindEpisode, []int{4}},
			},
		},
		{
			name:    "a feed listing an item twice records it once",
			policy:  policy,
			polls:   [][]feeds.Episode{feedOf("a", 1), append(feedOf("a", 1, 2), ep(2, "a"))},
			wantNew: 1, wantEps: 2,
			want: []delivered{{"c0", store.KindEpisode, []int{2}}, {"c1", store.KindEpisode, []int{2}}},
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
			want: []delivered{{"c0", store.KindEpisode, []int{1}}, {"c1", store.KindEpisode, []int{1}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, open)
			f := e.feed("pm", "https://example.org/feed.xml")
			e.subscribe(f.ID, "c0")
			e.subscribe(f.ID, "c1")
			var res store.PollResult
			for i, p := range tt.polls {
				var err error
				if res, err = store.RecordPoll(e.ctx, e.st, f.ID, p, tt.policy, nil); err != nil {
					t.Fatalf("poll %d: %v", i, err)
				}
			}
			if len(res.New) != tt.wantNew {
				t.Errorf("last poll: %d new episodes, want %d", len(res.New), tt.wantNew)
			}
			if res.Reason != tt.wantWhy {
				t.Errorf("last poll: reason %q, want %q", res.Reason, tt.wantWhy)
			}
			if n, err := e.st.CountEpisodes(e.ctx, f.ID); err != nil || n != tt.wantEps {
				t.Errorf("CountEpisodes = %d, %v; want %d", n, err, tt.wantEps)
			}
			if diff := cmp.Diff(tt.want, e.deliveries(store.StatusPending)); diff != "" {
				t.Errorf("pending deliveries (-want +got):\n%s", diff)
			}
			if f, err := e.st.FeedByName(e.ctx, "pm"); err != nil || f.Polls != len(tt.polls) {
				t.Errorf("feed polls = %d, %v; want %d", f.Polls, err, len(tt.polls))
			}
		})
	}
}

// A known episode whose GUID or content changed is rewritten, and its old GUID
// still names it.
func testRecordPollUpdates(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	e.subscribe(f.ID, "c0")
	first := e.poll(f.ID, feedOf("a", 1, 2))
	eps := feedOf("b", 1, 2)
	eps[0].Notes.Summary = "edited notes"
	res := e.poll(f.ID, eps)
	var updated []int64
	for _, u := range res.Updated {
		updated = append(updated, u.ID)
	}
	// In feed order: newest first.
	if diff := cmp.Diff([]int64{first.New[0].ID, first.New[1].ID}, updated); diff != "" {
		t.Errorf("Updated (-want +got):\n%s", diff)
	}
	got, err := e.st.EpisodeByNumber(e.ctx, f.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.GUID != "b-guid-2" || got.Notes.Summary != "edited notes" {
		t.Errorf("episode 2 = GUID %q summary %q, want the new GUID and notes", got.GUID, got.Notes.Summary)
	}
	// The old GUID still names the episode: a rollback of the migration is no flood.
	res = e.poll(f.ID, feedOf("a", 1, 2))
	if len(res.New) != 0 || res.Deliveries != 0 {
		t.Errorf("rollback: %d new episodes, %d deliveries; want none", len(res.New), res.Deliveries)
	}
	// An unchanged poll rewrites nothing.
	if res = e.poll(f.ID, feedOf("a", 1, 2)); len(res.Updated) != 0 {
		t.Errorf("an unchanged poll updated %d episodes, want 0", len(res.Updated))
	}
}

// titleMatch is a stand-in for the search analysis: a topic matches a title word.
func titleMatch(ep feeds.Episode, topics []string) bool {
	for _, t := range topics {
		if slices.Contains(strings.Fields(strings.ToLower(ep.Title)), t) {
			return true
		}
	}
	return false
}

// A subscription with topics gets only the episodes that match one, with the
// flood limit counted on those.
func testTopicFilters(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	e.subscribe(f.ID, "all")
	e.subscribe(f.ID, "odd", "topic", "nothing")
	e.subscribe(f.ID, "none", "absent")
	eps := func(numbers ...int) []feeds.Episode {
		out := feedOf("a", numbers...)
		for i := range out {
			if out[i].Number%2 == 0 {
				out[i].Title = "Episode about nothing special"
				if out[i].Number > 2 {
					out[i].Title = "Even episode"
				}
			}
		}
		return out
	}
	p := feeds.Policy{FloodLimit: 2}
	for _, poll := range [][]feeds.Episode{eps(1), eps(1, 2, 3, 4, 5, 6, 7)} {
		if _, err := store.RecordPoll(e.ctx, e.st, f.ID, poll, p, titleMatch); err != nil {
			t.Fatal(err)
		}
	}
	want := []delivered{
		{"all", store.KindSummary, []int{2, 3, 4, 5, 6, 7}},
		// 3, 5, 7 match "topic"; 2 matches "nothing"; 4 and 6 match neither: 4 wanted,
		// above the flood limit of 2, so one summary.
		{"odd", store.KindSummary, []int{2, 3, 5, 7}},
	}
	if diff := cmp.Diff(want, e.deliveries(store.StatusPending)); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	// Without a matcher, topics filter nothing.
	if _, err := store.RecordPoll(e.ctx, e.st, f.ID, eps(1, 2, 3, 4, 5, 6, 7, 8), p, nil); err != nil {
		t.Fatal(err)
	}
	want = append(want, delivered{"all", store.KindEpisode, []int{8}}, delivered{"odd", store.KindEpisode, []int{8}}, delivered{"none", store.KindEpisode, []int{8}})
	if diff := cmp.Diff(want, e.deliveries(store.StatusPending)); diff != "" {
		t.Errorf("deliveries without a matcher (-want +got):\n%s", diff)
	}
}

// A plan made on a state that changed before it was applied is refused whole
// (another process recorded a poll, a channel subscribed), and RecordPoll plans
// again: nothing is recorded twice or announced to too few channels.
func testStalePollPlan(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	e.subscribe(f.ID, "c0")
	e.poll(f.ID, feedOf("a", 1))

	state := func() store.PollState {
		t.Helper()
		st, err := e.st.PollState(e.ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	refused := func(what string, plan store.PollPlan) {
		t.Helper()
		if _, err := e.st.ApplyPoll(e.ctx, plan); !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: ApplyPoll = %v, want ErrConflict", what, err)
		}
	}

	stale := store.PlanPoll(state(), feedOf("a", 1, 2), policy, nil)
	e.poll(f.ID, feedOf("a", 1, 2, 3)) // another process was first
	refused("after another poll", stale)
	if n, err := e.st.CountEpisodes(e.ctx, f.ID); err != nil || n != 3 {
		t.Errorf("CountEpisodes = %d, %v; want 3: the refused plan recorded nothing", n, err)
	}

	stale = store.PlanPoll(state(), feedOf("a", 1, 2, 3, 4), policy, nil)
	e.subscribe(f.ID, "c1")
	refused("after a channel subscribed", stale)
	res, err := store.RecordPoll(e.ctx, e.st, f.ID, feedOf("a", 1, 2, 3, 4), policy, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deliveries != 2 {
		t.Errorf("RecordPoll after the refusal: %d deliveries, want 2 (both channels)", res.Deliveries)
	}

	stale = store.PlanPoll(state(), feedOf("a", 1, 2, 3, 4, 5), policy, nil)
	if _, _, err := e.st.Subscribe(e.ctx, store.Subscription{Platform: "console", Channel: "c1", FeedID: f.ID, Topics: []string{"bgp"}}); err != nil {
		t.Fatal(err)
	}
	refused("after a channel changed its topics", stale)

	// A plan that announces nothing does not depend on the subscriptions.
	quiet := store.PlanPoll(state(), feedOf("a", 1, 2, 3, 4), policy, nil)
	e.subscribe(f.ID, "c2")
	if _, err := e.st.ApplyPoll(e.ctx, quiet); err != nil {
		t.Errorf("a plan announcing nothing, after a subscription: ApplyPoll = %v, want it applied", err)
	}

	want := []delivered{
		{"c0", store.KindEpisode, []int{2}}, {"c0", store.KindEpisode, []int{3}},
		{"c0", store.KindEpisode, []int{4}}, {"c1", store.KindEpisode, []int{4}},
	}
	if diff := cmp.Diff(want, e.deliveries(store.StatusPending)); diff != "" {
		t.Errorf("pending deliveries (-want +got):\n%s", diff)
	}
	if _, err := e.st.PollState(e.ctx, f.ID+1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PollState of no feed = %v, want ErrNotFound", err)
	}
}

// ContentHashes lets a poller skip reading the notes of unchanged episodes.
func testContentHashes(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	eps := feedOf("a", 1, 2)
	e.poll(f.ID, eps)
	want := map[string]string{eps[0].GUID: eps[0].ContentHash(), eps[1].GUID: eps[1].ContentHash()}
	got, err := e.st.ContentHashes(e.ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ContentHashes (-want +got):\n%s", diff)
	}
	eps[0].Notes.Summary = "edited"
	e.poll(f.ID, eps)
	if got, err = e.st.ContentHashes(e.ctx, f.ID); err != nil || got[eps[0].GUID] != eps[0].ContentHash() {
		t.Errorf("ContentHashes after an edit = %v, %v; want %s's new hash", got, err, eps[0].GUID)
	}
}

// The catalogue's queries: newest first, by number, by id, counted.
func testEpisodeQueries(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	other := e.feed("other", "other-src")
	res := e.poll(f.ID, feedOf("a", 1, 2, 3, 4, 5))
	e.poll(other.ID, feedOf("o", 1, 2))
	ids := make(map[int]int64)
	for _, ep := range res.New {
		ids[ep.Number] = ep.ID
	}
	nums := func(eps []store.Episode, err error) []int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := []int{}
		for _, ep := range eps {
			out = append(out, ep.Number)
			if ep.FeedID != f.ID {
				t.Errorf("episode %d of feed %d, want feed %d", ep.ID, ep.FeedID, f.ID)
			}
		}
		return out
	}
	for _, tt := range []struct {
		name string
		got  []int
		want []int
	}{
		{"Latest(3)", nums(e.st.Latest(e.ctx, f.ID, 3)), []int{5, 4, 3}},
		{"Latest(0)", nums(e.st.Latest(e.ctx, f.ID, 0)), []int{}},
		{"Latest(10)", nums(e.st.Latest(e.ctx, f.ID, 10)), []int{5, 4, 3, 2, 1}},
		{"Episodes", nums(e.st.Episodes(e.ctx, f.ID)), []int{5, 4, 3, 2, 1}},
		{"EpisodesByID in the order given", nums(e.st.EpisodesByID(e.ctx, []int64{ids[3], ids[1], ids[5]})), []int{3, 1, 5}},
		{"EpisodesByID of none", nums(e.st.EpisodesByID(e.ctx, nil)), []int{}},
	} {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
	got, err := e.st.EpisodeByNumber(e.ctx, f.ID, 4)
	if err != nil || got.ID != ids[4] || got.Title != ep(4, "a").Title {
		t.Errorf("EpisodeByNumber(4) = %d %q, %v; want episode %d", got.ID, got.Title, err, ids[4])
	}
	if _, err := e.st.EpisodeByNumber(e.ctx, f.ID, 9); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EpisodeByNumber(9) = %v, want ErrNotFound", err)
	}
	if _, err := e.st.EpisodesByID(e.ctx, []int64{ids[1], ids[5] + 1000}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EpisodesByID(an id with no episode) = %v, want ErrNotFound", err)
	}
	if n, err := e.st.CountEpisodes(e.ctx, f.ID); err != nil || n != 5 {
		t.Errorf("CountEpisodes = %d, %v; want 5", n, err)
	}
	if n, err := e.st.DamagedEpisodes(e.ctx); err != nil || n != 0 {
		t.Errorf("DamagedEpisodes = %d, %v; want 0", n, err)
	}
}

// Suggesting numbers as they are typed: the episodes whose number starts with the
// digits, newest first, at most the limit; nothing for anything but digits.
func testEpisodesByNumberPrefix(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	e.poll(f.ID, upTo("a", 23))
	for _, tt := range []struct {
		digits string
		limit  int
		want   []int
	}{
		{"2", 25, []int{23, 22, 21, 20, 2}},
		{"1", 3, []int{19, 18, 17}},
		{"23", 25, []int{23}},
		{"230", 25, nil},
		{"0", 25, nil},
		{"%", 25, nil},
		{"1_", 25, nil},
		{"", 25, nil},
		{"1", 0, nil},
	} {
		eps, err := e.st.EpisodesByNumberPrefix(e.ctx, f.ID, tt.digits, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, ep := range eps {
			got = append(got, ep.Number)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("EpisodesByNumberPrefix(%q, %d) (-want +got):\n%s", tt.digits, tt.limit, diff)
		}
	}
}

// The episodes of one digest period: published in [since, until), oldest first.
func testEpisodesSince(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	var eps []feeds.Episode
	for i := 6; i >= 1; i-- {
		eps = append(eps, feeds.Episode{
			GUID: fmt.Sprintf("g%d", i), Number: i, Type: feeds.TypeFull, Title: fmt.Sprintf("Episode %d", i),
			// Weekly on Wednesdays at 06:00 UTC, from 7 January 2026.
			Published: time.Date(2026, 1, 7, 6, 0, 0, 0, time.UTC).AddDate(0, 0, 7*(i-1)),
		})
	}
	e.poll(f.ID, eps)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 6, 0, 0, 0, time.UTC) }
	for _, tt := range []struct {
		name         string
		since, until time.Time
		want         []int
	}{
		{"since inclusive, until exclusive", day(1, 14), day(1, 21), []int{2}},
		{"a second later", day(1, 14).Add(time.Second), day(1, 21).Add(time.Second), []int{3}},
		{"oldest first", day(1, 20), day(2, 12), []int{3, 4, 5, 6}},
		{"none", day(2, 12), day(3, 1), nil},
	} {
		got, err := e.st.EpisodesSince(e.ctx, f.ID, tt.since, tt.until)
		if err != nil {
			t.Fatal(err)
		}
		var nums []int
		for _, ep := range got {
			nums = append(nums, ep.Number)
		}
		if diff := cmp.Diff(tt.want, nums); diff != "" {
			t.Errorf("%s: EpisodesSince(%v, %v) (-want +got):\n%s", tt.name, tt.since, tt.until, diff)
		}
	}
}

// A search result's episodes: every field a list item shows, as the whole
// episode has it, after a poll records them and after a poll rewrites them;
// the notes' HTML and the rest of what was understood from them left out.
func testEpisodeCards(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	full := func(n int, summary string) feeds.Episode {
		x := ep(n, "a")
		x.Season, x.DurationSeconds = 2, 3600+n
		x.RawTitle = fmt.Sprintf("#%d %s", n, x.Title)
		x.Link, x.Image, x.Language = fmt.Sprintf("https://a/%d", n), "https://a/cover.jpg", "fr"
		x.NotesHTML = "<p>Notes with <b>markup</b></p>"
		x.NotesText = fmt.Sprintf("Notes of episode %d, with markup", n)
		x.Notes = feeds.Notes{Summary: summary, Takeaways: []string{"a takeaway"}, Links: []shownotes.Link{{URL: "https://x", Text: "x"}}}
		return x
	}
	card := func(x feeds.Episode) feeds.Episode {
		x.RawTitle, x.AudioType, x.AudioSize, x.NotesHTML, x.ChaptersURL, x.PodloveChapters = "", "", 0, "", "", nil
		x.Notes = feeds.Notes{Summary: x.Notes.Summary}
		return x
	}
	res := e.poll(f.ID, []feeds.Episode{full(2, "Two."), full(1, "One.")})
	ids := map[int]int64{}
	for _, x := range res.New {
		ids[x.Number] = x.ID
	}
	check := func(when string, want ...feeds.Episode) {
		t.Helper()
		got, err := e.st.EpisodeCards(e.ctx, []int64{ids[1], ids[2]})
		if err != nil {
			t.Fatalf("EpisodeCards %s: %v", when, err)
		}
		var eps []feeds.Episode
		for _, x := range got {
			if x.FeedID != f.ID {
				t.Errorf("EpisodeCards %s: episode %d of feed %d, want %d", when, x.ID, x.FeedID, f.ID)
			}
			eps = append(eps, x.Episode)
		}
		if diff := cmp.Diff(want, eps, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("EpisodeCards %s, in the order given (-want +got):\n%s", when, diff)
		}
	}
	check("after the first poll", card(full(1, "One.")), card(full(2, "Two.")))
	edited := full(2, "Two, edited.")
	edited.Title, edited.NotesText = "A new title", "New notes"
	e.poll(f.ID, []feeds.Episode{edited, full(1, "One.")})
	check("after an edit", card(full(1, "One.")), card(edited))
	if got, err := e.st.EpisodeCards(e.ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("EpisodeCards(none) = %v, %v; want nothing", got, err)
	}
	if _, err := e.st.EpisodeCards(e.ctx, []int64{ids[1], ids[2] + 1000}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EpisodeCards(an id with no episode) = %v, want ErrNotFound", err)
	}
}

// The saved search index: none at first; a save replaces the last one whole,
// under a new generation whose lists alone can be read; empty lists are not
// saved; many lists (more than one INSERT's batch) come back as written.
func testSearchIndex(t *testing.T, open Opener) {
	e := newEnv(t, open)
	if _, err := e.st.SearchIndex(e.ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SearchIndex of a new store = %v, want ErrNotFound", err)
	}
	words := make([][]byte, 1000)
	for i := range words {
		if i%7 != 3 {
			words[i] = []byte(fmt.Sprintf("word %d", i))
		}
	}
	stems := [][]byte{nil, []byte("stem 1"), {0, 1, 2, 255}}
	gen1, err := e.st.SaveSearchIndex(e.ctx, "1:3", []byte("header one"), words, stems)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := e.st.SearchIndex(e.ctx)
	if err != nil || saved.Gen != gen1 || saved.Version != "1:3" || string(saved.Header) != "header one" {
		t.Fatalf("SearchIndex = %+v, %v; want generation %d, version 1:3, header one", saved, err, gen1)
	}
	for _, tt := range []struct {
		stem bool
		term uint32
		want []byte
	}{
		{false, 0, words[0]}, {false, 999, words[999]}, {false, 3, nil}, {true, 1, stems[1]}, {true, 2, stems[2]}, {true, 0, nil}, {true, 3, nil},
	} {
		got, err := e.st.SearchPostings(e.ctx, gen1, tt.stem, tt.term)
		if tt.want == nil {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("SearchPostings(stem %v, %d) = %q, %v; want ErrNotFound", tt.stem, tt.term, got, err)
			}
			continue
		}
		if err != nil || string(got) != string(tt.want) {
			t.Errorf("SearchPostings(stem %v, %d) = %q, %v; want %q", tt.stem, tt.term, got, err, tt.want)
		}
	}
	gen2, err := e.st.SaveSearchIndex(e.ctx, "1:4", []byte("header two"), [][]byte{[]byte("new")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gen2 == gen1 {
		t.Errorf("a second save kept generation %d", gen1)
	}
	if _, err := e.st.SearchPostings(e.ctx, gen1, false, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a list of the replaced generation = %v, want ErrNotFound", err)
	}
	if got, err := e.st.SearchPostings(e.ctx, gen2, false, 0); err != nil || string(got) != "new" {
		t.Errorf("SearchPostings of the new generation = %q, %v", got, err)
	}
	if saved, err := e.st.SearchIndex(e.ctx); err != nil || saved.Gen != gen2 || saved.Version != "1:4" {
		t.Errorf("SearchIndex after the second save = %+v, %v", saved, err)
	}
}

// Feed.Changes counts the polls that recorded new or changed episodes, not
// the others: what a saved search index is checked against.
func testPollChanges(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	changes := func() int {
		t.Helper()
		got, err := e.st.FeedByName(e.ctx, "pm")
		if err != nil {
			t.Fatal(err)
		}
		return got.Changes
	}
	eps := feedOf("a", 1, 2)
	for _, step := range []struct {
		name string
		eps  []feeds.Episode
		want int
	}{
		{"first poll", eps, 1},
		{"the same again", eps, 1},
		{"a new episode", feedOf("a", 1, 2, 3), 2},
		{"the same again", feedOf("a", 1, 2, 3), 2},
	} {
		e.poll(f.ID, step.eps)
		if got := changes(); got != step.want {
			t.Errorf("after %s: Changes = %d, want %d", step.name, got, step.want)
		}
	}
	edited := feedOf("a", 1, 2, 3)
	edited[0].Title, edited[0].NotesHTML = "A new title", "<p>New notes</p>"
	if res := e.poll(f.ID, edited); len(res.Updated) != 1 {
		t.Fatalf("the edit updated %d episodes, want 1", len(res.Updated))
	}
	if got := changes(); got != 3 {
		t.Errorf("after an edit: Changes = %d, want 3", got)
	}
}

// EachEpisode reads what Episodes returns, in its order, and stops at its
// callback's first error.
func testEachEpisode(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	e.poll(f.ID, feedOf("a", 1, 2, 3, 4))
	want, err := e.st.Episodes(e.ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []store.Episode
	if err := e.st.EachEpisode(e.ctx, f.ID, func(ep store.Episode) error { got = append(got, ep); return nil }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EachEpisode (-Episodes +EachEpisode):\n%s", diff)
	}
	stop := errors.New("enough")
	n := 0
	err = e.st.EachEpisode(e.ctx, f.ID, func(store.Episode) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("EachEpisode with a callback that fails = %v after %d episodes, want its error after 1", err, n)
	}
}
