package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/console"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/config"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// storeWith10k writes a database holding 10,000 episodes of one feed, made from the
// real 730-item feed's text, and returns its path and the feed file.
func storeWith10k(b *testing.B) (dbPath, feedPath string) {
	return storeWith(b, 10000)
}

// storeWith is storeWith10k with n episodes.
func storeWith(b *testing.B, n int) (dbPath, feedPath string) {
	b.Helper()
	dir := b.TempDir()
	feedPath = "../../testdata/feeds/giant-bombcast-730-items.rss"
	data, err := os.ReadFile(feedPath)
	if err != nil {
		b.Fatal(err)
	}
	feed, err := feeds.Parse(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	var eps []feeds.Episode
	for i := 0; len(eps) < n; i++ {
		e := feed.Episodes[i%len(feed.Episodes)]
		round := i / len(feed.Episodes)
		e.GUID = fmt.Sprintf("%s-%d", e.GUID, round)
		e.Number = i + 1
		e.Title = fmt.Sprintf("%s (%d)", e.Title, round)
		e.AudioURL = fmt.Sprintf("%s?copy=%d", e.AudioURL, round)
		e.Published = e.Published.AddDate(-round, 0, 0)
		eps = append(eps, e)
	}
	ctx := context.Background()
	dbPath = filepath.Join(dir, "pmbot.db")
	db, err := store.Open(ctx, dbPath, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	abs, _ := filepath.Abs(feedPath)
	f, err := db.EnsureFeed(ctx, "gb", abs)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.RecordPoll(ctx, db, f.ID, eps, feeds.Policy{FloodLimit: 3}, nil); err != nil {
		b.Fatal(err)
	}
	f, _ = db.FeedByName(ctx, "gb")
	f.URL, f.NextPollAt = abs, time.Now().Add(time.Hour)
	db.SaveFeedState(ctx, f)
	db.Close()
	return dbPath, abs
}

// BenchmarkStartup10k is what `pmbot run` does before it serves: open the database,
// record subscriptions, check which feeds are due, deliver what is pending.
func BenchmarkStartup10k(b *testing.B) {
	dbPath, feedPath := storeWith10k(b)
	ctx := context.Background()
	cfg, err := config.Load(strings.NewReader(""), nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Feeds = []config.Feed{{Name: "gb", URL: feedPath}}
	cfg.Database = dbPath
	log := newLogger(config.Config{Log: config.Log{Level: "error"}}, io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		a, err := newApp(ctx, cfg, log, io.Discard, io.Discard, nil, needs{dispatch: true, search: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := a.poller.PollDue(ctx, false); err != nil {
			b.Fatal(err)
		}
		if _, err := a.dispatcher.DispatchDue(ctx); err != nil {
			b.Fatal(err)
		}
		if eps, err := a.catalog().Latest(ctx, 1); err != nil || len(eps) != 1 {
			b.Fatal(err)
		}
		a.Close()
	}
}

// rssOf reads the resident set size of a process, in bytes.
func rssOf(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// BenchmarkIdleRSS starts the real `pmbot run`, lets it settle, and reports its
// resident memory: following the Post Mortem feed (served over HTTP, found by
// name through a fake directory, polled at start), and over databases of 10,000
// and 50,000 episodes (their feed not due). Run it alone:
//
//	go test ./cmd/pmbot -run '^$' -bench IdleRSS
func BenchmarkIdleRSS(b *testing.B) {
	b.Run("postmortem", func(b *testing.B) {
		feed, err := os.ReadFile("../../testdata/postmortem/feed.xml")
		if err != nil {
			b.Fatal(err)
		}
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/search" {
				fmt.Fprintf(w, `{"resultCount":1,"results":[{"collectionName":"Post Mortem","artistName":"François Paupier","feedUrl":"%s/feed.xml"}]}`, srv.URL)
				return
			}
			w.Write(feed)
		}))
		defer srv.Close()
		idleRSS(b, []string{"PMBOT_DIRECTORY_URL=" + srv.URL}, func() []string {
			return []string{"--db", filepath.Join(b.TempDir(), "idle.db"), "run"}
		})
	})
	for _, n := range []int{10000, 50000} {
		b.Run(fmt.Sprintf("episodes-%d", n), func(b *testing.B) {
			dbPath, feedPath := storeWith(b, n)
			cfg := filepath.Join(b.TempDir(), "pmbot.yaml")
			if err := os.WriteFile(cfg, []byte("feeds:\n  - name: gb\n    url: "+feedPath+"\n"), 0o644); err != nil {
				b.Fatal(err)
			}
			idleRSS(b, nil, func() []string { return []string{"--config", cfg, "--db", dbPath, "run"} })
		})
	}
}

// idleRSS runs `pmbot <args()>` for each iteration, lets it settle 3 seconds
// after it says it runs, and reports the largest resident size seen.
func idleRSS(b *testing.B, env []string, args func() []string) {
	var rss int64
	for b.Loop() {
		p := startBot(b, env, args()...)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		p.waitLog(ctx, "pmbot running")
		cancel()
		time.Sleep(3 * time.Second)
		r, err := rssOf(p.cmd.Process.Pid)
		p.kill()
		if err != nil {
			b.Fatal(err)
		}
		rss = max(rss, r)
	}
	b.ReportMetric(float64(rss)/(1<<20), "idle-RSS-MiB")
}

// BenchmarkColdQuery runs one-shot commands of the real binary, as a person
// types them, on a database of 10,000 episodes (their feed not due) with the
// search index `run` saves in it, and without (search-nothing-saved: the
// index is built), and on the Post Mortem feed (with and without the saved
// index), and reports the wall time of each whole process.
//
//	go test ./cmd/pmbot -run '^$' -bench ColdQuery
func BenchmarkColdQuery(b *testing.B) {
	dbPath, feedPath := storeWith10k(b)
	cfg := filepath.Join(b.TempDir(), "pmbot.yaml")
	if err := os.WriteFile(cfg, []byte("feeds:\n  - name: gb\n    url: "+feedPath+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	pmDB := filepath.Join(b.TempDir(), "pm.db")
	pm := []string{"--db", pmDB, "--feed", "../../testdata/postmortem/feed.xml"}
	if _, stderr, code := pmbot(b, append(pm, "latest")...); code != 0 {
		b.Fatalf("loading Post Mortem: %s", stderr)
	}
	saved, pmSaved := savedIndexCopy(b, dbPath), savedIndexCopy(b, pmDB)
	big := []string{"--config", cfg, "--db", saved}
	unsaved := []string{"--config", cfg, "--db", dbPath}
	pmWithIndex := []string{"--db", pmSaved, "--feed", "../../testdata/postmortem/feed.xml"}
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"episodes-10000/search", append(big, "search", "nintendo")},
		{"episodes-10000/episode-words", append(big, "episode", "mario kart")},
		{"episodes-10000/search-nothing-saved", append(unsaved, "search", "nintendo")},
		{"episodes-10000/episode-number", append(big, "episode", "3")},
		{"episodes-10000/takeaways", append(big, "takeaways", "3")},
		{"postmortem/search", append(pm, "search", "bgp")},
		{"postmortem/search-saved", append(pmWithIndex, "search", "bgp")},
		{"postmortem/takeaways", append(pm, "takeaways", "17")},
	} {
		b.Run(tt.name, func(b *testing.B) {
			for b.Loop() {
				if _, stderr, code := pmbot(b, tt.args...); code != 0 && code != 1 {
					b.Fatalf("exit %d: %s", code, stderr)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/command")
		})
	}
}

// BenchmarkColdQueryBaseline runs Post Mortem one-shots of this binary and of
// another build of pmbot (PMBOT_BENCH_BASELINE, its path), in turns so that
// both meet the same moments of the machine, each on its own database made
// by its own `latest`, and reports the median wall time of each process. It
// is skipped without PMBOT_BENCH_BASELINE. To compare with the commit at which
// issue 11 was filed:
//
//	git worktree add /tmp/at-filing 2e6c299
//	(cd /tmp/at-filing && go build -o /tmp/pmbot-at-filing ./cmd/pmbot)
//	PMBOT_BENCH_BASELINE=/tmp/pmbot-at-filing go test ./cmd/pmbot -run '^$' -bench ColdQueryBaseline -benchtime 40x
func BenchmarkColdQueryBaseline(b *testing.B) {
	baseline := os.Getenv("PMBOT_BENCH_BASELINE")
	if baseline == "" {
		b.Skip("PMBOT_BENCH_BASELINE names no pmbot binary to compare with")
	}
	feed := "../../testdata/postmortem/feed.xml"
	bins := map[string]string{"baseline": baseline, "this": binary}
	dbs := make(map[string]string)
	for name, bin := range bins {
		dbs[name] = filepath.Join(b.TempDir(), name+".db")
		if out, err := exec.Command(bin, "--db", dbs[name], "--feed", feed, "latest").CombinedOutput(); err != nil {
			b.Fatalf("%s latest: %v: %s", name, err, out)
		}
	}
	for _, args := range [][]string{{"search", "bgp"}, {"takeaways", "17"}, {"version"}} {
		b.Run(strings.Join(args, "-"), func(b *testing.B) {
			times := map[string][]time.Duration{}
			for b.Loop() {
				for _, name := range []string{"baseline", "this"} {
					start := time.Now()
					cmd := exec.Command(bins[name], append([]string{"--db", dbs[name], "--feed", feed}, args...)...)
					if out, err := cmd.CombinedOutput(); err != nil {
						b.Fatalf("%s %v: %v: %s", name, args, err, out)
					}
					times[name] = append(times[name], time.Since(start))
				}
			}
			for name, ts := range times {
				slices.Sort(ts)
				b.ReportMetric(float64(ts[len(ts)/2].Microseconds())/1e3, name+"-ms")
			}
		})
	}
}

// savedIndexCopy returns a copy of a database as `run` leaves it: with the
// search index saved in it.
func savedIndexCopy(b *testing.B, db string) string {
	b.Helper()
	saved := filepath.Join(b.TempDir(), "saved-"+filepath.Base(db))
	data, err := os.ReadFile(db)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(saved, data, 0o644); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, saved, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	r := &bot.IndexRefresher{Store: st, Saver: st}
	if err := r.Build(ctx); err != nil {
		b.Fatal(err)
	}
	if err := r.Save(ctx); err != nil {
		b.Fatal(err)
	}
	return saved
}

// BenchmarkCatalogueGrowth is how the bot's costs grow with its catalogue:
// over databases of 1,000, 10,000 and 50,000 episodes, the start-up of `run`
// (as BenchmarkStartup10k), a poll of the feed (730 items to reconcile with
// what is stored), and chat commands through the router (`latest`,
// `episode 3`, `search nintendo`).
//
//	go test ./cmd/pmbot -run '^$' -bench CatalogueGrowth -benchtime 5x
func BenchmarkCatalogueGrowth(b *testing.B) {
	ctx := context.Background()
	log := newLogger(config.Config{Log: config.Log{Level: "error"}}, io.Discard)
	for _, n := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprintf("episodes-%d", n), func(b *testing.B) {
			dbPath, feedPath := storeWith(b, n)
			cfg, err := config.Load(strings.NewReader(""), nil)
			if err != nil {
				b.Fatal(err)
			}
			cfg.Feeds = []config.Feed{{Name: "gb", URL: feedPath}}
			cfg.Database = dbPath
			open := func(b *testing.B) *app {
				a, err := newApp(ctx, cfg, log, io.Discard, io.Discard, nil, needs{dispatch: true, search: true})
				if err != nil {
					b.Fatal(err)
				}
				return a
			}
			b.Run("startup", func(b *testing.B) {
				for b.Loop() {
					open(b).Close()
				}
			})
			a := open(b)
			defer a.Close()
			b.Run("poll", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := a.poller.PollDue(ctx, true); err != nil {
						b.Fatal(err)
					}
				}
			})
			for _, cmd := range []struct {
				name string
				args []string
			}{{"latest", nil}, {"episode", []string{"3"}}, {"search", []string{"nintendo"}}} {
				b.Run("command-"+cmd.name, func(b *testing.B) {
					for b.Loop() {
						if _, err := a.router.Dispatch(ctx, commands.Request{Name: cmd.name, Args: cmd.args, Platform: console.Platform, ChannelID: console.Channel}); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
