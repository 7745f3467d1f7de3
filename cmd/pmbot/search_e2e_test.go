package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pmbot/pmbot/feeds/feedstest"
)

// TestSearchMRR runs `pmbot search --feed <Post Mortem feed> --json` for every query
// of the relevance judgments, as a user would, and checks the mean reciprocal rank.
func TestSearchMRR(t *testing.T) {
	feed := feedstest.Path("postmortem/feed.xml")
	for _, file := range []string{"search-judgments.tsv", "search-judgments-extra.tsv"} {
		t.Run(file, func(t *testing.T) {
			f, err := os.Open(feedstest.Path(file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var sum float64
			var n int
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				line := sc.Text()
				if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
					continue
				}
				query, rel, _ := strings.Cut(line, "\t")
				relevant := map[int]bool{}
				for _, r := range strings.Split(rel, ",") {
					v, _ := strconv.Atoi(strings.TrimSpace(r))
					relevant[v] = true
				}
				stdout, stderr, code := pmbot(t, "search", "--feed", feed, "--json", query)
				if code != 0 {
					t.Fatalf("search %q: exit %d: %s", query, code, stderr)
				}
				var results []struct{ Number int }
				if err := json.Unmarshal([]byte(stdout), &results); err != nil {
					t.Fatalf("search %q: %v in %q", query, err, stdout)
				}
				rr := 0.0
				for i, r := range results {
					if relevant[r.Number] {
						rr = 1 / float64(i+1)
						break
					}
				}
				if rr < 1 {
					t.Logf("%q: reciprocal rank %.2f", query, rr)
				}
				sum += rr
				n++
			}
			if mrr := sum / float64(n); mrr < 0.95 {
				t.Errorf("MRR over %d queries = %.3f, want >= 0.95", n, mrr)
			} else {
				t.Logf("MRR over %d queries = %.3f", n, mrr)
			}
		})
	}
}

// TestTopicSubscription subscribes the console to "security" in the configuration:
// of the Post Mortem episodes that arrive, #2 and #4 are announced and #17 is not.
func TestTopicSubscription(t *testing.T) {
	dir := t.TempDir()
	full := string(feedstest.Read(t, "postmortem/feed.xml"))
	items := strings.Split(full, "<item>")
	// The first poll sees only the oldest items (the trailer and #1); the second
	// sees them all.
	first := items[0] + "<item>" + strings.Join(items[len(items)-2:], "<item>")
	feedPath := filepath.Join(dir, "feed.xml")
	os.WriteFile(feedPath, []byte(first), 0o644)
	cfg := filepath.Join(dir, "pmbot.yaml")
	os.WriteFile(cfg, []byte("flood_limit: 100\nfeeds:\n  - name: pm\n    url: "+feedPath+"\nsubscriptions:\n  - platform: console\n    topics: [security]\n"), 0o644)
	db := filepath.Join(dir, "state.db")
	if stdout, stderr, code := pmbot(t, "--config", cfg, "--db", db, "poll", "--once", "--json"); code != 0 || stdout != "" {
		t.Fatalf("first poll: code %d stdout %q stderr %q", code, stdout, stderr)
	}
	os.WriteFile(feedPath, []byte(full), 0o644)
	stdout, stderr, code := pmbot(t, "--config", cfg, "--db", db, "poll", "--once", "--json")
	if code != 0 {
		t.Fatalf("second poll: code %d stderr %q", code, stderr)
	}
	var got []int
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var d struct{ Number int }
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("poll line %q: %v", line, err)
		}
		got = append(got, d.Number)
	}
	if len(got) != 2 || got[0] != 2 || got[1] != 4 {
		t.Errorf("announced %v, want [2 4] (episodes about security)", got)
	}
}

// `run` saves the search index; a one-shot `search` then loads it instead of
// building it from every episode, and builds it again once a poll has changed
// the episodes since, so that a new episode is found at once.
func TestSearchFromSavedIndex(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "pmbot.db")
	feed := testFeed(t, dir, 3, nil)
	p := startBot(t, []string{"PMBOT_DIRECTORY_URL=http://127.0.0.1:1"}, "--db", db, "--feed", feed, "--log-level", "debug", "run")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Saved at start (before the first poll), then once the refresher has
	// seen the poll's episodes.
	p.waitLogCount(ctx, "search index saved", 2)
	p.stop(ctx)

	search := func(query string) (numbers []int, how string) {
		t.Helper()
		stdout, stderr, code := pmbot(t, "--db", db, "--feed", feed, "--log-level", "debug", "search", "--json", query)
		if code != 0 {
			t.Fatalf("search %q: exit %d: %s", query, code, stderr)
		}
		var results []struct{ Number int }
		if err := json.Unmarshal([]byte(stdout), &results); err != nil {
			t.Fatalf("search %q: %v in %q", query, err, stdout)
		}
		for _, r := range results {
			numbers = append(numbers, r.Number)
		}
		switch {
		case strings.Contains(stderr, "search index loaded as run saved it"):
			how = "loaded"
		case strings.Contains(stderr, "search index built from the episodes"):
			how = "built"
		}
		return numbers, how
	}
	if got, how := search("episode number 2"); how != "loaded" || len(got) == 0 || got[0] != 2 {
		t.Errorf("search after run = %v, %s; want episode 2 first, from the saved index", got, how)
	}
	// A poll that records nothing new keeps the saved index current.
	if _, stderr, code := pmbot(t, "--db", db, "--feed", feed, "poll", "--once"); code != 0 {
		t.Fatalf("poll: %s", stderr)
	}
	if _, how := search("notes"); how != "loaded" {
		t.Errorf("search after a poll that changed nothing: index %s, want loaded", how)
	}
	testFeed(t, dir, 4, func(i int) string {
		if i == 4 {
			return "<p>Recorded in Zanzibar.</p>"
		}
		return ""
	})
	if _, stderr, code := pmbot(t, "--db", db, "--feed", feed, "poll", "--once"); code != 0 {
		t.Fatalf("poll: %s", stderr)
	}
	if got, how := search("zanzibar"); how != "built" || len(got) != 1 || got[0] != 4 {
		t.Errorf("search after a poll that added episode 4 = %v, %s; want [4], built anew", got, how)
	}
}
