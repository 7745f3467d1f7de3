package bot

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// rss renders a feed with episodes numbered from..to, newest first.
func rss(from, to int, extra string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>Test Show</title>` + extra)
	for n := to; n >= from; n-- {
		fmt.Fprintf(&b, `<item><title>#%d Episode %d</title><guid>ep-%d</guid><pubDate>%s</pubDate><enclosure url="https://media.example.org/%d.mp3" type="audio/mpeg" length="1"/><itunes:episode>%d</itunes:episode><description>Notes %d</description></item>`,
			n, n, n, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n).Format(time.RFC1123Z), n, n, n)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// feedServer serves a scripted feed with ETag support.
type feedServer struct {
	mu      sync.Mutex
	body    string
	status  int
	headers map[string]string
	hits    int
}

func (s *feedServer) set(status int, body string, headers map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body, s.headers = status, body, headers
}

func (s *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits++
	for k, v := range s.headers {
		w.Header().Set(k, v)
	}
	if s.status != http.StatusOK {
		w.WriteHeader(s.status)
		return
	}
	etag := fmt.Sprintf(`"%d"`, len(s.body))
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	io.WriteString(w, s.body)
}

type harness struct {
	db     *store.DB
	clock  *clock
	poller *Poller
	srv    *feedServer
	url    string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	db, err := store.Open(ctx, store.Memory, store.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fs := &feedServer{status: http.StatusOK}
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	h := &harness{db: db, clock: c, srv: fs, url: srv.URL + "/feed.xml"}
	h.poller = &Poller{
		Store:    db,
		Fetcher:  feeds.NewFetcher(feeds.FetcherOptions{Timeout: time.Minute, Now: c.Now}),
		Sources:  []FeedSource{{Name: "test", URL: h.url}},
		Policy:   feeds.Policy{FloodLimit: 3},
		Interval: 15 * time.Minute,
		Logger:   quietLogger(),
		Now:      c.Now,
		Jitter:   func(time.Duration) time.Duration { return 0 },
	}
	f, err := db.EnsureFeed(ctx, "test", h.url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureSubscription(ctx, store.Subscription{Platform: "fake", Channel: "C1", FeedID: f.ID}); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) poll(t *testing.T) PollReport {
	t.Helper()
	reps, _, err := h.poller.PollDue(context.Background(), true)
	if err != nil {
		t.Fatalf("PollDue: %v", err)
	}
	if len(reps) != 1 {
		t.Fatalf("PollDue gave %d reports, want 1", len(reps))
	}
	return reps[0]
}

func (h *harness) feed(t *testing.T) store.Feed {
	t.Helper()
	f, err := h.db.FeedByName(context.Background(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPollerStates(t *testing.T) {
	h := newHarness(t)
	h.srv.set(http.StatusOK, rss(1, 3, ""), nil)

	r := h.poll(t)
	if r.Status != StatusOK || len(r.New) != 3 || r.Deliveries != 0 || r.Reason != feeds.ReasonFirstPoll {
		t.Fatalf("first poll = %+v, want 3 new, silent", r)
	}
	if f := h.feed(t); f.ETag == "" || !f.NextPollAt.Equal(h.clock.Now().Add(15*time.Minute)) {
		t.Fatalf("after first poll: etag %q next %v", f.ETag, f.NextPollAt)
	}

	r = h.poll(t)
	if r.Status != StatusNotModified {
		t.Fatalf("unchanged feed: status %q, want not modified", r.Status)
	}

	h.srv.set(http.StatusOK, rss(1, 4, ""), nil)
	if r = h.poll(t); r.Deliveries != 1 {
		t.Fatalf("one new episode: %+v, want 1 delivery", r)
	}
	// Notes are read for new episodes, and again when an episode's notes change.
	summaryOf := func(n int) string {
		ep, err := h.db.EpisodeByNumber(context.Background(), h.feed(t).ID, n)
		if err != nil {
			t.Fatal(err)
		}
		return ep.Notes.Summary
	}
	if got := summaryOf(4); got != "Notes 4" {
		t.Fatalf("summary of the new episode = %q, want %q", got, "Notes 4")
	}
	h.srv.set(http.StatusOK, strings.Replace(rss(1, 4, ""), "Notes 4", "Edited notes", 1), nil)
	if r = h.poll(t); len(r.Updated) != 1 || r.Deliveries != 0 {
		t.Fatalf("edited notes: %+v, want 1 updated and nothing announced", r)
	}
	if got := summaryOf(4); got != "Edited notes" || summaryOf(3) != "Notes 3" {
		t.Fatalf("summaries after the edit = %q, %q", got, summaryOf(3))
	}
	h.srv.set(http.StatusOK, rss(1, 4, ""), nil)
	h.poll(t)

	// Failures are recorded, back off, honour Retry-After, and clear on success.
	h.srv.set(http.StatusTooManyRequests, "", map[string]string{"Retry-After": "3600"})
	if r = h.poll(t); r.Status != StatusError || r.Err == nil {
		t.Fatalf("429: %+v, want an error report", r)
	}
	f := h.feed(t)
	if f.Failures != 1 || f.LastError == "" || f.NextPollAt.Before(h.clock.Now().Add(time.Hour)) {
		t.Fatalf("after 429: failures %d, error %q, next %v; want 1, a message, an hour later", f.Failures, f.LastError, f.NextPollAt)
	}
	h.srv.set(http.StatusInternalServerError, "", nil)
	h.poll(t)
	if f = h.feed(t); f.Failures != 2 {
		t.Fatalf("after 500: failures %d, want 2", f.Failures)
	}
	h.srv.set(http.StatusOK, "<html><body>not a feed</body></html>", nil)
	h.poll(t)
	if f = h.feed(t); f.Failures != 3 || !strings.Contains(f.LastError, "feed") {
		t.Fatalf("after an HTML page: failures %d, error %q", f.Failures, f.LastError)
	}
	h.srv.set(http.StatusOK, rss(1, 4, ""), nil)
	if r = h.poll(t); r.Status != StatusOK || r.Deliveries != 0 {
		t.Fatalf("recovered: %+v, want ok and nothing new", r)
	}
	if f = h.feed(t); f.Failures != 0 || f.LastError != "" || !f.FailingSince.IsZero() {
		t.Fatalf("recovered: failures %d error %q since %v", f.Failures, f.LastError, f.FailingSince)
	}
}

func TestPollerFollowsNewFeedURL(t *testing.T) {
	h := newHarness(t)
	moved := &feedServer{status: http.StatusOK, body: rss(1, 3, "")}
	srv2 := httptest.NewServer(moved)
	defer srv2.Close()
	h.srv.set(http.StatusOK, rss(1, 3, "<itunes:new-feed-url>"+srv2.URL+"/new.xml</itunes:new-feed-url>"), nil)
	h.poll(t)
	if got := h.feed(t).URL; got != srv2.URL+"/new.xml" {
		t.Fatalf("URL after itunes:new-feed-url = %q, want the new URL", got)
	}
	moved.set(http.StatusOK, rss(1, 4, ""), nil)
	if r := h.poll(t); r.Deliveries != 1 || moved.hits != 1 {
		t.Fatalf("poll at the new URL: %+v (hits %d), want 1 delivery", r, moved.hits)
	}
}

type fakeResolver struct {
	url   string
	err   error
	calls int
}

func (r *fakeResolver) Resolve(context.Context, feeds.Query) (string, error) {
	r.calls++
	return r.url, r.err
}

func TestPollerResolvesByName(t *testing.T) {
	h := newHarness(t)
	h.srv.set(http.StatusOK, rss(1, 2, ""), nil)
	res := &fakeResolver{url: h.url}
	h.poller.Resolver = res
	h.poller.Sources = []FeedSource{{Name: "test", Title: "Test Show", Author: "Someone"}}
	h.db.EnsureFeed(context.Background(), "test", h.poller.Sources[0].Key())
	if r := h.poll(t); r.Status != StatusOK {
		t.Fatalf("poll by name: %+v", r)
	}
	h.poll(t)
	if res.calls != 1 {
		t.Fatalf("resolver called %d times, want 1 (the URL is stored)", res.calls)
	}
	// Failing for less than a day keeps the URL; after a day it is looked up again.
	h.srv.set(http.StatusNotFound, "", nil)
	h.poll(t)
	h.clock.Add(23 * time.Hour)
	h.poll(t)
	if res.calls != 1 {
		t.Fatalf("resolver called %d times within a day of failures, want 1", res.calls)
	}
	h.clock.Add(2 * time.Hour)
	h.poll(t)
	if res.calls != 2 {
		t.Fatalf("resolver called %d times after a day of failures, want 2", res.calls)
	}
}

// fakePoster records posts and fails as scripted.
type fakePoster struct {
	fail []error
	got  []string
}

func (p *fakePoster) Post(_ context.Context, d Delivery, a Message) (string, error) {
	channel := d.Channel
	if len(p.fail) > 0 {
		err := p.fail[0]
		p.fail = p.fail[1:]
		if err != nil {
			return "", err
		}
	}
	var titles []string
	for _, it := range a.Items {
		titles = append(titles, it.Episode.Title)
	}
	p.got = append(p.got, channel+" "+string(a.Kind)+" "+strings.Join(titles, ","))
	return fmt.Sprintf("m%d", len(p.got)), nil
}

func TestDispatcher(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.srv.set(http.StatusOK, rss(1, 1, ""), nil)
	h.poll(t)
	h.srv.set(http.StatusOK, rss(1, 3, ""), nil)
	h.poll(t)

	poster := &fakePoster{fail: []error{&RetryAfterError{Err: errors.New("rate limited"), After: 30 * time.Second}}}
	d := &Dispatcher{Store: h.db, Posters: map[string]Poster{"fake": poster}, Logger: quietLogger(), Now: h.clock.Now}
	sent, err := d.DispatchDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 0 {
		t.Fatalf("first dispatch sent %d, want 0 (the channel waits for Retry-After)", len(sent))
	}
	h.clock.Add(31 * time.Second)
	if sent, _ = d.DispatchDue(ctx); len(sent) != 2 {
		t.Fatalf("after Retry-After: sent %d, want 2", len(sent))
	}
	want := []string{"C1 episode Episode 2", "C1 episode Episode 3"}
	if diff := cmp.Diff(want, poster.got); diff != "" {
		t.Errorf("posts (-want +got):\n%s", diff)
	}

	// A permanent error gives the delivery up at once, with its reason.
	h.srv.set(http.StatusOK, rss(1, 4, ""), nil)
	h.poll(t)
	poster.fail = []error{&PermanentError{Err: errors.New("channel_not_found")}}
	d.DispatchDue(ctx)
	dead, _ := h.db.Deliveries(ctx, store.StatusDead)
	if len(dead) != 1 || dead[0].LastError != "channel_not_found" {
		t.Fatalf("dead deliveries = %+v, want one with the reason", dead)
	}
	// A delivery for a platform with no adapter waits rather than dying.
	d.Posters = nil
	h.srv.set(http.StatusOK, rss(1, 5, ""), nil)
	h.poll(t)
	d.DispatchDue(ctx)
	pend, _ := h.db.Deliveries(ctx, store.StatusPending)
	if len(pend) != 1 || !strings.Contains(pend[0].LastError, "not configured") {
		t.Fatalf("pending = %+v, want one waiting for its platform", pend)
	}
}

// TestPollerHostileServers runs the poller against servers that misbehave in every
// way the fetcher knows: each poll records a clear error in the feed's state and
// schedules a retry, the poller keeps going, and a good answer afterwards recovers.
func TestPollerHostileServers(t *testing.T) {
	latin1 := "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Not\xedcias</title><item><title>Caf\xe9</title><guid>x1</guid></item></channel></rss>"
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		wantError string // substring of the feed's last error; "" means success
		minWait   time.Duration
	}{
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, "404 Not Found: check the URL", 5 * time.Minute},
		{"410", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }, "410 Gone", 5 * time.Minute},
		{"429 with Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7200")
			w.WriteHeader(http.StatusTooManyRequests)
		}, "slow down", 2 * time.Hour},
		{"503 with a date", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC).Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
		}, "unavailable", 3 * time.Hour},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }, "500", 5 * time.Minute},
		{"slow", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // never answers: only the client's timeout ends it
		}, "did not answer", 5 * time.Minute},
		{"endless body", func(w http.ResponseWriter, r *http.Request) {
			chunk := []byte(strings.Repeat("<item>", 1024))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, "larger than", 5 * time.Minute},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			zeros := make([]byte, 1<<20)
			for i := 0; i < 64 && r.Context().Err() == nil; i++ {
				gz.Write(zeros)
			}
			gz.Close()
		}, "larger than", 5 * time.Minute},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
		}, "redirects in a loop", 5 * time.Minute},
		{"HTML page", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<!DOCTYPE html><html><body>Welcome to our podcast site</body></html>")
		}, "web page", 5 * time.Minute},
		{"wrong charset", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml; charset=ISO-8859-1")
			io.WriteString(w, latin1)
		}, "", 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			// The fetch timeout is short only where the server never answers, so
			// that every other case ends on its own condition (a size cap, a loop)
			// however slow the machine is.
			timeout := 5 * time.Minute
			if tt.name == "slow" {
				timeout = 2 * time.Second
			}
			h.poller.Fetcher = feeds.NewFetcher(feeds.FetcherOptions{Timeout: timeout, MaxBody: 1 << 20, Now: h.clock.Now})
			h.poller.Sources = []FeedSource{{Name: "test", URL: srv.URL + "/feed.xml"}}
			h.db.EnsureFeed(context.Background(), "test", h.poller.Sources[0].URL)
			r := h.poll(t)
			f := h.feed(t)
			if tt.wantError == "" {
				if r.Err != nil || f.Title != "Notícias" {
					t.Fatalf("poll = %v, title %q; want success and a decoded title", r.Err, f.Title)
				}
				return
			}
			if r.Status != StatusError || f.Failures != 1 || !strings.Contains(f.LastError, tt.wantError) {
				t.Fatalf("after poll: status %q failures %d error %q; want an error containing %q", r.Status, f.Failures, f.LastError, tt.wantError)
			}
			if wait := f.NextPollAt.Sub(h.clock.Now()); wait < tt.minWait {
				t.Errorf("next poll in %v, want at least %v", wait, tt.minWait)
			}
			// The server mends its ways: the next poll recovers.
			h.poller.Sources[0].URL = h.url
			h.db.EnsureFeed(context.Background(), "test", h.url)
			h.srv.set(http.StatusOK, rss(1, 2, ""), nil)
			if r := h.poll(t); r.Status != StatusOK {
				t.Fatalf("recovery poll: %+v", r)
			}
		})
	}
}

