package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmbot/pmbot/feeds"
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func openTest(t *testing.T, path string) (*DB, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	db, err := Open(context.Background(), path, Options{Now: c.Now})
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db, c
}

// ep builds episode n of a test feed hosted on host.
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

// feedOf lists episodes newest first, as feeds do.
func feedOf(host string, numbers ...int) []feeds.Episode {
	var out []feeds.Episode
	for i := len(numbers) - 1; i >= 0; i-- {
		out = append(out, ep(numbers[i], host))
	}
	return out
}

func TestReopenKeepsState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pm.db")
	db, _ := openTest(t, path)
	f, _ := db.EnsureFeed(ctx, "pm", "src")
	db.EnsureSubscription(ctx, Subscription{Platform: "console", Channel: "stdout", FeedID: f.ID})
	RecordPoll(ctx, db, f.ID, feedOf("a", 1, 2), feeds.Policy{FloodLimit: 3}, nil)
	f.ETag = `"v1"`
	if err := db.SaveFeedState(ctx, f); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db2, _ := openTest(t, path)
	f2, err := db2.EnsureFeed(ctx, "pm", "src")
	if err != nil {
		t.Fatal(err)
	}
	if f2.ETag != `"v1"` || f2.Polls != 1 {
		t.Errorf("after reopen: etag %q polls %d, want \"v1\" and 1", f2.ETag, f2.Polls)
	}
	res, err := RecordPoll(ctx, db2, f2.ID, feedOf("a", 1, 2, 3), feeds.Policy{FloodLimit: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deliveries != 1 {
		t.Errorf("after reopen: %d deliveries, want 1 (not a first poll)", res.Deliveries)
	}
	// A changed source is another feed: a fresh row, whose first poll announces
	// nothing; the old one is retired with its episodes, never merged.
	f3, _ := db2.EnsureFeed(ctx, "pm", "other-src")
	if f3.ID == f2.ID || f3.ETag != "" || f3.Polls != 0 {
		t.Errorf("after source change: feed %d (was %d) etag %q polls %d; want a new feed, no etag, 0 polls", f3.ID, f2.ID, f3.ETag, f3.Polls)
	}
}

func TestDispatcherLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "pm.db")
	first, err := Open(ctx, path, Options{Dispatcher: true})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := first.EnsureFeed(ctx, "pm", "src")
	first.EnsureSubscription(ctx, Subscription{Platform: "console", Channel: "stdout", FeedID: f.ID})
	RecordPoll(ctx, first, f.ID, feedOf("a", 1), feeds.Policy{FloodLimit: 3}, nil)
	RecordPoll(ctx, first, f.ID, feedOf("a", 1, 2), feeds.Policy{FloodLimit: 3}, nil)
	if got, _ := first.ClaimDue(ctx, 10, time.Hour); len(got) != 1 {
		t.Fatalf("ClaimDue = %d, want 1", len(got))
	}
	if _, err := Open(ctx, path, Options{Dispatcher: true}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second dispatcher Open = %v, want ErrLocked", err)
	}
	reader, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("a reader opens beside the dispatcher: %v", err)
	}
	reader.Close()
	first.Close() // as if killed: the claim stays in the database

	next, err := Open(ctx, path, Options{Dispatcher: true})
	if err != nil {
		t.Fatal(err)
	}
	defer next.Close()
	if got, _ := next.ClaimDue(ctx, 10, time.Hour); len(got) != 1 {
		t.Fatalf("after restart ClaimDue = %d, want the stale claim released", len(got))
	}
}
