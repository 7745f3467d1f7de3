package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/console"
	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/bot/slack"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/config"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/search"
	"github.com/pmbot/pmbot/store"
)

// directoryEnv points the Apple directory lookups elsewhere (tests use a fake).
const directoryEnv = "PMBOT_DIRECTORY_URL"

// app is the wired bot: every dependency built once, explicitly.
type app struct {
	cfg        config.Config
	log        *slog.Logger
	db         store.Store
	poller     *bot.Poller
	dispatcher *bot.Dispatcher
	console    *console.Adapter
	// slack is nil when Slack is not configured.
	slack    *slack.Adapter
	discord  *discord.Adapter
	router   *commands.Router
	digester *bot.Digester
	// searcher is nil when the command needs no search index.
	searcher commands.Searcher
	// refresher keeps the search index in step with polls another replica
	// records; nil without an index.
	refresher *bot.IndexRefresher
	// notes is where a one-shot command says what its output leaves out.
	notes io.Writer
	now   func() time.Time
}

// notef tells the user something about the output without mixing it into it.
func (a *app) notef(format string, args ...any) {
	fmt.Fprintf(a.notes, "pmbot: "+format+"\n", args...)
}

// loadConfig reads the configuration the command line asks for.
func loadConfig(c cli, env []string) (config.Config, error) {
	var cfg config.Config
	var err error
	if c.configPath != "" {
		cfg, err = config.LoadFile(c.configPath, env)
	} else {
		cfg, err = config.Load(strings.NewReader(""), env)
	}
	if err != nil {
		return config.Config{}, err
	}
	if len(c.feeds) > 0 {
		cfg.Feeds = nil
		for _, f := range c.feeds {
			cfg.Feeds = append(cfg.Feeds, config.Feed{URL: f})
		}
		// Subscriptions name configured feeds; with feeds from the command line the
		// console follows them all.
		cfg.Subscriptions = nil
		if c.db == "" {
			if lookupEnv(env, "PMBOT_DATABASE") != "" {
				// A feed tried out must not land in the real database; say so,
				// since the variable was set on purpose.
				cfg.Warnings = append(cfg.Warnings, config.Problem{Key: "PMBOT_DATABASE",
					Message: `not used with --feed, which works on an in-memory store; add --db "$PMBOT_DATABASE" to keep the feed there`})
			}
			cfg.Database = store.Memory
		}
		cfg.FillDefaults()
		if err := cfg.Validate(); err != nil {
			return config.Config{}, err
		}
	}
	if c.db != "" {
		cfg.Database = c.db
	}
	if c.logLevel != "" {
		cfg.Log.Level = c.logLevel
	}
	return cfg, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Log.SlogLevel()}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newApp opens the store and wires the poller, dispatcher, console and commands.
// out is where the console prints (io.Discard for --json output).
// needs says what a command uses, so that it pays only for that.
type needs struct {
	// dispatch: the command posts deliveries, which one process at a time may do.
	dispatch bool
	// search: the command answers from the search index, rebuilt from the store.
	search bool
	// quiet: a one-shot command logs only errors; its own output says the rest.
	quiet bool
	// readOnly: the command only reads what the store has.
	readOnly bool
}

