package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// CatalogStore is what a Catalog reads.
type CatalogStore interface {
	FeedByName(ctx context.Context, name string) (store.Feed, error)
	Latest(ctx context.Context, feedID int64, n int) ([]store.Episode, error)
	EpisodeByNumber(ctx context.Context, feedID int64, n int) (store.Episode, error)
	Episodes(ctx context.Context, feedID int64) ([]store.Episode, error)
	EpisodesByNumberPrefix(ctx context.Context, feedID int64, digits string, limit int) ([]store.Episode, error)
}

// Catalog serves one feed's stored episodes to the commands.
type Catalog struct {
	Store CatalogStore
	Feed  string
	// FirstPollWait is how long a question waits for the feed's first poll when it
	// is still under way (a fresh database: "episode 3" must not say there is no
	// episode 3 while the feed is being read); 0 does not wait.
	FirstPollWait time.Duration
}

var _ commands.Catalog = Catalog{}

func (c Catalog) feedID(ctx context.Context) (int64, error) {
	f, err := awaitFirstPoll(ctx, c.Store, c.Feed, c.FirstPollWait)
	if err != nil {
		return 0, err
	}
	return f.ID, nil
}

// firstPollCheck is how often a question waiting for a first poll looks again.
const firstPollCheck = 50 * time.Millisecond

// awaitFirstPoll returns the feed called name once its first poll has ended, well
// or badly, waiting up to wait for it; after that it says the feed is still being
// read. The store is asked rather than the poller, so the answer holds whichever
// process polls.
func awaitFirstPoll(ctx context.Context, st interface {
	FeedByName(ctx context.Context, name string) (store.Feed, error)
}, name string, wait time.Duration) (store.Feed, error) {
	var deadline <-chan time.Time
	var tick *time.Ticker
	for {
		f, err := st.FeedByName(ctx, name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return store.Feed{}, commands.Errorf("the feed %q has not been read yet; try again in a minute", name)
		case err != nil:
			return store.Feed{}, fmt.Errorf("bot: catalog: %w", err)
		case f.Polls > 0 || !f.LastPolledAt.IsZero():
			return f, nil
		}
		if deadline == nil {
			if wait <= 0 {
				return store.Feed{}, stillReading()
			}
			timer := time.NewTimer(wait)
			defer timer.Stop()
			deadline = timer.C
			tick = time.NewTicker(firstPollCheck)
			defer tick.Stop()
		}
		select {
		case <-ctx.Done():
			return store.Feed{}, ctx.Err()
		case <-deadline:
			return store.Feed{}, stillReading()
		case <-tick.C:
		}
	}
}

func stillReading() error {
	return commands.Errorf("the feed is still being read for the first time; ask again in a few seconds")
}

// Latest returns the n newest episodes.
func (c Catalog) Latest(ctx context.Context, n int) ([]feeds.Episode, error) {
	id, err := c.feedID(ctx)
	if err != nil {
		return nil, err
	}
	eps, err := c.Store.Latest(ctx, id, n)
	if err != nil {
		return nil, err
	}
	if len(eps) == 0 {
		return nil, c.notReadYet(ctx)
	}
	return unwrap(eps), nil
}

// notReadYet explains an empty catalogue: still to be read, or failing, and why.
func (c Catalog) notReadYet(ctx context.Context) error {
	f, err := c.Store.FeedByName(ctx, c.Feed)
	if err != nil {
		return fmt.Errorf("bot: catalog: %w", err)
	}
	switch {
	case f.LastError != "":
		return commands.Errorf("no episodes yet: the feed could not be read (%s); next try at %s UTC", f.LastError, f.NextPollAt.UTC().Format("15:04"))
	case f.Polls == 0:
		return commands.Errorf("no episodes yet: the feed has not been read; try again in a minute")
	default:
		return commands.Errorf("no episodes: the feed lists none")
	}
}

// ByNumber returns episode n, or commands.ErrNoEpisode.
func (c Catalog) ByNumber(ctx context.Context, n int) (feeds.Episode, error) {
	id, err := c.feedID(ctx)
	if err != nil {
		return feeds.Episode{}, err
	}
	ep, err := c.Store.EpisodeByNumber(ctx, id, n)
	if errors.Is(err, store.ErrNotFound) {
		return feeds.Episode{}, commands.ErrNoEpisode
	}
	return ep.Episode, err
}

// ByNumberPrefix returns up to n episodes whose number starts with digits,
// newest first.
func (c Catalog) ByNumberPrefix(ctx context.Context, digits string, n int) ([]feeds.Episode, error) {
	id, err := c.feedID(ctx)
	if err != nil {
		return nil, err
	}
	eps, err := c.Store.EpisodesByNumberPrefix(ctx, id, digits, n)
	return unwrap(eps), err
}

// All returns every episode, newest first.
func (c Catalog) All(ctx context.Context) ([]feeds.Episode, error) {
	id, err := c.feedID(ctx)
	if err != nil {
		return nil, err
	}
	eps, err := c.Store.Episodes(ctx, id)
	return unwrap(eps), err
}

func unwrap(eps []store.Episode) []feeds.Episode {
	out := make([]feeds.Episode, len(eps))
	for i, e := range eps {
		out[i] = e.Episode
	}
	return out
}
