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
	// Leaser, when set, gives the lease (LeaseName) under which the poller and
	// the digest scheduler run: replicas sharing a database each dispatch
	// deliveries (claims are shared), but only the one holding the lease polls
	// and enqueues digests. Without it they always run.
	Leaser store.Leaser
	// LeaseRetry is how often a replica without the lease tries to take it
	// (leaseRetry when zero).
	LeaseRetry time.Duration
	// DispatchCheck, when set, bounds the wait between two looks at the
	// outbox: replicas must find the deliveries another one's poll queued,
	// which wakes only its own dispatcher.
	DispatchCheck time.Duration
	// Pruner, when set, deletes the sent deliveries older than Retention
	// (DefaultRetention when zero), every pruneEvery, on the lease holder.
	Pruner    Pruner
	Retention time.Duration
	Logger    *slog.Logger
}

// Pruner deletes sent deliveries (store.DB.PruneDeliveries), keeping what
// exactly-once delivery needs.
type Pruner interface {
	PruneDeliveries(ctx context.Context, before time.Time) (int64, error)
}

// DefaultRetention is how long a sent delivery is kept: long enough for status
// and for an operator to look into a week-old complaint, short enough that the
// outbox does not grow with the years.
const DefaultRetention = 30 * 24 * time.Hour

// pruneEvery is how often the lease holder prunes the outbox.
const pruneEvery = 6 * time.Hour

// LeaseName is the lease of the poller and the digest scheduler.
const LeaseName = "poller"

// leaseRetry is how often a replica without the lease tries to take it.
const leaseRetry = 3 * time.Second

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
	var leadErr, dispatchErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		if b.Leaser == nil {
			leadErr = b.lead(ctx, nudge)
			return
		}
		leadErr = b.leaseLoop(ctx, nudge)
	}()
	go func() {
		defer wg.Done()
		dispatchErr = b.dispatchLoop(ctx, wake)
	}()
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return errors.Join(leadErr, dispatchErr)
}

// lead runs the poll loop and the digest scheduler until ctx ends: the work of
// the lease holder.
func (b *Bot) lead(ctx context.Context, nudge func()) error {
	var wg sync.WaitGroup
	var pollErr, digestErr error
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
	if b.Pruner != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.pruneLoop(ctx)
		}()
	}
	pollErr = b.pollLoop(ctx, nudge)
	wg.Wait()
	return errors.Join(pollErr, digestErr)
}

// leaseLoop runs lead under the poller lease (see Leased.Run).
func (b *Bot) leaseLoop(ctx context.Context, nudge func()) error {
	return Leased{
		Leaser: b.Leaser, Name: LeaseName, Retry: b.LeaseRetry, Logger: b.Logger,
		Held:    "holding the poller lease: this replica polls the feeds and schedules digests",
		Waiting: "another replica polls the feeds and schedules digests; this one answers commands and delivers, and takes over if that one stops",
		Lost:    "lost the poller lease: polls and digests stopped here until it is taken again",
	}.Run(ctx, func(ctx context.Context) error { return b.lead(ctx, nudge) })
}

// pruneLoop prunes the outbox at once, then every pruneEvery, until ctx ends.
// A failure is logged and tried again at the next round: nothing waits on it.
func (b *Bot) pruneLoop(ctx context.Context) {
	keep := b.Retention
	if keep <= 0 {
		keep = DefaultRetention
	}
	for {
		n, err := b.Pruner.PruneDeliveries(ctx, time.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			b.Logger.Warn("sent deliveries not pruned", "err", err)
		case n > 0:
			b.Logger.Info("sent deliveries pruned", "deleted", n, "older_than", keep.String())
		}
		if Sleep(ctx, pruneEvery) != nil {
			return
		}
	}
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
		wait := maxSleep
		if b.DispatchCheck > 0 {
			wait = min(wait, b.DispatchCheck)
		}
		next := time.Now().Add(wait)
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
	if d <= 0 {
		return ctx.Err() == nil
	}
	return Sleep(ctx, d) == nil
}

// Sleep waits d, or returns ctx's error when ctx ends first. A wait of zero or
// less returns at once.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
