package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/config"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// versionString is the build's version: set with -ldflags, else the module's.
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

func cmdVersion(_ context.Context, _ cli, _ io.Reader, stdout, _ io.Writer, _ []string) error {
	_, err := fmt.Fprintf(stdout, "pmbot %s\n", versionString())
	return err
}

func cmdCheckConfig(ctx context.Context, c cli, _ io.Reader, stdout, stderr io.Writer, env []string) error {
	cfg, err := loadConfig(c, env)
	if err != nil {
		return err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "pmbot: warning: %s\n", w)
	}
	// A database the store cannot open (an unknown scheme given with --db) is
	// no "config OK"; a PostgreSQL server is asked, a SQLite file is not created.
	if err := store.CheckDatabase(cfg.Database); err != nil {
		return err
	}
	database := cfg.RedactedDatabase()
	if info, err := store.ProbeDatabase(ctx, cfg.Database); err != nil {
		return err
	} else if info.Server != "" {
		database += " (" + describeDatabase(info) + ")"
	}
	// The platforms are asked first: "config OK" means the tokens work too.
	var platforms []string
	if cfg.HasSlack() {
		who, err := checkSlack(ctx, cfg)
		if err != nil {
			return err
		}
		platforms = append(platforms, "slack: "+who)
	}
	if cfg.HasDiscord() {
		lines, err := checkDiscord(ctx, cfg)
		if err != nil {
			return err
		}
		for _, l := range lines {
			platforms = append(platforms, "discord: "+l)
		}
	}
	adapters := []string{}
	if cfg.HasSlack() {
		adapters = append(adapters, "slack")
	}
	if cfg.HasDiscord() {
		adapters = append(adapters, "discord")
	}
	if len(adapters) == 0 {
		adapters = append(adapters, "console")
	}
	fmt.Fprintf(stdout, "config OK\n  database: %s\n  poll interval: %s\n  flood limit: %d; announcements older than %s dropped\n  adapters: %s\n  feeds:\n",
		database, cfg.PollInterval, cfg.FloodLimit, cfg.MaxAnnouncementAge, strings.Join(adapters, ", "))
	for _, f := range cfg.Feeds {
		how := f.URL
		switch {
		case f.Apple != "":
			how = "Apple page " + f.Apple
		case f.URL == "":
			how = fmt.Sprintf("%q by %s, through Apple's directory", f.Title, f.Author)
		}
		fmt.Fprintf(stdout, "    %s: %s\n", f.Name, feeds.RedactURL(how))
	}
	fmt.Fprintf(stdout, "  subscriptions: %d\n", len(cfg.Subscriptions))
	for _, p := range platforms {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	return nil
}

// describeDatabase says what check-config found on a database server.
func describeDatabase(info store.DatabaseInfo) string {
	s := info.Engine + " " + info.Server + "; "
	switch {
	case info.Schema == 0:
		return s + "no pmbot tables yet: the first start creates them"
	case info.Schema < info.Latest:
		return s + fmt.Sprintf("schema version %d: the next start upgrades it to %d", info.Schema, info.Latest)
	}
	return s + fmt.Sprintf("schema version %d, up to date", info.Schema)
}

// openApp loads the configuration and wires the bot for a command.
func openApp(ctx context.Context, c cli, out, stderr io.Writer, env []string, n needs) (*app, error) {
	cfg, log, err := configure(c, stderr, env, n)
	if err != nil {
		return nil, err
	}
	return newApp(ctx, cfg, log, out, stderr, env, n)
}

// configure loads the configuration and makes the logger, which says what in the
// configuration deserves a warning.
func configure(c cli, stderr io.Writer, env []string, n needs) (config.Config, *slog.Logger, error) {
	cfg, err := loadConfig(c, env)
	if err != nil {
		return cfg, nil, err
	}
	if n.quiet && c.logLevel == "" {
		// One-shot commands report what went wrong in one line of their own.
		cfg.Log.Level = "error"
	}
	log := newLogger(cfg, stderr)
	for _, w := range cfg.Warnings {
		log.Warn("configuration: " + w.String())
	}
	return cfg, log, nil
}

// The waits between attempts to start while the database server is unavailable.
const (
	startRetryFirst = time.Second
	startRetryMax   = 30 * time.Second
)

