package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pmbot/pmbot/store/storetest"
)

// TestMigrate moves a community from its SQLite file to a new database with the
// real binary: `poll --once` on the new one announces nothing again, and the
// next episode is announced there exactly once. A second migrate into it is
// refused, and the password of the URL is never printed.
func TestMigrate(t *testing.T) {
	for _, tt := range []struct {
		name string
		// to returns the new database and what the final line names it by.
		to func(t *testing.T) (db, shown string)
	}{
		{"SQLite", func(t *testing.T) (string, string) {
			db := filepath.Join(t.TempDir(), "new.db")
			return db, regexp.QuoteMeta(db)
		}},
		{"PostgreSQL", func(t *testing.T) (string, string) {
			return withPassword(t, storetest.PostgresURL(t)), `postgres://postgres:xxxxx@127\.0\.0\.1:5432/test\?\S+`
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			from := filepath.Join(dir, "pmbot.db")
			to, shown := tt.to(t)
			feed := testFeed(t, dir, 3, nil)
			poll := func(db string) []string {
				t.Helper()
				stdout, stderr, code := pmbot(t, "--feed", feed, "--db", db, "poll", "--once", "--json")
				if code != 0 || stderr != "" {
					t.Fatalf("poll --once: exit %d, stderr %q", code, stderr)
				}
				return regexp.MustCompile(`"guid":"([^"]+)"`).FindAllString(stdout, -1)
			}
			// The community's life on SQLite: a first poll (nothing announced),
			// then episodes 4 and 5 announced to the console.
			if got := poll(from); len(got) != 0 {
				t.Fatalf("first poll announced %v", got)
			}
			testFeed(t, dir, 5, nil)
			if got := strings.Join(poll(from), " "); got != `"guid":"e2e-4" "guid":"e2e-5"` {
				t.Fatalf("second poll announced %s, want episodes 4 and 5", got)
			}

			stdout, stderr, code := pmbot(t, "migrate", "--from", from, "--to", to)
			password := ""
			if tt.name == "PostgreSQL" {
				password = ` \(with the real password for xxxxx\)`
			}
			want := `^feeds +1\nepisodes +5\nepisode_aliases +\d+\nsubscriptions +1\ndeliveries +2\ndigests +0\n` +
				`moved, every count checked\. Next: set database: ` + shown + ` in the configuration or PMBOT_DATABASE` + password +
				`, then start pmbot; do not run pmbot on ` + regexp.QuoteMeta(from) + ` any more \(keep it as a backup\)\n$`
			if code != 0 || stderr != "" || !regexp.MustCompile(want).MatchString(stdout) {
				t.Fatalf("migrate: exit %d, stderr %q, stdout:\n%s\nwant exit 0 and\n%s", code, stderr, stdout, want)
			}

			// On the new database: nothing again, then episode 6 once.
			if got := poll(to); len(got) != 0 {
				t.Errorf("first poll after the migration announced %v, want nothing", got)
			}
			testFeed(t, dir, 6, nil)
			if got := strings.Join(poll(to), " "); got != `"guid":"e2e-6"` {
				t.Errorf("poll with episode 6 announced %s, want episode 6 once", got)
			}
			if got := poll(to); len(got) != 0 {
				t.Errorf("poll after that announced %v, want nothing", got)
			}

			// Once moved, the new database is not empty: a migration again is refused.
			stdout, stderr, code = pmbot(t, "migrate", "--from", from, "--to", to)
			refused := `^pmbot: migrate: store: copy: \S+ already holds pmbot data \(feeds: 1, episodes: 6, episode_aliases: \d+, subscriptions: 1, deliveries: 3\); ` +
				`a copy moves a database into an empty one, it does not merge: give a new database or schema\n$`
			if code != 1 || stdout != "" || !regexp.MustCompile(refused).MatchString(stderr) {
				t.Errorf("migrate into the migrated database: exit %d, stdout %q, stderr %q; want exit 1 and %s", code, stdout, stderr, refused)
			}
			if strings.Contains(stdout+stderr, "hunter2") {
				t.Error("the password was printed")
			}
		})
	}
}

