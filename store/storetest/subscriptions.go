package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/store"
)

// channels lists a feed's active subscriptions as "channel:topic,topic".
func (e *env) channels(feedID int64) []string {
	e.t.Helper()
	subs, err := e.st.Subscriptions(e.ctx, feedID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, s := range subs {
		out = append(out, s.Channel+":"+strings.Join(s.Topics, ","))
	}
	return out
}

// A channel subscribes and unsubscribes by command; the configuration applied
// again at start does not undo what it chose.
func testSubscribeUnsubscribe(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	s, created, err := e.st.Subscribe(e.ctx, store.Subscription{Platform: "slack", Channel: "C1", FeedID: f.ID, Language: "fr", Topics: []string{"bgp"}})
	if err != nil || !created || !s.Active || s.ID == 0 {
		t.Fatalf("Subscribe = %+v, %v, %v; want a new active subscription", s, created, err)
	}
	if _, created, _ = e.st.Subscribe(e.ctx, store.Subscription{Platform: "slack", Channel: "C1", FeedID: f.ID, Language: "fr", Topics: []string{"dns"}}); created {
		t.Error("second Subscribe says created; want an update")
	}
	subs, err := e.st.SubscriptionsOf(e.ctx, "slack", "C1")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Subscription{{ID: s.ID, Platform: "slack", Channel: "C1", FeedID: f.ID, Language: "fr", Topics: []string{"dns"}, Active: true}}
	if diff := cmp.Diff(want, subs); diff != "" {
		t.Fatalf("SubscriptionsOf (-want +got):\n%s", diff)
	}
	e.poll(f.ID, feedOf("a", 1))
	e.poll(f.ID, feedOf("a", 1, 2))
	removed, err := e.st.Unsubscribe(e.ctx, "slack", "C1")
	if err != nil || !removed {
		t.Fatalf("Unsubscribe = %v, %v", removed, err)
	}
	if removed, _ = e.st.Unsubscribe(e.ctx, "slack", "C1"); removed {
		t.Error("second Unsubscribe says removed")
	}
	if subs, _ = e.st.SubscriptionsOf(e.ctx, "slack", "C1"); len(subs) != 0 {
		t.Errorf("after Unsubscribe: %d subscriptions", len(subs))
	}
	if p := e.deliveries(store.StatusPending); len(p) != 0 {
		t.Errorf("after Unsubscribe: %d pending deliveries, want 0", len(p))
	}
	if d, _ := e.st.Deliveries(e.ctx, store.StatusDead); len(d) != 1 || d[0].LastError != "the channel unsubscribed" {
		t.Errorf("dead deliveries = %+v, want the pending one given up", d)
	}
	// The configuration applied again at start does not undo the unsubscribe.
	if s, _ = e.st.EnsureSubscription(e.ctx, store.Subscription{Platform: "slack", Channel: "C1", FeedID: f.ID}); s.Active {
		t.Error("EnsureSubscription switched an unsubscribed channel back on")
	}
	e.poll(f.ID, feedOf("a", 1, 2, 3))
	if p := e.deliveries(store.StatusPending); len(p) != 0 {
		t.Errorf("an unsubscribed channel got %d deliveries", len(p))
	}
}

// The configuration's subscriptions are applied at each start: those it no longer
// declares are switched off with their pending deliveries; those a channel made
// or changed by command are left alone.
func testSyncConfigSubscriptions(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	sub := func(channel string, topics ...string) store.Subscription {
		return store.Subscription{Platform: "slack", Channel: channel, FeedID: f.ID, Topics: topics}
	}
	got, err := e.st.SyncConfigSubscriptions(e.ctx, []store.Subscription{sub("A"), sub("B")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID == 0 || !got[0].Active || got[1].Channel != "B" {
		t.Errorf("SyncConfigSubscriptions = %+v, want A and B, active, with their ids", got)
	}
	// Channel B narrows its subscription by command; channel C subscribes by command.
	for _, s := range []store.Subscription{sub("B", "bgp"), sub("C")} {
		if _, _, err := e.st.Subscribe(e.ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	e.poll(f.ID, feedOf("a", 1))
	e.poll(f.ID, feedOf("a", 1, 2))

	// The next configuration drops A and still lists B without topics.
	if _, err := e.st.SyncConfigSubscriptions(e.ctx, []store.Subscription{sub("B")}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"B:bgp", "C:"}, e.channels(f.ID)); diff != "" {
		t.Errorf("active subscriptions (-want +got):\n%s", diff)
	}
	dead, err := e.st.Deliveries(e.ctx, store.StatusDead)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Subscription.Channel != "A" {
		t.Errorf("dead deliveries = %+v, want A's pending one given up", dead)
	}
	// A comes back in the configuration: switched on again.
	if _, err := e.st.SyncConfigSubscriptions(e.ctx, []store.Subscription{sub("A"), sub("B")}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"A:", "B:bgp", "C:"}, e.channels(f.ID)); diff != "" {
		t.Errorf("active subscriptions after A returns (-want +got):\n%s", diff)
	}
	all, err := e.st.Subscriptions(e.ctx, 0)
	if err != nil || len(all) != 3 {
		t.Errorf("Subscriptions of every feed = %d, %v; want 3", len(all), err)
	}
}

// The scheduler reads the active subscriptions with a digest, and when each
// subscribed.
func testSubscriptionsWithDigest(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	weekly := store.Subscription{Platform: "slack", Channel: "C1", FeedID: f.ID, DigestSchedule: "0 9 * * 1", DigestTimeZone: "Europe/Paris"}
	first, err := e.st.EnsureSubscription(e.ctx, weekly)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	for _, s := range []store.Subscription{
		{Platform: "slack", Channel: "nodigest", FeedID: f.ID},
		{Platform: "discord", Channel: "gone", FeedID: f.ID, DigestSchedule: "0 9 * * 1", DigestTimeZone: "Europe/Paris"},
		{Platform: "discord", Channel: "daily", FeedID: f.ID, DigestSchedule: "0 8 * * *", DigestTimeZone: "America/New_York"},
	} {
		if _, err := e.st.EnsureSubscription(e.ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.st.Unsubscribe(e.ctx, "discord", "gone"); err != nil {
		t.Fatal(err)
	}
	subs, err := e.st.SubscriptionsWithDigest(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range subs {
		got = append(got, s.Channel+" "+s.DigestSchedule+" "+s.DigestTimeZone)
	}
	want := []string{"C1 0 9 * * 1 Europe/Paris", "daily 0 8 * * * America/New_York"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SubscriptionsWithDigest (-want +got):\n%s", diff)
	}
	if at, err := e.st.SubscribedAt(e.ctx, first.ID); err != nil || !at.Equal(start) {
		t.Errorf("SubscribedAt = %v, %v; want %v", at, err, start)
	}
	if _, err := e.st.SubscribedAt(e.ctx, first.ID+1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SubscribedAt(no subscription) = %v, want ErrNotFound", err)
	}
	// The configuration applied again keeps when the channel subscribed.
	e.clock.Add(time.Hour)
	if _, err := e.st.EnsureSubscription(e.ctx, weekly); err != nil {
		t.Fatal(err)
	}
	if at, err := e.st.SubscribedAt(e.ctx, first.ID); err != nil || !at.Equal(start) {
		t.Errorf("SubscribedAt after the configuration was applied again = %v, %v; want %v", at, err, start)
	}
}
