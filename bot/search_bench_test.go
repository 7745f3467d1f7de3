package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/search/searchtest"
	"github.com/pmbot/pmbot/store"
)

// searchCatalogue writes a SQLite database (the default store) holding n
// episodes of the search corpus, in its feeds ("corpus-1", "corpus-2", …: the
// first holds the real episodes, each other a rewritten copy of them), and
// builds the index from it as `run` does at start. With oneFeed, every episode
// is in "corpus-1".
func searchCatalogue(b *testing.B, n int, oneFeed bool) (*store.DB, *IndexRefresher) {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "pmbot.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	byFeed := make(map[int64][]feeds.Episode)
	for _, e := range searchtest.Corpus(b, n) {
		ep := e.Episode
		// Copies share their real episode's identity; give each its own.
		ep.GUID = fmt.Sprintf("corpus-%d", e.ID)
		ep.AudioURL = fmt.Sprintf("https://media.example.org/%d.mp3", e.ID)
		feed := e.FeedID
		if oneFeed {
			feed = 1
		}
		byFeed[feed] = append(byFeed[feed], ep)
	}
	for id, eps := range byFeed {
		f, err := db.EnsureFeed(ctx, fmt.Sprintf("corpus-%d", id), fmt.Sprintf("https://feeds.example.org/%d.xml", id))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.RecordPoll(ctx, db, f.ID, eps, feeds.Policy{FloodLimit: 3}, nil); err != nil {
			b.Fatal(err)
		}
	}
	r := &IndexRefresher{Store: db, Logger: quietLogger()}
	if err := r.Build(ctx); err != nil {
		b.Fatal(err)
	}
	return db, r
}

// BenchmarkSearchCommand is a person's search as the bot answers it: through
// bot.Searcher (the feed looked up in the store, the search scoped to it, a
// snippet for each result) at the limits people get, 5 results in chat
// (commands' maxHits) and 10 from the CLI (`search`'s default), over catalogues
// of 1,000, 10,000 and 50,000 episodes, the real ones first, in feeds of 1,373
// episodes; and over 10,000 episodes in one feed, the most a search in
// one feed can have to read. It reports the median and 99th percentile per
// query kind. Run it on one core too:
//
//	go test ./bot -run '^$' -bench SearchCommand -cpu 1,2
func BenchmarkSearchCommand(b *testing.B) {
	ctx := context.Background()
	for _, size := range []struct {
		name    string
		n       int
		oneFeed bool
	}{
		{"episodes-1000", 1000, false},
		{"episodes-10000", 10000, false},
		{"episodes-50000", 50000, false},
		{"episodes-10000-one-feed", 10000, true},
	} {
		b.Run(size.name, func(b *testing.B) {
			db, r := searchCatalogue(b, size.n, size.oneFeed)
			s := &Searcher{Index: r.Index, Store: db, Feed: "corpus-1"}
			for _, limit := range []struct {
				name string
				n    int
			}{{"chat", 5}, {"cli", 10}} {
				for _, kind := range searchtest.Kinds {
					b.Run(limit.name+"/"+kind, func(b *testing.B) {
						searchtest.BenchQueries(b, kind, func(q string) {
							if _, err := s.Search(ctx, q, limit.n); err != nil {
								b.Fatal(err)
							}
						})
					})
				}
			}
		})
	}
}
