package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// testRetention holds PruneDeliveries to its rule: it deletes the deliveries
// sent before the time given and nothing else that exactly-once delivery, the
// archive picks or the status command read, so that nothing is enqueued again.
func testRetention(t *testing.T, open Opener) {
	for _, tt := range []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"ExactlyOnce", testPruneExactlyOnce},
		{"NoIDReuse", testPruneNoIDReuse},
		{"Window", testPruneWindow},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, open)
		})
	}
}

// outcome is what dispatch records for a claimed delivery.
type outcome int

const (
	post   outcome = iota // posted: MarkSent
	giveUp                // MarkDead
	later                 // MarkRetry, due long after the test ends, nothing posted
	crash                 // nothing recorded: the process died mid-post
)

// dispatch claims every due delivery and records for each the outcome its
// channel gets.
func (e *env) dispatch(outcomes map[string]outcome) {
	e.t.Helper()
	for _, dl := range e.claim(100, time.Minute) {
		var err error
		switch outcomes[dl.Subscription.Channel] {
		case post:
			err = e.st.MarkSent(e.ctx, dl.Claim(), fmt.Sprintf("m%d", dl.ID))
		case giveUp:
			err = e.st.MarkDead(e.ctx, dl.Claim(), "channel_not_found")
		case later:
			err = e.st.MarkRetry(e.ctx, dl.Claim(), "HTTP 503", e.clock.Now().Add(1000*24*time.Hour), false)
		case crash:
		}
		if err != nil {
			e.t.Fatalf("recording the outcome of delivery %d: %v", dl.ID, err)
		}
	}
}

// prune prunes the deliveries sent before `before`.
func (e *env) prune(before time.Time) int64 {
	e.t.Helper()
	n, err := e.st.PruneDeliveries(e.ctx, before)
	if err != nil {
		e.t.Fatalf("PruneDeliveries(%v): %v", before, err)
	}
	return n
}

// kept is a delivery as the retention tests check it.
type kept struct {
	Channel string
	Kind    string
	Numbers []int
	Status  string
	InDoubt bool
}

func (e *env) kept() []kept {
	e.t.Helper()
	dls, err := e.st.Deliveries(e.ctx, "")
	if err != nil {
		e.t.Fatalf("Deliveries: %v", err)
	}
	var out []kept
	for _, dl := range dls {
		out = append(out, kept{dl.Subscription.Channel, dl.Kind, e.numbers(dl.EpisodeIDs), dl.Status, dl.InDoubt})
	}
	return out
}

