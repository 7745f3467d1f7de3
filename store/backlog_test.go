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
	if _, err := RecordPoll(context.Background(), fx.db, fx.feed.ID, feedOf("a", numbers...), feeds.Policy{FloodLimit: 3}, nil); err != nil {
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
	res, err := SettleBacklog(context.Background(), fx.db, 3, backlogMaxAge)
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
