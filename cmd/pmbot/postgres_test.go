package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmbot/pmbot/store/storetest"
)

// withPassword puts a password into a PostgreSQL URL (the test server trusts
// its clients, so it is not checked; it must never be printed).
func withPassword(t *testing.T, dsn string) string {
	t.Helper()
	const user = "postgres://postgres@"
	if !strings.HasPrefix(dsn, user) {
		t.Skipf("%s does not start with %s", storetest.PostgresEnv, user)
	}
	return "postgres://postgres:hunter2@" + strings.TrimPrefix(dsn, user)
}

// TestCheckConfigPostgres: check-config with a PostgreSQL URL connects and says
// which server and schema version it found, without creating anything or
// printing the password.
func TestCheckConfigPostgres(t *testing.T) {
	t.Parallel()
	dsn := withPassword(t, storetest.PostgresURL(t))
	checkConfig := func(want string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"--feed", fixture, "--db", dsn, "check-config"}, strings.NewReader(""), &out, &errOut, nil)
		re := `(?m)^config OK\n  database: postgres://postgres:xxxxx@127\.0\.0\.1:5432/test\?\S+ \(PostgreSQL [0-9.]+\S*( \([^)]*\))?; ` + want + `\)$`
		if code != 0 || !regexp.MustCompile(re).MatchString(out.String()) || errOut.Len() != 0 {
			t.Errorf("check-config: exit %d, stdout %q, stderr %q; want 0 and %q", code, out.String(), errOut.String(), re)
		}
		if strings.Contains(out.String()+errOut.String(), "hunter2") {
			t.Error("the password was printed")
		}
	}
	checkConfig(`no pmbot tables yet: the first start creates them`)

	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--feed", fixture, "--db", dsn, "poll", "--once"}, strings.NewReader(""), &out, &errOut, nil); code != 0 {
		t.Fatalf("poll --once: exit %d, stderr %q", code, errOut.String())
	}
	checkConfig(`schema version \d+, up to date`)
}

