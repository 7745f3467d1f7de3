package storetest

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/store"
)

// backlogMaxAge is the max age the tests settle with: the default week.
const backlogMaxAge = 7 * 24 * time.Hour

// dropped is the last error of an announcement too old to post.
const dropped = "not posted within 7 days; dropped"

// backlog is an outbox built step by step for SettleBacklog.
type backlog struct {
	*env
	feed store.Feed
	subs map[string]store.Subscription
}

func newBacklog(t *testing.T, open Opener) *backlog {
	t.Helper()
	b := &backlog{env: newEnv(t, open), subs: make(map[string]store.Subscription)}
	b.feed = b.env.feed("pm", "https://example.org/feed.xml")
	b.subscribe("c0")
	// The first poll of a feed announces nothing; it sets the baseline.
	b.poll(1)
	return b
}

func (b *backlog) subscribe(channel string) {
	b.subs[channel] = b.env.subscribe(b.feed.ID, channel)
}

// poll records a poll that lists episodes 1..last, so every episode past the
// previous poll's last is new.
func (b *backlog) poll(last int) {
	b.t.Helper()
	b.env.poll(b.feed.ID, upTo("a", last))
}

// retryAll schedules every pending delivery again at now+after, as a dispatcher
// facing an outage does.
func (b *backlog) retryAll(after time.Duration) {
	b.t.Helper()
	for _, dl := range b.claim(100, time.Minute) {
		if err := b.st.MarkRetry(b.ctx, dl.Claim(), "HTTP 503", b.clock.Now().Add(after), false); err != nil {
			b.t.Fatal(err)
		}
	}
}

// digest enqueues a digest of episode n for channel.
func (b *backlog) digest(channel string, n int) {
	b.t.Helper()
	ep, err := b.st.EpisodeByNumber(b.ctx, b.feed.ID, n)
	if err != nil {
		b.t.Fatal(err)
	}
	at := b.clock.Now()
	e := store.DigestEntry{SubscriptionID: b.subs[channel].ID, Period: at.Format(time.RFC3339), At: at, Kind: store.KindDigest, EpisodeIDs: []int64{ep.ID}}
	if _, err := b.st.EnqueueDigest(b.ctx, e); err != nil {
		b.t.Fatal(err)
	}
}

