package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/store"
)

// stallingPoster stands for a dispatcher that stalls mid-post past its lease:
// while it posts, another dispatcher (another replica) claims the delivery and
// posts it; then the stalled post ends with err, or succeeds when err is nil.
type stallingPoster struct {
	clock *clock
	other *Dispatcher
	err   error
	t     *testing.T
}

func (p *stallingPoster) Post(ctx context.Context, d Delivery, _ Message) (string, error) {
	p.clock.Add(claimLease + time.Minute)
	if sent, err := p.other.DispatchDue(ctx); err != nil || len(sent) != 1 {
		p.t.Errorf("the other dispatcher sent %d deliveries, %v; want 1", len(sent), err)
	}
	return "m1", p.err
}

// keyPoster stands for the other dispatcher's poster: it finds the earlier post
// by its key when told the delivery may have been posted.
type keyPoster struct{ mayHavePosted []bool }

func (p *keyPoster) Post(_ context.Context, d Delivery, _ Message) (string, error) {
	p.mayHavePosted = append(p.mayHavePosted, d.MayHavePosted)
	return "m1", nil
}

// A dispatcher that stalls past its lease loses its claim to another one: its
// outcome, whatever it is, is logged and left, and overwrites nothing the other
// one recorded; the other one, told the delivery is in doubt, looks for the post
// rather than posting it twice.
func TestLostClaimIsLoggedAndLeft(t *testing.T) {
	tests := []struct {
		name string
		err  error // how the stalled post ends
	}{
		{"the stalled post succeeds", nil},
		{"the stalled post times out", errors.New("context deadline exceeded")},
		{"the stalled post fails for good", &PermanentError{Err: errors.New("channel_not_found"), Pause: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			h := newHarness(t)
			h.srv.set(http.StatusOK, rss(1, 1, ""), nil)
			h.poll(t)
			h.srv.set(http.StatusOK, rss(1, 2, ""), nil)
			h.poll(t)
			var log bytes.Buffer
			other := &keyPoster{}
			stalled := &stallingPoster{clock: h.clock, err: tt.err, t: t,
				other: &Dispatcher{Store: h.db, Posters: map[string]Poster{"fake": other}, Logger: quietLogger(), Now: h.clock.Now}}
			d := &Dispatcher{Store: h.db, Posters: map[string]Poster{"fake": stalled}, Logger: slog.New(slog.NewTextHandler(&log, nil)), Now: h.clock.Now}
			if _, err := d.DispatchDue(ctx); err != nil {
				t.Fatalf("DispatchDue = %v, want a lost claim to be no failure", err)
			}
			if !strings.Contains(log.String(), "delivery left to another dispatcher") {
				t.Errorf("log = %q, want the lost claim said", log.String())
			}
			if diff := cmp.Diff([]bool{true}, other.mayHavePosted); diff != "" {
				t.Errorf("the other dispatcher's MayHavePosted (-want +got):\n%s", diff)
			}
			dls, err := h.db.Deliveries(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(dls) != 1 || dls[0].Status != store.StatusSent || dls[0].MessageID != "m1" || dls[0].LastError != "" {
				t.Errorf("deliveries = %+v, want the one sent, as the other dispatcher recorded it", dls)
			}
			if paused, err := h.db.PausedSubscriptions(ctx); err != nil || len(paused) != 0 {
				t.Errorf("PausedSubscriptions = %+v, %v; want none: the lost claim decides nothing", paused, err)
			}
		})
	}
}

// batchHarness is a harness whose channels C1…Cn each have one announcement due.
func batchHarness(t *testing.T, n int) *harness {
	t.Helper()
	ctx := context.Background()
	h := newHarness(t)
	f, err := h.db.FeedByName(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= n; i++ {
		if _, err := h.db.EnsureSubscription(ctx, store.Subscription{Platform: "fake", Channel: fmt.Sprintf("C%d", i), FeedID: f.ID}); err != nil {
			t.Fatal(err)
		}
	}
	h.srv.set(http.StatusOK, rss(1, 1, ""), nil)
	h.poll(t)
	h.srv.set(http.StatusOK, rss(1, 2, ""), nil)
	h.poll(t)
	return h
}

// hookPoster posts, and runs first before its first post.
type hookPoster struct {
	mu    sync.Mutex
	first func()
	posts []string
}

func (p *hookPoster) Post(_ context.Context, d Delivery, _ Message) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.first != nil {
		p.first()
		p.first = nil
	}
	p.posts = append(p.posts, d.Channel)
	return "m-" + d.Channel, nil
}

// failingRelease is a store that cannot give claims back while fail is set,
// and counts the claims that took deliveries.
type failingRelease struct {
	*store.DB
	fail    atomic.Bool
	batches atomic.Int32
	// failSent makes MarkSent fail too (the database went away mid-post).
	failSent atomic.Bool
}

func (s *failingRelease) MarkSent(ctx context.Context, c store.Claim, messageID string) error {
	if s.failSent.Load() {
		return errors.New("store: the database server is unavailable")
	}
	return s.DB.MarkSent(ctx, c, messageID)
}

func (s *failingRelease) ClaimDue(ctx context.Context, limit int, lease time.Duration) ([]store.Delivery, error) {
	dls, err := s.DB.ClaimDue(ctx, limit, lease)
	if len(dls) > 0 {
		s.batches.Add(1)
	}
	return dls, err
}

func (s *failingRelease) ReleaseClaims(ctx context.Context, claims []store.Claim) error {
	if s.fail.Load() {
		return errors.New("store: the database server is unavailable")
	}
	return s.DB.ReleaseClaims(ctx, claims)
}

// outbox is each delivery's channel, status, attempts and doubt.
func outbox(t *testing.T, db *store.DB) []string {
	t.Helper()
	dls, err := db.Deliveries(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, dl := range dls {
		out = append(out, fmt.Sprintf("%s %s attempts=%d doubt=%v", dl.Subscription.Channel, dl.Status, dl.Attempts, dl.InDoubt))
	}
	return out
}

// A run that ends early gives back what it claimed and did not attempt, so that
// another replica posts it now instead of when the lease ends; what the store
// could not take back then (it was down) the next run gives back. A batch that
// takes too long to post is given back and claimed again, so that no post starts
// after its lease could have ended.
func TestUnattemptedClaimsAreGivenBack(t *testing.T) {
	tests := []struct {
		name string
		// first runs before the first post; it may stop the run (cancel) or
		// make the store fail.
		first func(h *harness, st *failingRelease, cancel func())
		// runs is how many runs it takes to post everything.
		runs int
	}{
		{"a stop", func(_ *harness, _ *failingRelease, cancel func()) { cancel() }, 2},
		{"a stop while the store is down", func(_ *harness, st *failingRelease, cancel func()) { st.fail.Store(true); cancel() }, 2},
		{"a slow batch", func(h *harness, _ *failingRelease, _ func()) { h.clock.Add(postWindow) }, 1},
		{"a post the store could not record", func(_ *harness, st *failingRelease, _ func()) { st.fail.Store(true); st.failSent.Store(true) }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := batchHarness(t, 5)
			st := &failingRelease{DB: h.db}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p := &hookPoster{first: func() { tt.first(h, st, cancel) }}
			d := &Dispatcher{Store: st, Posters: map[string]Poster{"fake": p}, Logger: quietLogger(), Now: h.clock.Now}
			d.DispatchDue(ctx)
			if tt.runs > 1 {
				// The other replica (same store) finds the rest due at once,
				// unless the store could not take the claims back.
				other, err := h.db.ClaimDue(context.Background(), 10, claimLease)
				if err != nil {
					t.Fatal(err)
				}
				want := 4
				if st.fail.Load() {
					want = 0
				}
				if len(other) != want {
					t.Fatalf("another dispatcher claims %d deliveries after the stop, want %d", len(other), want)
				}
				if err := h.db.ReleaseClaims(context.Background(), claimsOf(other)); err != nil {
					t.Fatal(err)
				}
				st.fail.Store(false)
				st.failSent.Store(false)
				if _, err := d.DispatchDue(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			// Each case claims twice: the first post, then the rest.
			if n := st.batches.Load(); n != 2 {
				t.Errorf("the dispatcher claimed %d batches, want 2", n)
			}
			want := []string{"C1", "C2", "C3", "C4", "C5"}
			if diff := cmp.Diff(want, p.posts); diff != "" {
				t.Errorf("posts (-want +got):\n%s", diff)
			}
			var rows []string
			for _, c := range want {
				rows = append(rows, c+" sent attempts=1 doubt=false")
			}
			if diff := cmp.Diff(rows, outbox(t, h.db)); diff != "" {
				t.Errorf("outbox (-want +got):\n%s", diff)
			}
		})
	}
}

func claimsOf(dls []store.Delivery) []store.Claim {
	out := make([]store.Claim, len(dls))
	for i, dl := range dls {
		out[i] = dl.Claim()
	}
	return out
}
