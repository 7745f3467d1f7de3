package bot

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
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
