package bot

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStatusListsFollowedFeeds: status reports the feeds the bot follows, not every
// feed the database remembers (one pointed elsewhere, one read once).
func TestStatusListsFollowedFeeds(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.db.EnsureFeed(ctx, "old", "https://old.example.org/feed.xml")
	h.db.EnsureFeed(ctx, "test", "https://elsewhere.example.org/feed.xml") // retires the first "test"
	for _, tt := range []struct {
		followed []string
		want     []string
	}{
		{nil, []string{"test~1", "old", "test"}},
		{[]string{"test"}, []string{"test"}},
	} {
		info, err := Status{Store: h.db, Followed: tt.followed}.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range info.Feeds {
			got = append(got, f.Name)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("followed %v: feeds (-want +got):\n%s", tt.followed, diff)
		}
	}
}
