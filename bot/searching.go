package bot

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"maps"
	"slices"
	"strings"
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
	EachEpisode(ctx context.Context, feedID int64, fn func(store.Episode) error) error
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
// another process polls (a replica without the poller lease): a feed whose
// count of polls that changed episodes moved is looked at again, and its
// episodes whose content changed are indexed anew. The replica that polls
// feeds its index through Indexer too.
type IndexRefresher struct {
	Store IndexStore
	// Index is filled by Build (a new one when nil).
	Index *search.Index
	// Every is how often Run looks; refreshEvery when zero.
	Every  time.Duration
	Logger *slog.Logger
	// Saver, when set, is where Run saves the index whenever what it holds
	// has changed, for one-shot commands to load (LoadIndex), at most once
	// per saveSpacing times what the last save took.
	Saver IndexSaver
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu    sync.Mutex
	feeds map[int64]indexedFeed
	seed  maphash.Seed
	// saved is the version of the index last saved, or found saved, once
	// there is one (hasSaved).
	saved    string
	hasSaved bool
	// lastSave is when the last save ended, and lastSaveTook how long it took.
	lastSave     time.Time
	lastSaveTook time.Duration
}

// saveSpacing is how many times the last save's duration Run waits before
// saving again: a save rewrites the whole index (3 s at 50,000 episodes on
// PostgreSQL), and polls with new episodes may come every few minutes in a
// large catalogue. A one-shot meanwhile finds the saved index stale and
// builds its own.
const saveSpacing = 100

func (r *IndexRefresher) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// saveDue reports whether Run may save now: never saved yet, or long enough
// after the last save (saveSpacing).
func (r *IndexRefresher) saveDue() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastSave.IsZero() || r.now().Sub(r.lastSave) >= saveSpacing*r.lastSaveTook
}

// IndexSaver keeps a copy of the search index in the store.
type IndexSaver interface {
	SearchIndex(ctx context.Context) (store.SavedIndex, error)
	SaveSearchIndex(ctx context.Context, version string, header []byte, words, stems [][]byte) (int64, error)
}

// indexedFeed is what the index holds of a feed: as of which poll that
// changed episodes (store.Feed.Changes), and each episode's content hash by
// GUID, both digested to 64 bits (a map of the strings was a tenth of an idle
// bot's heap at 10,000 episodes).
type indexedFeed struct {
	changes int
	hashes  map[uint64]uint64
}

// indexVersion names what an index holds: for each feed, how many polls that
// changed episodes it has seen (store.Feed.Changes). A feed none has changed
// has no episodes: adding one leaves the version as it was.
func indexVersion(changes map[int64]int) string {
	ids := slices.Sorted(maps.Keys(changes))
	var b strings.Builder
	for _, id := range ids {
		if changes[id] > 0 {
			fmt.Fprintf(&b, "%d:%d;", id, changes[id])
		}
	}
	return b.String()
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
		// The feed's count of changes is read before its episodes: a poll
		// that records episodes meanwhile moves it, and the next Refresh
		// reads the feed again.
		hashes, err := r.Store.ContentHashes(ctx, f.ID)
		if err != nil {
			return fmt.Errorf("bot: build index: %w", err)
		}
		if err := r.addFeed(ctx, f.ID); err != nil {
			return fmt.Errorf("bot: build index: %w", err)
		}
		r.feeds[f.ID] = indexedFeed{changes: f.Changes, hashes: r.digests(hashes)}
	}
	r.Index.Prepare()
	return nil
}

// buildBatch is how many episodes the reader of addFeed hands over at once.
const buildBatch = 128

