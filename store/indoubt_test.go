package store

import (
	"context"
	"testing"
	"time"

	"github.com/pmbot/pmbot/feeds"
)

// TestDeliveryInDoubt: a delivery is in doubt (an attempt may have posted it)
// after a claim whose attempt never reported, or failed in a way that may have
// posted; not when the attempt was refused outright (a rate limit). A backlog
// summary never swallows a delivery in doubt, which could post its news twice.
func TestDeliveryInDoubt(t *testing.T) {
	ctx := context.Background()
	db, c := openTest(t, Memory)
	f, _ := db.EnsureFeed(ctx, "pm", "src")
	db.EnsureSubscription(ctx, Subscription{Platform: "slack", Channel: "C1", FeedID: f.ID})
	db.RecordPoll(ctx, f.ID, feedOf("a", 1), feeds.Policy{FloodLimit: 3})
	db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2), feeds.Policy{FloodLimit: 3})

	claim := func() Delivery {
		t.Helper()
		got, err := db.ClaimDue(ctx, 10, time.Minute)
		if err != nil || len(got) != 1 {
			t.Fatalf("ClaimDue = %v, %v; want one delivery", got, err)
		}
		return got[0]
	}
	if dl := claim(); dl.InDoubt {
		t.Error("first attempt in doubt")
	}
	c.t = c.t.Add(2 * time.Minute) // the process died: the lease ran out
	dl := claim()
	if !dl.InDoubt {
		t.Error("after an attempt that never reported: not in doubt")
	}
	db.MarkRetry(ctx, dl.ID, "ratelimited", c.t, false)
	if dl := claim(); dl.InDoubt {
		t.Error("after a rate limit refused the post: in doubt")
	}
	c.t = c.t.Add(2 * time.Minute)

	// Three more episodes while the channel is unreachable: more than the flood
	// limit pending, but the one in doubt is left as it is.
	db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2, 3), feeds.Policy{FloodLimit: 3})
	db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2, 3, 4), feeds.Policy{FloodLimit: 3})
	db.RecordPoll(ctx, f.ID, feedOf("a", 1, 2, 3, 4, 5), feeds.Policy{FloodLimit: 3})
	if _, err := db.SettleBacklog(ctx, 2, 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	pending, _ := db.Deliveries(ctx, StatusPending)
	var doubtful, summaries int
	for _, p := range pending {
		if p.InDoubt {
			doubtful++
		}
		if p.Kind == KindSummary {
			summaries++
		}
	}
	if doubtful != 1 || summaries != 1 || len(pending) != 2 {
		t.Errorf("after settling: %d pending, %d in doubt, %d summaries; want the one in doubt kept and one summary of the rest", len(pending), doubtful, summaries)
	}
}
