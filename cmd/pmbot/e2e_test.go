package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/store"
)

// binary is the real pmbot, built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pmbot-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Readable by all: a test runs the binary as another user.
	os.Chmod(dir, 0o755)
	binary = filepath.Join(dir, "pmbot")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building pmbot: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testFeed writes an RSS feed with episodes 1..n (newest first) and returns its path.
func testFeed(t *testing.T, dir string, n int, extra func(i int) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>E2E Show</title>`)
	for i := n; i >= 1; i-- {
		more := ""
		if extra != nil {
			more = extra(i)
		}
		fmt.Fprintf(&b, `<item><title>#%d Episode number %d</title><guid>e2e-%d</guid><pubDate>%s</pubDate>
<enclosure url="https://media.example.org/%d.mp3" type="audio/mpeg" length="1000"/><itunes:episode>%d</itunes:episode>
<itunes:duration>1:02:03</itunes:duration><description><![CDATA[<p>Notes of episode %d.</p>%s]]></description></item>
`, i, i, i, time.Date(2025, 1, 1, 6, 0, 0, 0, time.UTC).AddDate(0, 0, 7*i).Format(time.RFC1123Z), i, i, i, more)
	}
	b.WriteString(`</channel></rss>`)
	path := filepath.Join(dir, "feed.xml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func pmbot(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	// No test reaches the internet: the directory points at a closed port.
	return pmbotEnv(t, []string{"PMBOT_DIRECTORY_URL=http://127.0.0.1:1"}, args...)
}

var announced = regexp.MustCompile(`(?m)^#(\d+) Episode number`)

// TestKillAndRestart SIGKILLs `pmbot run` at random moments while it announces, and
// starts it again until every episode was shown: none is lost, and none is shown
// twice except at most one per kill (the one being printed at the instant of the
// kill). Kills are placed by what the bot printed, never by the clock, so a slow
// machine changes nothing but the test's duration.
func TestKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and kills the real binary")
	}
	dir := t.TempDir()
	const n = 150
	feed := testFeed(t, dir, n, nil)
	cfg := filepath.Join(dir, "pmbot.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("backfill: %d\nflood_limit: %d\nfeeds:\n  - name: e2e\n    url: %s\n", n, n+1, feed)), 0o644)
	db := filepath.Join(dir, "state.db")
	rng := rand.New(rand.NewPCG(1, 2))

	counts := make(map[string]int)
	kills, dups := 0, 0
	count := func(text string) {
		for _, m := range announced.FindAllStringSubmatch(text, -1) {
			counts[m[1]]++
			if counts[m[1]] > 1 {
				dups++
			}
		}
	}
	for run := 0; len(counts) < n; run++ {
		if run == 200 {
			t.Fatalf("after %d runs only %d of %d episodes were shown", run, len(counts), n)
		}
		cmd := exec.Command(binary, "--config", cfg, "--db", db, "run")
		// A page of pipe: the bot cannot print far past the line the kill
		// follows, even when the test is slow to read.
		stdout, w := smallPipe(t)
		cmd.Stdout = w
		cmd.Stderr = io.Discard
		stdin, _ := cmd.StdinPipe() // an open stdin keeps the console listening
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		// Kill right after the k-th announcement line, the moment a message has
		// been shown but perhaps not yet recorded. At least k more lines are sure
		// to come while episodes remain unshown.
		k := rng.IntN(min(12, n-len(counts)) + 1)
		lines := make(chan string)
		go func() {
			defer close(lines)
			defer stdout.Close()
			// A tiny buffer: what the bot wrote stays in the pipe, not here.
			br := bufio.NewReaderSize(stdout, 16)
			for {
				line, err := br.ReadString('\n')
				if line != "" {
					lines <- strings.TrimSuffix(line, "\n")
				}
				if err != nil {
					return
				}
			}
		}()
		var out strings.Builder
		for seen := 0; seen < k; {
			line, ok := <-lines
			if !ok {
				t.Fatalf("pmbot run stopped by itself:\n%s", out.String())
			}
			out.WriteString(line + "\n")
			if announced.MatchString(line) {
				seen++
			}
		}
		cmd.Process.Kill()
		kills++
		for line := range lines {
			out.WriteString(line + "\n")
		}
		cmd.Wait()
		stdin.Close()
		count(out.String())
	}
	// What the last kill left in the outbox is shown by the next process.
	stdout, stderr, code := pmbot(t, "--config", cfg, "--db", db, "poll", "--once", "--json")
	if code != 0 {
		t.Fatalf("poll after the kills: code %d stderr %q", code, stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var d struct{ Number int }
		if line != "" && json.Unmarshal([]byte(line), &d) == nil {
			count(fmt.Sprintf("#%d Episode number\n", d.Number))
		}
	}
	for i := 1; i <= n; i++ {
		if counts[fmt.Sprint(i)] == 0 {
			t.Errorf("episode %d was never announced", i)
		}
	}
	if kills < 5 {
		t.Errorf("only %d kills: the test did not interrupt the bot enough to prove anything", kills)
	}
	if dups > kills {
		t.Errorf("%d repeated announcements over %d kills; want at most one per kill", dups, kills)
	}
	t.Logf("%d kills, %d repeats, %d announcements", kills, dups, len(counts))

	// The state survived: a new poll finds nothing new to say.
	stdout, stderr, code = pmbot(t, "--config", cfg, "--db", db, "poll", "--once", "--json")
	if code != 0 || stdout != "" {
		t.Errorf("poll after the runs: code %d stdout %q stderr %q; want nothing new", code, stdout, stderr)
	}
}

func TestPollOnceAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	feed := testFeed(t, dir, 3, nil)

	stdout, stderr, code := pmbot(t, "poll", "--once", "--json", "--feed", feed, "--db", db)
	if code != 0 || stdout != "" {
		t.Fatalf("first poll: code %d stdout %q stderr %q; want silence", code, stdout, stderr)
	}
	testFeed(t, dir, 4, nil)
	stdout, stderr, code = pmbot(t, "--db", db, "--feed", feed, "poll", "--once", "--json")
	if code != 0 {
		t.Fatalf("second poll: code %d stderr %q", code, stderr)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(stdout), &line); err != nil {
		t.Fatalf("second poll output %q: %v", stdout, err)
	}
	want := map[string]any{"platform": "console", "channel": "stdout", "kind": "episode", "guid": "e2e-4", "number": float64(4), "title": "Episode number 4", "episodes": float64(1)}
	if fmt.Sprint(line) != fmt.Sprint(want) {
		t.Errorf("second poll line = %v, want %v", line, want)
	}
	stdout, _, code = pmbot(t, "--db", db, "--feed", feed, "poll", "--once", "--json")
	if code != 0 || stdout != "" {
		t.Errorf("third poll: code %d stdout %q; want nothing new", code, stdout)
	}
	// Five new episodes at once: one summary.
	testFeed(t, dir, 9, nil)
	stdout, _, _ = pmbot(t, "--db", db, "--feed", feed, "poll", "--once", "--json")
	if !strings.Contains(stdout, `"kind":"summary"`) || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, `"episodes":5`) {
		t.Errorf("flood poll output = %q, want one summary of 5", stdout)
	}
}