func TestPollerReadsChapterFiles(t *testing.T) {
	h := newHarness(t)
	var chapterHits int
	chapters := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chapterHits++
		if r.URL.Path == "/broken.json" {
			io.WriteString(w, "{not json")
			return
		}
		io.WriteString(w, `{"version":"1.2.0","chapters":[{"startTime":0,"title":"Intro"},{"startTime":95.5,"title":"The outage"},{"startTime":300,"toc":false}]}`)
	}))
	defer chapters.Close()
	h.poller.ChapterFetcher = feeds.NewFetcher(feeds.FetcherOptions{MaxBody: 1 << 20})
	withChapters := func(from, to int) string {
		body := rss(from, to, "")
		body = strings.Replace(body, `xmlns:itunes=`, `xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:itunes=`, 1)
		body = strings.Replace(body, "<guid>ep-2</guid>", `<guid>ep-2</guid><podcast:chapters url="`+chapters.URL+`/ep2.json" type="application/json+chapters"/>`, 1)
		body = strings.Replace(body, "<guid>ep-1</guid>", `<guid>ep-1</guid><podcast:chapters url="`+chapters.URL+`/broken.json" type="application/json+chapters"/>`, 1)
		return body
	}
	h.srv.set(http.StatusOK, withChapters(1, 2), nil)
	h.poll(t)
	ep, err := h.db.EpisodeByNumber(context.Background(), h.feed(t).ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []feeds.Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 95, Title: "The outage"}}
	if diff := cmp.Diff(want, ep.Notes.Chapters); diff != "" {
		t.Errorf("chapters of episode 2 (-want +got):\n%s", diff)
	}
	// Unchanged episodes are not fetched again.
	h.srv.set(http.StatusOK, withChapters(1, 3), nil)
	h.poll(t)
	if chapterHits != 2 {
		t.Errorf("chapter files fetched %d times, want 2 (once per episode)", chapterHits)
	}
}

