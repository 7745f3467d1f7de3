package bot

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// peakHeap samples the live heap while fn runs and returns the highest value seen.
func peakHeap(fn func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	var mu sync.Mutex
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak
}

// BenchmarkParseAndRecord730 parses the 730-item feed and reconciles it with a store
// that already knows it: the steady-state cost of a poll that returned content.
func BenchmarkParseAndRecord730(b *testing.B) {
	data, err := os.ReadFile("../testdata/feeds/giant-bombcast-730-items.rss")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Memory, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	f, _ := db.EnsureFeed(ctx, "gb", "src")
	db.EnsureSubscription(ctx, store.Subscription{Platform: "console", Channel: "stdout", FeedID: f.ID})
	run := func() {
		feed, _, err := parseKnown(ctx, db, f.ID, data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.RecordPoll(ctx, db, f.ID, feed.Episodes, feeds.Policy{FloodLimit: 3}, nil); err != nil {
			b.Fatal(err)
		}
	}
	run() // the first poll records everything; the loop measures the polls after it
	// The peak is sampled on one run outside the timed loop: the sampler's own work
	// would skew the timing.
	peak := peakHeap(run)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkFirstRecord730 is the first poll of the 730-item feed: every episode and
// alias inserted.
func BenchmarkFirstRecord730(b *testing.B) {
	data, err := os.ReadFile("../testdata/feeds/giant-bombcast-730-items.rss")
	if err != nil {
		b.Fatal(err)
	}
	feed, err := feeds.Parse(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		db, err := store.Open(ctx, store.Memory, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		f, _ := db.EnsureFeed(ctx, "gb", "src")
		b.StartTimer()
		if _, err := store.RecordPoll(ctx, db, f.ID, feed.Episodes, feeds.Policy{FloodLimit: 3}, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}

// BenchmarkPoll304 is one whole poll of a feed whose server answers 304: request,
// state update, schedule. Compare with feeds' BenchmarkFetchNotModified (the request
// alone) for our own cost.
func BenchmarkPoll304(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write([]byte(rss(1, 20, "")))
	}))
	defer srv.Close()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Memory, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	p := &Poller{
		Store:    db,
		Fetcher:  feeds.NewFetcher(feeds.FetcherOptions{}),
		Sources:  []FeedSource{{Name: "t", URL: srv.URL}},
		Policy:   feeds.Policy{FloodLimit: 3},
		Interval: time.Minute,
		Logger:   quietLogger(),
	}
	if _, _, err := p.PollDue(ctx, true); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		reps, _, err := p.PollDue(ctx, true)
		if err != nil || reps[0].Status != StatusNotModified {
			b.Fatalf("poll: %v %+v", err, reps)
		}
	}
}