func newApp(ctx context.Context, cfg config.Config, log *slog.Logger, out, notes io.Writer, env []string, n needs) (*app, error) {
	sources := sourcesOf(cfg)
	storeLog := log.With("component", "store")
	db := openReadOnly(ctx, cfg.Database, storeLog, sources, n)
	if db == nil {
		opened, err := store.Open(ctx, cfg.Database, store.Options{Dispatcher: n.dispatch, Logger: storeLog})
		if err != nil {
			return nil, err
		}
		db = opened
	}
	a := &app{cfg: cfg, log: log, db: db, notes: notes, now: time.Now}
	if !a.db.ReadOnly() {
		if err := a.subscribe(ctx, sources); err != nil {
			db.Close()
			return nil, err
		}
	}
	var err error
	var index *search.Index
	if n.search && !n.quiet {
		// The index lives in memory: rebuilt from the store at start, then fed
		// by polls, this process's or (replicas) another's.
		a.refresher = &bot.IndexRefresher{Store: db, Logger: log.With("component", "search")}
		if !db.ReadOnly() {
			// Saved for one-shot commands, which load it rather than build it.
			a.refresher.Saver = db
		}
		if err = a.refresher.Build(ctx); err != nil {
			db.Close()
			return nil, err
		}
		index = a.refresher.Index
	}
	a.poller = &bot.Poller{
		Store:        db,
		Fetcher:      feeds.NewFetcher(feeds.FetcherOptions{}),
		FoundFetcher: feeds.NewFetcher(feeds.FetcherOptions{PublicOnly: true, AllowNetworks: cfg.AllowedPrefixes()}),
		// Chapter files are small; a slow one must not hold the poll up for long.
		ChapterFetcher: feeds.NewFetcher(feeds.FetcherOptions{MaxBody: 1 << 20, Timeout: 10 * time.Second, PublicOnly: true, AllowNetworks: cfg.AllowedPrefixes()}),
		Resolver:       feeds.NewResolver(&http.Client{Timeout: 15 * time.Second}, lookupEnv(env, directoryEnv)),
		Sources:        sources,
		Policy:         feeds.Policy{Backfill: cfg.Backfill, FloodLimit: cfg.FloodLimit},
		Match:          search.Matches,
		Interval:       cfg.PollInterval.Duration,
		Logger:         log.With("component", "poller"),
	}
	a.digester = &bot.Digester{Store: db, Logger: log.With("component", "digest"), Match: search.Matches}
	searcherOn := func(ix *search.Index) *bot.Searcher {
		return &bot.Searcher{Index: ix, Store: db, Feed: cfg.Feeds[0].Name, FirstPollWait: firstPollWait}
	}
	switch {
	case index != nil:
		a.poller.Recorded = bot.Indexer{Index: index}.Recorded
		a.searcher = searcherOn(index)
	case n.search:
		// A one-shot command builds the index only if its question needs it:
		// `takeaways 3` or `latest` answer from the store alone. Built after
		// any first poll, it holds what that poll recorded.
		a.searcher = &lazySearcher{
			load: func(ctx context.Context) (commands.Searcher, error) {
				ix, err := bot.LoadIndex(ctx, db)
				if ix == nil || err != nil {
					return nil, err
				}
				log.Debug("search index loaded as run saved it", "component", "search")
				return searcherOn(ix), nil
			},
			build: func(ctx context.Context) (commands.Searcher, error) {
				r := &bot.IndexRefresher{Store: db, Logger: log.With("component", "search")}
				if err := r.Build(ctx); err != nil {
					return nil, err
				}
				log.Debug("search index built from the episodes", "component", "search", "documents", r.Index.Len())
				return searcherOn(r.Index), nil
			},
		}
	}
	a.router = commands.New("/postmortem", commands.Deps{
		Catalog: a.catalog(),
		Search:  a.searcher,
		Subscriptions: bot.Channels{
			Store: db, Feed: cfg.Feeds[0].Name, Language: cfg.Language,
			DigestSchedule: config.DefaultDigestSchedule, DigestTimeZone: config.DefaultDigestTimeZone,
		},
		Status:  bot.Status{Store: db, Version: versionString(), Followed: feedNames(cfg)},
		Digests: a.digester,
	})
	a.console = &console.Adapter{Out: out, Router: a.router, Language: cfg.Language, Logger: log.With("component", "console")}
	posters := map[string]bot.Poster{console.Platform: a.console}
	if cfg.HasSlack() {
		a.slack = a.newSlack()
		posters[slack.Platform] = a.slack
	}
	if cfg.HasDiscord() {
		if a.discord, err = a.newDiscord(); err != nil {
			db.Close()
			return nil, err
		}
		posters[discord.Platform] = a.discord
	}
	a.dispatcher = &bot.Dispatcher{
		Store:         db,
		Posters:       posters,
		Logger:        log.With("component", "dispatcher"),
		FloodLimit:    cfg.FloodLimit,
		MaxAge:        cfg.MaxAnnouncementAge.Duration,
		CommandPrefix: a.router.Prefix,
	}
	return a, nil
}

func (a *app) Close() error { return a.db.Close() }

// lazySearcher makes its searcher at the first search: on the index `run`
// saved (load) when it is there and current, else on one built from the store.
type lazySearcher struct {
	load, build func(ctx context.Context) (commands.Searcher, error)

	mu     sync.Mutex
	s      commands.Searcher
	loaded bool
}

func (l *lazySearcher) Search(ctx context.Context, query string, limit int) ([]commands.Hit, error) {
	l.mu.Lock()
	if l.s == nil && l.load != nil {
		s, err := l.load(ctx)
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		l.s, l.loaded = s, s != nil
	}
	if l.s == nil {
		s, err := l.build(ctx)
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		l.s = s
	}
	s, loaded := l.s, l.loaded
	l.mu.Unlock()
	hits, err := s.Search(ctx, query, limit)
	if loaded && errors.Is(err, store.ErrNotFound) {
		// The saved index could not be read through (`run` saved a new one
		// meanwhile): build it and ask again.
		l.mu.Lock()
		l.s, l.loaded = nil, false
		l.load = nil
		l.mu.Unlock()
		return l.Search(ctx, query, limit)
	}
	return hits, err
}