// addFeed indexes a feed's episodes as the store reads them: reading and
// decoding run on one goroutine, indexing on this one, so a start with two
// cores takes about as long as the slower of the two (building the index of
// 50,000 episodes took 3.1-3.4 s one after the other).
func (r *IndexRefresher) addFeed(ctx context.Context, feedID int64) error {
	batches := make(chan []store.Episode, 4)
	read := make(chan error, 1)
	go func() {
		defer close(batches)
		var batch []store.Episode
		err := r.Store.EachEpisode(ctx, feedID, func(e store.Episode) error {
			batch = append(batch, e)
			if len(batch) == buildBatch {
				batches <- batch
				batch = nil
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			batches <- batch
		}
		read <- err
	}()
	for b := range batches {
		r.Index.Add(docs(b)...)
	}
	return <-read
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
	// Readied once for every feed read again, rather than by the next search.
	defer func() {
		if added > 0 {
			r.Index.Prepare()
		}
	}()
	for _, f := range fs {
		known, ok := r.feeds[f.ID]
		if ok && known.changes == f.Changes {
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
		r.feeds[f.ID] = indexedFeed{changes: f.Changes, hashes: r.digests(hashes)}
	}
	return added, nil
}

// Run refreshes the index every Every until ctx ends, and saves it (when
// Saver is set) at start and whenever it changed, though not sooner than
// saveSpacing times the last save's duration after it; a failed refresh or
// save is logged and tried again at the next.
func (r *IndexRefresher) Run(ctx context.Context) {
	every := r.Every
	if every <= 0 {
		every = refreshEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if r.Saver != nil && r.saveDue() {
			if err := r.Save(ctx); err != nil && ctx.Err() == nil && r.Logger != nil {
				r.Logger.Warn("search index not saved", "err", err)
			}
		}
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

// Save saves the index to Saver, for one-shot commands (LoadIndex), unless
// the one saved already holds what it holds.
func (r *IndexRefresher) Save(ctx context.Context) error {
	r.mu.Lock()
	changes := make(map[int64]int, len(r.feeds))
	for id, f := range r.feeds {
		changes[id] = f.changes
	}
	saved, hasSaved := r.saved, r.hasSaved
	r.mu.Unlock()
	version := indexVersion(changes)
	if hasSaved && version == saved {
		return nil
	}
	// Another replica may have saved it.
	if cur, err := r.Saver.SearchIndex(ctx); err == nil && cur.Version == version {
		r.mu.Lock()
		r.saved, r.hasSaved = version, true
		r.mu.Unlock()
		return nil
	}
	// Taken after the version was read, the snapshot holds at least what the
	// version says (it may hold more: the poller adds as it records).
	start := r.now()
	snap := r.Index.Snapshot()
	if _, err := r.Saver.SaveSearchIndex(ctx, version, snap.Header, snap.Words, snap.Stems); err != nil {
		return fmt.Errorf("bot: save search index: %w", err)
	}
	end := r.now()
	if r.Logger != nil {
		r.Logger.Debug("search index saved", "documents", r.Index.Len(), "took", end.Sub(start).Round(time.Millisecond))
	}
	r.mu.Lock()
	r.saved, r.hasSaved = version, true
	r.lastSave, r.lastSaveTook = end, end.Sub(start)
	r.mu.Unlock()
	return nil
}

// IndexLoader is what LoadIndex reads.
type IndexLoader interface {
	Feeds(ctx context.Context) ([]store.Feed, error)
	SearchIndex(ctx context.Context) (store.SavedIndex, error)
	SearchPostings(ctx context.Context, gen int64, stem bool, term uint32) ([]byte, error)
}

// LoadIndex returns the index `run` saved when it holds what the store holds
// now, reading its lists of postings as queries need them (ctx is theirs);
// nil when there is none, or the store has changed since. A one-shot command
// answers from it in milliseconds where building the index reads every
// episode.
func LoadIndex(ctx context.Context, st IndexLoader) (*search.Index, error) {
	saved, err := st.SearchIndex(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bot: load search index: %w", err)
	}
	fs, err := st.Feeds(ctx)
	if err != nil {
		return nil, fmt.Errorf("bot: load search index: %w", err)
	}
	changes := make(map[int64]int, len(fs))
	for _, f := range fs {
		changes[f.ID] = f.Changes
	}
	if indexVersion(changes) != saved.Version {
		return nil, nil
	}
	ix, err := search.LoadSnapshot(saved.Header, func(stem bool, id uint32) ([]byte, error) {
		return st.SearchPostings(ctx, saved.Gen, stem, id)
	})
	if err != nil {
		// Saved by another version of pmbot, or damaged: build it instead.
		return nil, nil
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

// Recorded adds a poll's new and changed episodes to the index, and readies
// it: the poll pays for sorting the new words in, not the next search.
func (x Indexer) Recorded(res store.PollResult) {
	if len(res.New)+len(res.Updated) == 0 {
		return
	}
	x.Index.Add(docs(res.New)...)
	x.Index.Add(docs(res.Updated)...)
	x.Index.Prepare()
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
	if err := s.Index.Err(); err != nil {
		// A loaded index (LoadIndex) whose lists could not be read.
		return nil, fmt.Errorf("bot: search: %w", err)
	}
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
