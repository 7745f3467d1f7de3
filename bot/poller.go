// Package bot is the runtime: the poll loop that turns feeds into recorded episodes
// and enqueued deliveries, and the dispatcher that posts the outbox through the
// platform adapters.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// FeedSource is a feed as configured: by URL (or path), by title and author, or by
// Apple Podcasts page.
type FeedSource struct {
	Name   string
	URL    string
	Title  string
	Author string
	Apple  string
	// Backfill overrides the poller's policy for this feed's first poll when set.
	Backfill *int
}

// Key is how the source is remembered; when it changes, the feed is resolved anew.
func (s FeedSource) Key() string {
	switch {
	case s.URL != "":
		return s.URL
	case s.Apple != "":
		return "apple:" + s.Apple
	default:
		return "name:" + s.Title + "|" + s.Author
	}
}

// byName says whether the feed's URL comes from Apple's directory.
func (s FeedSource) byName() bool { return s.URL == "" }

// PollStore is what the poller needs from the store.
type PollStore interface {
	EnsureFeed(ctx context.Context, name, source string) (store.Feed, error)
	FeedByName(ctx context.Context, name string) (store.Feed, error)
	SaveFeedState(ctx context.Context, f store.Feed) error
	ContentHashes(ctx context.Context, feedID int64) (map[string]string, error)
	// Polls are recorded through store.RecordPoll.
	store.PollRecorder
}

// Fetcher fetches a feed document.
type Fetcher interface {
	Fetch(ctx context.Context, st feeds.FetchState) (feeds.FetchResult, error)
}

// Resolver finds a feed's URL from its name or Apple page.
type Resolver interface {
	Resolve(ctx context.Context, q feeds.Query) (string, error)
}

// Poller polls feeds and records what they hold.
type Poller struct {
	Store PollStore
	// Fetcher fetches a feed at the URL the operator configured, wherever it is.
	Fetcher Fetcher
	// FoundFetcher, when set, fetches a feed at a URL that came from elsewhere:
	// Apple's directory, the feed's own <itunes:new-feed-url>, a permanent
	// redirect. It should refuse private addresses (feeds.FetcherOptions.PublicOnly),
	// so that no feed can point the bot at its host's network.
	FoundFetcher Fetcher
	// ChapterFetcher fetches podcast:chapters JSON files; nil skips them, and the
	// chapters come from the notes alone. Their URLs come from feeds: it should
	// refuse private addresses too.
	ChapterFetcher Fetcher
	Resolver       Resolver
	Sources        []FeedSource
	Policy         feeds.Policy
	// Match filters the announcements of subscriptions with topics (the search
	// analysis); when nil, topics filter nothing.
	Match    store.TopicMatcher
	Interval time.Duration
	Logger   *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Jitter spreads retries; a random fraction up to 20% when nil.
	Jitter func(time.Duration) time.Duration
	// Recorded, when set, is told what each poll recorded (the search index follows
	// the store through it).
	Recorded func(store.PollResult)
}

// resolveAgainAfter is how long a feed found by name must keep failing before its
// URL is looked up again: directories change rarely, and every lookup costs them.
const resolveAgainAfter = 24 * time.Hour

// PollReport says what one poll of one feed did.
type PollReport struct {
	Feed string `json:"feed"`
	URL  string `json:"url"`
	// Status is "ok", "not modified" or "error".
	Status string `json:"status"`
	store.PollResult
	Err error `json:"-"`
}

// Poll statuses.
const (
	StatusOK          = "ok"
	StatusNotModified = "not modified"
	StatusError       = "error"
)

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Poller) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

// PollDue polls the feeds whose next poll time has come (every feed when all is
// true) and returns what each did, and when the next poll is due. A feed's failure
// is in its report, never a reason to stop polling the others.
func (p *Poller) PollDue(ctx context.Context, all bool) ([]PollReport, time.Time, error) {
	var reports []PollReport
	next := p.now().Add(p.Interval)
	for _, src := range p.Sources {
		// Feeds are recorded when the bot starts; reading them here keeps the loop,
		// which runs at least every minute, free of writes.
		f, err := p.Store.FeedByName(ctx, src.Name)
		if errors.Is(err, store.ErrNotFound) {
			f, err = p.Store.EnsureFeed(ctx, src.Name, src.Key())
		}
		if err != nil {
			return reports, next, fmt.Errorf("bot: poll: %w", err)
		}
		if !all && f.NextPollAt.After(p.now()) {
			next = earliest(next, f.NextPollAt)
			continue
		}
		r, f, err := p.pollOne(ctx, src, f)
		if err != nil {
			return reports, next, err
		}
		reports = append(reports, r)
		next = earliest(next, f.NextPollAt)
	}
	return reports, next, nil
}