// An outbox with every kind of delivery in every state, pruned 40 days on with
// a retention of 30: what was sent before the window goes, save the archive
// digest; and then polling the same feed again (whole, with items gone and
// back, with a GUID rewritten), settling the backlog and running the same
// digests enqueue nothing, while a new episode is announced as before.
func testPruneExactlyOnce(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	c1 := e.subscribe(f.ID, "c1") // gets everything
	e.subscribe(f.ID, "c2")       // gets a post, then a channel gone, then a crash mid-post
	e.subscribe(f.ID, "c3")       // never reachable: its announcements expire
	e.poll(f.ID, upTo("a", 3))    // the silent first poll
	ids := make(map[int]int64)
	for _, ep := range e.poll(f.ID, upTo("a", 5)).New {
		ids[ep.Number] = ep.ID
	}
	e.dispatch(map[string]outcome{"c1": post, "c2": post, "c3": later})
	first, err := e.st.EpisodeByNumber(e.ctx, f.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	digests := []store.DigestEntry{
		{SubscriptionID: c1.ID, Period: "2026-11-23T08:00:00Z", At: start.Add(-4 * 24 * time.Hour), Kind: store.KindDigest, EpisodeIDs: []int64{ids[4], ids[5]}},
		{SubscriptionID: c1.ID, Period: "2026-11-27T08:00:00Z", At: start.Add(-2 * time.Hour), Kind: store.KindDigestArchive, EpisodeIDs: []int64{first.ID}},
	}
	for _, d := range digests {
		if _, err := e.st.EnqueueDigest(e.ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	e.dispatch(map[string]outcome{"c1": post})
	e.clock.Add(24 * time.Hour)
	e.poll(f.ID, upTo("a", 6))
	e.dispatch(map[string]outcome{"c1": post, "c2": giveUp, "c3": later})
	e.clock.Set(start.Add(20 * 24 * time.Hour))
	if _, err := store.SettleBacklog(e.ctx, e.st, 3, 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(start.Add(35 * 24 * time.Hour))
	e.poll(f.ID, upTo("a", 7))
	e.dispatch(map[string]outcome{"c1": post, "c2": crash, "c3": later})

	e.clock.Set(start.Add(40 * 24 * time.Hour))
	health, err := e.st.Health(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.prune(e.clock.Now().Add(-30 * 24 * time.Hour)); n != 6 {
		t.Errorf("PruneDeliveries = %d, want the 6 sent before the window (4 announcements, 1 digest, 1 more announcement)", n)
	}
	want := []kept{
		{"c3", store.KindEpisode, []int{4}, store.StatusExpired, false},
		{"c3", store.KindEpisode, []int{5}, store.StatusExpired, false},
		{"c1", store.KindDigestArchive, []int{1}, store.StatusSent, false}, // ArchivePicks reads it
		{"c2", store.KindEpisode, []int{6}, store.StatusDead, false},
		{"c3", store.KindEpisode, []int{6}, store.StatusExpired, false},
		{"c1", store.KindEpisode, []int{7}, store.StatusSent, false}, // sent within the window
		{"c2", store.KindEpisode, []int{7}, store.StatusPending, true},
		{"c3", store.KindEpisode, []int{7}, store.StatusPending, false},
	}
	if diff := cmp.Diff(want, e.kept()); diff != "" {
		t.Fatalf("deliveries after the prune (-want +got):\n%s", diff)
	}
	if got, err := e.st.Health(e.ctx); err != nil || got != health {
		t.Errorf("Health after the prune = %+v, %v; want %+v as before it", got, err, health)
	}

	// Nothing the bot does next enqueues any of it again.
	renamed := upTo("a", 7)
	renamed[3].GUID = "moved-" + renamed[3].GUID // episode 4, found by its other keys
	for _, p := range []struct {
		name string
		eps  []feeds.Episode
	}{
		{"the same feed", upTo("a", 7)},
		{"old items gone", feedOf("a", 6, 7)},
		{"and back", upTo("a", 7)},
		{"a GUID rewritten", renamed},
	} {
		if res := e.poll(f.ID, p.eps); len(res.New) != 0 || res.Deliveries != 0 {
			t.Errorf("poll of %s after the prune: %d new, %d deliveries; want none", p.name, len(res.New), res.Deliveries)
		}
	}
	res, err := store.SettleBacklog(e.ctx, e.st, 3, 7*24*time.Hour)
	if err != nil || len(res.Merged) != 0 || len(res.Expired) != 0 {
		t.Errorf("SettleBacklog after the prune = %+v, %v; want nothing to settle", res, err)
	}
	for _, d := range digests {
		if created, err := e.st.EnqueueDigest(e.ctx, d); err != nil || created {
			t.Errorf("EnqueueDigest(%s) again after the prune = %v, %v; want it known already", d.Period, created, err)
		}
	}
	if picks, err := e.st.ArchivePicks(e.ctx, c1.ID, start.Add(-time.Hour)); err != nil || !cmp.Equal(picks, []int64{first.ID}) {
		t.Errorf("ArchivePicks after the prune = %v, %v; want the archive's pick, episode id %d", picks, err, first.ID)
	}
	if period, _, ok, err := e.st.LastDigest(e.ctx, c1.ID); err != nil || !ok || period != digests[1].Period {
		t.Errorf("LastDigest after the prune = %q, %v, %v; want %q", period, ok, err, digests[1].Period)
	}
	if diff := cmp.Diff(want, e.kept()); diff != "" {
		t.Errorf("deliveries after polls, settle and digests (-want +got):\n%s", diff)
	}
	if n := e.prune(e.clock.Now().Add(-30 * 24 * time.Hour)); n != 0 {
		t.Errorf("PruneDeliveries again = %d, want 0", n)
	}

	// A new episode is announced to every channel, as before the prune.
	if res := e.poll(f.ID, upTo("a", 8)); len(res.New) != 1 || res.Deliveries != 3 {
		t.Errorf("poll of a new episode: %d new, %d deliveries; want 1 new for 3 channels", len(res.New), res.Deliveries)
	}
}

// The newest delivery is kept even when it was sent long ago: SQLite gives a
// new row the highest id plus one, and a delivery's id is its key on the
// platforms, so a new delivery with a pruned one's id would be taken for it.
func testPruneNoIDReuse(t *testing.T, open Opener) {
	e, f := outboxEnv(t, open, "c1")
	e.poll(f.ID, upTo("a", 3))
	e.dispatch(map[string]outcome{"c1": post})
	sent, err := e.st.Deliveries(e.ctx, store.StatusSent)
	if err != nil || len(sent) != 2 {
		t.Fatalf("Deliveries(sent) = %d, %v; want 2", len(sent), err)
	}
	e.clock.Add(31 * 24 * time.Hour)
	if n := e.prune(e.clock.Now().Add(-30 * 24 * time.Hour)); n != 1 {
		t.Errorf("PruneDeliveries = %d, want 1 (the older; the newest is kept)", n)
	}
	e.poll(f.ID, upTo("a", 4))
	pending, err := e.st.Deliveries(e.ctx, store.StatusPending)
	if err != nil || len(pending) != 1 {
		t.Fatalf("Deliveries(pending) after a poll = %d, %v; want 1", len(pending), err)
	}
	if pending[0].ID <= sent[1].ID {
		t.Errorf("the new delivery has id %d; want an id no delivery had, above %d", pending[0].ID, sent[1].ID)
	}
}

// A delivery is pruned when it was sent strictly before the time given.
func testPruneWindow(t *testing.T, open Opener) {
	day := 24 * time.Hour
	for _, tt := range []struct {
		name   string
		before time.Time
		want   int64
	}{
		{"before the first was sent", start, 0},
		{"a second after the first", start.Add(time.Second), 1},
		{"when the second was sent", start.Add(day), 1},
		{"after the third", start.Add(2*day + time.Second), 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, f := outboxEnv(t, open, "c1")
			for k := range 3 { // episodes 2, 3, 4, sent a day apart
				e.clock.Set(start.Add(time.Duration(k) * day))
				e.poll(f.ID, upTo("a", 2+k))
				e.dispatch(map[string]outcome{"c1": post})
			}
			e.poll(f.ID, upTo("a", 5)) // the newest, still pending
			e.clock.Set(start.Add(100 * day))
			if n := e.prune(tt.before); n != tt.want {
				t.Errorf("PruneDeliveries(%v) = %d, want %d", tt.before, n, tt.want)
			}
			if got := len(e.deliveries(store.StatusSent)); got != 3-int(tt.want) {
				t.Errorf("%d sent deliveries left, want %d", got, 3-tt.want)
			}
		})
	}
}