// TestMigrateErrors: what migrate refuses, in one line each, with the exit code
// of a command-line mistake (2) or of a failure (1), never printing a password
// and never creating a database by mistake.
func TestMigrateErrors(t *testing.T) {
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	filledDB := func(name string) string {
		t.Helper()
		db := filepath.Join(dir, name)
		if _, stderr, code := pmbot(t, "--feed", feed, "--db", db, "poll", "--once"); code != 0 {
			t.Fatalf("poll: %s", stderr)
		}
		return db
	}
	src, other := filledDB("pmbot.db"), filledDB("other.db")
	missing, fresh := filepath.Join(dir, "missing.db"), filepath.Join(dir, "fresh.db")
	tests := []struct {
		name     string
		args     []string
		code     int
		stderrRe string
	}{
		{"no --to", []string{"migrate", "--from", src}, 2, `^pmbot: migrate needs --from .* and --to .*\(see .pmbot help.\)\n$`},
		{"no --from", []string{"migrate", "--to", fresh}, 2, `migrate needs --from`},
		{"same database", []string{"migrate", "--from", src, "--to", src}, 2, `^pmbot: --from and --to name the same database`},
		{"--db instead", []string{"--db", src, "migrate", "--from", src, "--to", fresh}, 2, `not --db or --feed`},
		{"an argument", []string{"migrate", "--from", src, "--to", fresh, "now"}, 2, `migrate takes no arguments`},
		{"--from elsewhere", []string{"poll", "--once", "--from", src}, 2, `poll does not take --from`},
		{"missing source", []string{"migrate", "--from", missing, "--to", fresh}, 1,
			`^pmbot: migrate: --from: store: open .*missing\.db: no such database file; check the path\n$`},
		{"unknown engine", []string{"migrate", "--from", src, "--to", "mysql://bot:hunter2@db.example/pmbot"}, 1,
			`^pmbot: migrate: --to: store: open: "mysql" databases are not supported`},
		{"server down", []string{"migrate", "--from", src, "--to", "postgres://bot:hunter2@127.0.0.1:1/pmbot"}, 1,
			`^pmbot: migrate: --to: store: cannot connect to postgres://bot@127\.0\.0\.1:1/pmbot: connection refused`},
		{"destination not empty", []string{"migrate", "--from", src, "--to", other}, 1,
			`^pmbot: migrate: store: copy: .*other\.db already holds pmbot data \(feeds: 1, episodes: 3, episode_aliases: \d+, subscriptions: 1\);`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := pmbot(t, tt.args...)
			if code != tt.code || stdout != "" || !regexp.MustCompile(tt.stderrRe).MatchString(stderr) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, nothing on stdout and one line matching %s", code, stdout, stderr, tt.code, tt.stderrRe)
			}
			if strings.Contains(stderr, "hunter2") {
				t.Error("the password was printed")
			}
		})
	}
	for _, db := range []string{missing, fresh} {
		if _, err := os.Stat(db); err == nil {
			t.Errorf("%s was created", db)
		}
	}
}

// TestMigrateWhileRunning: while `pmbot run` uses the database, migrate
// refuses it at once and writes nothing anywhere. On SQLite the run holds the
// file's lock; on PostgreSQL, the poller's lease.
func TestMigrateWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the real binary")
	}
	for _, tt := range []struct {
		name string
		db   func(t *testing.T, dir string) string
		// ready is what the run logs once it holds the database.
		ready string
		want  string
	}{
		{"SQLite", func(t *testing.T, dir string) string { return filepath.Join(dir, "pmbot.db") }, "pmbot running",
			`^pmbot: migrate: .*pmbot\.db is in use by a pmbot process \(run, or poll --once\); stop it, then migrate\n$`},
		{"PostgreSQL", func(t *testing.T, _ string) string { return withPassword(t, storetest.PostgresURL(t)) }, logLeaseHeld,
			`^pmbot: migrate: postgres://postgres:xxxxx@127\.0\.0\.1:5432/test\?\S+ is in use: a pmbot run polls it \(it holds the poller's lease\); stop every pmbot run on it, then migrate\n$`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			dir := t.TempDir()
			feed := testFeed(t, dir, 3, nil)
			db, to := tt.db(t, dir), filepath.Join(dir, "new.db")
			bot := startBot(t, []string{"PMBOT_DIRECTORY_URL=http://127.0.0.1:1"}, "--feed", feed, "--db", db, "run")
			bot.waitLog(ctx, tt.ready)

			stdout, stderr, code := pmbot(t, "migrate", "--from", db, "--to", to)
			if code != 1 || stdout != "" || !regexp.MustCompile(tt.want).MatchString(stderr) {
				t.Errorf("migrate while running: exit %d, stdout %q, stderr %q; want exit 1 and %s", code, stdout, stderr, tt.want)
			}
			if strings.Contains(stderr, "hunter2") {
				t.Error("the password was printed")
			}
			if _, err := os.Stat(to); err == nil {
				t.Errorf("%s was created", to)
			}
		})
	}
}
