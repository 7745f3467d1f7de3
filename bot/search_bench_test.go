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
// builds the index from it as `run` does at start.
func searchCatalogue(b *testing.B, n int) (*store.DB, *IndexRefresher) {
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
		byFeed[e.FeedID] = append(byFeed[e.FeedID], ep)
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
// of 1,000, 10,000 and 50,000 episodes, the real ones first. It reports the
// median and 99th percentile per query kind. Run it on one core too:
//
//	go test ./bot -run '^$' -bench SearchCommand -cpu 1,2
func BenchmarkSearchCommand(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprintf("episodes-%d", size), func(b *testing.B) {
			db, r := searchCatalogue(b, size)
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