// openRunning opens the app of `run`. A database server that is unavailable (a
// PostgreSQL restarting, or started after the bot) is waited for, as the running
// bot waits for it: a replica started with its database, or restarted while the
// database is, must not give up. Any other error stops the bot at once. It
// returns a nil app and no error when the bot was stopped while it waited.
func openRunning(ctx context.Context, c cli, out, stderr io.Writer, env []string, n needs) (*app, error) {
	cfg, log, err := configure(c, stderr, env, n)
	if err != nil {
		return nil, err
	}
	wait := startRetryFirst
	for {
		a, err := newApp(ctx, cfg, log, out, stderr, env, n)
		if err != nil && ctx.Err() != nil {
			// Stopped while starting (a deploy that changed its mind, a
			// replica restarted twice): a stop like any other, not a failure.
			log.Info("pmbot stopped before it could start")
			return nil, nil
		}
		if !errors.Is(err, store.ErrUnavailable) {
			return a, err
		}
		log.Warn("cannot start yet: the database is unavailable; pmbot tries again", "in", wait.String(), "err", err)
		if bot.Sleep(ctx, wait) != nil {
			// A stop while waiting is a clean stop, like any other.
			log.Info("pmbot stopped before it could start")
			return nil, nil
		}
		wait = min(2*wait, startRetryMax)
	}
}

func cmdRun(ctx context.Context, c cli, stdin io.Reader, stdout, stderr io.Writer, env []string) error {
	a, err := openRunning(ctx, c, stdout, stderr, env, needs{dispatch: true, search: true})
	if err != nil || a == nil {
		return err
	}
	defer a.Close()
	// Saved for one-shot commands now, before the memory is given back: the
	// save encodes the whole index once (it is skipped when the store holds
	// this index already).
	if a.refresher != nil && a.refresher.Saver != nil {
		if err := a.refresher.Save(ctx); err != nil {
			a.log.Warn("search index not saved; one-shot searches build it", "err", err)
		}
	}
	// Building the index read every episode, which is garbage now: give the
	// memory back at once rather than over the runtime's next minutes, since a
	// bot idles most of its life.
	debug.FreeOSMemory()
	a.log.Info("pmbot running", "database", a.cfg.RedactedDatabase(), "feeds", len(a.cfg.Feeds), "poll_interval", a.cfg.PollInterval.String())
	b := &bot.Bot{Poller: a.poller, Dispatcher: a.dispatcher, Digests: a.digester, NextDue: a.db.NextDue, Pruner: a.db, Logger: a.log}
	if l, ok := a.db.(store.Leaser); ok {
		// Replicas on one PostgreSQL database: one at a time polls and schedules
		// digests; all of them answer commands and deliver. On SQLite the lease is
		// always held (one process per file).
		b.Leaser = l
	}
	if store.IsPostgres(a.cfg.Database) {
		// Another replica's poll may queue deliveries: look every second
		// rather than wait for this one's next wake-up.
		b.DispatchCheck = time.Second
	}
	var wg sync.WaitGroup
	wg.Add(4)
	shared := make(chan struct{})
	go func() {
		defer wg.Done()
		a.shareRates(ctx, func() { close(shared) })
	}()
	select {
	case <-shared:
	case <-ctx.Done():
	}
	go func() {
		defer wg.Done()
		a.console.Serve(ctx, stdin)
	}()
	go func() {
		defer wg.Done()
		a.refresher.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		a.serveNetwork(ctx)
	}()
	err = b.Run(ctx)
	wg.Wait()
	a.log.Info("pmbot stopped")
	return err
}

// pollLine is one line of `poll --once --json`: one delivery made.
type pollLine struct {
	Platform string `json:"platform"`
	Channel  string `json:"channel"`
	Kind     string `json:"kind"`
	GUID     string `json:"guid"`
	Number   int    `json:"number"`
	Title    string `json:"title"`
	// Episodes is how many episodes a summary covers (1 for an announcement).
	Episodes int `json:"episodes"`
}

func cmdPoll(ctx context.Context, c cli, _ io.Reader, stdout, stderr io.Writer, env []string) error {
	if !c.once {
		return usageError{"poll needs --once (the bot itself polls forever: use `pmbot run`)"}
	}
	out := stdout
	if c.json {
		out = io.Discard
	}
	a, err := openApp(ctx, c, out, stderr, env, needs{dispatch: true, quiet: true})
	if err != nil {
		return err
	}
	defer a.Close()
	reports, _, err := a.poller.PollDue(ctx, true)
	if err != nil {
		return err
	}
	sent, err := a.dispatcher.DispatchDue(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	for _, s := range sent {
		if !c.json {
			continue
		}
		line := pollLine{Platform: s.Delivery.Subscription.Platform, Channel: s.Delivery.Subscription.Channel, Kind: s.Delivery.Kind, Episodes: len(s.Episodes)}
		if n := len(s.Episodes); n > 0 {
			newest := s.Episodes[n-1]
			line.GUID, line.Number, line.Title = newest.GUID, newest.Number, newest.Title
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	var failed []string
	for _, r := range reports {
		if r.Err != nil {
			failed = append(failed, fmt.Sprintf("feed %s (%s): %s", r.Feed, r.URL, bot.UserMessage(r.Err)))
		}
	}
	if len(failed) > 0 {
		return errors.New(strings.Join(failed, "; "))
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