func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	feed := testFeed(t, dir, 3, nil)
	broken := filepath.Join(dir, "broken.xml")
	os.WriteFile(broken, []byte("<html><body>this is not a feed</body></html>"), 0o644)
	badCfg := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badCfg, []byte("poll_intervall: 5m\n"), 0o644)
	tests := []struct {
		name     string
		args     []string
		code     int
		stderrRe string
	}{
		{"unknown episode", []string{"--feed", feed, "episode", "99"}, 1, `^pmbot: no episode 99; the latest is 3\n$`},
		{"no episode given", []string{"--feed", feed, "takeaways"}, 2, `needs an episode`},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"--nope", "version"}, 2, `^pmbot: unknown flag -nope \(see .pmbot help.\)\n$`},
		{"missing feed file", []string{"--feed", filepath.Join(dir, "missing.xml"), "episode", "1"}, 1, `^pmbot: feed missing \(.*missing\.xml\): the feed file does not exist: check the path\n$`},
		{"not a feed", []string{"--feed", broken, "episode", "latest"}, 1, `^pmbot: feed broken \(.*broken\.xml\): .*not a podcast feed.*\n$`},
		{"bad config", []string{"--config", badCfg, "check-config"}, 1, `poll_intervall`},
		{"poll without once", []string{"--feed", feed, "poll"}, 2, `--once`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := pmbot(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !regexp.MustCompile(tt.stderrRe).MatchString(stderr) {
				t.Errorf("stderr %q does not match %q", stderr, tt.stderrRe)
			}
		})
	}
}