// settle settles the backlog as a dispatcher does, with a flood limit of 3 and
// the default max age, and describes what it did.
func (b *backlog) settle() []string {
	b.t.Helper()
	res, err := store.SettleBacklog(b.ctx, b.st, 3, backlogMaxAge)
	if err != nil {
		b.t.Fatal(err)
	}
	return settledText(res)
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

// summaryRef is how a last error names a summary.
var summaryRef = regexp.MustCompile(`summary delivery (\d+)`)

// outbox lists every delivery, oldest first.
func (b *backlog) outbox() []outboxRow {
	b.t.Helper()
	dls, err := b.st.Deliveries(b.ctx, "")
	if err != nil {
		b.t.Fatal(err)
	}
	numbers := make(map[int64][]int)
	var out []outboxRow
	for _, dl := range dls {
		r := outboxRow{Channel: dl.Subscription.Channel, Kind: dl.Kind, Status: dl.Status, Numbers: b.numbers(dl.EpisodeIDs), Why: dl.LastError}
		numbers[dl.ID] = r.Numbers
		out = append(out, r)
	}
	// A summary's id means little to a reader: name it by its episodes.
	for i := range out {
		out[i].Why = summaryRef.ReplaceAllStringFunc(out[i].Why, func(m string) string {
			id, err := strconv.ParseInt(summaryRef.FindStringSubmatch(m)[1], 10, 64)
			if err != nil {
				b.t.Fatal(err)
			}
			return fmt.Sprint("summary ", numbers[id])
		})
	}
	return out
}

// mergedInto is the last error of a delivery merged into the summary of numbers.
func mergedInto(numbers string) string {
	return "merged into summary " + numbers + " with the rest of the channel's backlog"
}

// settledText describes a BacklogResult in words.
func settledText(res store.BacklogResult) []string {
	var out []string
	for _, e := range res.Expired {
		out = append(out, fmt.Sprintf("expired %s: %d deliveries, %d episodes", e.Subscription.Channel, e.Deliveries, e.Episodes))
	}
	for _, m := range res.Merged {
		out = append(out, fmt.Sprintf("merged %s: %d deliveries, %d episodes", m.Subscription.Channel, m.Deliveries, m.Episodes))
	}
	return out
}

// A backlog of announcements is summed up, and what is too old dropped, so that
// an outage does not end in a flood.
func testSettleBacklog(t *testing.T, open Opener) {
	const (
		ep, sum, dg             = store.KindEpisode, store.KindSummary, store.KindDigest
		pending, merged, expire = store.StatusPending, store.StatusMerged, store.StatusExpired
	)
	tests := []struct {
		name        string
		build       func(b *backlog)
		wantSettled []string
		want        []outboxRow
	}{{
		name: "three polls of two episodes become one summary",
		build: func(b *backlog) {
			b.poll(3)
			b.retryAll(time.Hour)
			b.clock.Add(15 * time.Minute)
			b.poll(5)
			b.retryAll(10 * time.Second)
			b.clock.Add(15 * time.Minute)
			b.poll(7)
		},
		wantSettled: []string{"merged c0: 6 deliveries, 6 episodes"},
		want: []outboxRow{
			{"c0", ep, merged, []int{2}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", ep, merged, []int{3}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", ep, merged, []int{4}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", ep, merged, []int{5}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", ep, merged, []int{6}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", ep, merged, []int{7}, mergedInto("[2 3 4 5 6 7]")},
			{"c0", sum, pending, []int{2, 3, 4, 5, 6, 7}, ""},
		},
	}, {
		name: "a backlog of exactly the flood limit is left to post one by one",
		build: func(b *backlog) {
			b.poll(3)
			b.retryAll(time.Hour)
			b.poll(4)
		},
		want: []outboxRow{
			{"c0", ep, pending, []int{2}, "HTTP 503"},
			{"c0", ep, pending, []int{3}, "HTTP 503"},
			{"c0", ep, pending, []int{4}, ""},
		},
	}, {
		name: "a summary and one more episode become one summary",
		build: func(b *backlog) {
			b.poll(5)
			b.poll(6)
		},
		wantSettled: []string{"merged c0: 2 deliveries, 5 episodes"},
		want: []outboxRow{
			{"c0", sum, merged, []int{2, 3, 4, 5}, mergedInto("[2 3 4 5 6]")},
			{"c0", ep, merged, []int{6}, mergedInto("[2 3 4 5 6]")},
			{"c0", sum, pending, []int{2, 3, 4, 5, 6}, ""},
		},
	}, {
		name: "announcements older than the max age are dropped, younger ones kept",
		build: func(b *backlog) {
			b.poll(3)
			b.clock.Add(backlogMaxAge + time.Second)
			b.poll(4)
		},
		wantSettled: []string{"expired c0: 2 deliveries, 2 episodes"},
		want: []outboxRow{
			{"c0", ep, expire, []int{2}, dropped},
			{"c0", ep, expire, []int{3}, dropped},
			{"c0", ep, pending, []int{4}, ""},
		},
	}, {
		name: "an announcement exactly the max age old is kept",
		build: func(b *backlog) {
			b.poll(2)
			b.clock.Add(backlogMaxAge)
		},
		want: []outboxRow{{"c0", ep, pending, []int{2}, ""}},
	}, {
		name: "what expires is not merged",
		build: func(b *backlog) {
			b.poll(4)
			b.clock.Add(8 * 24 * time.Hour)
			b.poll(6)
		},
		wantSettled: []string{"expired c0: 3 deliveries, 3 episodes"},
		want: []outboxRow{
			{"c0", ep, expire, []int{2}, dropped},
			{"c0", ep, expire, []int{3}, dropped},
			{"c0", ep, expire, []int{4}, dropped},
			{"c0", ep, pending, []int{5}, ""},
			{"c0", ep, pending, []int{6}, ""},
		},
	}, {
		name: "a summary loses its stale episodes and keeps its fresh ones",
		build: func(b *backlog) {
			b.poll(3)
			b.clock.Add(time.Hour)
			b.poll(5)
			b.settle()
			b.clock.Add(backlogMaxAge - 30*time.Minute)
			b.poll(6)
		},
		wantSettled: []string{"expired c0: 1 deliveries, 2 episodes", "merged c0: 2 deliveries, 3 episodes"},
		want: []outboxRow{
			{"c0", ep, merged, []int{2}, mergedInto("[2 3 4 5]")},
			{"c0", ep, merged, []int{3}, mergedInto("[2 3 4 5]")},
			{"c0", ep, merged, []int{4}, mergedInto("[2 3 4 5]")},
			{"c0", ep, merged, []int{5}, mergedInto("[2 3 4 5]")},
			{"c0", sum, expire, []int{2, 3, 4, 5}, dropped + " 2 of its episodes; the others moved to summary [4 5 6]"},
			{"c0", ep, merged, []int{6}, mergedInto("[4 5 6]")},
			{"c0", sum, pending, []int{4, 5, 6}, ""},
		},
	}, {
		name: "a claimed delivery is neither merged nor expired",
		build: func(b *backlog) {
			b.poll(3)
			b.claim(1, time.Hour)
			b.clock.Add(backlogMaxAge + time.Second)
			b.claim(1, time.Hour) // the lease of an hour ran out long ago: claimed again
			b.poll(5)
			b.poll(7)
		},
		wantSettled: []string{
			"expired c0: 1 deliveries, 1 episodes",
			"merged c0: 4 deliveries, 4 episodes",
		},
		want: []outboxRow{
			{"c0", ep, pending, []int{2}, ""},
			{"c0", ep, expire, []int{3}, dropped},
			{"c0", ep, merged, []int{4}, mergedInto("[4 5 6 7]")},
			{"c0", ep, merged, []int{5}, mergedInto("[4 5 6 7]")},
			{"c0", ep, merged, []int{6}, mergedInto("[4 5 6 7]")},
			{"c0", ep, merged, []int{7}, mergedInto("[4 5 6 7]")},
			{"c0", sum, pending, []int{4, 5, 6, 7}, ""},
		},
	}, {
		name: "digests are neither merged nor expired",
		build: func(b *backlog) {
			b.poll(3)
			b.digest("c0", 1)
			b.clock.Add(time.Hour)
			b.digest("c0", 2)
			b.clock.Add(backlogMaxAge)
			b.digest("c0", 3)
			b.poll(4)
		},
		wantSettled: []string{"expired c0: 2 deliveries, 2 episodes"},
		want: []outboxRow{
			{"c0", ep, expire, []int{2}, dropped},
			{"c0", ep, expire, []int{3}, dropped},
			{"c0", dg, pending, []int{1}, ""},
			{"c0", dg, pending, []int{2}, ""},
			{"c0", dg, pending, []int{3}, ""},
			{"c0", ep, pending, []int{4}, ""},
		},
	}, {
		name: "subscriptions are settled each on its own",
		build: func(b *backlog) {
			b.poll(3)
			b.subscribe("c1")
			b.poll(4)
			b.poll(5)
		},
		wantSettled: []string{"merged c0: 4 deliveries, 4 episodes"},
		want: []outboxRow{
			{"c0", ep, merged, []int{2}, mergedInto("[2 3 4 5]")},
			{"c0", ep, merged, []int{3}, mergedInto("[2 3 4 5]")},
			{"c0", ep, merged, []int{4}, mergedInto("[2 3 4 5]")},
			{"c1", ep, pending, []int{4}, ""},
			{"c0", ep, merged, []int{5}, mergedInto("[2 3 4 5]")},
			{"c1", ep, pending, []int{5}, ""},
			{"c0", sum, pending, []int{2, 3, 4, 5}, ""},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newBacklog(t, open)
			tt.build(b)
			if diff := cmp.Diff(tt.wantSettled, b.settle()); diff != "" {
				t.Errorf("SettleBacklog result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, b.outbox()); diff != "" {
				t.Errorf("outbox after SettleBacklog (-want +got):\n%s", diff)
			}
			// A settled outbox stays as it is.
			if diff := cmp.Diff([]string(nil), b.settle()); diff != "" {
				t.Errorf("second SettleBacklog result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, b.outbox()); diff != "" {
				t.Errorf("outbox after a second SettleBacklog (-want +got):\n%s", diff)
			}
		})
	}
}

// The summary that replaces a backlog is due when the earliest of it was, counted
// as pending, and ages episode by episode, so that it loses its stale episodes
// first.
func testSettleBacklogSummary(t *testing.T, open Opener) {
	b := newBacklog(t, open)
	b.poll(3)
	b.retryAll(time.Hour)
	b.clock.Set(start.Add(30 * time.Minute))
	b.poll(5)
	b.settle()
	pend, err := b.st.Deliveries(b.ctx, store.StatusPending)
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
	h, err := b.st.Health(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := summary{s.Kind, s.DedupeKey, s.DueAt, s.CreatedAt, s.Attempts, h.Pending, h.Expired}
	want := summary{store.KindSummary, store.AnnouncementKey(store.KindSummary, s.EpisodeIDs), start.Add(30 * time.Minute), start.Add(30 * time.Minute), 0, 1, 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	steps := []struct {
		name        string
		at          time.Time
		wantSettled []string
		wantHealth  store.OutboxHealth
	}{
		{"a backlogMaxAge after the oldest episodes", start.Add(backlogMaxAge + time.Minute),
			[]string{"expired c0: 1 deliveries, 2 episodes", "merged c0: 1 deliveries, 2 episodes"}, store.OutboxHealth{Pending: 1, Expired: 1}},
		{"a backlogMaxAge after the newest", start.Add(backlogMaxAge + 31*time.Minute),
			[]string{"expired c0: 1 deliveries, 2 episodes"}, store.OutboxHealth{Expired: 2}},
	}
	for _, st := range steps {
		b.clock.Set(st.at)
		if diff := cmp.Diff(st.wantSettled, b.settle()); diff != "" {
			t.Errorf("%s: SettleBacklog (-want +got):\n%s", st.name, diff)
		}
		h, err := b.st.Health(b.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(st.wantHealth, h); diff != "" {
			t.Errorf("%s: Health (-want +got):\n%s", st.name, diff)
		}
	}
	want2 := []outboxRow{
		{"c0", store.KindEpisode, store.StatusMerged, []int{2}, mergedInto("[2 3 4 5]")},
		{"c0", store.KindEpisode, store.StatusMerged, []int{3}, mergedInto("[2 3 4 5]")},
		{"c0", store.KindEpisode, store.StatusMerged, []int{4}, mergedInto("[2 3 4 5]")},
		{"c0", store.KindEpisode, store.StatusMerged, []int{5}, mergedInto("[2 3 4 5]")},
		{"c0", store.KindSummary, store.StatusExpired, []int{2, 3, 4, 5}, dropped + " 2 of its episodes; the others moved to summary [4 5]"},
		{"c0", store.KindSummary, store.StatusExpired, []int{4, 5}, dropped},
	}
	if diff := cmp.Diff(want2, b.outbox()); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
}

// With no max age, nothing is too old.
func testSettleBacklogNoMaxAge(t *testing.T, open Opener) {
	b := newBacklog(t, open)
	b.poll(2)
	b.clock.Add(365 * 24 * time.Hour)
	res, err := store.SettleBacklog(b.ctx, b.st, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string(nil), settledText(res)); diff != "" {
		t.Errorf("SettleBacklog (-want +got):\n%s", diff)
	}
}

// A summary of many episodes (more than one query may name at once) is aged
// episode by episode.
func testSettleBacklogLarge(t *testing.T, open Opener) {
	b := newBacklog(t, open)
	b.poll(601) // one summary of 600 episodes
	b.clock.Set(start.Add(time.Hour))
	b.poll(602)
	if diff := cmp.Diff([]string{"merged c0: 2 deliveries, 601 episodes"}, b.settle()); diff != "" {
		t.Errorf("first settle (-want +got):\n%s", diff)
	}
	b.clock.Set(start.Add(backlogMaxAge + 30*time.Minute))
	if diff := cmp.Diff([]string{"expired c0: 1 deliveries, 600 episodes", "merged c0: 1 deliveries, 1 episodes"}, b.settle()); diff != "" {
		t.Errorf("a backlogMaxAge later (-want +got):\n%s", diff)
	}
}

// A backlog plan whose deliveries changed before it was applied (a dispatcher
// claimed one) is refused whole; SettleBacklog plans again without it.
func testStaleBacklogPlan(t *testing.T, open Opener) {
	b := newBacklog(t, open)
	b.poll(3)
	b.poll(5)
	b.poll(6) // five announcements of one episode each
	st, err := b.st.BacklogState(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	plan := store.PlanBacklog(st, 3, backlogMaxAge)
	if len(plan.Merges) != 1 {
		t.Fatalf("plan = %+v, want one summary", plan)
	}
	claimed := b.claim(1, time.Hour) // a dispatcher was quicker
	before := b.outbox()
	if _, err := b.st.ApplyBacklog(b.ctx, plan); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("ApplyBacklog of a stale plan = %v, want ErrConflict", err)
	}
	if diff := cmp.Diff(before, b.outbox()); diff != "" {
		t.Errorf("the refused plan changed the outbox (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"merged c0: 4 deliveries, 4 episodes"}, b.settle()); diff != "" {
		t.Errorf("SettleBacklog (-want +got):\n%s", diff)
	}
	want := []outboxRow{
		{"c0", store.KindEpisode, store.StatusPending, []int{2}, ""},
		{"c0", store.KindEpisode, store.StatusMerged, []int{3}, mergedInto("[3 4 5 6]")},
		{"c0", store.KindEpisode, store.StatusMerged, []int{4}, mergedInto("[3 4 5 6]")},
		{"c0", store.KindEpisode, store.StatusMerged, []int{5}, mergedInto("[3 4 5 6]")},
		{"c0", store.KindEpisode, store.StatusMerged, []int{6}, mergedInto("[3 4 5 6]")},
		{"c0", store.KindSummary, store.StatusPending, []int{3, 4, 5, 6}, ""},
	}
	if diff := cmp.Diff(want, b.outbox()); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
	if len(claimed) != 1 || claimed[0].Kind != store.KindEpisode {
		t.Errorf("claimed %+v, want episode 2's announcement", claimed)
	}
}