// openReadOnly opens the database read-only for a command that only reads, when
// every configured feed is already there and was read: such a command then writes
// nothing (and works on a read-only file). It returns nil when the command must
// open the database for writing instead: a feed to record or read first, a schema
// to upgrade, no file yet, or any problem, which the writable open then reports.
func openReadOnly(ctx context.Context, database string, log *slog.Logger, sources []bot.FeedSource, n needs) store.Store {
	if !n.readOnly || n.dispatch || database == store.Memory {
		return nil
	}
	db, err := store.Open(ctx, database, store.Options{ReadOnly: true, Logger: log})
	if err != nil {
		return nil
	}
	for _, src := range sources {
		f, err := db.FeedByName(ctx, src.Name)
		if err != nil || f.Source != src.Key() || f.Polls == 0 {
			db.Close()
			return nil
		}
	}
	return db
}

// firstPollWait is how long a question waits for a feed's first poll: well within
// commands.QuickReply, so the answer still comes before an adapter defers.
const firstPollWait = 1500 * time.Millisecond

// catalog is the episodes commands talk about: the first feed's, for now.
func (a *app) catalog() bot.Catalog {
	return bot.Catalog{Store: a.db, Feed: a.cfg.Feeds[0].Name, FirstPollWait: firstPollWait}
}

// subscribe records the configured subscriptions. With none configured and no chat
// platform, the console follows every feed, so the bot shows something out of the box.
// feedNames is the names of the configured feeds.
func feedNames(cfg config.Config) []string {
	names := make([]string, len(cfg.Feeds))
	for i, f := range cfg.Feeds {
		names[i] = f.Name
	}
	return names
}

// sourcesOf is the configured feeds as the poller follows them.
func sourcesOf(cfg config.Config) []bot.FeedSource {
	sources := make([]bot.FeedSource, 0, len(cfg.Feeds))
	for _, f := range cfg.Feeds {
		sources = append(sources, bot.FeedSource{Name: f.Name, URL: f.URL, Title: f.Title, Author: f.Author, Apple: f.Apple, Backfill: f.Backfill})
	}
	return sources
}

func (a *app) subscribe(ctx context.Context, sources []bot.FeedSource) error {
	subs := a.cfg.Subscriptions
	if len(subs) == 0 && !a.cfg.HasSlack() && !a.cfg.HasDiscord() {
		subs = []config.Subscription{{
			Platform: console.Platform, Channel: console.Channel, Language: a.cfg.Language,
			Digest: config.Digest{Schedule: config.DefaultDigestSchedule, TimeZone: config.DefaultDigestTimeZone},
		}}
	}
	ids := make(map[string]int64, len(sources))
	for _, src := range sources {
		sf, err := a.db.EnsureFeed(ctx, src.Name, src.Key())
		if err != nil {
			return err
		}
		ids[src.Name] = sf.ID
	}
	var want []store.Subscription
	for _, s := range subs {
		for _, f := range a.cfg.Feeds {
			if s.Feed != "" && s.Feed != f.Name {
				continue
			}
			sched := ""
			if s.Digest.IsEnabled() {
				sched = s.Digest.Schedule
			}
			want = append(want, store.Subscription{
				Platform: s.Platform, Channel: s.Channel, FeedID: ids[f.Name], Language: s.Language,
				DigestSchedule: sched, DigestTimeZone: s.Digest.TimeZone, Topics: s.Topics,
			})
		}
	}
	if _, err := a.db.SyncConfigSubscriptions(ctx, want); err != nil {
		return err
	}
	return nil
}

// ensureLoaded polls, once, every feed never read before, so a query command on a
// fresh database (or an in-memory one) has episodes to answer from. A feed that
// cannot be read is an error: the user asked about it.
func (a *app) ensureLoaded(ctx context.Context) error {
	for _, src := range a.poller.Sources {
		f, err := a.db.FeedByName(ctx, src.Name)
		if err != nil {
			return err
		}
		if f.Polls > 0 {
			continue
		}
		one := *a.poller
		one.Sources = []bot.FeedSource{src}
		reports, _, err := one.PollDue(ctx, true)
		if err != nil {
			return err
		}
		for _, r := range reports {
			if r.Err != nil {
				return fmt.Errorf("feed %s (%s): %s", r.Feed, r.URL, bot.UserMessage(r.Err))
			}
		}
	}
	return nil
}

func lookupEnv(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}
