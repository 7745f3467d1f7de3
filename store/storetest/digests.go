package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/store"
)

// A digest is enqueued once per (subscription, period), however many schedulers
// try, and the history says where the next one starts and what the archive
// picked.
func testEnqueueDigest(t *testing.T, open Opener) {
	e := newEnv(t, open)
	f := e.feed("pm", "src")
	sub := e.subscribe(f.ID, "C1")
	res := e.poll(f.ID, feedOf("a", 1, 2, 3, 4))
	ids := make(map[int]int64)
	for _, ep := range res.New {
		ids[ep.Number] = ep.ID
	}
	if _, _, ok, err := e.st.LastDigest(e.ctx, sub.ID); err != nil || ok {
		t.Fatalf("LastDigest before any digest = ok %v, err %v; want none", ok, err)
	}
	at1 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	at2 := time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)
	steps := []struct {
		name        string
		entry       store.DigestEntry
		wantCreated bool
	}{
		{"first period", store.DigestEntry{SubscriptionID: sub.ID, Period: "2026-03-02T08:00:00Z", At: at1, Kind: store.KindDigest, EpisodeIDs: []int64{ids[3], ids[4]}}, true},
		{"same period again", store.DigestEntry{SubscriptionID: sub.ID, Period: "2026-03-02T08:00:00Z", At: at1, Kind: store.KindDigestArchive, EpisodeIDs: []int64{ids[1]}}, false},
		{"next period, archive", store.DigestEntry{SubscriptionID: sub.ID, Period: "2026-03-09T08:00:00Z", At: at2, Kind: store.KindDigestArchive, EpisodeIDs: []int64{ids[2]}}, true},
		{"older period recorded with nothing to post", store.DigestEntry{SubscriptionID: sub.ID, Period: "2026-02-23T08:00:00Z", At: at1.AddDate(0, 0, -7)}, true},
	}
	for _, s := range steps {
		created, err := e.st.EnqueueDigest(e.ctx, s.entry)
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
		Due       time.Time
	}
	dls, err := e.st.Deliveries(e.ctx, store.StatusPending)
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for _, dl := range dls {
		got = append(got, row{dl.Kind, dl.DedupeKey, dl.EpisodeIDs, dl.DueAt})
	}
	want := []row{
		{store.KindDigest, "digest:2026-03-02T08:00:00Z", []int64{ids[3], ids[4]}, start},
		{store.KindDigestArchive, "digest:2026-03-09T08:00:00Z", []int64{ids[2]}, start},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries, due now (-want +got):\n%s", diff)
	}

	period, at, ok, err := e.st.LastDigest(e.ctx, sub.ID)
	if err != nil || !ok || period != "2026-03-09T08:00:00Z" || !at.Equal(at2) {
		t.Errorf("LastDigest = %q, %v, %v, %v; want the latest period by time, %v", period, at, ok, err, at2)
	}

	picks, err := e.st.ArchivePicks(e.ctx, sub.ID, start.Add(-time.Hour))
	if diff := cmp.Diff([]int64{ids[2]}, picks); err != nil || diff != "" {
		t.Errorf("ArchivePicks = %v, %v (-want +got):\n%s", picks, err, diff)
	}
	if picks, err := e.st.ArchivePicks(e.ctx, sub.ID, start.Add(time.Hour)); err != nil || len(picks) != 0 {
		t.Errorf("ArchivePicks since after the pick = %v, %v; want none", picks, err)
	}

	for _, bad := range []store.DigestEntry{
		{SubscriptionID: sub.ID, Period: "p", Kind: store.KindEpisode, EpisodeIDs: []int64{ids[1]}},
		{SubscriptionID: sub.ID},
	} {
		if _, err := e.st.EnqueueDigest(e.ctx, bad); err == nil {
			t.Errorf("EnqueueDigest(%+v) succeeded, want an error", bad)
		}
	}
}
