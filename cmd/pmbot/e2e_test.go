package main

import (
	"bufio"
	"bytes"
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
	"syscall"
	"testing"
	"time"
)

// binary is the real pmbot, built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pmbot-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
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

func pmbot(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	// No test reaches the internet: the directory points at a closed port.
	return pmbotEnv(t, []string{"PMBOT_DIRECTORY_URL=http://127.0.0.1:1"}, args...)
}

var announced = regexp.MustCompile(`(?m)^#(\d+) Episode number`)

// TestKillAndRestart SIGKILLs `pmbot run` at random moments while it announces, and
// starts it again until it is done: every episode is printed, and none twice except
// at most one per kill (the one being printed at the instant of the kill).
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

	var all strings.Builder
	kills := 0
	for run := 0; run < 60; run++ {
		cmd := exec.Command(binary, "--config", cfg, "--db", db, "run")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = io.Discard
		stdin, _ := cmd.StdinPipe() // an open stdin keeps the console listening
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Read what it prints; kill it right after the k-th announcement line, which
		// is the moment a message has been shown but perhaps not yet recorded.
		k := rng.IntN(12)
		seen := make(chan struct{}, n)
		var out strings.Builder
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				out.WriteString(sc.Text() + "\n")
				if announced.MatchString(sc.Text()) {
					seen <- struct{}{}
				}
			}
		}()
		last := len(announced.FindAllString(all.String(), -1)) >= n || run == 59
		if last {
			time.Sleep(1500 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGTERM)
		} else {
			timeout := time.After(3 * time.Second)
		wait:
			for i := 0; i < k; i++ {
				select {
				case <-seen:
				case <-timeout:
					break wait
				}
			}
			cmd.Process.Kill()
			kills++
		}
		<-readDone
		err = cmd.Wait()
		stdin.Close()
		all.WriteString(out.String())
		if last {
			if err != nil {
				t.Fatalf("pmbot run after SIGTERM: %v\n%s", err, out.String())
			}
			break
		}
	}
	counts := make(map[string]int)
	dups := 0
	for _, m := range announced.FindAllStringSubmatch(all.String(), -1) {
		counts[m[1]]++
		if counts[m[1]] > 1 {
			dups++
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
	stdout, stderr, code := pmbot(t, "--config", cfg, "--db", db, "poll", "--once", "--json")
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
		{"unknown flag", []string{"--nope", "version"}, 2, `flag provided but not defined: -nope`},
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
	var feedHits, searches int
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("/search", func(w http.ResponseWriter, r *http.Request) {
		searches++
		if r.URL.Query().Get("media") != "podcast" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, `{"resultCount":2,"results":[
			{"collectionName":"Post Mortem Stories","artistName":"Someone Else","feedUrl":"%[1]s/wrong.xml"},
			{"collectionName":"Post Mortem","artistName":"Francois Paupier","feedUrl":"%[1]s/feed.xml"}]}`, srv.URL)
	})
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		feedHits++
		w.Header().Set("ETag", `"pm1"`)
		if r.Header.Get("If-None-Match") == `"pm1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(feed)
	})
	db := filepath.Join(t.TempDir(), "pmbot.db")
	env := []string{"PMBOT_DIRECTORY_URL=" + srv.URL}
	stdout, stderr, code := pmbotEnv(t, env, "--db", db, "episode", "--json", "17")
	if code != 0 {
		t.Fatalf("episode 17 by name: code %d stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, `"title": "Incident BGP chez Facebook & OVH"`) {
		t.Errorf("episode 17 output = %s", stdout)
	}
	stdout, stderr, code = pmbotEnv(t, env, "--db", db, "poll", "--once", "--json")
	if code != 0 || stdout != "" {
		t.Errorf("poll: code %d stdout %q stderr %q; want nothing new", code, stdout, stderr)
	}
	if searches != 1 || feedHits != 2 {
		t.Errorf("directory searched %d times, feed fetched %d times; want 1 and 2 (URL stored, conditional GET)", searches, feedHits)
	}
}

func pmbotEnv(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
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