// TestPostgresCommands: the CLI on a PostgreSQL database polls, then answers
// from what it stored, as on SQLite.
func TestPostgresCommands(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresURL(t)
	cli := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"--feed", fixture, "--db", dsn}, args...), strings.NewReader(""), &out, &errOut, nil)
		return out.String(), errOut.String(), code
	}
	if _, stderr, code := cli("poll", "--once"); code != 0 {
		t.Fatalf("poll --once: exit %d, stderr %q", code, stderr)
	}
	stdout, stderr, code := cli("--json", "latest", "3")
	var eps []map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &eps) != nil || len(eps) != 3 {
		t.Errorf("latest 3: exit %d, stdout %q, stderr %q; want 3 episodes", code, stdout, stderr)
	}
	if stdout, stderr, code := cli("episode", "17"); code != 0 || stdout == "" {
		t.Errorf("episode 17: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if stdout, stderr, code := cli("search", "bgp"); code != 0 || stdout == "" {
		t.Errorf("search bgp: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestPollOnceAcrossRunsPostgres is TestPollOnceAcrossRuns on PostgreSQL, with
// the real binary: each announcement is made once across processes, and a
// flood is one summary.
func TestPollOnceAcrossRunsPostgres(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresURL(t)
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	env := []string{"PMBOT_DIRECTORY_URL=http://127.0.0.1:1", "PMBOT_DATABASE=" + dsn}
	if stdout, stderr, code := pmbotEnv(t, env, "poll", "--once", "--json", "--feed", feed, "--db", dsn); code != 0 || stdout != "" {
		t.Fatalf("first poll: code %d stdout %q stderr %q; want silence", code, stdout, stderr)
	}
	testFeed(t, dir, 4, nil)
	stdout, stderr, code := pmbotEnv(t, env, "--db", dsn, "--feed", feed, "poll", "--once", "--json")
	if code != 0 || !strings.Contains(stdout, `"guid":"e2e-4"`) || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("second poll: code %d stdout %q stderr %q; want episode 4 once", code, stdout, stderr)
	}
	if stdout, _, code := pmbotEnv(t, env, "--db", dsn, "--feed", feed, "poll", "--once", "--json"); code != 0 || stdout != "" {
		t.Errorf("third poll: code %d stdout %q; want nothing new", code, stdout)
	}
	testFeed(t, dir, 9, nil)
	stdout, _, _ = pmbotEnv(t, env, "--db", dsn, "--feed", feed, "poll", "--once", "--json")
	if !strings.Contains(stdout, `"kind":"summary"`) || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, `"episodes":5`) {
		t.Errorf("flood poll output = %q, want one summary of 5", stdout)
	}
}

// lockedBuffer is a bytes.Buffer safe for a process's output copier and a test
// reading it at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// What a replica logs when it takes the poller lease, and when another holds
// it (bot.Bot.leaseLoop).
const (
	logLeaseHeld    = "holding the poller lease"
	logLeaseWaiting = "another replica polls the feeds"
)

// TestReplicasPostgres: two `pmbot run` (the real binary) on one PostgreSQL
// schema, each with the console subscribed. One takes the poller lease and
// polls; the other polls nothing but shares the deliveries; every announcement
// is printed once across both. SIGKILLing the holder hands the lease to the
// other at once, which polls the feed (made due) and announces the new
// episodes, once.
func TestReplicasPostgres(t *testing.T) {
	dsn, ctx := postgresE2E(t)
	dir := t.TempDir()
	feed := testFeed(t, dir, 5, nil)
	cfg := filepath.Join(dir, "pmbot.yaml")
	if err := os.WriteFile(cfg, []byte("backfill: 5\nflood_limit: 100\nfeeds:\n  - name: e2e\n    url: "+feed+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"PMBOT_DIRECTORY_URL=http://127.0.0.1:1"}
	var outs [2]*lockedBuffer
	var bots [2]*botProcess
	for i := range bots {
		outs[i] = &lockedBuffer{}
		bots[i] = startBotTo(t, outs[i], env, "--config", cfg, "--db", dsn, "run")
	}
	// Announced counts each episode's announcements across both replicas.
	counts := func() map[string]int {
		c := make(map[string]int)
		for _, o := range outs {
			for _, m := range announced.FindAllStringSubmatch(o.String(), -1) {
				c[m[1]]++
			}
		}
		return c
	}
	waitAnnounced := func(n int) {
		t.Helper()
		for {
			c := counts()
			if len(c) >= n {
				// Give a second announcement the time to show up.
				time.Sleep(time.Second)
				c = counts()
				for ep, k := range c {
					if k != 1 {
						t.Errorf("episode %s announced %d times, want once", ep, k)
					}
				}
				if len(c) != n {
					t.Errorf("%d episodes announced, want %d: %v", len(c), n, c)
				}
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%d of %d episodes announced: %v\nreplica 0:\n%s\nreplica 1:\n%s", len(c), n, c, bots[0].logs(), bots[1].logs())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}

	// Which replica holds the lease is a race; each logs its part once.
	var holder, other *botProcess
	for holder == nil {
		for i, b := range bots {
			if strings.Contains(b.logs(), logLeaseHeld) {
				holder, other = b, bots[1-i]
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no replica took the lease:\n%s\n%s", bots[0].logs(), bots[1].logs())
		case <-time.After(50 * time.Millisecond):
		}
	}
	other.waitLog(ctx, logLeaseWaiting)
	holder.waitLog(ctx, "first poll")
	waitAnnounced(5)
	if l := other.logs(); strings.Contains(l, logLeaseHeld) || strings.Contains(l, "first poll") || strings.Contains(l, "feed polled") {
		t.Fatalf("the replica without the lease polled:\n%s", l)
	}

	// Episodes 6 to 8 are out and the feed is due; the holder dies.
	testFeed(t, dir, 8, nil)
	admin := storetest.Admin(t, dsn)
	if _, err := admin.ExecContext(ctx, `UPDATE feeds SET next_poll_at = 0`); err != nil {
		t.Fatal(err)
	}
	holder.kill()
	other.waitLog(ctx, logLeaseHeld)
	other.waitLog(ctx, "feed polled")
	waitAnnounced(8)
}

// postgresE2E starts an end-to-end test on PostgreSQL (skipped with -short, or
// without a server): the URL of its own schema, and the test's deadline.
func postgresE2E(t *testing.T) (string, context.Context) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: runs the real binary")
	}
	t.Parallel()
	dsn := storetest.PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return dsn, ctx
}

// TestStartWaitsForPostgres: `pmbot run` started while its PostgreSQL server is
// down (started with it, or restarted at once) waits for it, saying so, and
// starts when it is up; stopped while it waits, it stops cleanly.
func TestStartWaitsForPostgres(t *testing.T) {
	dsn, ctx := postgresE2E(t)
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	env := []string{"PMBOT_DIRECTORY_URL=http://127.0.0.1:1"}
	const waiting = "cannot start yet: the database is unavailable"

	t.Run("starts when the server is up", func(t *testing.T) {
		proxy, url := newPGProxy(t, dsn)
		proxy.stop()
		out := &lockedBuffer{}
		b := startBotTo(t, out, env, "--db", url, "--feed", feed, "run")
		b.waitLogCount(ctx, waiting, 2) // it keeps trying
		proxy.start()
		b.waitLog(ctx, "pmbot running")
		b.waitLog(ctx, "first poll")
		b.stop(ctx)
		if n := strings.Count(b.logs(), waiting); n < 2 {
			t.Errorf("logged %q %d times, want at least 2", waiting, n)
		}
	})
	t.Run("stopped while it waits", func(t *testing.T) {
		proxy, url := newPGProxy(t, dsn)
		proxy.stop()
		b := startBot(t, env, "--db", url, "--feed", feed, "run")
		b.waitLog(ctx, waiting)
		b.stop(ctx) // exit status 0
		if !strings.Contains(b.logs(), "pmbot stopped before it could start") {
			t.Errorf("logs = %s, want the stop said", b.logs())
		}
	})
	t.Run("stopped while it connects", func(t *testing.T) {
		// A server that accepts and never answers: the bot is stuck in its
		// start-up's first step when it is told to stop.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan net.Conn, 8)
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				accepted <- c
			}
		}()
		t.Cleanup(func() {
			ln.Close()
			for len(accepted) > 0 {
				(<-accepted).Close()
			}
		})
		b := startBot(t, env, "--db", "postgres://postgres@"+ln.Addr().String()+"/test?sslmode=disable", "--feed", feed, "run")
		select {
		case c := <-accepted:
			accepted <- c
		case <-ctx.Done():
			t.Fatal("pmbot never connected")
		}
		b.stop(ctx) // exit status 0
		if !strings.Contains(b.logs(), "pmbot stopped before it could start") {
			t.Errorf("logs = %s, want the stop said", b.logs())
		}
	})
}
