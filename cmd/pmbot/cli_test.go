package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pmbot/pmbot/store"
)

// fixture is the Post Mortem feed that the README's examples use.
const fixture = "../../testdata/postmortem/feed.xml"

// cliRun runs the CLI in process on the fixture and returns what it printed.
func cliRun(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"--feed", fixture}, args...)
	code = run(context.Background(), args, strings.NewReader(""), &out, &errOut, nil)
	return out.String(), errOut.String(), code
}

// TestCLIExitCodesAgree: every command line gets the same exit code and the same
// words in text and in JSON, as the README documents them (2 for a command-line
// mistake, 1 when there is nothing to show or the command failed).
func TestCLIExitCodesAgree(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		stderrRe string
	}{
		{"latest zero", []string{"latest", "0"}, 2, `^pmbot: latest takes a number of episodes, like .latest 3.; "0" is not one \(see .pmbot help.\)\n$`},
		{"latest two numbers", []string{"latest", "3", "4"}, 2, `latest takes at most 1 argument`},
		{"chapters two numbers", []string{"chapters", "3", "4"}, 2, `chapters takes one episode; "3 4" names several`},
		{"episode two numbers", []string{"episode", "3", "4"}, 2, `names several`},
		{"empty search", []string{"search", ""}, 2, `search needs words to look for`},
		{"blank search", []string{"search", "   "}, 2, `search needs words to look for`},
		{"search too long", []string{"search", strings.Repeat("a", 201)}, 2, `too long`},
		{"random with an argument", []string{"random", "extra"}, 2, `random takes no arguments`},
		{"negative episode", []string{"episode", "-1"}, 1, `^pmbot: no episode -1; the latest is 17\n$`},
		{"unknown episode", []string{"episode", "99"}, 1, `^pmbot: no episode 99; the latest is 17\n$`},
		{"no match", []string{"search", "zzzqqqxxw"}, 1, `^pmbot: no episode matches "zzzqqqxxw"\n$`},
		{"huge limit", []string{"search", "--limit", "100000000000", "bgp"}, 2, `--limit 100000000000: give a number of results from 1 to 50`},
		{"max int limit", []string{"search", "--limit", "9223372036854775807", "bgp"}, 2, `from 1 to 50`},
		{"zero limit", []string{"search", "--limit", "0", "bgp"}, 2, `from 1 to 50`},
		{"limit elsewhere", []string{"episode", "--limit", "3", "17"}, 2, `episode does not take --limit`},
		{"since year one", []string{"digest", "--since", "0001-01-01"}, 2, `before 1970`},
		{"since in the future", []string{"digest", "--since", "2099-01-01"}, 2, `in the future`},
		{"since garbage", []string{"digest", "--since", "yesterday"}, 2, `give a date like`},
	}
	for _, tt := range tests {
		for _, form := range []string{"text", "json"} {
			t.Run(tt.name+"/"+form, func(t *testing.T) {
				args := tt.args
				if form == "json" {
					args = append([]string{"--json"}, args...)
				}
				stdout, stderr, code := cliRun(t, args...)
				if code != tt.code {
					t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, stderr)
				}
				if !regexp.MustCompile(tt.stderrRe).MatchString(stderr) {
					t.Errorf("stderr %q does not match %q", stderr, tt.stderrRe)
				}
				if form == "json" && stdout != "" && !json.Valid([]byte(stdout)) {
					t.Errorf("stdout is not JSON: %q", stdout)
				}
			})
		}
	}
}

// TestCLIUsageErrors: mistakes in the command line get one line and a hint, never
// the whole usage, and extra arguments are refused rather than ignored.
func TestCLIUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stderrRe string
	}{
		{"unknown flag", []string{"--nope", "version"}, `^pmbot: unknown flag -nope \(see .pmbot help.\)\n$`},
		{"flag without value", []string{"version", "--db"}, `^pmbot: -db needs a value \(see .pmbot help.\)\n$`},
		{"version with an argument", []string{"version", "extra"}, `^pmbot: version takes no arguments \(got "extra"\)`},
		{"check-config with an argument", []string{"check-config", "x"}, `check-config takes no arguments`},
		{"run with an argument", []string{"run", "now"}, `run takes no arguments`},
		{"verbose log level", []string{"--log-level", "verbose", "version"}, `^pmbot: --log-level: .*verbose.*\n$`},
		{"unknown command", []string{"frobnicate"}, `^pmbot: unknown command "frobnicate" \(see .pmbot help.\)\n$`},
		{"json where it means nothing", []string{"version", "--json"}, `version does not take --json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errOut, nil)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if !regexp.MustCompile(tt.stderrRe).MatchString(errOut.String()) {
				t.Errorf("stderr %q does not match %q", errOut.String(), tt.stderrRe)
			}
		})
	}
}

// TestTextAndJSONChooseTheSameEpisode: the same words name the same episode in
// both output formats.
func TestTextAndJSONChooseTheSameEpisode(t *testing.T) {
	for _, words := range [][]string{{"data"}, {"latest"}, {"latest", "extra"}, {"17"}, {"#3"}, {"bgp"}, {"dragonblod"}, {"ml", "ops"}} {
		t.Run(strings.Join(words, " "), func(t *testing.T) {
			text, stderr, code := cliRun(t, append([]string{"episode"}, words...)...)
			if code != 0 {
				t.Fatalf("text: exit %d, %s", code, stderr)
			}
			js, stderr, code := cliRun(t, append([]string{"episode", "--json"}, words...)...)
			if code != 0 {
				t.Fatalf("json: exit %d, %s", code, stderr)
			}
			var ep struct{ Number int }
			if err := json.Unmarshal([]byte(js), &ep); err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`^#(\d+) `).FindStringSubmatch(text)
			if m == nil || m[1] != strconv.Itoa(ep.Number) {
				t.Errorf("text chose %q, JSON chose #%d", firstLine(text), ep.Number)
			}
		})
	}
}

