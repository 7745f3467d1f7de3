package search

import (
	"runtime"
	"testing"

	"github.com/pmbot/pmbot/search/searchtest"
)

// corpus is the searchtest corpus as documents.
func corpus(tb testing.TB, n int) []Doc {
	tb.Helper()
	entries := searchtest.Corpus(tb, n)
	docs := make([]Doc, len(entries))
	for i, e := range entries {
		docs[i] = Doc{ID: e.ID, FeedID: e.FeedID, Episode: e.Episode}
	}
	return docs
}

// benchDocs is the size of the benchmark corpus: a large catalogue for a bot.
const benchDocs = 10000

// BenchmarkBuild10k measures building the index of 10,000 episodes, as at start, and
// reports the heap the index holds.
func BenchmarkBuild10k(b *testing.B) {
	docs := corpus(b, benchDocs)
	var heap float64
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		ix := NewIndex()
		ix.Add(docs...)
		ix.prepare()
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		runtime.KeepAlive(ix)
		b.StartTimer()
	}
	b.ReportMetric(heap, "index-MiB")
}

// BenchmarkSearch10k runs each kind of query over a 10,000 episode index and
// reports the median and 99th percentile time per query.
func BenchmarkSearch10k(b *testing.B) {
	ix := NewIndex()
	ix.Add(corpus(b, benchDocs)...)
	ix.prepare()
	for _, kind := range searchtest.Kinds {
		b.Run(kind, func(b *testing.B) {
			searchtest.BenchQueries(b, kind, func(q string) { ix.Search(q, 10) })
		})
	}
}
