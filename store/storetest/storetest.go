// Package storetest is the conformance suite of pmbot's stores: Run exercises a
// store.Store as a black box, through its interface alone, so that every engine
// (SQLite, PostgreSQL) is held to the same behaviour: episode identity
// across polls, no floods, the outbox's claims, leases and outcomes, backlog
// settling, subscriptions and digests.
//
// A store's tests call it with a function that opens a new, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
//			db, err := store.Open(context.Background(), store.Memory, store.Options{Now: now})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { db.Close() })
//			return db
//		})
//	}
//
// PostgresURL gives each test a PostgreSQL schema of its own, for the same
// suite on PostgreSQL.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// Opener opens a new, empty store for one test, whose clock is now, and closes
// it when the test ends (t.Cleanup). Every call must return a store of its own:
// the tests run in parallel.
type Opener func(t *testing.T, now func() time.Time) store.Store

// Run runs the conformance suite against the stores open returns, each test in
// parallel with its own store.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"Feeds/Identity", testFeedIdentity},
		{"Feeds/TwoSourcesOneName", testTwoSourcesWithOneName},
		{"Feeds/State", testFeedState},
		{"Polls/Identity", testRecordPoll},
		{"Polls/UpdatesKnownEpisodes", testRecordPollUpdates},
		{"Polls/TopicFilters", testTopicFilters},
		{"Polls/StalePlan", testStalePollPlan},
		{"Polls/ContentHashes", testContentHashes},
		{"Polls/Changes", testPollChanges},
		{"Episodes/Queries", testEpisodeQueries},
		{"Episodes/ByNumberPrefix", testEpisodesByNumberPrefix},
		{"Episodes/Since", testEpisodesSince},
		{"Episodes/Cards", testEpisodeCards},
		{"Episodes/Each", testEachEpisode},
		{"SearchIndex", testSearchIndex},
		{"Outbox/Lifecycle", testOutbox},
		{"Outbox/ClaimBatches", testClaimBatches},
		{"Outbox/ClaimTokens", testClaimTokens},
		{"Outbox/ReleaseClaims", testReleaseClaims},
		{"Outbox/ConcurrentClaims", testConcurrentClaims},
		{"Outbox/InDoubt", testInDoubt},
		{"Outbox/Pause", testPause},
		{"Backlog/Settle", testSettleBacklog},
		{"Backlog/Summary", testSettleBacklogSummary},
		{"Backlog/NoMaxAge", testSettleBacklogNoMaxAge},
		{"Backlog/Large", testSettleBacklogLarge},
		{"Backlog/StalePlan", testStaleBacklogPlan},
		{"Subscriptions/SubscribeUnsubscribe", testSubscribeUnsubscribe},
		{"Subscriptions/SyncConfig", testSyncConfigSubscriptions},
		{"Subscriptions/WithDigest", testSubscriptionsWithDigest},
		{"Digests/Enqueue", testEnqueueDigest},
		{"Retention", testRetention},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open)
		})
	}
}

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set sets the clock.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// start is when every test's clock starts.
var start = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// env is one test's store and clock.
type env struct {
	t     *testing.T
	ctx   context.Context
	st    store.Store
	clock *Clock
}

func newEnv(t *testing.T, open Opener) *env {
	t.Helper()
	c := &Clock{t: start}
	return &env{t: t, ctx: context.Background(), st: open(t, c.Now), clock: c}
}

// feed ensures a feed.
func (e *env) feed(name, source string) store.Feed {
	e.t.Helper()
	f, err := e.st.EnsureFeed(e.ctx, name, source)
	if err != nil {
		e.t.Fatalf("EnsureFeed(%q, %q): %v", name, source, err)
	}
	return f
}

// subscribe applies a configured subscription of a console channel to a feed.
func (e *env) subscribe(feedID int64, channel string, topics ...string) store.Subscription {
	e.t.Helper()
	s, err := e.st.EnsureSubscription(e.ctx, store.Subscription{Platform: "console", Channel: channel, FeedID: feedID, Language: "en", Topics: topics})
	if err != nil {
		e.t.Fatalf("EnsureSubscription(%s): %v", channel, err)
	}
	return s
}

// policy is the policy of most tests: the default flood limit.
var policy = feeds.Policy{FloodLimit: 3}

// poll records a poll of the feed with the default policy and no topic matcher.
func (e *env) poll(feedID int64, eps []feeds.Episode) store.PollResult {
	e.t.Helper()
	res, err := store.RecordPoll(e.ctx, e.st, feedID, eps, policy, nil)
	if err != nil {
		e.t.Fatalf("RecordPoll: %v", err)
	}
	return res
}

// claim claims up to n due deliveries.
func (e *env) claim(n int, lease time.Duration) []store.Delivery {
	e.t.Helper()
	dls, err := e.st.ClaimDue(e.ctx, n, lease)
	if err != nil {
		e.t.Fatalf("ClaimDue: %v", err)
	}
	return dls
}

// numbers returns the episode numbers of ids.
func (e *env) numbers(ids []int64) []int {
	e.t.Helper()
	eps, err := e.st.EpisodesByID(e.ctx, ids)
	if err != nil {
		e.t.Fatalf("EpisodesByID(%v): %v", ids, err)
	}
	var out []int
	for _, ep := range eps {
		out = append(out, ep.Number)
	}
	return out
}

// delivered is a delivery as most tests check it.
type delivered struct {
	Channel string
	Kind    string
	Numbers []int
}

// deliveries lists the deliveries with a status ("" for all), oldest first.
func (e *env) deliveries(status string) []delivered {
	e.t.Helper()
	dls, err := e.st.Deliveries(e.ctx, status)
	if err != nil {
		e.t.Fatalf("Deliveries(%q): %v", status, err)
	}
	var out []delivered
	for _, dl := range dls {
		out = append(out, delivered{Channel: dl.Subscription.Channel, Kind: dl.Kind, Numbers: e.numbers(dl.EpisodeIDs)})
	}
	return out
}

// statuses lists every delivery's status, oldest first.
func (e *env) statuses() []string {
	e.t.Helper()
	dls, err := e.st.Deliveries(e.ctx, "")
	if err != nil {
		e.t.Fatalf("Deliveries: %v", err)
	}
	var out []string
	for _, dl := range dls {
		out = append(out, dl.Status)
	}
	return out
}

// ep builds episode n of a test feed hosted on host: weekly from January 2026.
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

// feedOf lists the episodes numbered, newest first, as feeds do.
func feedOf(host string, numbers ...int) []feeds.Episode {
	var out []feeds.Episode
	for i := len(numbers) - 1; i >= 0; i-- {
		out = append(out, ep(numbers[i], host))
	}
	return out
}

// upTo is feedOf episodes 1..last.
func upTo(host string, last int) []feeds.Episode {
	var numbers []int
	for n := 1; n <= last; n++ {
		numbers = append(numbers, n)
	}
	return feedOf(host, numbers...)
}
