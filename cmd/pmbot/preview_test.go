package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pmbot/pmbot/bot/discord/fakediscord"
	"github.com/pmbot/pmbot/bot/slack/fakeslack"
)

// TestPreviewSlack: every preview prints a chat.postMessage body that a Slack
// enforcing Block Kit's limits accepts, without credentials.
func TestPreviewSlack(t *testing.T) {
	for _, args := range [][]string{
		{"--episode", "17"},
		{"--latest"},
		{"--summary", "5"},
		{"--summary", "15"},
		{"--digest"},
		{"--command", "search bgp"},
		{"--command", "takeaways 3"},
		{"--command", "help"},
		{"--command", "episode 99"},
	} {
		t.Run(args[0], func(t *testing.T) {
			stdout, stderr, code := cliRun(t, append([]string{"preview", "--platform", "slack"}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var body struct {
				Text   string          `json:"text"`
				Blocks json.RawMessage `json:"blocks"`
			}
			if err := json.Unmarshal([]byte(stdout), &body); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, stdout)
			}
			if body.Text == "" {
				t.Error("no text fallback")
			}
			if err := fakeslack.ValidateBlocks(body.Blocks); err != nil {
				t.Errorf("Slack would refuse the blocks: %v", err)
			}
		})
	}
}

// TestPreviewDiscord: every Discord preview is a Create Message body that can
// ping no one.
func TestPreviewDiscord(t *testing.T) {
	for _, args := range [][]string{{"--episode", "17"}, {"--summary", "15"}, {"--digest"}, {"--command", "search bgp"}, {"--command", "help"}} {
		t.Run(args[0], func(t *testing.T) {
			stdout, stderr, code := cliRun(t, append([]string{"preview", "--platform", "discord"}, args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var body struct {
				AllowedMentions *struct {
					Parse []string `json:"parse"`
				} `json:"allowed_mentions"`
				Embeds []json.RawMessage `json:"embeds"`
			}
			if err := json.Unmarshal([]byte(stdout), &body); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, stdout)
			}
			if body.AllowedMentions == nil || body.AllowedMentions.Parse == nil || len(body.AllowedMentions.Parse) != 0 {
				t.Errorf("allowed_mentions.parse must be present and empty: %s", stdout)
			}
			if len(body.Embeds) == 0 || len(body.Embeds) > 10 {
				t.Errorf("%d embeds", len(body.Embeds))
			}
		})
	}
}

func TestPreviewUsage(t *testing.T) {
	for _, tt := range []struct {
		args     []string
		stderrRe string
	}{
		{[]string{"preview", "--episode", "3"}, `preview needs --platform slack or --platform discord`},
		{[]string{"preview", "--platform", "teams", "--latest"}, `--platform teams: use slack or discord`},
		{[]string{"preview", "--platform", "slack"}, `needs one of --episode N`},
		{[]string{"preview", "--platform", "slack", "--latest", "--digest"}, `needs one of`},
		{[]string{"preview", "--platform", "slack", "--summary", "1"}, `--summary 1: give a number of episodes from 2`},
		{[]string{"preview", "--platform", "slack", "--episode", "abc"}, `--episode abc: give an episode number`},
		{[]string{"latest", "--platform", "slack"}, `latest does not take --platform`},
	} {
		_, stderr, code := cliRun(t, tt.args...)
		if code != exitUsage || !regexp.MustCompile(tt.stderrRe).MatchString(stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, exitUsage, tt.stderrRe)
		}
	}
}

// TestCheckConfigSlack: with Slack credentials, check-config says which workspace
// and bot the token posts as, or exactly what is wrong with it.
func TestCheckConfigSlack(t *testing.T) {
	s := fakeslack.New(t, fakeslack.Options{})
	for _, tt := range []struct {
		name     string
		token    string
		appToken string
		code     int
		stdoutRe string
		stderrRe string
	}{
		{"good token", s.BotToken(), s.AppToken(), 0, `slack: posts as @pmbot in Fake Team \(T[A-Z0-9]+\), Socket Mode`, `^$`},
		{"revoked app token", s.BotToken(), "xapp-1-revoked", 1, ``, `slack: apps.connections.open: the app token was refused .*PMBOT_SLACK_APP_TOKEN`},
		{"revoked token", "xoxb-not-the-one", s.AppToken(), 1, ``, `slack: auth.test: the bot token is not valid: check PMBOT_SLACK_BOT_TOKEN`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			env := []string{"PMBOT_SLACK_BOT_TOKEN=" + tt.token, "PMBOT_SLACK_APP_TOKEN=" + tt.appToken, "PMBOT_SLACK_API_URL=" + s.APIURL()}
			code := run(context.Background(), []string{"check-config"}, strings.NewReader(""), &out, &errOut, env)
			if code != tt.code || !regexp.MustCompile(tt.stdoutRe).MatchString(out.String()) || !regexp.MustCompile(tt.stderrRe).MatchString(errOut.String()) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out.String(), errOut.String(), tt.code, tt.stdoutRe, tt.stderrRe)
			}
			if strings.Contains(out.String()+errOut.String(), tt.token) || strings.Contains(out.String()+errOut.String(), tt.appToken) {
				t.Error("the token was printed")
			}
		})
	}
}

