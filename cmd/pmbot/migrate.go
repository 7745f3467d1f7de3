package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/config"
	"github.com/pmbot/pmbot/store"
)

// cmdMigrate moves the bot's whole history from one database to another, empty
// one (`pmbot migrate --from pmbot.db --to postgres://…`): feeds, episodes,
// subscriptions, the outbox and digests, with their ids, so that the bot
// started on the new database announces nothing again. It prints each table's
// rows, then what to do next.
func cmdMigrate(ctx context.Context, c cli, _ io.Reader, stdout, _ io.Writer, _ []string) error {
	switch {
	case c.from == "" || c.to == "":
		return usageError{"migrate needs --from (the database to move, like pmbot.db) and --to (the new, empty one, like postgres://…)"}
	case c.given["db"] || c.given["feed"]:
		// The configuration's database is not a default: what moves where is
		// said in full.
		return usageError{"migrate takes its databases as --from and --to, not --db or --feed"}
	case c.from == c.to:
		return usageError{"--from and --to name the same database"}
	}
	from, to := redacted(c.from), redacted(c.to)
	for _, db := range []struct{ flag, value string }{{"--from", c.from}, {"--to", c.to}} {
		if err := store.CheckDatabase(db.value); err != nil {
			return fmt.Errorf("migrate: %s: %w", db.flag, err)
		}
	}

	src, err := store.OpenSource(ctx, c.from, store.Options{})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("migrate: %s is in use by a pmbot process (run, or poll --once); stop it, then migrate", from)
	}
	if err != nil {
		return fmt.Errorf("migrate: --from: %w", err)
	}
	defer src.Close()
	// On PostgreSQL no lock file tells that replicas run, but one of them holds
	// the poller's lease while any runs; holding it also keeps a replica that
	// starts now from polling during the copy. (On SQLite the lease is the lock
	// OpenSource took.)
	lease, err := src.AcquireLease(ctx, bot.LeaseName)
	if errors.Is(err, store.ErrLeaseHeld) {
		return fmt.Errorf("migrate: %s is in use: a pmbot run polls it (it holds the poller's lease); stop every pmbot run on it, then migrate", from)
	}
	if err != nil {
		return fmt.Errorf("migrate: --from: %w", err)
	}
	defer lease.Release()

	// The destination's own lock (SQLite), so that no run starts on it meanwhile.
	dst, err := store.Open(ctx, c.to, store.Options{Dispatcher: true})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("migrate: %s is in use by a pmbot process (run, or poll --once); a migration goes into a database nothing uses", to)
	}
	if err != nil {
		return fmt.Errorf("migrate: --to: %w", err)
	}
	defer dst.Close()

	report, err := store.Copy(ctx, src, dst, func(table string, rows int64) {
		fmt.Fprintf(stdout, "%-16s %9d\n", table, rows)
	})
	switch {
	case errors.Is(err, store.ErrNotEmpty):
		return fmt.Errorf("migrate: %w", err)
	case err != nil:
		return fmt.Errorf("migrate: %w; nothing was written to %s", err, to)
	}
	inFlight := ""
	if report.InFlight > 0 {
		inFlight = fmt.Sprintf("; %d deliveries were being posted: the platform is checked for each before it is posted again", report.InFlight)
	}
	password := ""
	if to != c.to {
		password = " (with the real password for xxxxx)"
	}
	_, err = fmt.Fprintf(stdout, "moved, every count checked%s. Next: set database: %s in the configuration or PMBOT_DATABASE%s, then start pmbot; do not run pmbot on %s any more (keep it as a backup)\n",
		inFlight, to, password, from)
	return err
}

// redacted is a --from or --to value safe to print: a URL without its password.
func redacted(db string) string {
	return config.Config{Database: db}.RedactedDatabase()
}
