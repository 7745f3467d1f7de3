package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// logRecorder keeps a logger's lines for a test to read.
type logRecorder struct{ buf bytes.Buffer }

func (r *logRecorder) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&r.buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// lines returns the lines whose message contains substr, in order, as "LEVEL
// message key=value…" with the keys given.
func (r *logRecorder) lines(t *testing.T, substr string, keys ...string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(r.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		msg, _ := rec["msg"].(string)
		if !strings.Contains(msg, substr) {
			continue
		}
		s := fmt.Sprint(rec["level"], " ", msg)
		for _, k := range keys {
			s += fmt.Sprintf(" %s=%v", k, rec[k])
		}
		out = append(out, s)
	}
	return out
}

// pollWhileDown is one poll of the harness's feed (episodes 1..last) followed by one
// dispatch run that posts nothing: the platform is not connected.
func pollWhileDown(t *testing.T, h *harness, d *Dispatcher, last int) {
	t.Helper()
	h.srv.set(http.StatusOK, rss(1, last, ""), nil)
	h.poll(t)
	sent, err := d.DispatchDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 0 {
		t.Fatalf("dispatch with no poster sent %d, want 0", len(sent))
	}
	h.clock.Add(15 * time.Minute)
}

// TestDispatcherBacklog piles announcements up for a platform configured but not
// connected, then connects it: the channel gets no more than the flood limit.
func TestDispatcherBacklog(t *testing.T) {
	tests := []struct {
		name      string
		polls     []int         // the last episode of each poll while the platform is down
		wait      time.Duration // how long the platform stays down after the last poll
		lastPoll  int           // a poll after the wait, when > 0
		wantPosts []string
		wantLog   []string
	}{{
		name:      "three polls of two episodes become one summary",
		polls:     []int{3, 5, 7},
		wait:      2 * time.Hour,
		wantPosts: []string{"C1 summary Episode 2,Episode 3,Episode 4,Episode 5,Episode 6,Episode 7"},
		wantLog: []string{
			"INFO announcements merged into one summary count=4 episodes=4 platform=fake channel=C1",
			"INFO announcements merged into one summary count=3 episodes=6 platform=fake channel=C1",
		},
	}, {
		name:      "a backlog of exactly the flood limit is posted one by one",
		polls:     []int{3, 4},
		wait:      2 * time.Hour,
		wantPosts: []string{"C1 episode Episode 2", "C1 episode Episode 3", "C1 episode Episode 4"},
	}, {
		name:      "announcements older than the max age are dropped",
		polls:     []int{3},
		wait:      8 * 24 * time.Hour,
		lastPoll:  4,
		wantPosts: []string{"C1 episode Episode 4"},
		wantLog:   []string{"WARN announcements dropped: older than 168h count=2 episodes=2 platform=fake channel=C1"},
	}, {
		// Episodes 2-3 were first seen at the start, 4-5 15 minutes later, 6-7 at
		// 30 minutes, 8-9 a week and 15 minutes later, and the platform is back 75
		// minutes after that: only 8-9 are less than a week old.
		name:      "a long outage: only the last week, summed up",
		polls:     []int{3, 5, 7},
		wait:      7*24*time.Hour - 30*time.Minute,
		lastPoll:  9,
		wantPosts: []string{"C1 summary Episode 8,Episode 9"},
		wantLog: []string{
			"INFO announcements merged into one summary count=4 episodes=4 platform=fake channel=C1",
			"INFO announcements merged into one summary count=3 episodes=6 platform=fake channel=C1",
			"WARN announcements dropped: older than 168h count=1 episodes=2 platform=fake channel=C1",
			"INFO announcements merged into one summary count=3 episodes=6 platform=fake channel=C1",
			"WARN announcements dropped: older than 168h count=1 episodes=4 platform=fake channel=C1",
			"INFO announcements merged into one summary count=1 episodes=2 platform=fake channel=C1",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t)
			h.srv.set(http.StatusOK, rss(1, 1, ""), nil)
			h.poll(t) // the first poll announces nothing
			var logs logRecorder
			d := &Dispatcher{Store: h.db, Logger: logs.logger(), Now: h.clock.Now, FloodLimit: 3}
			for _, last := range tt.polls {
				pollWhileDown(t, h, d, last)
			}
			h.clock.Add(tt.wait)
			if tt.lastPoll > 0 {
				pollWhileDown(t, h, d, tt.lastPoll)
			}
			h.clock.Add(time.Hour) // past the retry of "platform not configured"

			poster := &fakePoster{}
			d.Posters = map[string]Poster{"fake": poster}
			if _, err := d.DispatchDue(ctx); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantPosts, poster.got); diff != "" {
				t.Errorf("posts when the platform is back (-want +got):\n%s", diff)
			}
			got := logs.lines(t, "announcements", "count", "episodes", "platform", "channel")
			if diff := cmp.Diff(tt.wantLog, got); diff != "" {
				t.Errorf("log (-want +got):\n%s", diff)
			}
			// Nothing is left to post, later either.
			pend, err := h.db.Deliveries(ctx, store.StatusPending)
			if err != nil {
				t.Fatal(err)
			}
			if len(pend) != 0 {
				t.Errorf("pending after the dispatch = %+v, want none", pend)
			}
		})
	}
}

