package store

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
)

// titleMatch is a stand-in for the search analysis: a topic matches a title word.
func titleMatch(ep feeds.Episode, topics []string) bool {
	for _, t := range topics {
		if slices.Contains(strings.Fields(strings.ToLower(ep.Title)), t) {
			return true
		}
	}
	return false
}

func TestTopicFilters(t *testing.T) {
	ctx := context.Background()
	c := &clock{}
	db, err := Open(ctx, Memory, Options{Now: c.Now, TopicMatch: titleMatch})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, _ := db.EnsureFeed(ctx, "pm", "src")
	for _, s := range []Subscription{
		{Platform: "slack", Channel: "all", FeedID: f.ID},
		{Platform: "slack", Channel: "odd", FeedID: f.ID, Topics: []string{"topic", "nothing"}},
		{Platform: "slack", Channel: "none", FeedID: f.ID, Topics: []string{"absent"}},
	} {
		if _, err := db.EnsureSubscription(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
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
	policy := feeds.Policy{FloodLimit: 2}
	db.RecordPoll(ctx, f.ID, eps(1), policy)
	db.RecordPoll(ctx, f.ID, eps(1, 2, 3, 4, 5, 6, 7), policy)
	want := []delivered{
		{"all", KindSummary, []int{2, 3, 4, 5, 6, 7}},
		// 3, 5, 7 match "topic"; 2 matches "nothing"; 4 and 6 match neither: 4 wanted,
		// above the flood limit of 2, so one summary.
		{"odd", KindSummary, []int{2, 3, 5, 7}},
	}
	if diff := cmp.Diff(want, pending(t, db)); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
}

func TestSubscribeUnsubscribe(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, Memory)
	f, _ := db.EnsureFeed(ctx, "pm", "src")
	s, created, err := db.Subscribe(ctx, Subscription{Platform: "slack", Channel: "C1", FeedID: f.ID, Topics: []string{"bgp"}})
	if err != nil || !created || !s.Active || s.ID == 0 {
		t.Fatalf("Subscribe = %+v, %v, %v; want a new active subscription", s, created, err)
	}
	if _, created, _ = db.Subscribe(ctx, Subscription{Platform: "slack", Channel: "C1", FeedID: f.ID, Topics: []string{"dns"}}); created {
		t.Error("second Subscribe says created; want an update")
	}
	subs, _ := db.SubscriptionsOf(ctx, "slack", "C1")
	if len(subs) != 1 || !slices.Equal(subs[0].Topics, []string{"dns"}) {
		t.Fatalf("SubscriptionsOf = %+v, want one with topic dns", subs)
	}
	db.RecordPoll(ctx, f.ID, feedOf("a", 1), feeds.Policy{FloodLimit: 3})
	db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2), feeds.Policy{FloodLimit: 3})
	removed, err := db.Unsubscribe(ctx, "slack", "C1")
	if err != nil || !removed {
		t.Fatalf("Unsubscribe = %v, %v", removed, err)
	}
	if removed, _ = db.Unsubscribe(ctx, "slack", "C1"); removed {
		t.Error("second Unsubscribe says removed")
	}
	if subs, _ = db.SubscriptionsOf(ctx, "slack", "C1"); len(subs) != 0 {
		t.Errorf("after Unsubscribe: %d subscriptions", len(subs))
	}
	if p, _ := db.Deliveries(ctx, StatusPending); len(p) != 0 {
		t.Errorf("after Unsubscribe: %d pending deliveries, want 0", len(p))
	}
	// The configuration applied again at start does not undo the unsubscribe.
	if s, _ = db.EnsureSubscription(ctx, Subscription{Platform: "slack", Channel: "C1", FeedID: f.ID}); s.Active {
		t.Error("EnsureSubscription switched an unsubscribed channel back on")
	}
	db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2, 3), feeds.Policy{FloodLimit: 3})
	if p, _ := db.Deliveries(ctx, StatusPending); len(p) != 0 {
		t.Errorf("an unsubscribed channel got %d deliveries", len(p))
	}
}

func TestSyncConfigSubscriptions(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, Memory)
	f, _ := db.EnsureFeed(ctx, "pm", "src")
	sub := func(channel string, topics ...string) Subscription {
		return Subscription{Platform: "slack", Channel: channel, FeedID: f.ID, Topics: topics}
	}
	channels := func() []string {
		subs, err := db.Subscriptions(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range subs {
			out = append(out, s.Channel+":"+strings.Join(s.Topics, ","))
		}
		return out
	}
	if _, err := db.SyncConfigSubscriptions(ctx, []Subscription{sub("A"), sub("B")}); err != nil {
		t.Fatal(err)
	}
	// Channel B narrows its subscription by command; channel C subscribes by command.
	db.Subscribe(ctx, sub("B", "bgp"))
	db.Subscribe(ctx, sub("C"))
	db.RecordPoll(ctx, f.ID, feedOf("a", 1), feeds.Policy{FloodLimit: 3})
	db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2), feeds.Policy{FloodLimit: 3})

	// The next configuration drops A and still lists B without topics.
	if _, err := db.SyncConfigSubscriptions(ctx, []Subscription{sub("B")}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"B:bgp", "C:"}, channels()); diff != "" {
		t.Errorf("active subscriptions (-want +got):\n%s", diff)
	}
	dead, _ := db.Deliveries(ctx, StatusDead)
	if len(dead) != 1 || dead[0].Subscription.Channel != "A" {
		t.Errorf("dead deliveries = %+v, want A's pending one given up", dead)
	}
	// A comes back in the configuration: switched on again.
	db.SyncConfigSubscriptions(ctx, []Subscription{sub("A"), sub("B")})
	if diff := cmp.Diff([]string{"A:", "B:bgp", "C:"}, channels()); diff != "" {
		t.Errorf("active subscriptions after A returns (-want +got):\n%s", diff)
	}
}
