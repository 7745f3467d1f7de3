package bot

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/search"
	"github.com/pmbot/pmbot/store"
)

// IndexStore is what BuildIndex and an IndexRefresher read.
type IndexStore interface {
	Feeds(ctx context.Context) ([]store.Feed, error)
	Episodes(ctx context.Context, feedID int64) ([]store.Episode, error)
	ContentHashes(ctx context.Context, feedID int64) (map[string]string, error)
}

// BuildIndex fills a new search index with every stored episode: the index lives in
// memory and is rebuilt at start.
func BuildIndex(ctx context.Context, st IndexStore) (*search.Index, error) {
	r := &IndexRefresher{Store: st}
	if err := r.Build(ctx); err != nil {
		return nil, err
	}
	return r.Index, nil
}

// IndexRefresher keeps a search index in step with what the store holds when
// another process polls (a replica without the poller lease): a feed whose poll
// count moved is looked at again, and its episodes whose content changed are
// indexed anew. The replica that polls feeds its index through Indexer too.
type IndexRefresher struct {
	Store IndexStore
	// Index is filled by Build (a new one when nil).
	Index *search.Index
	// Every is how often Run looks; refreshEvery when zero.
	Every  time.Duration
	Logger *slog.Logger

	mu    sync.Mutex
	feeds map[int64]indexedFeed
	seed  maphash.Seed
}

// indexedFeed is what the index holds of a feed: as of which poll, and each
// episode's content hash by GUID, both digested to 64 bits (a map of the
// strings was a tenth of an idle bot's heap at 10,000 episodes).
type indexedFeed struct {
	polls  int
	hashes map[uint64]uint64
}

// digests returns hashes (content hash by GUID) digested for indexedFeed.
func (r *IndexRefresher) digests(hashes map[string]string) map[uint64]uint64 {
	out := make(map[uint64]uint64, len(hashes))
	for guid, h := range hashes {
		out[maphash.String(r.seed, guid)] = maphash.String(r.seed, h)
	}
	return out
}

// refreshEvery is how often a replica that does not poll looks for episodes
// another one recorded: a search finds a new episode within this of its poll.
const refreshEvery = 10 * time.Second

// Build fills the index with every stored episode.
func (r *IndexRefresher) Build(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Index == nil {
		r.Index = search.NewIndex()
	}
	r.feeds = make(map[int64]indexedFeed)
	r.seed = maphash.MakeSeed()
	fs, err := r.Store.Feeds(ctx)
	if err != nil {
		return fmt.Errorf("bot: build index: %w", err)
	}
	for _, f := range fs {
		// The feed's poll count is read before its episodes: a poll recorded
		// meanwhile moves it, and the next Refresh reads the feed again.
		hashes, err := r.Store.ContentHashes(ctx, f.ID)
		if err != nil {
			return fmt.Errorf("bot: build index: %w", err)
		}
		eps, err := r.Store.Episodes(ctx, f.ID)
		if err != nil {
			return fmt.Errorf("bot: build index: %w", err)
		}
		r.Index.Add(docs(eps)...)
		r.feeds[f.ID] = indexedFeed{polls: f.Polls, hashes: r.digests(hashes)}
	}
	r.Index.Prepare()
	return nil
}

// Refresh indexes the episodes recorded or changed since Build or the last
// Refresh, and says how many.
func (r *IndexRefresher) Refresh(ctx context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fs, err := r.Store.Feeds(ctx)
	if err != nil {
		return 0, fmt.Errorf("bot: refresh index: %w", err)
	}
	added := 0
	for _, f := range fs {
		known, ok := r.feeds[f.ID]
		if ok && known.polls == f.Polls {
			continue
		}
		hashes, err := r.Store.ContentHashes(ctx, f.ID)
		if err != nil {
			return added, fmt.Errorf("bot: refresh index: %w", err)
		}
		changed := make(map[string]bool)
		for guid, h := range hashes {
			if old, ok := known.hashes[maphash.String(r.seed, guid)]; !ok || old != maphash.String(r.seed, h) {
				changed[guid] = true
			}
		}
		if len(changed) > 0 {
			eps, err := r.Store.Episodes(ctx, f.ID)
			if err != nil {
				return added, fmt.Errorf("bot: refresh index: %w", err)
			}
			eps = slices.DeleteFunc(eps, func(e store.Episode) bool { return !changed[e.GUID] })
			r.Index.Add(docs(eps)...)
			added += len(eps)
		}
		r.feeds[f.ID] = indexedFeed{polls: f.Polls, hashes: r.digests(hashes)}
	}
	return added, nil
}

// Run refreshes the index every Every until ctx ends; a failed refresh is
// logged and tried again at the next.
func (r *IndexRefresher) Run(ctx context.Context) {
	every := r.Every
	if every <= 0 {
		every = refreshEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := r.Refresh(ctx)
		switch {
		case err != nil && ctx.Err() == nil && r.Logger != nil:
			r.Logger.Warn("search index not refreshed", "err", err)
		case n > 0 && r.Logger != nil:
			r.Logger.Debug("search index refreshed", "episodes", n)
		}
	}
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

// SearcherStore is what a Searcher reads from the store: the feed, and the
// episodes the index found.
type SearcherStore interface {
	FeedByName(ctx context.Context, name string) (store.Feed, error)
	EpisodeCards(ctx context.Context, ids []int64) ([]store.Episode, error)
}

// Searcher serves one feed's episodes from the index to the search command.
// Use it by pointer: it remembers the feed's id once the feed has been read.
type Searcher struct {
	Index *search.Index
	Store SearcherStore
	Feed  string
	// FirstPollWait is as for Catalog: how long a search waits for the feed's
	// first poll when it is under way.
	FirstPollWait time.Duration

	// feedID is the feed's id once its first poll is recorded (0 before): a
	// feed keeps its id, and looking it up was a tenth of a query's time.
	feedID atomic.Int64
}

var _ commands.Searcher = (*Searcher)(nil)

// Search returns the best matches of query among the feed's episodes.
func (s *Searcher) Search(ctx context.Context, query string, limit int) ([]commands.Hit, error) {
	id := s.feedID.Load()
	if id == 0 {
		f, err := awaitFirstPoll(ctx, s.Store, s.Feed, s.FirstPollWait)
		if err != nil {
			return nil, err
		}
		id = f.ID
		s.feedID.Store(id)
	}
	results := s.Index.SearchFeed(query, id, limit)
	if len(results) == 0 {
		return nil, nil
	}
	// The index keeps no text: the results' episodes come from the store, in
	// one query that reads what a result shows.
	ids := make([]int64, len(results))
	for i, r := range results {
		ids[i] = r.ID
	}
	eps, err := s.Store.EpisodeCards(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("bot: search: %w", err)
	}
	byID := make(map[int64]*store.Episode, len(eps))
	for i := range eps {
		byID[eps[i].ID] = &eps[i]
	}
	hits := make([]commands.Hit, 0, len(results))
	for _, r := range results {
		e, ok := byID[r.ID]
		if !ok {
			continue // damaged in the store: left out, as everywhere
		}
		h := commands.Hit{Episode: e.Episode, Score: r.Score}
		for _, fr := range r.Snippet(&e.Episode) {
			h.Snippet = append(h.Snippet, commands.Fragment{Text: fr.Text, Match: fr.Match})
		}
		hits = append(hits, h)
	}
	return hits, nil
}