// TestDefaultConfigFollowsPostMortemByName runs the bot with no configuration at all:
// it finds Post Mortem in (a fake of) Apple's directory, reads the feed it names, and
// remembers the URL.
func TestDefaultConfigFollowsPostMortemByName(t *testing.T) {
	feed, err := os.ReadFile("../../testdata/postmortem/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	var feedHits, searches atomic.Int32
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("/search", func(w http.ResponseWriter, r *http.Request) {
		searches.Add(1)
		if r.URL.Query().Get("media") != "podcast" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `{"resultCount":2,"results":[
			{"collectionName":"Post Mortem Stories","artistName":"Someone Else","feedUrl":"%[1]s/wrong.xml"},
			{"collectionName":"Post Mortem","artistName":"Francois Paupier","feedUrl":"%[1]s/feed.xml"}]}`, srv.URL)
	})
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		feedHits.Add(1)
		w.Header().Set("ETag", `"pm1"`)
		if r.Header.Get("If-None-Match") == `"pm1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(feed)
	})
	db := filepath.Join(t.TempDir(), "pmbot.db")
	env := []string{"PMBOT_DIRECTORY_URL=" + srv.URL}
	// The directory's answer is the directory's word, not the operator's: by
	// default it may not lead the bot to a loopback address.
	_, stderr, code := pmbotEnv(t, env, "--db", filepath.Join(t.TempDir(), "refused.db"), "episode", "--json", "17")
	if code != 1 || !strings.Contains(stderr, "loopback address (127.0.0.1), which feeds may not make the bot reach; an operator can allow that network with allow_networks") {
		t.Fatalf("feed found on a loopback address: code %d stderr %q; want it refused", code, stderr)
	}
	// The operator allows the test's network.
	cfg := filepath.Join(t.TempDir(), "pmbot.yaml")
	os.WriteFile(cfg, []byte("allow_networks: [127.0.0.1]\n"), 0o644)
	env = append(env, "PMBOT_DATABASE="+db)
	searches.Store(0) // the refused attempt counted
	feedHits.Store(0)
	stdout, stderr, code := pmbotEnv(t, env, "--config", cfg, "episode", "--json", "17")
	if code != 0 {
		t.Fatalf("episode 17 by name: code %d stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, `"title": "Incident BGP chez Facebook & OVH"`) {
		t.Errorf("episode 17 output = %s", stdout)
	}
	stdout, stderr, code = pmbotEnv(t, env, "--config", cfg, "poll", "--once", "--json")
	if code != 0 || stdout != "" {
		t.Errorf("poll: code %d stdout %q stderr %q; want nothing new", code, stdout, stderr)
	}
	if searches.Load() != 1 || feedHits.Load() != 2 {
		t.Errorf("directory searched %d times, feed fetched %d times; want 1 and 2 (URL stored, conditional GET)", searches.Load(), feedHits.Load())
	}
}

func pmbotEnv(t testing.TB, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	// A safety net, not a measure: a command that hangs fails the test instead
	// of holding CI until its own timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.Env = append(os.Environ(), env...)
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("pmbot %v: %v", args, err)
	}
	return o.String(), e.String(), 0
}

// TestSignalsStopGracefully sends each stop signal to a running bot: it stops
// cleanly (exit 0, "pmbot stopped"), SIGHUP included, which would otherwise kill it
// with no shutdown at all.
func TestSignalsStopGracefully(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the real binary")
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			feed := testFeed(t, dir, 3, nil)
			cmd := exec.Command(binary, "--feed", feed, "--db", filepath.Join(dir, "state.db"), "run")
			cmd.Env = append(os.Environ(), "PMBOT_DIRECTORY_URL=http://127.0.0.1:1")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdin, _ := cmd.StdinPipe()
			defer stdin.Close()
			cmd.Stdout = io.Discard
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var log strings.Builder
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				log.WriteString(sc.Text() + "\n")
				if strings.Contains(sc.Text(), "pmbot running") {
					break
				}
			}
			cmd.Process.Signal(sig)
			for sc.Scan() {
				log.WriteString(sc.Text() + "\n")
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("after %v: %v\n%s", sig, err, log.String())
			}
			if !strings.Contains(log.String(), "pmbot stopped") {
				t.Errorf("no graceful stop after %v:\n%s", sig, log.String())
			}
		})
	}
}

// TestReadOnlyDatabase: questions about a database that pmbot may not write (a
// read-only file in a read-only folder) are answered, not refused with "attempt to
// write a readonly database". As root, which writes anywhere, the commands run as
// the unprivileged user nobody.
func TestReadOnlyDatabase(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755) // t.TempDir's parent is private
	os.Chmod(dir, 0o755)
	feed := testFeed(t, dir, 3, nil)
	db := filepath.Join(dir, "state.db")
	if _, stderr, code := pmbot(t, "--feed", feed, "--db", db, "poll", "--once"); code != 0 {
		t.Fatalf("poll: %s", stderr)
	}
	os.Chmod(db, 0o444)
	os.Chmod(dir, 0o555)
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	for _, args := range [][]string{{"episode", "--json", "2"}, {"search", "Episode", "number"}, {"latest", "--json", "2"}, {"takeaways", "latest"}} {
		cmd := exec.Command(binary, append([]string{"--feed", feed, "--db", db}, args...)...)
		cmd.Env = []string{"PMBOT_DIRECTORY_URL=http://127.0.0.1:1", "HOME=/"}
		cmd.Dir = "/"
		if os.Geteuid() == 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("%v on a read-only database: %v\n%s", args, err, stderr.String())
			continue
		}
		if stdout.Len() == 0 {
			t.Errorf("%v printed nothing", args)
		}
	}
}

// TestHostileFiles: a file pmbot is told to read that is endless (/dev/zero), a
// FIFO that no one writes, or a directory gets one clear line and exit 1, at once:
// never a hang, never gigabytes of memory.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	feed := testFeed(t, dir, 3, nil)
	tests := []struct {
		name     string
		env      []string
		args     []string
		stderrRe string
	}{
		{"endless config", nil, []string{"--config", "/dev/zero", "check-config"}, `/dev/zero: not a regular file`},
		{"config FIFO", nil, []string{"--config", fifo, "check-config"}, `not a regular file \(a named pipe\)`},
		{"config directory", nil, []string{"--config", dir, "check-config"}, `not a regular file \(a directory\)`},
		{"endless token file", []string{"PMBOT_SLACK_BOT_TOKEN_FILE=/dev/zero"}, []string{"check-config"}, `PMBOT_SLACK_BOT_TOKEN_FILE.*not a regular file`},
		{"endless database file", []string{"PMBOT_DATABASE_FILE=/dev/urandom"}, []string{"check-config"}, `PMBOT_DATABASE_FILE.*not a regular file`},
		{"feed FIFO", nil, []string{"--feed", fifo, "episode", "1"}, `not a regular file \(a named pipe\)`},
		{"endless feed", nil, []string{"--feed", "/dev/zero", "latest"}, `not a regular file`},
		{"poll a FIFO", nil, []string{"--feed", fifo, "--feed", feed, "poll", "--once"}, `not a regular file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := pmbotEnv(t, append([]string{"PMBOT_DIRECTORY_URL=http://127.0.0.1:1"}, tt.env...), tt.args...)
			if code != 1 {
				t.Errorf("exit code %d, want 1 (stderr %q)", code, stderr)
			}
			if !regexp.MustCompile(tt.stderrRe).MatchString(stderr) {
				t.Errorf("stderr %q does not match %q", stderr, tt.stderrRe)
			}
		})
	}
}