func earliest(a, b time.Time) time.Time {
	if !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// pollOne polls one feed. Only a store failure is returned as an error; a feed's own
// failure is recorded in its state and report.
func (p *Poller) pollOne(ctx context.Context, src FeedSource, f store.Feed) (PollReport, store.Feed, error) {
	log := p.logger().With("feed", f.Name)
	now := p.now()
	policy := p.Policy
	if src.Backfill != nil {
		policy.Backfill = *src.Backfill
	}
	rep := PollReport{Feed: f.Name}
	res, ferr := p.fetchAndRecord(ctx, src, &f, policy)
	rep.URL = feeds.RedactURL(f.URL)
	var retryAfter time.Duration
	f.LastPolledAt = now
	switch {
	case ferr == nil:
		if f.Failures > 0 {
			log.Info("feed recovered", "after_failures", f.Failures)
		}
		f.Failures, f.FailingSince, f.LastError = 0, time.Time{}, ""
		rep.Status = StatusOK
		if res == nil {
			rep.Status = StatusNotModified
		} else {
			rep.PollResult = *res
		}
	case isStoreError(ferr):
		return rep, f, ferr
	default:
		if ctx.Err() != nil {
			return rep, f, ctx.Err()
		}
		var fe *feeds.FetchError
		if errors.As(ferr, &fe) {
			retryAfter = fe.RetryAfter
		}
		f.Failures++
		if f.FailingSince.IsZero() {
			f.FailingSince = now
		}
		f.LastError = UserMessage(ferr)
		rep.Status, rep.Err = StatusError, ferr
		log.Warn("feed poll failed", "failures", f.Failures, "err", ferr)
	}
	f.NextPollAt = feeds.NextPoll(now, p.Interval, f.Failures, retryAfter, p.jitter())
	if err := p.Store.SaveFeedState(ctx, f); err != nil {
		return rep, f, fmt.Errorf("bot: poll %s: %w", f.Name, err)
	}
	switch {
	case res != nil && res.Reason == feeds.ReasonFirstPoll:
		log.Info("first poll: episodes recorded, only the newest `backfill` announced", "episodes", len(res.New), "announced", res.Announced)
	case res != nil && res.Reason == feeds.ReasonHostMigration:
		log.Warn("every item of the feed is new: taken for a host migration, nothing announced", "episodes", len(res.New))
	case res != nil && (len(res.New) > 0 || len(res.Updated) > 0):
		log.Info("feed polled", "new", len(res.New), "updated", len(res.Updated), "announced", res.Announced, "summary", res.Summary)
	}
	return rep, f, nil
}

func (p *Poller) jitter() func(time.Duration) time.Duration {
	if p.Jitter != nil {
		return p.Jitter
	}
	return feeds.Jitter
}

// storeError marks errors that come from our database rather than from the feed.
type storeError struct{ err error }

func (e storeError) Error() string { return e.err.Error() }
func (e storeError) Unwrap() error { return e.err }

func isStoreError(err error) bool {
	var se storeError
	return errors.As(err, &se)
}

// fetchAndRecord resolves, fetches, parses and records one feed. It returns nil
// results for a 304.
func (p *Poller) fetchAndRecord(ctx context.Context, src FeedSource, f *store.Feed, policy feeds.Policy) (*store.PollResult, error) {
	if err := p.resolve(ctx, src, f); err != nil {
		return nil, err
	}
	fetcher := p.Fetcher
	if p.FoundFetcher != nil && f.URL != src.URL {
		fetcher = p.FoundFetcher
	}
	res, err := fetcher.Fetch(ctx, feeds.FetchState{URL: f.URL, ETag: f.ETag, LastModified: f.LastModified})
	if err != nil {
		return nil, err
	}
	if res.ETag != "" || res.LastModified != "" || !res.NotModified {
		f.ETag, f.LastModified = res.ETag, res.LastModified
	}
	if res.MovedTo != "" && res.MovedTo != f.URL {
		p.logger().Info("feed moved permanently", "feed", f.Name, "to", feeds.RedactURL(res.MovedTo))
		f.URL = res.MovedTo
	}
	if res.NotModified {
		return nil, nil
	}
	feed, changed, err := parseKnown(ctx, p.Store, f.ID, res.Body)
	if err != nil {
		return nil, err
	}
	p.readChapters(ctx, feed.Episodes, changed)
	if feed.Title != "" {
		f.Title = feed.Title
	}
	if nu := feed.NewFeedURL; nu != "" && nu != f.URL && isHTTPURL(nu) {
		// The publisher says the feed lives elsewhere now; this poll's content is still
		// good, the next poll goes to the new address.
		p.logger().Info("feed announces a new URL", "feed", f.Name, "to", feeds.RedactURL(nu))
		f.URL, f.ETag, f.LastModified = nu, "", ""
	}
	r, err := store.RecordPoll(ctx, p.Store, f.ID, feed.Episodes, policy, p.Match)
	if err != nil {
		return nil, storeError{err}
	}
	if p.Recorded != nil {
		p.Recorded(r)
	}
	return &r, nil
}

// resolve makes sure the feed has a URL, asking the directory for feeds configured
// by name, and again when such a feed has failed for a day.
func (p *Poller) resolve(ctx context.Context, src FeedSource, f *store.Feed) error {
	if !src.byName() {
		if f.URL == "" {
			f.URL = src.URL
		}
		return nil
	}
	stale := !f.FailingSince.IsZero() && p.now().Sub(f.FailingSince) >= resolveAgainAfter
	if f.URL != "" && !stale {
		return nil
	}
	if p.Resolver == nil {
		return fmt.Errorf("feed %s: configured by name, but no directory resolver is set", f.Name)
	}
	u, err := p.Resolver.Resolve(ctx, feeds.Query{Title: src.Title, Author: src.Author, ApplePage: src.Apple})
	if err != nil {
		if f.URL != "" {
			// Keep polling the address we have rather than nothing.
			p.logger().Warn("feed resolution failed; keeping the known URL", "feed", f.Name, "err", err)
			return nil
		}
		return &resolveError{err: err}
	}
	if u != f.URL {
		p.logger().Info("feed resolved", "feed", f.Name, "url", feeds.RedactURL(u))
		f.URL, f.ETag, f.LastModified = u, "", ""
	}
	return nil
}

// resolveError is a failure to find a feed's URL in the directory.
type resolveError struct{ err error }

func (e *resolveError) Error() string { return e.err.Error() }
func (e *resolveError) Unwrap() error { return e.err }

// UserMessage is a poll error as an admin should read it: what failed and what to
// do, without internals.
func UserMessage(err error) string {
	var fe *feeds.FetchError
	var re *resolveError
	switch {
	case errors.As(err, &fe):
		return fe.UserMessage()
	case errors.Is(err, feeds.ErrNotFound):
		return "the podcast is not in Apple's directory under that title and author: check them, or give the feed's url"
	case errors.As(err, &re):
		return "Apple's podcast directory could not be asked for the feed's address (" + re.err.Error() + "); give the feed's url in the configuration to do without it"
	}
	return err.Error()
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// parseKnown parses a feed document and reads the show notes of the episodes that
// are new or changed only: on a large feed that mostly repeats itself, reading every
// item's notes on every poll is most of our own cost. It returns the indexes of
// those episodes.
func parseKnown(ctx context.Context, st PollStore, feedID int64, body []byte) (*feeds.Feed, []int, error) {
	feed, err := feeds.ParseBytes(body, feeds.ParseOptions{SkipNotes: true})
	if err != nil {
		return nil, nil, err
	}
	known, err := st.ContentHashes(ctx, feedID)
	if err != nil {
		return nil, nil, storeError{err}
	}
	var changed []int
	for i := range feed.Episodes {
		ep := &feed.Episodes[i]
		if h, ok := known[ep.GUID]; !ok || h != ep.ContentHash() {
			ep.ReadNotes()
			changed = append(changed, i)
		}
	}
	return feed, changed, nil
}

// maxChapterFiles bounds the chapter files fetched in one poll: a first poll of a
// long Podcasting 2.0 feed must not turn into hundreds of requests. Older
// episodes keep the chapters their notes give.
const maxChapterFiles = 5

// readChapters replaces the notes' chapters of changed episodes with their
// podcast:chapters file, the publisher's own list, when it can be read.
func (p *Poller) readChapters(ctx context.Context, eps []feeds.Episode, changed []int) {
	if p.ChapterFetcher == nil {
		return
	}
	fetched := 0
	for _, i := range changed {
		ep := &eps[i]
		if ep.ChaptersURL == "" || !isHTTPURL(ep.ChaptersURL) {
			continue
		}
		if fetched == maxChapterFiles {
			return
		}
		fetched++
		res, err := p.ChapterFetcher.Fetch(ctx, feeds.FetchState{URL: ep.ChaptersURL})
		if err == nil && len(res.Body) > 0 {
			var chapters []feeds.Chapter
			if chapters, err = feeds.ParseChaptersJSON(res.Body); err == nil && len(chapters) > 0 {
				ep.Notes.Chapters = chapters
				continue
			}
		}
		if err != nil {
			p.logger().Debug("chapters file not read", "episode", ep.GUID, "url", feeds.RedactURL(ep.ChaptersURL), "err", err)
		}
	}
}
