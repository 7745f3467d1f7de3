package store

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
)

// backlogFixture is an outbox built step by step for SettleBacklog.
type backlogFixture struct {
	t     *testing.T
	db    *DB
	clock *clock
	feed  Feed
	subs  map[string]Subscription
}

// backlogMaxAge is the max age the tests settle with: the default week.
const backlogMaxAge = 7 * 24 * time.Hour

func newBacklogFixture(t *testing.T) *backlogFixture {
	t.Helper()
	db, c := openTest(t, Memory)
	f, err := db.EnsureFeed(context.Background(), "pm", "https://example.org/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	fx := &backlogFixture{t: t, db: db, clock: c, feed: f, subs: make(map[string]Subscription)}
	fx.subscribe("c0")
	// The first poll of a feed announces nothing; it sets the baseline.
	fx.poll(1)
	return fx
}

func (fx *backlogFixture) subscribe(channel string) {
	fx.t.Helper()
	s, err := fx.db.EnsureSubscription(context.Background(), Subscription{Platform: "console", Channel: channel, FeedID: fx.feed.ID, Language: "en"})
	if err != nil {
		fx.t.Fatal(err)
	}
	fx.subs[channel] = s
}

// poll records a poll that lists episodes 1..last, so every episode past the
// previous poll's last is new.
func (fx *backlogFixture) poll(last int) {
	fx.t.Helper()
	var numbers []int
	for n := 1; n <= last; n++ {
		numbers = append(numbers, n)
	}
	if _, err := fx.db.RecordPoll(context.Background(), fx.feed.ID, feedOf("a", numbers...), feeds.Policy{FloodLimit: 3}); err != nil {
		fx.t.Fatal(err)
	}
}

// claim leases the n first due deliveries, as a dispatcher in the middle of
// posting them would.
func (fx *backlogFixture) claim(n int) {
	fx.t.Helper()
	if _, err := fx.db.ClaimDue(context.Background(), n, time.Hour); err != nil {
		fx.t.Fatal(err)
	}
}

// retryAll schedules every pending delivery again at now+after, as a dispatcher
// facing an outage does.
func (fx *backlogFixture) retryAll(after time.Duration) {
	fx.t.Helper()
	ctx := context.Background()
	dls, err := fx.db.ClaimDue(ctx, 100, time.Minute)
	if err != nil {
		fx.t.Fatal(err)
	}
	for _, dl := range dls {
		if err := fx.db.MarkRetry(ctx, dl.ID, "HTTP 503", fx.clock.t.Add(after), false); err != nil {
			fx.t.Fatal(err)
		}
	}
}

// digest enqueues a digest of episode n for channel.
func (fx *backlogFixture) digest(channel string, n int) {
	fx.t.Helper()
	ctx := context.Background()
	ep, err := fx.db.EpisodeByNumber(ctx, fx.feed.ID, n)
	if err != nil {
		fx.t.Fatal(err)
	}
	at := fx.clock.t
	if _, err := fx.db.EnqueueDigest(ctx, DigestEntry{SubscriptionID: fx.subs[channel].ID, Period: at.Format(time.RFC3339), At: at, Kind: KindDigest, EpisodeIDs: []int64{ep.ID}}); err != nil {
		fx.t.Fatal(err)
	}
}

// outboxRow is one delivery as a test reads it.
type outboxRow struct {
	Channel string
	Kind    string
	Status  string
	Numbers []int
	// Why is the last error, with the summary it names shown by its episodes.
	Why string
}

// outbox lists every delivery, oldest first.
func (fx *backlogFixture) outbox() []outboxRow {
	fx.t.Helper()
	ctx := context.Background()
	dls, err := fx.db.Deliveries(ctx, "")
	if err != nil {
		fx.t.Fatal(err)
	}
	numbers := make(map[int64][]int)
	var out []outboxRow
	for _, dl := range dls {
		eps, err := fx.db.EpisodesByID(ctx, dl.EpisodeIDs)
		if err != nil {
			fx.t.Fatal(err)
		}
		r := outboxRow{Channel: dl.Subscription.Channel, Kind: dl.Kind, Status: dl.Status, Why: dl.LastError}
		for _, e := range eps {
			r.Numbers = append(r.Numbers, e.Number)
		}
		numbers[dl.ID] = r.Numbers
		out = append(out, r)
	}
	// A summary's id means little to a reader: name it by its episodes.
	for i := range out {
		out[i].Why = summaryRef.ReplaceAllStringFunc(out[i].Why, func(m string) string {
			id, err := strconv.ParseInt(summaryRef.FindStringSubmatch(m)[1], 10, 64)
			if err != nil {
				fx.t.Fatal(err)
			}
			return fmt.Sprint("summary ", numbers[id])
		})
	}
	return out
}

// summaryRef is how a last error names a summary.
var summaryRef = regexp.MustCompile(`summary delivery (\d+)`)

// settle settles the backlog as a dispatcher does, with a flood limit of 3 and
// the default max age.
func (fx *backlogFixture) settle() BacklogResult {
	fx.t.Helper()
	res, err := fx.db.SettleBacklog(context.Background(), 3, backlogMaxAge)
	if err != nil {
		fx.t.Fatal(err)
	}
	return res
}

// mergedInto is the last error of a delivery merged into the summary of numbers.
func mergedInto(numbers string) string {
	return "merged into summary " + numbers + " with the rest of the channel's backlog"
}

// settledText describes a BacklogResult in words.
func settledText(res BacklogResult) []string {
	var out []string
	for _, e := range res.Expired {
		out = append(out, fmt.Sprintf("expired %s: %d deliveries, %d episodes", e.Subscription.Channel, e.Deliveries, e.Episodes))
	}
	for _, m := range res.Merged {
		out = append(out, fmt.Sprintf("merged %s: %d deliveries, %d episodes", m.Subscription.Channel, m.Deliveries, m.Episodes))
	}
	return out
}

func TestSettleBacklog(t *testing.T) {
	const dropped = "not posted within 7 days; dropped"
	tests := []struct {
		name        string
		build       func(fx *backlogFixture)
		wantSettled []string
		want        []outboxRow
	}{{
		name: "three polls of two episodes become one summary",
		build: func(fx *backlogFixture) {
			fx.poll(3)
			fx.retryAll(time.Hour)
			fx.clock.t = fx.clock.t.Add(15 * time.Minute)
			fx.poll(5)
			fx.retryAll(10 * time.Second)
			fx.clock.t = fx.clock.t.Add(15 * time.Minute)
			fx.poll(7)
		},
		wantSettled: []string{"merged c0: 6 deliveries, 6 episodes"},
		want: []outboxRow{
			{"c0", KindEpisode, StatusMerged, []int{2}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", KindEpisode, StatusMerged, []int{3}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", KindEpisode, StatusMerged, []int{4}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", KindEpisode, StatusMerged, []int{5}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", KindEpisode, StatusMerged, []int{6}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", KindEpisode, StatusMerged, []int{7}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", KindSummary, StatusPending, []int{2, 3, 4, 5, 6, 7}, ""},
		},
	}, {
		name: "a backlog of exactly the flood limit is left to post one by one",
		build: func(fx *backlogFixture) {
			fx.poll(3)
			fx.retryAll(time.Hour)
			fx.poll(4)
		},
		want: []outboxRow{
			{"c0", KindEpisode, StatusPending, []int{2}, "HTTP 503"},
			{"c0", KindEpisode, StatusPending, []int{3}, "HTTP 503"},
			{"c0", KindEpisode, StatusPending, []int{4}, ""},
		},
	}, {
		name: "a summary and one more episode become one summary",
		build: func(fx *backlogFixture) {
			fx.poll(5)
			fx.poll(6)
		},
		wantSettled: []string{"merged c0: 2 deliveries, 5 episodes"},
		want: []outboxRow{
			{"c0", KindSummary, StatusMerged, []int{2, 3, 4, 5}, mergedInto("[2 3 4 5 6]")},
			{"c0", KindEpisode, StatusMerged, []int{6}, mergedInto("[2 3 4 5 6]")},
			{"c0", KindSummary, StatusPending, []int{2, 3, 4, 5, 6}, ""},
		},
	}, {
		name: "announcements older than the max age are dropped, younger ones kept",
		build: func(fx *backlogFixture) {
			fx.poll(3)
			fx.clock.t = fx.clock.t.Add(backlogMaxAge + time.Second)
			fx.poll(4)
		},
		wantSettled: []string{"expired c0: 2 deliveries, 2 episodes"},
		want: []outboxRow{
			{"c0", KindEpisode, StatusExpired, []int{2}, dropped},
			{"c0", KindEpisode, StatusExpired, []int{3}, dropped},
			{"c0", KindEpisode, StatusPending, []int{4}, ""},
		},
	}, {
		name: "an announcement exactly the max age old is kept",
		build: func(fx *backlogFixture) {
			fx.poll(2)
			fx.clock.t = fx.clock.t.Add(backlogMaxAge)
		},
		want: []outboxRow{{"c0", KindEpisode, StatusPending, []int{2}, ""}},
	}, {
		name: "what expires is not merged",
		build: func(fx *backlogFixture) {
			fx.poll(4)
			fx.clock.t = fx.clock.t.Add(8 * 24 * time.Hour)
			fx.poll(6)
		},
		wantSettled: []string{"expired c0: 3 deliveries, 3 episodes"},
		want: []outboxRow{
			{"c0", KindEpisode, StatusExpired, []int{2}, dropped},
			{"c0", KindEpisode, StatusExpired, []int{3}, dropped},
			{"c0", KindEpisode, StatusExpired, []int{4}, dropped},
			{"c0", KindEpisode, StatusPending, []int{5}, ""},
			{"c0", KindEpisode, StatusPending, []int{6}, ""},
		},
	}, {
		name: "a summary loses its stale episodes and keeps its fresh ones",
		build: func(fx *backlogFixture) {
			fx.poll(3)
			fx.clock.t = fx.clock.t.Add(time.Hour)
			fx.poll(5)
			fx.settle()
			fx.clock.t = fx.clock.t.Add(backlogMaxAge - 30*time.Minute)
			fx.poll(6)
		},
		wantSettled: []string{"expired c0: 1 deliveries, 2 episodes", "merged c0: 2 deliveries, 3 episodes"},
		want: []outboxRow{
			{"c0", KindEpisode, StatusMerged, []int{2}, mergedInto("[2 3 4 5]")},
			{"c0", KindEpisode, StatusMerged, []int{3}, mergedInto("[2 3 4 5]")},
			{"c0", KindEpisode, StatusMerged, []int{4}, mergedInto("[2 3 4 5]")},
			{"c0", KindEpisode, StatusMerged, []int{5}, mergedInto("[2 3 4 5]")},
			{"c0", KindSummary, StatusExpired, []int{2, 3, 4, 5}, dropped + " 2 of its episodes; the others moved to summary [4 5 6]"},
			{"c0", KindEpisode, StatusMerged, []int{6}, mergedInto("[4 5 6]")},
			{"c0", KindSummary, StatusPending, []int{4, 5, 6}, ""},
		},
	}, {
		name: "a claimed delivery is neither merged nor expired",
		build: func(fx *backlogFixture) {
			fx.poll(3)
			fx.claim(1)
			fx.clock.t = fx.clock.t.Add(backlogMaxAge + time.Second)
			fx.claim(1) // the lease of an hour ran out long ago: claimed again
			fx.poll(5)
			fx.poll(7)
		},
		wantSettled: []string{
			"expired c0: 1 deliveries, 1 episodes",
			"merged c0: 4 deliveries, 4 episodes",
		},
		want: []outboxRow{
			{"c0", KindEpisode, StatusPending, []int{2}, ""},
			{"c0", KindEpisode, StatusExpired, []int{3}, dropped},
			{"c0", KindEpisode, StatusMerged, []int{4}, mergedInto("[4 5 6 7]")},
			{"c0", KindEpisode, StatusMerged, []int{5}, mergedInto("[4 5 6 7]")},
			{"c0", KindEpisode, StatusMerged, []int{6}, mergedInto("[4 5 6 7]")},
			{"c0", KindEpisode, StatusMerged, []int{7}, mergedInto("[4 5 6 7]")},
			{"c0", KindSummary, StatusPending, []int{4, 5, 6, 7}, ""},
		},
	}, {
		name: "digests are neither merged nor expired",
		build: func(fx *backlogFixture) {
			fx.poll(3)
			fx.digest("c0", 1)
			fx.clock.t = fx.clock.t.Add(time.Hour)
			fx.digest("c0", 2)
			fx.clock.t = fx.clock.t.Add(backlogMaxAge)
			fx.digest("c0", 3)
			fx.poll(4)
		},
		wantSettled: []string{"expired c0: 2 deliveries, 2 episodes"},
		want: []outboxRow{
			{"c0", KindEpisode, StatusExpired, []int{2}, dropped},
			{"c0", KindEpisode, StatusExpired, []int{3}, dropped},
			{"c0", KindDigest, StatusPending, []int{1}, ""},
			{"c0", KindDigest, StatusPending, []int{2}, ""},
			{"c0", KindDigest, StatusPending, []int{3}, ""},
			{"c0", KindEpisode, StatusPending, []int{4}, ""},
		},
	}, {
		name: "subscriptions are settled each on its own",
		build: func(fx *backlogFixture) {
			fx.poll(3)
			fx.subscribe("c1")
			fx.poll(4)
			fx.poll(5)
		},
		wantSettled: []string{"merged c0: 4 deliveries, 4 episodes"},
		want: []outboxRow{
			{"c0", KindEpisode, StatusMerged, []int{2}, mergedInto("[2 3 4 5]")},
			{"c0", KindEpisode, StatusMerged, []int{3}, mergedInto("[2 3 4 5]")},
			{"c0", KindEpisode, StatusMerged, []int{4}, mergedInto("[2 3 4 5]")},
			{"c1", KindEpisode, StatusPending, []int{4}, ""},
			{"c0", KindEpisode, StatusMerged, []int{5}, mergedInto("[2 3 4 5]")},
			{"c1", KindEpisode, StatusPending, []int{5}, ""},
			{"c0", KindSummary, StatusPending, []int{2, 3, 4, 5}, ""},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newBacklogFixture(t)
			tt.build(fx)
			res := fx.settle()
			if diff := cmp.Diff(tt.wantSettled, settledText(res)); diff != "" {
				t.Errorf("SettleBacklog result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, fx.outbox()); diff != "" {
				t.Errorf("outbox after SettleBacklog (-want +got):\n%s", diff)
			}
			// A settled outbox stays as it is.
			if diff := cmp.Diff([]string(nil), settledText(fx.settle())); diff != "" {
				t.Errorf("second SettleBacklog result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, fx.outbox()); diff != "" {
				t.Errorf("outbox after a second SettleBacklog (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSettleBacklogSummary checks the summary that replaces a backlog (due when the
// earliest of it was, counted as pending) and how it ages: episode by episode, so
// that it loses its stale episodes first.
func TestSettleBacklogSummary(t *testing.T) {
	ctx := context.Background()
	fx := newBacklogFixture(t)
	start := fx.clock.t
	fx.poll(3)
	fx.retryAll(time.Hour)
	fx.clock.t = start.Add(30 * time.Minute)
	fx.poll(5)
	fx.settle()
	pend, err := fx.db.Deliveries(ctx, StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	if len(pend) != 1 {
		t.Fatalf("pending after settling = %+v, want one summary", pend)
	}
	s := pend[0]
	type summary struct {
		Kind, Key        string
		Due, Created     time.Time
		Attempts         int
		Pending, Expired int
	}
	h, err := fx.db.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := summary{s.Kind, s.DedupeKey, s.DueAt, s.CreatedAt, s.Attempts, h.Pending, h.Expired}
	want := summary{KindSummary, KindSummary + ":" + joinIDs(s.EpisodeIDs), start.Add(30 * time.Minute), start.Add(30 * time.Minute), 0, 1, 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	steps := []struct {
		name        string
		at          time.Time
		wantSettled []string
		wantHealth  OutboxHealth
	}{
		{"a backlogMaxAge after the oldest episodes", start.Add(backlogMaxAge + time.Minute),
			[]string{"expired c0: 1 deliveries, 2 episodes", "merged c0: 1 deliveries, 2 episodes"}, OutboxHealth{Pending: 1, Expired: 1}},
		{"a backlogMaxAge after the newest", start.Add(backlogMaxAge + 31*time.Minute),
			[]string{"expired c0: 1 deliveries, 2 episodes"}, OutboxHealth{Expired: 2}},
	}
	for _, st := range steps {
		fx.clock.t = st.at
		if diff := cmp.Diff(st.wantSettled, settledText(fx.settle())); diff != "" {
			t.Errorf("%s: SettleBacklog (-want +got):\n%s", st.name, diff)
		}
		h, err := fx.db.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(st.wantHealth, h); diff != "" {
			t.Errorf("%s: Health (-want +got):\n%s", st.name, diff)
		}
	}
	const dropped = "not posted within 7 days; dropped"
	want2 := []outboxRow{
		{"c0", KindEpisode, StatusMerged, []int{2}, mergedInto("[2 3 4 5]")},
		{"c0", KindEpisode, StatusMerged, []int{3}, mergedInto("[2 3 4 5]")},
		{"c0", KindEpisode, StatusMerged, []int{4}, mergedInto("[2 3 4 5]")},
		{"c0", KindEpisode, StatusMerged, []int{5}, mergedInto("[2 3 4 5]")},
		{"c0", KindSummary, StatusExpired, []int{2, 3, 4, 5}, dropped + " 2 of its episodes; the others moved to summary [4 5]"},
		{"c0", KindSummary, StatusExpired, []int{4, 5}, dropped},
	}
	if diff := cmp.Diff(want2, fx.outbox()); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
}

// TestSettleBacklogKeyTaken merges a backlog whose episodes are exactly those of a
// summary the subscription already has: the new summary takes a key of its own, and
// no episode is lost.
func TestSettleBacklogKeyTaken(t *testing.T) {
	ctx := context.Background()
	fx := newBacklogFixture(t)
	fx.poll(5) // one summary of 2..5
	sum, err := fx.db.Deliveries(ctx, StatusPending)
	if err != nil || len(sum) != 1 {
		t.Fatalf("pending = %+v, %v; want one summary", sum, err)
	}
	// An announcement of one of its episodes besides it, as no poll makes but a
	// hand-edited database might.
	ids := sum[0].EpisodeIDs
	if _, err := fx.db.db.ExecContext(ctx, `INSERT INTO deliveries (subscription_id, kind, dedupe_key, episode_ids, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		fx.subs["c0"].ID, KindEpisode, fmt.Sprintf("%s:%d", KindEpisode, ids[3]), fmt.Sprint(ids[3]), fx.clock.t.Unix(), fx.clock.t.Unix()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"merged c0: 2 deliveries, 4 episodes"}, settledText(fx.settle())); diff != "" {
		t.Errorf("SettleBacklog (-want +got):\n%s", diff)
	}
	want := []outboxRow{
		{"c0", KindSummary, StatusMerged, []int{2, 3, 4, 5}, mergedInto("[2 3 4 5]")},
		{"c0", KindEpisode, StatusMerged, []int{5}, mergedInto("[2 3 4 5]")},
		{"c0", KindSummary, StatusPending, []int{2, 3, 4, 5}, ""},
	}
	if diff := cmp.Diff(want, fx.outbox()); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
	pend, err := fx.db.Deliveries(ctx, StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	if wantKey := fmt.Sprintf("%s:%s#%d", KindSummary, joinIDs(ids), sum[0].ID); len(pend) != 1 || pend[0].DedupeKey != wantKey {
		t.Errorf("pending = %+v, want one summary keyed %q", pend, wantKey)
	}
}

// TestSettleBacklogNoMaxAge keeps every announcement when no max age is set.
func TestSettleBacklogNoMaxAge(t *testing.T) {
	fx := newBacklogFixture(t)
	fx.poll(2)
	fx.clock.t = fx.clock.t.Add(365 * 24 * time.Hour)
	res, err := fx.db.SettleBacklog(context.Background(), 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string(nil), settledText(res)); diff != "" {
		t.Errorf("SettleBacklog (-want +got):\n%s", diff)
	}
}

// TestSettleBacklogLarge ages a summary of more episodes than one query reads at
// once: each of them is aged by when it was first seen.
func TestSettleBacklogLarge(t *testing.T) {
	fx := newBacklogFixture(t)
	start := fx.clock.t
	fx.poll(601) // one summary of 600 episodes
	fx.clock.t = start.Add(time.Hour)
	fx.poll(602)
	if diff := cmp.Diff([]string{"merged c0: 2 deliveries, 601 episodes"}, settledText(fx.settle())); diff != "" {
		t.Errorf("first settle (-want +got):\n%s", diff)
	}
	fx.clock.t = start.Add(backlogMaxAge + 30*time.Minute)
	if diff := cmp.Diff([]string{"expired c0: 1 deliveries, 600 episodes", "merged c0: 1 deliveries, 1 episodes"}, settledText(fx.settle())); diff != "" {
		t.Errorf("a backlogMaxAge later (-want +got):\n%s", diff)
	}
}

// Suggesting numbers as they are typed: the episodes whose number starts with
// the digits, newest first, at most the limit; nothing for anything but digits.
func TestEpisodesByNumberPrefix(t *testing.T) {
	fx := newBacklogFixture(t)
	fx.poll(23)
	numbers := func(digits string, limit int) []int {
		eps, err := fx.db.EpisodesByNumberPrefix(context.Background(), fx.feed.ID, digits, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, e := range eps {
			out = append(out, e.Number)
		}
		return out
	}
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
	} {
		if diff := cmp.Diff(tt.want, numbers(tt.digits, tt.limit)); diff != "" {
			t.Errorf("EpisodesByNumberPrefix(%q, %d) (-want +got):\n%s", tt.digits, tt.limit, diff)
		}
	}
}
