package bot

import (
	"context"
	"errors"
	"fmt"

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
}

// Catalog serves one feed's stored episodes to the commands.
type Catalog struct {
	Store CatalogStore
	Feed  string
}

var _ commands.Catalog = Catalog{}

func (c Catalog) feedID(ctx context.Context) (int64, error) {
	f, err := c.Store.FeedByName(ctx, c.Feed)
	if errors.Is(err, store.ErrNotFound) {
		return 0, commands.Errorf("the feed %q has not been read yet; try again in a minute", c.Feed)
	}
	if err != nil {
		return 0, fmt.Errorf("bot: catalog: %w", err)
	}
	return f.ID, nil
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
