package bot

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/pmbot/pmbot/store"
)

// Leased is work that one process at a time does on a shared database (the
// poller, a Discord shard's gateway connection), under a lease of its own.
type Leased struct {
	Leaser store.Leaser
	// Name is the lease's name on the database.
	Name string
	// Retry is how often a process without the lease tries to take it
	// (leaseRetry when zero).
	Retry  time.Duration
	Logger *slog.Logger
	// Held, Waiting and Lost are what is logged when the lease is taken, when
	// another process holds it (once per wait), and when it is lost.
	Held, Waiting, Lost string
}

// Run takes the lease and runs work while it holds it, until ctx ends; it
// returns nil then. When the lease is lost, work's context is cancelled at once,
// so the work stops before its next write (a write in flight is rolled back with
// its transaction) or closes its connection; then Run tries to take the lease
// again every Retry, as a process that never had it does. An error from work is
// logged, and the lease given up for another process to try.
func (l Leased) Run(ctx context.Context, work func(ctx context.Context) error) error {
	retry := l.Retry
	if retry <= 0 {
		retry = leaseRetry
	}
	log := l.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	waiting := false // logged that another process holds the lease
	for {
		lease, err := l.Leaser.AcquireLease(ctx, l.Name)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !errors.Is(err, store.ErrLeaseHeld) {
				log.Error("cannot take the lease", "lease", l.Name, "err", err)
			} else if !waiting {
				log.Info(l.Waiting, "lease", l.Name)
				waiting = true
			}
			if !sleepUntil(ctx, time.Now().Add(retry)) {
				return nil
			}
			continue
		}
		waiting = false
		log.Info(l.Held, "lease", l.Name)
		workCtx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-lease.Lost():
				cancel()
			case <-workCtx.Done():
			}
		}()
		err = work(workCtx)
		cancel()
		lease.Release()
		if ctx.Err() != nil {
			return nil
		}
		log.Warn(l.Lost, "lease", l.Name)
		if err != nil {
			log.Error("stopped", "lease", l.Name, "err", err)
			// A work that fails at once must not spin on the lease.
			if !sleepUntil(ctx, time.Now().Add(retry)) {
				return nil
			}
		}
	}
}