// posted is where the message carrying a delivery's key is, on any platform:
// the subscribed channel (a forum for a forum post) and the message's id (a
// forum post's, which is its thread's).
type posted struct {
	channel, id string
}

// readStore opens the database a bot left (or runs on) read-only.
func readStore(ctx context.Context, t testing.TB, database string) *store.DB {
	t.Helper()
	db, err := store.Open(ctx, database, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// checkOutbox checks, in the database the bot left, that every delivery was
// recorded as sent, with the id of the one message that carries its key.
func checkOutbox(t testing.TB, dbPath string, byKey map[string]posted) {
	t.Helper()
	ctx := context.Background()
	db := readStore(ctx, t, dbPath)
	defer db.Close()
	dls, err := db.Deliveries(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != len(byKey) {
		t.Errorf("the outbox holds %d deliveries; %d distinct keys were posted", len(dls), len(byKey))
	}
	for _, d := range dls {
		checkRecorded(t, d, byKey)
	}
}

// checkRecorded checks that a delivery was recorded as sent, with the id of
// the one message that carries its key.
func checkRecorded(t testing.TB, d store.Delivery, byKey map[string]posted) {
	t.Helper()
	key := bot.DeliveryKey(d.ID)
	p, ok := byKey[key]
	switch {
	case d.Status != store.StatusSent:
		t.Errorf("delivery %s to %s is %s (%s), want sent", key, d.Subscription.Channel, d.Status, d.LastError)
	case !ok:
		t.Errorf("delivery %s to %s is recorded as sent (%s) but no message carries its key", key, d.Subscription.Channel, d.MessageID)
	case p.channel != d.Subscription.Channel || p.id != d.MessageID:
		t.Errorf("delivery %s recorded as %s in %s; its message is %s in %s", key, d.MessageID, d.Subscription.Channel, p.id, p.channel)
	}
}

// recordedKeys are the keys of the deliveries recorded as sent in the database
// a bot left.
func recordedKeys(t testing.TB, dbPath string) map[string]bool {
	t.Helper()
	ctx := context.Background()
	db := readStore(ctx, t, dbPath)
	defer db.Close()
	dls, err := db.Deliveries(ctx, store.StatusSent)
	if err != nil {
		t.Fatal(err)
	}
	recorded := make(map[string]bool, len(dls))
	for _, d := range dls {
		recorded[bot.DeliveryKey(d.ID)] = true
	}
	return recorded
}
