package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/search"
	"github.com/pmbot/pmbot/store"
)

// IndexStore is what BuildIndex reads.
type IndexStore interface {
	Feeds(ctx context.Context) ([]store.Feed, error)
	Episodes(ctx context.Context, feedID int64) ([]store.Episode, error)
}

// BuildIndex fills a new search index with every stored episode: the index lives in
// memory and is rebuilt at start.
func BuildIndex(ctx context.Context, st IndexStore) (*search.Index, error) {
	ix := search.NewIndex()
	fs, err := st.Feeds(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: build index: %w", err)
	}
	for _, f := range fs {
		eps, err := st.Episodes(ctx, f.ID)
		if err != nil {
			return nil, fmt.Errorf("bot: build index: %w", err)
		}
		ix.Add(docs(eps)...)
	}
	return ix, nil
}

func docs(eps []store.Episode) []search.Doc {
	out := make([]search.Doc, len(eps))
	for i, e := range eps {
		out[i] = search.Doc{ID: e.ID, FeedID: e.FeedID, Episode: e.Episode}
	}
	return out
}

// Indexer keeps a search index in step with what polls record.
type Indexer struct{ Index *search.Index }

// Recorded adds a poll's new and changed episodes to the index.
func (x Indexer) Recorded(res store.PollResult) {
	x.Index.Add(docs(res.New)...)
	x.Index.Add(docs(res.Updated)...)
}

// Searcher serves one feed's episodes from the index to the search command.
type Searcher struct {
	Index *search.Index
	Store CatalogStore
	Feed  string
	// FirstPollWait is as for Catalog: how long a search waits for the feed's
	// first poll when it is under way.
	FirstPollWait time.Duration
}

var _ commands.Searcher = Searcher{}

// Search returns the best matches of query among the feed's episodes.
func (s Searcher) Search(ctx context.Context, query string, limit int) ([]commands.Hit, error) {
	f, err := awaitFirstPoll(ctx, s.Store, s.Feed, s.FirstPollWait)
	if err != nil {
		return nil, err
	}
	// Ask for more than needed: other feeds' episodes are dropped below.
	results := s.Index.Search(query, limit*4+10)
	hits := make([]commands.Hit, 0, limit)
	for _, r := range results {
		if r.FeedID != f.ID {
			continue
		}
		h := commands.Hit{Episode: r.Episode, Score: r.Score}
		for _, fr := range r.Snippet {
			h.Snippet = append(h.Snippet, commands.Fragment{Text: fr.Text, Match: fr.Match})
		}
		hits = append(hits, h)
		if len(hits) == limit {
			break
		}
	}
	return hits, nil
}