// TestCheckConfigDiscord: with a Discord token, check-config names the bot user,
// gives the invite URL with exactly the permissions the bot needs, and says no
// privileged intent is needed; a bad token is named as such.
func TestCheckConfigDiscord(t *testing.T) {
	fake := fakediscord.New(t, fakediscord.Options{})
	for _, tt := range []struct {
		name, token string
		code        int
		stdoutRe    string
	}{
		{"good token", fake.BotToken(), 0, `(?s)discord: the token is the bot .*permissions=309237730304.*no privileged intent`},
		{"bad token", "not-the-token", 1, `^$`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			env := []string{"PMBOT_DISCORD_BOT_TOKEN=" + tt.token, "PMBOT_DISCORD_API_URL=" + fake.APIURL(), "PMBOT_DISCORD_APPLICATION_ID=123456789012345678"}
			code := run(context.Background(), []string{"check-config"}, strings.NewReader(""), &out, &errOut, env)
			if code != tt.code || !regexp.MustCompile(tt.stdoutRe).MatchString(out.String()) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", code, out.String(), errOut.String(), tt.code, tt.stdoutRe)
			}
			if tt.code != 0 && !strings.Contains(errOut.String(), "the bot token is not valid") {
				t.Errorf("stderr %q does not say the token is not valid", errOut.String())
			}
		})
	}
	fake.TakeViolations() // the bad token's 401 counts as an invalid request, on purpose
}

// TestCheckConfigDatabase: check-config says "config OK" only for a database the
// store can open; a PostgreSQL server that does not answer is named in one line
// that says so, never quoting the password. (With a PostgreSQL to test against,
// TestCheckConfigPostgres checks what it says of a real server.)
func TestCheckConfigDatabase(t *testing.T) {
	const refused = `cannot connect to postgres://pmbot@127\.0\.0\.1:1/pmbot: connection refused; is PostgreSQL running and listening there\?\n$`
	file := filepath.Join(t.TempDir(), "pm.db")
	tests := []struct {
		name     string
		args     []string
		env      []string
		code     int
		stdoutRe string
		stderrRe string
	}{
		{"--db postgres://", []string{"--db", "postgres://pmbot:hunter2@127.0.0.1:1/pmbot", "check-config"}, nil, 1, `^$`, `^pmbot: store: ` + refused},
		{"--db postgresql://", []string{"check-config", "--db", "postgresql://pmbot:hunter2@127.0.0.1:1/pmbot?sslmode=require"}, nil, 1, `^$`, `^pmbot: store: ` + refused},
		{"PMBOT_DATABASE", []string{"check-config"}, []string{"PMBOT_DATABASE=postgres://pmbot:hunter2@127.0.0.1:1/pmbot"}, 1, `^$`, `^pmbot: store: ` + refused},
		{"a bad PostgreSQL URL", []string{"--db", "postgres://pmbot:hunter2@127.0.0.1:port/pmbot", "check-config"}, nil, 1, `^$`, `^pmbot: store: open: the PostgreSQL URL cannot be read; write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE\?sslmode=…\n$`},
		{"--db mysql://", []string{"--db", "mysql://pmbot:hunter2@db.example/pmbot", "check-config"}, nil, 1, `^$`, `^pmbot: store: open: "mysql" databases are not supported; use a SQLite file path \(like pmbot\.db\) or a postgres:// URL\n$`},
		{"--db a file", []string{"--db", file, "check-config"}, nil, 0, `(?m)^config OK\n  database: .*pm\.db$`, `^$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errOut, tt.env)
			if code != tt.code || !regexp.MustCompile(tt.stdoutRe).MatchString(out.String()) || !regexp.MustCompile(tt.stderrRe).MatchString(errOut.String()) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out.String(), errOut.String(), tt.code, tt.stdoutRe, tt.stderrRe)
			}
			if strings.Contains(out.String()+errOut.String(), "hunter2") {
				t.Error("the password was printed")
			}
		})
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("check-config created the database %s (%v)", file, err)
	}
}
