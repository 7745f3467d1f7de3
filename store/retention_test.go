package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The prune walks the sent deliveries batch by batch from where the previous
// batch ended: whatever the batch size (one row, a batch ending inside a run of
// equal due times, one batch for all), it deletes the same rows, and keeps rows
// it read but must not delete. The conformance suite (storetest) holds the rule
// on every engine; this holds the walk, with rows no API makes (a clock skewed
// between replicas).
func TestPruneBatches(t *testing.T) {
	const cut = 1000 // prune what was sent before it
	rows := []struct {
		name       string
		kind       string
		status     string
		due, sent  int64
		wantPruned bool
	}{
		{"sent long ago", KindEpisode, StatusSent, 100, 160, true},
		{"sent long ago, the same due time", KindSummary, StatusSent, 100, 200, true},
		{"a digest, the same due time", KindDigest, StatusSent, 100, 300, true},
		{"an archive digest, the same due time", KindDigestArchive, StatusSent, 100, 300, false},
		{"due before the cut, sent after it", KindEpisode, StatusSent, 500, 1500, false},
		{"due before the cut, sent just before it", KindEpisode, StatusSent, 500, 999, true},
		{"sent at the cut", KindEpisode, StatusSent, 600, 1000, false},
		{"dead", KindEpisode, StatusDead, 700, 0, false},
		{"expired", KindEpisode, StatusExpired, 700, 0, false},
		{"merged", KindEpisode, StatusMerged, 700, 0, false},
		{"pending", KindEpisode, StatusPending, 700, 0, false},
		{"sent before the cut by a clock behind the due time", KindEpisode, StatusSent, 1200, 900, false},
		{"sent long ago, due later", KindEpisode, StatusSent, 800, 850, true},
		{"the newest, sent long ago", KindEpisode, StatusSent, 100, 150, false},
	}
	for _, batch := range []int{1, 2, 3, 1000} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, err := Open(ctx, Memory, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			f, err := db.EnsureFeed(ctx, "pm", "src")
			if err != nil {
				t.Fatal(err)
			}
			sub, err := db.EnsureSubscription(ctx, Subscription{Platform: "console", Channel: "c1", FeedID: f.ID})
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for i, r := range rows {
				_, err := db.db.ExecContext(ctx, `INSERT INTO deliveries (subscription_id, kind, dedupe_key, status, due_at, created_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					sub.ID, r.kind, fmt.Sprintf("k%d", i), r.status, r.due, r.due, r.sent)
				if err != nil {
					t.Fatal(err)
				}
				if !r.wantPruned {
					want = append(want, r.name)
				}
			}
			n, err := db.pruneDeliveries(ctx, fromUnix(cut), batch)
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(rows)-len(want)) {
				t.Errorf("pruneDeliveries = %d, want %d", n, len(rows)-len(want))
			}
			dls, err := db.Deliveries(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, dl := range dls {
				var i int
				fmt.Sscanf(dl.DedupeKey, "k%d", &i)
				got = append(got, rows[i].name)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("deliveries kept (-want +got):\n%s", diff)
			}
		})
	}
}

// A prune whose context ends stops between batches, says why, and counts what
// it deleted.
func TestPruneStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := Open(ctx, Memory, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cancel()
	n, err := db.PruneDeliveries(ctx, fromUnix(1000))
	if !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("PruneDeliveries with its context canceled = %d, %v; want 0, context.Canceled", n, err)
	}
}