// TestIndexFollowsStore: an episode is searchable as soon as a poll stores it, and
// an index rebuilt from the store (a restart) finds the same.
func TestIndexFollowsStore(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	index, err := BuildIndex(ctx, h.db)
	if err != nil {
		t.Fatal(err)
	}
	h.poller.Recorded = Indexer{Index: index}.Recorded
	s := &Searcher{Index: index, Store: h.db, Feed: "test"}
	h.srv.set(http.StatusOK, rss(1, 2, ""), nil)
	h.poll(t)
	h.srv.set(http.StatusOK, strings.Replace(rss(1, 3, ""), "Notes 3", "Notes about Dragonblood", 1), nil)
	h.poll(t)
	hits, err := s.Search(ctx, "dragonblood", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Episode.Number != 3 {
		t.Fatalf("search after the poll = %+v, want episode 3", hits)
	}
	rebuilt, err := BuildIndex(ctx, h.db)
	if err != nil {
		t.Fatal(err)
	}
	if rebuilt.Len() != 3 {
		t.Errorf("rebuilt index holds %d episodes, want 3", rebuilt.Len())
	}
	// An edit replaces the episode in the index.
	h.srv.set(http.StatusOK, strings.Replace(rss(1, 3, ""), "Notes 3", "Notes about WPA3", 1), nil)
	h.poll(t)
	if hits, _ = s.Search(ctx, "dragonblood", 5); len(hits) != 0 {
		t.Errorf("search for the old notes after an edit = %d hits, want 0", len(hits))
	}
}

// TestIndexRefresherFollowsAnotherPoller: a replica that does not poll builds
// its index at start, then finds what another process's polls record (new
// episodes, rewritten notes) at its next Refresh; a refresh with nothing new
// indexes nothing.
func TestIndexRefresherFollowsAnotherPoller(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t)
	h.srv.set(http.StatusOK, rss(1, 2, ""), nil)
	h.poll(t)
	r := &IndexRefresher{Store: h.db}
	if err := r.Build(ctx); err != nil {
		t.Fatal(err)
	}
	s := &Searcher{Index: r.Index, Store: h.db, Feed: "test"}
	refresh := func(want int) {
		t.Helper()
		n, err := r.Refresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("Refresh indexed %d episodes, want %d", n, want)
		}
	}
	refresh(0)
	// The poller (another process: h.poller has no Recorded hook) records
	// episode 3 and rewrites episode 1's notes.
	feed := strings.Replace(rss(1, 3, ""), "Notes 3", "Notes about Dragonblood", 1)
	h.srv.set(http.StatusOK, strings.Replace(feed, "Notes 1", "Notes about WPA3", 1), nil)
	h.poll(t)
	if hits, _ := s.Search(ctx, "dragonblood", 5); len(hits) != 0 {
		t.Fatalf("found before the refresh: %+v", hits)
	}
	refresh(2)
	for word, num := range map[string]int{"dragonblood": 3, "wpa3": 1} {
		hits, err := s.Search(ctx, word, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 || hits[0].Episode.Number != num {
			t.Errorf("search %q after the refresh = %+v, want episode %d", word, hits, num)
		}
	}
	if r.Index.Len() != 3 {
		t.Errorf("the index holds %d episodes, want 3", r.Index.Len())
	}
	// The same feed again: a poll with content, nothing changed.
	h.poll(t)
	refresh(0)
}
