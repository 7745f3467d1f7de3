package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
)

// digestFixture is a database with one feed of weekly episodes 1..n and one
// subscription with a digest.
type digestFixture struct {
	db   *DB
	now  *time.Time
	feed Feed
	sub  Subscription
	ids  map[int]int64 // episode number -> id
}

func newDigestFixture(t *testing.T, n int) *digestFixture {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	fx := &digestFixture{now: &now, ids: make(map[int]int64)}
	db, err := Open(ctx, Memory, Options{Now: func() time.Time { return *fx.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fx.db = db
	if fx.feed, err = db.EnsureFeed(ctx, "pm", "https://example.org/feed.xml"); err != nil {
		t.Fatal(err)
	}
	fx.sub, err = db.EnsureSubscription(ctx, Subscription{Platform: "slack", Channel: "C1", FeedID: fx.feed.ID, Language: "fr",
		DigestSchedule: "0 9 * * 1", DigestTimeZone: "Europe/Paris"})
	if err != nil {
		t.Fatal(err)
	}
	var eps []feeds.Episode
	for i := n; i >= 1; i-- {
		e := feeds.Episode{
			GUID: fmt.Sprintf("g%d", i), Number: i, Type: feeds.TypeFull, Title: fmt.Sprintf("Episode %d", i),
			// Weekly on Wednesdays at 06:00 UTC, from 7 January 2026.
			Published: time.Date(2026, 1, 7, 6, 0, 0, 0, time.UTC).AddDate(0, 0, 7*(i-1)),
		}
		eps = append(eps, e)
	}
	res, err := db.RecordPoll(ctx, fx.feed.ID, eps, feeds.Policy{FloodLimit: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.New {
		fx.ids[e.Number] = e.ID
	}
	return fx
}

func TestEpisodesSince(t *testing.T) {
	fx := newDigestFixture(t, 6) // published 7, 14, 21, 28 Jan, 4, 11 Feb
	ctx := context.Background()
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 6, 0, 0, 0, time.UTC) }
	tests := []struct {
		name         string
		since, until time.Time
		want         []int
	}{
		{"since inclusive, until exclusive", day(1, 14), day(1, 21), []int{2}},
		{"a second later", day(1, 14).Add(time.Second), day(1, 21).Add(time.Second), []int{3}},
		{"oldest first", day(1, 20), day(2, 12), []int{3, 4, 5, 6}},
		{"none", day(2, 12), day(3, 1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eps, err := fx.db.EpisodesSince(ctx, fx.feed.ID, tt.since, tt.until)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, e := range eps {
				got = append(got, e.Number)
			}
			if diff := cmp.Diff(got, tt.want); diff != "" {
				t.Errorf("EpisodesSince(%v, %v) (-got +want):\n%s", tt.since, tt.until, diff)
			}
		})
	}
}

func TestEnqueueDigest(t *testing.T) {
	fx := newDigestFixture(t, 4)
	ctx := context.Background()
	db, sub := fx.db, fx.sub

	if _, _, ok, err := db.LastDigest(ctx, sub.ID); err != nil || ok {
		t.Fatalf("LastDigest before any digest = ok %v, err %v; want none", ok, err)
	}
	at1 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	at2 := time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)
	steps := []struct {
		name        string
		entry       DigestEntry
		wantCreated bool
	}{
		{"first period", DigestEntry{SubscriptionID: sub.ID, Period: "2026-03-02T08:00:00Z", At: at1, Kind: KindDigest, EpisodeIDs: []int64{fx.ids[3], fx.ids[4]}}, true},
		{"same period again", DigestEntry{SubscriptionID: sub.ID, Period: "2026-03-02T08:00:00Z", At: at1, Kind: KindDigestArchive, EpisodeIDs: []int64{fx.ids[1]}}, false},
		{"next period, archive", DigestEntry{SubscriptionID: sub.ID, Period: "2026-03-09T08:00:00Z", At: at2, Kind: KindDigestArchive, EpisodeIDs: []int64{fx.ids[2]}}, true},
		{"older period recorded with nothing to post", DigestEntry{SubscriptionID: sub.ID, Period: "2026-02-23T08:00:00Z", At: at1.AddDate(0, 0, -7)}, true},
	}
	for _, s := range steps {
		created, err := db.EnqueueDigest(ctx, s.entry)
		if err != nil {
			t.Fatalf("%s: EnqueueDigest: %v", s.name, err)
		}
		if created != s.wantCreated {
			t.Errorf("%s: EnqueueDigest created = %v, want %v", s.name, created, s.wantCreated)
		}
	}

	type row struct {
		Kind, Key string
		IDs       []int64
	}
	dls, err := db.Deliveries(ctx, StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for _, dl := range dls {
		got = append(got, row{dl.Kind, dl.DedupeKey, dl.EpisodeIDs})
		if !dl.DueAt.Equal(*fx.now) {
			t.Errorf("delivery %s due %v, want now %v", dl.DedupeKey, dl.DueAt, *fx.now)
		}
	}
	want := []row{
		{KindDigest, "digest:2026-03-02T08:00:00Z", []int64{fx.ids[3], fx.ids[4]}},
		{KindDigestArchive, "digest:2026-03-09T08:00:00Z", []int64{fx.ids[2]}},
	}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("deliveries (-got +want):\n%s", diff)
	}

	period, at, ok, err := db.LastDigest(ctx, sub.ID)
	if err != nil || !ok || period != "2026-03-09T08:00:00Z" || !at.Equal(at2) {
		t.Errorf("LastDigest = %q, %v, %v, %v; want the latest period by time, %v", period, at, ok, err, at2)
	}

	picks, err := db.ArchivePicks(ctx, sub.ID, fx.now.Add(-time.Hour))
	if diff := cmp.Diff(picks, []int64{fx.ids[2]}); err != nil || diff != "" {
		t.Errorf("ArchivePicks = %v, %v (-got +want):\n%s", picks, err, diff)
	}
	if picks, err := db.ArchivePicks(ctx, sub.ID, fx.now.Add(time.Hour)); err != nil || len(picks) != 0 {
		t.Errorf("ArchivePicks since after the pick = %v, %v; want none", picks, err)
	}

	if _, err := db.EnqueueDigest(ctx, DigestEntry{SubscriptionID: sub.ID, Period: "p", Kind: KindEpisode, EpisodeIDs: []int64{1}}); err == nil {
		t.Error("EnqueueDigest with kind episode succeeded, want an error")
	}
	if _, err := db.EnqueueDigest(ctx, DigestEntry{SubscriptionID: sub.ID}); err == nil {
		t.Error("EnqueueDigest without a period succeeded, want an error")
	}
}

func TestSubscriptionsWithDigest(t *testing.T) {
	fx := newDigestFixture(t, 1)
	ctx := context.Background()
	db := fx.db
	for _, s := range []Subscription{
		{Platform: "slack", Channel: "nodigest", FeedID: fx.feed.ID},
		{Platform: "discord", Channel: "gone", FeedID: fx.feed.ID, DigestSchedule: "0 9 * * 1", DigestTimeZone: "Europe/Paris"},
		{Platform: "discord", Channel: "daily", FeedID: fx.feed.ID, DigestSchedule: "0 8 * * *", DigestTimeZone: "America/New_York"},
	} {
		if _, err := db.EnsureSubscription(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Unsubscribe(ctx, "discord", "gone"); err != nil {
		t.Fatal(err)
	}
	subs, err := db.SubscriptionsWithDigest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range subs {
		got = append(got, s.Channel+" "+s.DigestSchedule+" "+s.DigestTimeZone)
	}
	want := []string{"C1 0 9 * * 1 Europe/Paris", "daily 0 8 * * * America/New_York"}
	if diff := cmp.Diff(got, want); diff != "" {
		t.Errorf("SubscriptionsWithDigest (-got +want):\n%s", diff)
	}

	at, err := db.SubscribedAt(ctx, fx.sub.ID)
	if err != nil || !at.Equal(*fx.now) {
		t.Errorf("SubscribedAt = %v, %v; want %v", at, err, *fx.now)
	}
	if _, err := db.SubscribedAt(ctx, 999); err == nil {
		t.Error("SubscribedAt(999) succeeded, want not found")
	}
}