var bullets = regexp.MustCompile(`(?m)^ +• #`)

// TestCLILimitsAreSaid: a number beyond what is shown is capped and the cap said.
func TestCLILimitsAreSaid(t *testing.T) {
	text, _, code := cliRun(t, "latest", "100000")
	if code != 0 || !strings.Contains(text, "At most 10") || len(bullets.FindAllString(text, -1)) != 10 {
		t.Errorf("latest 100000: exit %d\n%s\nwant 10 episodes and the cap said", code, text)
	}
	js, stderr, code := cliRun(t, "latest", "--json", "100000")
	var eps []any
	if code != 0 || json.Unmarshal([]byte(js), &eps) != nil || len(eps) != 10 || !strings.Contains(stderr, "at most 10") {
		t.Errorf("latest --json 100000: exit %d, %d episodes, stderr %q; want 10 and the cap said", code, len(eps), stderr)
	}
	text, _, code = cliRun(t, "search", "--limit", "1", "incident")
	if code != 0 || len(bullets.FindAllString(text, -1)) != 1 {
		t.Errorf("search --limit 1: exit %d\n%s\nwant one result", code, text)
	}
	js, _, _ = cliRun(t, "search", "--json", "--limit", "2", "incident")
	if err := json.Unmarshal([]byte(js), &eps); err != nil || len(eps) != 2 {
		t.Errorf("search --json --limit 2 gave %d results (%v), want 2", len(eps), err)
	}
}

// FuzzCLI feeds arbitrary command lines (arguments separated by NUL) to the CLI:
// it never panics, every error is one of the documented exit codes, and a
// mistake is reported in one short line.
func FuzzCLI(f *testing.F) {
	for _, seed := range []string{
		"search\x00--json\x00--limit\x00100000000000\x00bgp",
		"search\x00--limit\x009223372036854775807\x00bgp",
		"search\x00--json\x00",
		"episode\x00-1",
		"episode\x003 4",
		"episode\x003\x004",
		"latest\x00100000",
		"latest\x000",
		"latest\x00--json\x00extra",
		"version\x00extra",
		"random\x00--json\x00extra",
		"digest\x00--since\x000001-01-01",
		"digest\x00--since\x002099-01-01",
		"--log-level\x00verbose\x00version",
		"--\x00-x",
		"episode\x00--\x00--json",
		"takeaways\x00#-0",
		"chapters\x00" + strings.Repeat("9", 40),
		"search\x00\xff\xfe",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		c, err := parseArgs(args)
		if err == nil {
			err = check(c)
		}
		if err != nil {
			var out bytes.Buffer
			code := report(context.Background(), &out, err)
			if code != exitUsage {
				t.Fatalf("parse error %v gave exit %d, want %d", err, code, exitUsage)
			}
			if strings.Count(out.String(), "\n") != 1 || len(out.String()) > 400 {
				t.Fatalf("usage error is not one line: %q", out.String())
			}
			return
		}
		// Only what stays in memory runs for real: no file of the fuzzer's naming
		// is opened or written.
		if c.configPath != "" || c.db != "" || len(c.feeds) > 0 || c.command == "run" || c.command == "poll" || c.command == "check-config" {
			return
		}
		if _, ok := queries[c.command]; !ok {
			return
		}
		_, _, code := cliRun(t, args...)
		if code != exitOK && code != exitFailure && code != exitUsage {
			t.Fatalf("exit %d for %q", code, args)
		}
	})
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestDamagedEpisodeRow: one episode whose stored data no longer decodes is left
// out, and every other question is still answered (it used to stop every command
// with "build index: … unexpected end of JSON input").
func TestDamagedEpisodeRow(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "state.db")
	if _, stderr, code := cliRun(t, "--db", db, "poll", "--once"); code != 0 {
		t.Fatalf("poll: %s", stderr)
	}
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE episodes SET data = '{"title":' WHERE number = 3`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"episode", "--json", "17"}, 0},
		{[]string{"search", "bgp"}, 0},
		{[]string{"latest", "--json", "5"}, 0},
		{[]string{"random"}, 0},
		{[]string{"episode", "3"}, 1},
	} {
		stdout, stderr, code := cliRun(t, append([]string{"--db", db}, tt.args...)...)
		if code != tt.code {
			t.Errorf("%v: exit %d, want %d; stderr %q", tt.args, code, tt.code, stderr)
		}
		if tt.code == 0 && stdout == "" {
			t.Errorf("%v printed nothing", tt.args)
		}
	}
}

// With --feed, a command works on an in-memory store even when PMBOT_DATABASE
// is set (a feed tried out must not land in the real database), and says so.
func TestFeedFlagKeepsOutOfTheDatabase(t *testing.T) {
	env := []string{"PMBOT_DATABASE=postgres://pmbot@127.0.0.1:1/pmbot"}
	tests := []struct {
		name, db, want string
		warned         bool
	}{
		{"no --db", "", store.Memory, true},
		{"--db", "x.db", "x.db", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(cli{feeds: []string{"feed.xml"}, db: tt.db}, env)
			if err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, w := range cfg.Warnings {
				warned = warned || w.Key == "PMBOT_DATABASE"
			}
			if cfg.Database != tt.want || warned != tt.warned {
				t.Errorf("database %q, warned %v (%v); want %q, warned %v", cfg.Database, warned, cfg.Warnings, tt.want, tt.warned)
			}
		})
	}
}