// TestDispatcherExpiredInStatus drops an announcement too old to post and shows
// the count in the status.
func TestDispatcherExpiredInStatus(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.srv.set(http.StatusOK, rss(1, 1, ""), nil)
	h.poll(t)
	d := &Dispatcher{Store: h.db, Logger: quietLogger(), Now: h.clock.Now, MaxAge: 48 * time.Hour}
	pollWhileDown(t, h, d, 2)
	h.clock.Add(48*time.Hour + time.Second)
	poster := &fakePoster{}
	d.Posters = map[string]Poster{"fake": poster}
	sent, err := d.DispatchDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 0 || len(poster.got) != 0 {
		t.Fatalf("sent %v, want nothing: the announcement is too old", poster.got)
	}
	expired, err := h.db.Deliveries(ctx, store.StatusExpired)
	if err != nil {
		t.Fatal(err)
	}
	if len(expired) != 1 || expired[0].LastError != "not posted within 2 days; dropped" {
		t.Errorf("expired deliveries = %+v, want one with its reason", expired)
	}
	info, err := Status{Store: h.db}.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type counts struct{ Pending, Dead, Expired int }
	if diff := cmp.Diff(counts{0, 0, 1}, counts{info.Pending, info.Dead, info.Expired}); diff != "" {
		t.Errorf("status counts (-want +got):\n%s", diff)
	}
}

// TestDispatcherFloodLimitPerChannel follows two feeds in one channel, each with as
// many new episodes as the flood limit: settling sums up neither, and the
// dispatcher still posts no more than the limit at once; the digest is no
// announcement and goes out.
func TestDispatcherFloodLimitPerChannel(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	policy := feeds.Policy{FloodLimit: 3}
	var subs []store.Subscription
	for _, name := range []string{"a", "b"} {
		f, err := h.db.EnsureFeed(ctx, name, "https://"+name+".example.org/feed.xml")
		if err != nil {
			t.Fatal(err)
		}
		s, err := h.db.EnsureSubscription(ctx, store.Subscription{Platform: "fake", Channel: "C9", FeedID: f.ID})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
		var eps []feeds.Episode
		for n := 4; n >= 1; n-- {
			eps = append(eps, feeds.Episode{GUID: fmt.Sprintf("%s-%d", name, n), Title: fmt.Sprintf("%s %d", name, n), Published: time.Date(2026, 1, n, 0, 0, 0, 0, time.UTC)})
		}
		if _, err := store.RecordPoll(ctx, h.db, f.ID, eps[3:], policy, nil); err != nil { // the first poll: silent
			t.Fatal(err)
		}
		if _, err := store.RecordPoll(ctx, h.db, f.ID, eps, policy, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A digest of feed a in the same channel, due with the rest.
	pend, err := h.db.Deliveries(ctx, store.StatusPending)
	if err != nil || len(pend) == 0 {
		t.Fatalf("pending = %v, %v; want the announcements", pend, err)
	}
	if _, err := h.db.EnqueueDigest(ctx, store.DigestEntry{SubscriptionID: subs[0].ID, Period: "p1", At: h.clock.Now(), Kind: store.KindDigest, EpisodeIDs: pend[0].EpisodeIDs}); err != nil {
		t.Fatal(err)
	}

	poster := &fakePoster{}
	d := &Dispatcher{Store: h.db, Posters: map[string]Poster{"fake": poster}, Logger: quietLogger(), Now: h.clock.Now, FloodLimit: 3}
	run := func() []string {
		t.Helper()
		poster.got = nil
		if _, err := d.DispatchDue(ctx); err != nil {
			t.Fatal(err)
		}
		return poster.got
	}
	if diff := cmp.Diff([]string{"C9 episode a 2", "C9 episode a 3", "C9 episode a 4", "C9 digest a 2"}, run()); diff != "" {
		t.Errorf("first run (-want +got):\n%s", diff)
	}
	if got := run(); len(got) != 0 {
		t.Errorf("a run right after = %v, want nothing: the channel waits", got)
	}
	h.clock.Add(floodPause)
	if diff := cmp.Diff([]string{"C9 episode b 2", "C9 episode b 3", "C9 episode b 4"}, run()); diff != "" {
		t.Errorf("after the pause (-want +got):\n%s", diff)
	}
}
