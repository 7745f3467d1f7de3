package bot

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pmbot/pmbot/store"
)

// TestChannelGonePausesSubscription: a post refused for good because the channel
// is gone gives up the delivery, pauses the subscription (nothing more is tried
// there, status says why), and the channel subscribing again resumes it.
func TestChannelGonePausesSubscription(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.srv.set(http.StatusOK, rss(1, 1, ""), nil)
	h.poll(t)
	h.srv.set(http.StatusOK, rss(1, 3, ""), nil)
	h.poll(t) // two new episodes: two deliveries

	gone := &PermanentError{Err: errors.New("slack: the channel is archived (is_archived)"), Pause: true}
	poster := &fakePoster{fail: []error{gone}}
	d := &Dispatcher{Store: h.db, Posters: map[string]Poster{"fake": poster}, Logger: quietLogger(), Now: h.clock.Now}
	if _, err := d.DispatchDue(ctx); err != nil {
		t.Fatal(err)
	}
	if len(poster.got) != 0 {
		t.Errorf("posted %v after the channel was found gone; want nothing more", poster.got)
	}
	if pending, _ := h.db.Deliveries(ctx, store.StatusPending); len(pending) != 0 {
		t.Errorf("%d deliveries still pending for a paused subscription", len(pending))
	}
	info, err := Status{Store: h.db}.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Paused) != 1 || info.Paused[0].Channel != "C1" || !strings.Contains(info.Paused[0].Reason, "is_archived") {
		t.Errorf("status paused = %+v, want C1 with its reason", info.Paused)
	}

	f := h.feed(t)
	if _, _, err := h.db.Subscribe(ctx, store.Subscription{Platform: "fake", Channel: "C1", FeedID: f.ID}); err != nil {
		t.Fatal(err)
	}
	if info, _ := (Status{Store: h.db}).Status(ctx); len(info.Paused) != 0 {
		t.Errorf("still paused after subscribing again: %+v", info.Paused)
	}
}

// slowPoster takes time on the clock for every post, and fails the first one with
// a short Retry-After.
type slowPoster struct {
	fakePoster
	clock *clock
}

func (p *slowPoster) Post(ctx context.Context, d Delivery, m Message) (string, error) {
	p.clock.Add(2 * time.Second)
	return p.fakePoster.Post(ctx, d, m)
}

// TestShortRetryAfterWithinOneRun: a Retry-After that ends while the same dispatch
// run goes on posts the delivery in that run, once, instead of spinning on it.
func TestShortRetryAfterWithinOneRun(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	f := h.feed(t)
	for _, ch := range []string{"C2", "C3"} {
		if _, err := h.db.EnsureSubscription(ctx, store.Subscription{Platform: "fake", Channel: ch, FeedID: f.ID}); err != nil {
			t.Fatal(err)
		}
	}
	h.srv.set(http.StatusOK, rss(1, 1, ""), nil)
	h.poll(t)
	h.srv.set(http.StatusOK, rss(1, 2, ""), nil)
	h.poll(t)
	p := &slowPoster{fakePoster: fakePoster{fail: []error{&RetryAfterError{Err: errors.New("429"), After: time.Second}}}, clock: h.clock}
	d := &Dispatcher{Store: h.db, Posters: map[string]Poster{"fake": p}, Logger: quietLogger(), Now: h.clock.Now}
	sent, err := d.DispatchDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 3 || len(p.got) != 3 {
		t.Errorf("sent %d, posted %v; want all three channels once", len(sent), p.got)
	}
}
