package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/store"
)

// outboxEnv is a store with one feed, subscribed by the channels named, polled
// once (the silent first poll) so that the next polls announce.
func outboxEnv(t *testing.T, open Opener, channels ...string) (*env, store.Feed) {
	t.Helper()
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	for _, c := range channels {
		e.subscribe(f.ID, c)
	}
	e.poll(f.ID, feedOf("a", 1))
	return e, f
}

// A delivery's life: claimed, leased, posted, retried, given up; a lease that
// runs out makes it due again.
func testOutbox(t *testing.T, open Opener) {
	e, f := outboxEnv(t, open, "stdout")
	if _, ok, err := e.st.NextDue(e.ctx); err != nil || ok {
		t.Fatalf("NextDue of an empty outbox = %v, %v; want none", ok, err)
	}
	e.poll(f.ID, feedOf("a", 1, 2, 3))
	if at, ok, err := e.st.NextDue(e.ctx); err != nil || !ok || !at.Equal(start) {
		t.Fatalf("NextDue = %v, %v, %v; want now", at, ok, err)
	}

	claimed := e.claim(10, time.Minute)
	if len(claimed) != 2 || claimed[0].Attempts != 1 || claimed[0].Subscription.Channel != "stdout" || claimed[0].InDoubt {
		t.Fatalf("ClaimDue = %+v, want 2 deliveries to stdout on attempt 1, not in doubt", claimed)
	}
	if again := e.claim(10, time.Minute); len(again) != 0 {
		t.Fatalf("second ClaimDue within the lease = %d deliveries, want 0", len(again))
	}
	if at, ok, err := e.st.NextDue(e.ctx); err != nil || !ok || !at.Equal(start.Add(time.Minute)) {
		t.Errorf("NextDue while both are leased = %v, %v, %v; want the end of the lease", at, ok, err)
	}
	if err := e.st.MarkSent(e.ctx, claimed[0].Claim(), "m1"); err != nil {
		t.Fatal(err)
	}
	if err := e.st.MarkRetry(e.ctx, claimed[1].Claim(), "HTTP 500", start.Add(10*time.Second), true); err != nil {
		t.Fatal(err)
	}
	if due := e.claim(10, time.Minute); len(due) != 0 {
		t.Fatalf("ClaimDue before the retry time = %d, want 0", len(due))
	}
	if at, ok, err := e.st.NextDue(e.ctx); err != nil || !ok || !at.Equal(start.Add(10*time.Second)) {
		t.Fatalf("NextDue = %v %v %v, want the retry time", at, ok, err)
	}
	e.clock.Add(11 * time.Second)
	due := e.claim(10, time.Minute)
	if len(due) != 1 || due[0].Attempts != 2 || due[0].LastError != "HTTP 500" || !due[0].InDoubt {
		t.Fatalf("ClaimDue after the retry time = %+v, want the retried delivery on attempt 2, in doubt", due)
	}
	if err := e.st.MarkDead(e.ctx, due[0].Claim(), "channel_not_found"); err != nil {
		t.Fatal(err)
	}
	// A lease that runs out (the dispatcher died mid-post) makes the delivery due again.
	e.poll(f.ID, feedOf("a", 1, 2, 3, 4))
	if got := e.claim(10, time.Minute); len(got) != 1 {
		t.Fatalf("ClaimDue = %d, want 1", len(got))
	}
	e.clock.Add(2 * time.Minute)
	if got := e.claim(10, time.Minute); len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("ClaimDue after an expired lease = %+v, want the delivery on attempt 2", got)
	}
	if diff := cmp.Diff([]string{store.StatusSent, store.StatusDead, store.StatusPending}, e.statuses()); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	all, err := e.st.Deliveries(e.ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Status, MessageID, LastError string
		Sent                         bool
		Token                        string
	}
	var got []row
	for _, dl := range all {
		got = append(got, row{dl.Status, dl.MessageID, dl.LastError, !dl.SentAt.IsZero(), dl.ClaimToken})
	}
	want := []row{{store.StatusSent, "m1", "", true, ""}, {store.StatusDead, "", "channel_not_found", false, ""}, {store.StatusPending, "", "", false, ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	h, err := e.st.Health(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.OutboxHealth{Pending: 1, Dead: 1, LastDead: "channel_not_found"}, h); diff != "" {
		t.Errorf("Health (-want +got):\n%s", diff)
	}
}

// Released claims are due again at once, not counted as attempts nor in doubt;
// a claim another dispatcher took since is left alone.
func testReleaseClaims(t *testing.T, open Opener) {
	e, f := outboxEnv(t, open, "c0", "c1", "c2")
	e.poll(f.ID, feedOf("a", 1, 2))
	first := e.claim(10, time.Minute)
	if len(first) != 3 {
		t.Fatalf("ClaimDue = %d deliveries, want 3", len(first))
	}
	if err := e.st.ReleaseClaims(e.ctx, nil); err != nil {
		t.Fatalf("ReleaseClaims(nil): %v", err)
	}
	// c0 is attempted (its claim stays), c1 and c2 are given back.
	if err := e.st.ReleaseClaims(e.ctx, []store.Claim{first[1].Claim(), first[2].Claim()}); err != nil {
		t.Fatalf("ReleaseClaims: %v", err)
	}
	again := e.claim(10, time.Minute)
	var got []string
	for _, dl := range again {
		got = append(got, fmt.Sprintf("%s attempt %d doubt %v", dl.Subscription.Channel, dl.Attempts, dl.InDoubt))
	}
	if diff := cmp.Diff([]string{"c1 attempt 1 doubt false", "c2 attempt 1 doubt false"}, got); diff != "" {
		t.Errorf("claimed after the release (-want +got):\n%s", diff)
	}
	// The first claims are stale now: releasing them again changes nothing, and
	// the new holder can still record its outcome.
	if err := e.st.ReleaseClaims(e.ctx, []store.Claim{first[1].Claim(), first[2].Claim(), {ID: first[0].ID}}); err != nil {
		t.Fatalf("ReleaseClaims of claims no longer held: %v", err)
	}
	if got := e.claim(10, time.Minute); len(got) != 0 {
		t.Errorf("ClaimDue after releasing stale claims = %d deliveries, want 0", len(got))
	}
	for _, dl := range append(again, first[0]) {
		if err := e.st.MarkSent(e.ctx, dl.Claim(), "m"); err != nil {
			t.Errorf("MarkSent(%s): %v", dl.Subscription.Channel, err)
		}
	}
	// A delivery already recorded is not made pending again.
	if err := e.st.ReleaseClaims(e.ctx, []store.Claim{first[0].Claim()}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{store.StatusSent, store.StatusSent, store.StatusSent}, e.statuses()); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

// ClaimDue takes at most its limit, oldest due first, and the next call the rest.
func testClaimBatches(t *testing.T, open Opener) {
	e, f := outboxEnv(t, open, "c0", "c1", "c2")
	e.poll(f.ID, feedOf("a", 1, 2, 3)) // six deliveries: 2 then 3, across the channels
	var got []delivered
	for _, n := range []int{4, 4, 4} {
		batch := e.claim(n, time.Minute)
		if len(batch) > n {
			t.Fatalf("ClaimDue(%d) = %d deliveries", n, len(batch))
		}
		for _, dl := range batch {
			got = append(got, delivered{dl.Subscription.Channel, dl.Kind, e.numbers(dl.EpisodeIDs)})
		}
	}
	want := []delivered{
		{"c0", store.KindEpisode, []int{2}}, {"c1", store.KindEpisode, []int{2}}, {"c2", store.KindEpisode, []int{2}},
		{"c0", store.KindEpisode, []int{3}}, {"c1", store.KindEpisode, []int{3}}, {"c2", store.KindEpisode, []int{3}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claimed in batches of 4 (-want +got):\n%s", diff)
	}
	// A retry due later goes after what is due now.
	e.clock.Add(2 * time.Minute)
	batch := e.claim(10, time.Minute)
	if len(batch) != 6 {
		t.Fatalf("ClaimDue after the leases = %d, want 6", len(batch))
	}
	if err := e.st.MarkRetry(e.ctx, batch[0].Claim(), "later", e.clock.Now().Add(time.Second), false); err != nil {
		t.Fatal(err)
	}
	for _, dl := range batch[1:] {
		if err := e.st.MarkRetry(e.ctx, dl.Claim(), "now", e.clock.Now(), false); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(time.Second)
	batch = e.claim(10, time.Minute)
	if len(batch) != 6 || batch[5].LastError != "later" {
		t.Errorf("ClaimDue = %+v; want 6 deliveries, the later retry last", batch)
	}
	if n := e.claim(0, time.Minute); len(n) != 0 {
		t.Errorf("ClaimDue(0) = %d deliveries, want none", len(n))
	}
}

// Only the holder of a claim records an outcome: once the lease ran out and
// another dispatcher claimed the delivery, the first one's MarkSent, MarkRetry
// and MarkDead change nothing and say ErrClaimLost.
func testClaimTokens(t *testing.T, open Opener) {
	marks := []struct {
		name string
		mark func(e *env, c store.Claim) error
	}{
		{"MarkSent", func(e *env, c store.Claim) error { return e.st.MarkSent(e.ctx, c, "late") }},
		{"MarkRetry", func(e *env, c store.Claim) error {
			return e.st.MarkRetry(e.ctx, c, "late", e.clock.Now().Add(time.Hour), false)
		}},
		{"MarkDead", func(e *env, c store.Claim) error { return e.st.MarkDead(e.ctx, c, "late") }},
	}
	for _, m := range marks {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			e, f := outboxEnv(t, open, "c0")
			e.poll(f.ID, feedOf("a", 1, 2))
			first := e.claim(1, time.Minute)
			e.clock.Add(2 * time.Minute) // the first dispatcher stalled past its lease
			second := e.claim(1, time.Minute)
			if len(first) != 1 || len(second) != 1 || first[0].ID != second[0].ID {
				t.Fatalf("claims = %+v then %+v, want the same delivery twice", first, second)
			}
			if first[0].ClaimToken == "" || first[0].ClaimToken == second[0].ClaimToken {
				t.Fatalf("claim tokens %q then %q, want two different tokens", first[0].ClaimToken, second[0].ClaimToken)
			}
			if err := m.mark(e, first[0].Claim()); !errors.Is(err, store.ErrClaimLost) {
				t.Fatalf("%s with the lost claim = %v, want ErrClaimLost", m.name, err)
			}
			dls, err := e.st.Deliveries(e.ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(dls) != 1 || dls[0].Status != store.StatusPending || dls[0].LastError != "" || !dls[0].InDoubt {
				t.Errorf("after the lost claim's %s: %+v; want the delivery pending, untouched, in doubt", m.name, dls)
			}
			// The holder records its outcome; then the claim is spent.
			if err := e.st.MarkSent(e.ctx, second[0].Claim(), "m1"); err != nil {
				t.Fatalf("MarkSent by the holder: %v", err)
			}
			if err := m.mark(e, second[0].Claim()); !errors.Is(err, store.ErrClaimLost) {
				t.Errorf("%s after the outcome was recorded = %v, want ErrClaimLost", m.name, err)
			}
			if err := m.mark(e, store.Claim{ID: second[0].ID}); !errors.Is(err, store.ErrClaimLost) {
				t.Errorf("%s without a token = %v, want ErrClaimLost", m.name, err)
			}
			if diff := cmp.Diff([]string{store.StatusSent}, e.statuses()); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
		})
	}
}

// Dispatchers claiming side by side never get the same delivery.
func testConcurrentClaims(t *testing.T, open Opener) {
	var channels []string
	for i := range 20 {
		channels = append(channels, fmt.Sprintf("c%02d", i))
	}
	e, f := outboxEnv(t, open, channels...)
	e.poll(f.ID, feedOf("a", 1, 2, 3, 4)) // 60 deliveries
	const workers = 4
	var mu sync.Mutex
	claimedBy := make(map[int64]int)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				batch, err := e.st.ClaimDue(e.ctx, 3, time.Hour)
				if err != nil {
					errs <- err
					return
				}
				if len(batch) == 0 {
					return
				}
				mu.Lock()
				for _, dl := range batch {
					claimedBy[dl.ID]++
				}
				mu.Unlock()
				for _, dl := range batch {
					if err := e.st.MarkSent(e.ctx, dl.Claim(), fmt.Sprintf("w%d", w)); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(claimedBy) != 60 {
		t.Errorf("%d deliveries claimed, want 60", len(claimedBy))
	}
	for id, n := range claimedBy {
		if n != 1 {
			t.Errorf("delivery %d claimed %d times, want once", id, n)
		}
	}
	if h, err := e.st.Health(e.ctx); err != nil || h.Pending != 0 {
		t.Errorf("Health = %+v, %v; want nothing pending", h, err)
	}
}

// A delivery is in doubt (an attempt may have posted it) after a claim whose
// attempt never reported, or failed in a way that may have posted; not when the
// attempt was refused outright (a rate limit). A backlog summary never swallows a
// delivery in doubt, which could post its news twice.
func testInDoubt(t *testing.T, open Opener) {
	e, f := outboxEnv(t, open, "C1")
	e.poll(f.ID, feedOf("a", 1, 2))
	claim := func() store.Delivery {
		t.Helper()
		got := e.claim(10, time.Minute)
		if len(got) != 1 {
			t.Fatalf("ClaimDue = %+v; want one delivery", got)
		}
		return got[0]
	}
	if dl := claim(); dl.InDoubt {
		t.Error("first attempt in doubt")
	}
	if dls, _ := e.st.Deliveries(e.ctx, store.StatusPending); len(dls) != 1 || !dls[0].InDoubt {
		t.Error("listed while claimed: not in doubt")
	}
	e.clock.Add(2 * time.Minute) // the process died: the lease ran out
	dl := claim()
	if !dl.InDoubt {
		t.Error("after an attempt that never reported: not in doubt")
	}
	if err := e.st.MarkRetry(e.ctx, dl.Claim(), "ratelimited", e.clock.Now(), false); err != nil {
		t.Fatal(err)
	}
	if dls, _ := e.st.Deliveries(e.ctx, store.StatusPending); len(dls) != 1 || dls[0].InDoubt {
		t.Error("listed after a rate limit refused the post: in doubt")
	}
	dl = claim()
	if dl.InDoubt {
		t.Error("after a rate limit refused the post: in doubt")
	}
	if err := e.st.MarkRetry(e.ctx, dl.Claim(), "HTTP 502", e.clock.Now(), true); err != nil {
		t.Fatal(err)
	}
	if dl := claim(); !dl.InDoubt {
		t.Error("after a failure that may have posted: not in doubt")
	}
	e.clock.Add(2 * time.Minute)

	// Three more episodes while the channel is unreachable: more than the flood
	// limit pending, but the one in doubt is left as it is.
	for last := 3; last <= 5; last++ {
		e.poll(f.ID, upTo("a", last))
	}
	if _, err := store.SettleBacklog(e.ctx, e.st, 2, 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	pending, err := e.st.Deliveries(e.ctx, store.StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	var doubtful, summaries int
	for _, p := range pending {
		if p.InDoubt {
			doubtful++
		}
		if p.Kind == store.KindSummary {
			summaries++
		}
	}
	if doubtful != 1 || summaries != 1 || len(pending) != 2 {
		t.Errorf("after settling: %d pending, %d in doubt, %d summaries; want the one in doubt kept and one summary of the rest", len(pending), doubtful, summaries)
	}
}

// A channel that cannot be posted to any more pauses its subscription: its
// pending deliveries are given up, status lists it, and subscribing again
// resumes it.
func testPause(t *testing.T, open Opener) {
	e, f := outboxEnv(t, open, "gone", "kept")
	e.poll(f.ID, feedOf("a", 1, 2))
	held := e.claim(1, time.Minute) // gone's, being posted when the channel went
	if len(held) != 1 || held[0].Subscription.Channel != "gone" {
		t.Fatalf("ClaimDue = %+v, want gone's delivery", held)
	}
	sub := held[0].Subscription
	if err := e.st.PauseSubscription(e.ctx, sub.ID, "channel_not_found"); err != nil {
		t.Fatal(err)
	}
	e.poll(f.ID, feedOf("a", 1, 2, 3))
	paused, err := e.st.PausedSubscriptions(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(paused) != 1 || paused[0].ID != sub.ID || paused[0].Paused != "channel_not_found" || paused[0].Active {
		t.Errorf("PausedSubscriptions = %+v, want gone's, inactive, with the reason", paused)
	}
	want := []delivered{{"kept", store.KindEpisode, []int{2}}, {"kept", store.KindEpisode, []int{3}}}
	if diff := cmp.Diff(want, e.deliveries(store.StatusPending)); diff != "" {
		t.Errorf("pending after the pause (-want +got):\n%s", diff)
	}
	dead, err := e.st.Deliveries(e.ctx, store.StatusDead)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].LastError != "the subscription was paused: channel_not_found" {
		t.Errorf("dead = %+v, want gone's delivery given up with the pause", dead)
	}
	// The post under way when the channel went still records its outcome.
	if err := e.st.MarkDead(e.ctx, held[0].Claim(), "the subscription was paused: channel_not_found"); err != nil {
		t.Errorf("MarkDead by the holder after the pause: %v", err)
	}
	if _, created, err := e.st.Subscribe(e.ctx, store.Subscription{Platform: sub.Platform, Channel: sub.Channel, FeedID: f.ID}); err != nil || !created {
		t.Fatalf("Subscribe again = created %v, %v; want the paused subscription resumed", created, err)
	}
	if paused, err := e.st.PausedSubscriptions(e.ctx); err != nil || len(paused) != 0 {
		t.Errorf("PausedSubscriptions after subscribing again = %+v, %v; want none", paused, err)
	}
	e.poll(f.ID, feedOf("a", 1, 2, 3, 4))
	want = append(want, delivered{"gone", store.KindEpisode, []int{4}}, delivered{"kept", store.KindEpisode, []int{4}})
	if diff := cmp.Diff(want, e.deliveries(store.StatusPending)); diff != "" {
		t.Errorf("pending after subscribing again (-want +got):\n%s", diff)
	}
}
