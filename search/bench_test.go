package search

import (
	"runtime"
	"sort"
	"testing"
	"time"
)

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

// benchQueries are realistic queries over the benchmark corpus, by kind.
var benchQueries = map[string][]string{
	"plain": {"bgp", "nintendo", "podcast", "sécurité", "incident", "nachrichten", "election",
		"music", "zelda", "vulnérabilités", "bitcoin", "algolia", "wrestling", "deutschland", "governo"},
	"typo": {"nintedo", "bombcats", "podcsat", "securty", "incidnet", "nachrichtne", "playstaton",
		"dragonblod", "vulnerabilites", "wrestlign", "bitcoim", "zeldda", "presidnet", "goverment", "microsfot"},
	"prefix": {"nint", "bomb", "pod", "secu", "inci", "nach", "play", "algo", "diff", "mon",
		"wres", "bitc", "presi", "gove", "micro"},
	"multiword": {"facebook bgp outage", "giant bomb nintendo", "data science business", "value for value podcast",
		"test A/B", "video games review", "l'anonymisation des données", "super mario", "xbox one price",
		"bundesregierung berlin", "ML Ops", "pub sub", "differential priv", "star wars", "game of the year"},
	"number": {"17", "#42", "episode 730", "ep 12", "123", "#9999", "episode 5000", "2021", "n°300", "ep42"},
}

// BenchmarkSearch10k runs each kind of query over a 10,000 episode index and
// reports the median and 99th percentile time per query.
func BenchmarkSearch10k(b *testing.B) {
	ix := NewIndex()
	ix.Add(corpus(b, benchDocs)...)
	ix.prepare()
	for _, kind := range []string{"plain", "typo", "prefix", "multiword", "number"} {
		queries := benchQueries[kind]
		b.Run(kind, func(b *testing.B) {
			var times []time.Duration
			i := 0
			for b.Loop() {
				q := queries[i%len(queries)]
				i++
				start := time.Now()
				ix.Search(q, 10)
				times = append(times, time.Since(start))
			}
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
		})
	}
}
