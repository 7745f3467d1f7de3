package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pmbot/pmbot/localfile"
)

// problemLines is err as its lines, without the "config: " prefix.
func problemLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is %T, not *Error: %v", err, err)
	}
	var out []string
	for _, p := range e.Problems {
		out = append(out, p.String())
	}
	return out
}

func TestLoadFileRefusesWhatIsNotAConfigFile(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxFileSize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.yaml")
	mkfifo(t, fifo)
	tests := []struct {
		name, path, want string
		is               error
	}{
		{"endless device", "/dev/zero",
			"config: /dev/zero: not a regular file (a character device); give the path of a YAML file", localfile.ErrNotRegular},
		{"named pipe never blocks", fifo,
			"config: " + fifo + ": not a regular file (a named pipe); give the path of a YAML file", localfile.ErrNotRegular},
		{"directory", dir,
			"config: " + dir + ": not a regular file (a directory); give the path of a YAML file", localfile.ErrNotRegular},
		{"larger than 1 MiB", big,
			"config: " + big + ": larger than 1 MiB; is this the right file?", localfile.ErrTooLarge},
		{"missing", filepath.Join(dir, "missing.yaml"),
			"config: " + filepath.Join(dir, "missing.yaml") + ": no such file or directory", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadFile(tt.path, nil)
			if err == nil {
				t.Fatal("LoadFile succeeded")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
	t.Run("Load caps its reader too", func(t *testing.T) {
		_, err := Load(strings.NewReader(strings.Repeat("#", MaxFileSize+1)), nil)
		if diff := cmp.Diff([]string{"larger than 1 MiB; is this the right file?"}, problemLines(t, err)); diff != "" {
			t.Errorf("problems (-want +got):\n%s", diff)
		}
	})
}

func TestLoadWholeNumbers(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"float flood limit", "flood_limit: 1.5\n", []string{"line 1: flood_limit: 1.5 is not a whole number"}},
		{"float backfill", "backfill: 2.7\n", []string{"line 1: backfill: 2.7 is not a whole number"}},
		{"float feed backfill", "feeds:\n  - url: https://a.example/f\n    backfill: 0.5\n",
			[]string{"line 3: feeds[0].backfill: 0.5 is not a whole number"}},
		{"negative float, said once", "backfill: -1.5\n", []string{"line 1: backfill: -1.5 is not a whole number"}},
		{"not a number", "flood_limit: .nan\n", []string{"line 1: flood_limit: .nan is not a whole number"}},
		{"infinity", "backfill: .inf\n", []string{"line 1: backfill: .inf is not a whole number"}},
		{"too large for an int", "flood_limit: 1e30\n", []string{"line 1: flood_limit: 1e30 is too large; use at most 1000"}},
		{"too many digits", "backfill: 99999999999999999999\n", []string{"line 1: backfill: 99999999999999999999 is too large; use at most 1000"}},
		{"too large for a count", "flood_limit: 5000\n", []string{"flood_limit: 5000 is too large; use at most 1000"}},
		{"quoted", "flood_limit: '1.5'\n", []string{"line 1: flood_limit: expected a whole number here, not text"}},
		{"through an anchor and a merge", "feeds:\n  - &f {url: https://a.example/x, backfill: 1.5}\n  - <<: *f\n    url: https://b.example/y\n",
			[]string{"line 2: feeds[0].backfill: 1.5 is not a whole number", "line 2: feeds[1].backfill: 1.5 is not a whole number"}},
		{"a float that is whole", "flood_limit: 3.0\nbackfill: 1e2\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.in), nil)
			if diff := cmp.Diff(tt.want, problemLines(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	c, err := Load(strings.NewReader("flood_limit: 3.0\nbackfill: 1e2\n"), nil)
	if err != nil || c.FloodLimit != 3 || c.Backfill != 100 {
		t.Errorf("whole floats: flood_limit %d, backfill %d, %v; want 3, 100", c.FloodLimit, c.Backfill, err)
	}
}

// A type error no longer hides the other problems: the admin fixes all in one go.
func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"type errors and invalid values", "language: 42\nbackfill: ten\nflood_limit: 1.5\npoll_interval: 2562047h\n", []string{
			"line 2: backfill: expected a whole number here, not text",
			"line 3: flood_limit: 1.5 is not a whole number",
			"poll_interval: 2562047h is too long; use between 1m and 24h",
			`language: "42" is not supported; use en or fr`,
		}},
		{"unknown key and a bad schedule", "langage: fr\nsubscriptions:\n  - platform: console\n    digest: {schedule: '* * * * *'}\n", []string{
			`line 1: unknown key "langage" at the top level; did you mean "language"?`,
			`subscriptions[0].digest.schedule: "* * * * *" fires more than once a day; a digest is at most daily, like "0 9 * * 1" (Mondays 9:00)`,
		}},
		{"a key is reported once", "feeds: https://a.example/f\nslack: xoxb-1\nsubscriptions: [{platform: slack, channel: C1}]\n", []string{
			"line 1: feeds: expected a list (lines starting with -) here, not text",
			"line 2: slack: expected a mapping (key: value lines) here, not text",
			"subscriptions[0]: platform slack needs a Slack bot token; set slack.bot_token or PMBOT_SLACK_BOT_TOKEN",
		}},
		{"the type on the line tells the key", "subscriptions:\n  - {platform: console, digest: {schedule: '0 9 * * 1', enabled: maybe}}\n", []string{
			"line 2: subscriptions[0].digest.enabled: expected true or false here, not text",
		}},
		{"two candidates on a line: no key rather than a wrong one", "feeds: [{url: https://a.example/, backfill: a}, {url: https://b.example/, backfill: b}]\n", []string{
			"line 1: expected a whole number here, not text",
			"line 1: expected a whole number here, not text",
		}},
		// yaml.v3 leaves out a mapping with a duplicate key, here log.
		{"duplicate key", "log: {level: debug, level: warn}\nflood_limit: 0\n", []string{
			`line 1: mapping key "level" already defined at line 1`,
			"flood_limit: 0 is too small; use 1 or more (more new episodes than this in one poll become one summary)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.in), nil)
			if diff := cmp.Diff(tt.want, problemLines(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadAliases(t *testing.T) {
	// Eight lines that expand to 10^8 nodes; and the same within one list.
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	nested := "[&a [x, x, x, x, x, x, x, x, x, x]"
	for i, prev := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		name := string(rune('b' + i))
		laughs += name + ": &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]\n"
		nested += ", &" + name + " [" + strings.Repeat("*"+prev+", ", 9) + "*" + prev + "]"
	}
	nested += "]"
	tests := []struct {
		name, in string
		want     []string
	}{
		{"billion laughs", laughs, []string{"the YAML's aliases (*name) expand to far more than is written; write the values out instead"}},
		{"billion laughs in a known key", "subscriptions:\n  - platform: console\n    topics: " + nested + "\n",
			[]string{"the YAML's aliases (*name) expand to far more than is written; write the values out instead"}},
		{"alias inside itself", "a: &a [*a]\n", []string{"line 1: the anchor &a contains an alias to itself; remove the alias"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.in), nil)
			if diff := cmp.Diff(tt.want, problemLines(t, err)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("a huge mapping", func(t *testing.T) {
		var b strings.Builder
		for i := range 1000 {
			fmt.Fprintf(&b, "k%d: 0\n", i)
		}
		_, err := Load(strings.NewReader(b.String()), nil)
		want := []string{"line 1: a mapping of more than 100 keys; this is not a pmbot configuration"}
		if diff := cmp.Diff(want, problemLines(t, err)); diff != "" {
			t.Errorf("problems (-want +got):\n%s", diff)
		}
	})
	t.Run("a merged anchor is fine", func(t *testing.T) {
		in := "subscriptions:\n  - &sub {platform: console, digest: {schedule: '0 8 * * 1'}}\n  - <<: *sub\n    channel: stderr\n"
		c, err := Load(strings.NewReader(in), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{c.Subscriptions[1].Platform, c.Subscriptions[1].Channel, c.Subscriptions[1].Digest.Schedule}
		if diff := cmp.Diff([]string{"console", "stderr", "0 8 * * 1"}, got); diff != "" {
			t.Errorf("merged subscription (-want +got):\n%s", diff)
		}
	})
}

func TestLoadWarnsAboutSecretsInTheFile(t *testing.T) {
	const discordToken = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"
	tests := []struct {
		name, in string
		env      []string
		want     []Problem
	}{
		{"Slack tokens", "slack:\n  bot_token: xoxb-123-abc\n  app_token: xapp-1-A1\n", nil, []Problem{
			{Line: 2, Key: "slack.bot_token", Message: "a token is written in the file; secrets belong in the environment (PMBOT_SLACK_BOT_TOKEN or ${PMBOT_SLACK_BOT_TOKEN})"},
			{Line: 3, Key: "slack.app_token", Message: "a token is written in the file; secrets belong in the environment (PMBOT_SLACK_APP_TOKEN or ${PMBOT_SLACK_APP_TOKEN})"},
		}},
		{"user token", "slack: {bot_token: xoxp-1-2, signing_secret: '${SIG}'}\n", []string{"SIG=s"}, []Problem{
			{Line: 1, Key: "slack.bot_token", Message: "a token is written in the file; secrets belong in the environment (PMBOT_SLACK_BOT_TOKEN or ${PMBOT_SLACK_BOT_TOKEN})"},
		}},
		{"signing secret, whatever its shape", "slack: {bot_token: '${T}', signing_secret: abc}\n", []string{"T=xoxb-env"}, []Problem{
			{Line: 1, Key: "slack.signing_secret", Message: "a secret is written in the file; secrets belong in the environment (PMBOT_SLACK_SIGNING_SECRET or ${PMBOT_SLACK_SIGNING_SECRET})"},
		}},
		{"Discord token", "discord:\n  bot_token: " + discordToken + "\n", nil, []Problem{
			{Line: 2, Key: "discord.bot_token", Message: "a token is written in the file; secrets belong in the environment (PMBOT_DISCORD_BOT_TOKEN or ${PMBOT_DISCORD_BOT_TOKEN})"},
		}},
		{"a word that is not a token", "discord: {bot_token: changeme}\n", nil, nil},
		{"placeholders", "slack: {bot_token: '${PMBOT_SLACK_BOT_TOKEN}', app_token: 'xapp-${A}'}\n",
			[]string{"PMBOT_SLACK_BOT_TOKEN=xoxb-env", "A=1"}, nil},
		{"environment only", "", []string{"PMBOT_SLACK_BOT_TOKEN=xoxb-env", "PMBOT_SLACK_SIGNING_SECRET=sig", "PMBOT_DISCORD_BOT_TOKEN=" + discordToken}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(strings.NewReader(tt.in), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			for _, w := range c.Warnings {
				for _, v := range []string{"xoxb-123", "xapp-1-A1", "xoxp-1", "abc", discordToken} {
					if strings.Contains(w.String(), v) {
						t.Errorf("warning quotes the value: %s", w)
					}
				}
			}
		})
	}
}
