package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/pmbot/pmbot/store"
)

// store.Store, the contract of every store engine, is everything the bot's parts
// need: what cmd/pmbot hands them.
var _ interface {
	PollStore
	OutboxStore
	DigestStore
	CatalogStore
	ChannelStore
	StatusStore
	IndexStore
} = store.Store(nil)

// Scheduler runs the weekly digests until its context ends, calling wake when it
// enqueued something.
type Scheduler interface {
	Run(ctx context.Context, wake func()) error
}

// Bot runs the poll loop, the dispatcher and the digest scheduler until its context
// ends.
type Bot struct {
	Poller     *Poller
	Dispatcher *Dispatcher
	// Digests is optional.
	Digests Scheduler
	// NextDue tells when the earliest pending delivery is due (a retry), so the
	// dispatcher wakes for it.
	NextDue func(ctx context.Context) (time.Time, bool, error)
	Logger  *slog.Logger
}

// maxSleep bounds every wait so that a changed clock or a missed wake-up costs at
// most this long.
const maxSleep = time.Minute

// Run polls and delivers until ctx is cancelled; it returns nil on a clean shutdown.
// Deliveries left over from an earlier run are posted first.
func (b *Bot) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	nudge := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	var wg sync.WaitGroup
	var pollErr, dispatchErr, digestErr error
	if b.Digests != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if digestErr = b.Digests.Run(ctx, nudge); digestErr != nil {
				// Announcements go on without digests; say so now, not at shutdown.
				b.Logger.Error("digest scheduler stopped", "err", digestErr)
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		pollErr = b.pollLoop(ctx, nudge)
	}()
	go func() {
		defer wg.Done()
		dispatchErr = b.dispatchLoop(ctx, wake)
	}()
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return errors.Join(pollErr, dispatchErr, digestErr)
}

func (b *Bot) pollLoop(ctx context.Context, nudge func()) error {
	for {
		reports, next, err := b.Poller.PollDue(ctx, false)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// The store failed: log and try again later rather than die.
			b.Logger.Error("poll failed", "err", err)
			next = time.Now().Add(maxSleep)
		}
		for _, r := range reports {
			if r.Deliveries > 0 {
				nudge()
				break
			}
		}
		if !sleepUntil(ctx, next) {
			return nil
		}
	}
}

func (b *Bot) dispatchLoop(ctx context.Context, wake <-chan struct{}) error {
	for {
		if _, err := b.Dispatcher.DispatchDue(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			b.Logger.Error("dispatch failed", "err", err)
		}
		next := time.Now().Add(maxSleep)
		if b.NextDue != nil {
			if at, ok, err := b.NextDue(ctx); err == nil && ok && at.Before(next) {
				next = at
			}
		}
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// sleepUntil waits until t (at most maxSleep) and reports false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := min(time.Until(t), maxSleep)
	if d < 0 {
		d = 0
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
