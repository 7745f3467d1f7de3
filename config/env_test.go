package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

func TestApplyEnv(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	botFile := file("bot", "  xoxb-from-file\n")
	emptyFile := file("empty", "\n \n")
	dbFile := file("db", "postgres://u:pw@db/pmbot\n")
	bomFile := file("bom", "\uFEFFxoxb-bom\r\n")
	binaryFile := file("binary", "xoxb-\x00\x01s3cr3t")
	notUTF8File := file("latin1", "xoxb-caf\xe9-s3cr3t")
	twoLinesFile := file("lines", "xoxb-first-s3cr3t\nxoxb-second-s3cr3t\n")
	bigFile := file("big", "xoxb-"+strings.Repeat("a", 64<<10))
	fifo := filepath.Join(dir, "fifo")
	mkfifo(t, fifo)

	tests := []struct {
		name    string
		env     []string
		want    func(c *Config)
		wantErr string
	}{
		{"nothing", []string{"HOME=/root", "PATH=/bin", "junk"}, func(c *Config) {}, ""},
		{"plain overrides", []string{
			"PMBOT_DATABASE=/var/lib/pmbot.db",
			"PMBOT_POLL_INTERVAL=30m",
			"PMBOT_LOG_LEVEL=debug",
			"PMBOT_LOG_FORMAT=json",
			"PMBOT_DISCORD_APPLICATION_ID=123",
			"PMBOT_DISCORD_PUBLIC_KEY=abcd",
		}, func(c *Config) {
			c.Database = "/var/lib/pmbot.db"
			c.PollInterval = Duration{30 * time.Minute}
			c.Log = Log{Level: "debug", Format: "json"}
			c.Discord.ApplicationID = "123"
			c.Discord.PublicKey = "abcd"
		}, ""},
		{"poll interval in seconds", []string{"PMBOT_POLL_INTERVAL=300"}, func(c *Config) { c.PollInterval = Duration{5 * time.Minute} }, ""},
		{"secrets", []string{
			"PMBOT_SLACK_BOT_TOKEN=xoxb-1",
			"PMBOT_SLACK_APP_TOKEN=xapp-1",
			"PMBOT_SLACK_SIGNING_SECRET=sig",
			"PMBOT_DISCORD_BOT_TOKEN=dis",
		}, func(c *Config) {
			c.Slack = Slack{BotToken: "xoxb-1", AppToken: "xapp-1", SigningSecret: "sig"}
			c.Discord.BotToken = "dis"
		}, ""},
		{"last entry wins", []string{"PMBOT_DATABASE=a.db", "PMBOT_DATABASE=b.db"}, func(c *Config) { c.Database = "b.db" }, ""},
		{"empty counts as unset", []string{"PMBOT_DATABASE=", "PMBOT_SLACK_BOT_TOKEN="}, func(c *Config) {}, ""},
		{"secret from file, trimmed", []string{"PMBOT_SLACK_BOT_TOKEN_FILE=" + botFile}, func(c *Config) { c.Slack.BotToken = "xoxb-from-file" }, ""},
		{"database from file", []string{"PMBOT_DATABASE_FILE=" + dbFile}, func(c *Config) { c.Database = "postgres://u:pw@db/pmbot" }, ""},
		{"bad poll interval", []string{"PMBOT_POLL_INTERVAL=often"}, nil,
			`config: PMBOT_POLL_INTERVAL: "often" is not a duration; write it like 15m, 1h30m or 900 (seconds)`},
		{"missing file", []string{"PMBOT_DISCORD_BOT_TOKEN_FILE=" + filepath.Join(dir, "nope")}, nil,
			"config: PMBOT_DISCORD_BOT_TOKEN_FILE: cannot read " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"announcement age", []string{"PMBOT_MAX_ANNOUNCEMENT_AGE=48h"}, func(c *Config) { c.MaxAnnouncementAge = Duration{48 * time.Hour} }, ""},
		{"bad announcement age", []string{"PMBOT_MAX_ANNOUNCEMENT_AGE=a week"}, nil,
			`config: PMBOT_MAX_ANNOUNCEMENT_AGE: "a week" is not a duration; write it like 15m, 1h30m or 900 (seconds)`},
		{"byte order mark and CRLF", []string{"PMBOT_SLACK_BOT_TOKEN_FILE=" + bomFile}, func(c *Config) { c.Slack.BotToken = "xoxb-bom" }, ""},
		{"endless device", []string{"PMBOT_SLACK_BOT_TOKEN_FILE=/dev/zero"}, nil,
			"config: PMBOT_SLACK_BOT_TOKEN_FILE: /dev/zero: not a regular file (a character device); point it at the file that holds the token"},
		{"random device for the database", []string{"PMBOT_DATABASE_FILE=/dev/urandom"}, nil,
			"config: PMBOT_DATABASE_FILE: /dev/urandom: not a regular file (a character device); point it at the file that holds the database path or URL"},
		{"named pipe never blocks", []string{"PMBOT_SLACK_SIGNING_SECRET_FILE=" + fifo}, nil,
			"config: PMBOT_SLACK_SIGNING_SECRET_FILE: " + fifo + ": not a regular file (a named pipe); point it at the file that holds the signing secret"},
		{"directory", []string{"PMBOT_DISCORD_BOT_TOKEN_FILE=" + dir}, nil,
			"config: PMBOT_DISCORD_BOT_TOKEN_FILE: " + dir + ": not a regular file (a directory); point it at the file that holds the token"},
		{"larger than 64 KiB", []string{"PMBOT_SLACK_BOT_TOKEN_FILE=" + bigFile}, nil,
			"config: PMBOT_SLACK_BOT_TOKEN_FILE: " + bigFile + " is larger than 64 KiB; it must hold the token alone"},
		{"binary data", []string{"PMBOT_SLACK_BOT_TOKEN_FILE=" + binaryFile}, nil,
			"config: PMBOT_SLACK_BOT_TOKEN_FILE: " + binaryFile + " does not hold text (binary data); it must hold the token alone"},
		{"not UTF-8", []string{"PMBOT_DATABASE_FILE=" + notUTF8File}, nil,
			"config: PMBOT_DATABASE_FILE: " + notUTF8File + " does not hold text (binary data); it must hold the database path or URL alone"},
		{"several lines", []string{"PMBOT_SLACK_APP_TOKEN_FILE=" + twoLinesFile}, nil,
			"config: PMBOT_SLACK_APP_TOKEN_FILE: " + twoLinesFile + " holds several lines; it must hold the token alone"},
		{"empty file", []string{"PMBOT_SLACK_APP_TOKEN_FILE=" + emptyFile}, nil,
			"config: PMBOT_SLACK_APP_TOKEN_FILE: " + emptyFile + " is empty"},
		{"both set", []string{"PMBOT_SLACK_BOT_TOKEN=xoxb-1", "PMBOT_SLACK_BOT_TOKEN_FILE=" + botFile}, nil,
			"config: PMBOT_SLACK_BOT_TOKEN: both PMBOT_SLACK_BOT_TOKEN and PMBOT_SLACK_BOT_TOKEN_FILE are set; keep one"},
		{"all problems at once", []string{"PMBOT_POLL_INTERVAL=x", "PMBOT_SLACK_APP_TOKEN_FILE=" + emptyFile}, nil,
			"config: PMBOT_POLL_INTERVAL: \"x\" is not a duration; write it like 15m, 1h30m or 900 (seconds)\n" +
				"config: PMBOT_SLACK_APP_TOKEN_FILE: " + emptyFile + " is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Default()
			err := got.ApplyEnv(tt.env)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ApplyEnv error = %v\nwant %s", err, tt.wantErr)
				}
				for _, content := range []string{"xoxb-from-file", "s3cr3t", "pw@db"} {
					if strings.Contains(err.Error(), content) {
						t.Errorf("error leaks the file's content: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ApplyEnv (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadEnvOverridesYAML(t *testing.T) {
	in := "database: file.db\npoll_interval: 1h\nlog: {level: warn}\nslack: {bot_token: xoxb-yaml, app_token: xapp-yaml}\n"
	c, err := Load(strings.NewReader(in), []string{"PMBOT_DATABASE=env.db", "PMBOT_LOG_LEVEL=ERROR", "PMBOT_SLACK_BOT_TOKEN=xoxb-env"})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.Database, c.PollInterval.String(), c.Log.Level, c.Slack.BotToken.Value(), c.Slack.AppToken.Value()}
	want := []string{"env.db", "1h", "error", "xoxb-env", "xapp-yaml"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for env, want := range map[string]string{
		"PMBOT_POLL_INTERVAL=5s":             "config: poll_interval: 5s is too short; use 1m or more",
		"PMBOT_POLL_INTERVAL=8760h":          "config: poll_interval: 8760h is too long; use between 1m and 24h",
		"PMBOT_MAX_ANNOUNCEMENT_AGE=10m":     "config: max_announcement_age: 10m is out of range; use between 1h and 365 days (8760h), like 168h for a week",
		"PMBOT_DATABASE=mysql://u:pw@db/pmb": `config: database: "mysql" databases are not supported; use a SQLite file path (like pmbot.db) or a postgres:// URL`,
	} {
		if _, err := Load(strings.NewReader(""), []string{env}); err == nil || err.Error() != want {
			t.Errorf("%s is validated: got %v\nwant %s", env, err, want)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "t")
	if err := os.WriteFile(tokenFile, []byte("xoxb-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		yaml    string
		env     []string
		want    Slack
		wantErr string
	}{
		{"expanded", "slack: {bot_token: '${SLACK_BOT}', app_token: '${PMBOT_SLACK_APP_TOKEN}'}\n",
			[]string{"SLACK_BOT=xoxb-1", "PMBOT_SLACK_APP_TOKEN=xapp-2"}, Slack{BotToken: "xoxb-1", AppToken: "xapp-2"}, ""},
		{"embedded", "slack: {bot_token: 'xoxb-${A}-${B}', app_token: xapp-1}\n",
			[]string{"A=1", "B=2"}, Slack{BotToken: "xoxb-1-2", AppToken: "xapp-1"}, ""},
		{"unquoted", "slack:\n  bot_token: ${T}\n  signing_secret: ${S}\n",
			[]string{"T=xoxb-1", "S=sig"}, Slack{BotToken: "xoxb-1", SigningSecret: "sig"}, ""},
		{"unset variable", "slack: {bot_token: '${PMBOT_SLACK_BOT_TOKEN}', app_token: xapp-1}\n", nil, Slack{},
			"config: slack.bot_token: ${PMBOT_SLACK_BOT_TOKEN} is not set in the environment; set it (or PMBOT_SLACK_BOT_TOKEN_FILE), or remove this line"},
		{"unset but filled by _FILE", "slack: {bot_token: '${PMBOT_SLACK_BOT_TOKEN}', app_token: xapp-1}\n",
			[]string{"PMBOT_SLACK_BOT_TOKEN_FILE=" + tokenFile}, Slack{BotToken: "xoxb-file", AppToken: "xapp-1"}, ""},
		{"malformed placeholder", "slack: {bot_token: '${ not a name }', app_token: xapp-1}\n", nil, Slack{},
			"config: slack.bot_token: holds a malformed ${…} placeholder; write ${NAME} with letters, digits and _"},
		{"not expanded outside secrets", "subscriptions: [{platform: console, channel: '${CH}'}]\n", []string{"CH=stdout"}, Slack{},
			"config: subscriptions[0].channel: ${…} placeholders are expanded only in secret fields; write the channel id"},
		{"public discord ids are not placeholders", "discord: {bot_token: d, application_id: '${APP}'}\n", []string{"APP=1"}, Slack{},
			"config: discord.application_id: ${…} placeholders are expanded only in secret fields; set PMBOT_DISCORD_APPLICATION_ID in the environment instead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(strings.NewReader(tt.yaml), tt.env)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v\nwant    %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Slack); diff != "" {
				t.Errorf("slack (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	const value = "xoxb-very-secret-value"
	c := Default()
	c.Slack = Slack{BotToken: value, AppToken: value, SigningSecret: value}
	c.Discord.BotToken = value
	s := Secret(value)

	var logText, logJSON bytes.Buffer
	slog.New(slog.NewTextHandler(&logText, nil)).Info("start", "token", s, "config", c, slog.Any("slack", c.Slack))
	slog.New(slog.NewJSONHandler(&logJSON, nil)).Info("start", "token", s, "config", c)
	jsonOut, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	yamlOut, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":         fmt.Sprintf("%v", s),
		"%s":         fmt.Sprintf("%s", s),
		"%q":         fmt.Sprintf("%q", s),
		"%x":         fmt.Sprintf("%x", s),
		"%d":         fmt.Sprintf("%d", s),
		"%#v":        fmt.Sprintf("%#v", s),
		"config %v":  fmt.Sprintf("%v", c),
		"config %+v": fmt.Sprintf("%+v", c),
		"config %#v": fmt.Sprintf("%#v", c),
		"&config":    fmt.Sprintf("%+v", &c),
		"Sprint":     fmt.Sprint(s, c.Slack),
		"slog text":  logText.String(),
		"slog json":  logJSON.String(),
		"json":       string(jsonOut),
		"yaml":       string(yamlOut),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, "very-secret") || strings.Contains(out, "xoxb") {
				t.Errorf("secret printed: %s", out)
			}
			if !strings.Contains(out, "[redacted]") {
				t.Errorf("no [redacted] marker in %s", out)
			}
		})
	}
	if s.Value() != value {
		t.Errorf("Value() = %q", s.Value())
	}
	if got := fmt.Sprint(Secret("")); got != "" {
		t.Errorf("empty secret prints %q; want nothing, so an unset token is visible as unset", got)
	}
	// The dumped YAML reads back with the same keys (secrets redacted, not lost by shape).
	var back Config
	dec := yaml.NewDecoder(bytes.NewReader(yamlOut))
	dec.KnownFields(true)
	if err := dec.Decode(&back); err != nil {
		t.Errorf("marshalled config does not read back: %v", err)
	}
	if back.PollInterval != c.PollInterval {
		t.Errorf("poll_interval round trip: %v != %v", back.PollInterval, c.PollInterval)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(readExample(f))
	f.Add(fullYAML)
	for _, s := range []string{
		"",
		"feeds: [",
		"feeds:\n  - url: a\n bad: [\n",
		"poll_interval: -5\nflood_limit: 0\n",
		"subscriptions:\n  - platform: console\n    digest: {schedule: '0 9 * *', time_zone: Europe/Pariss}\n",
		"slack: xoxb-1\n",
		"feeds: [{apple: 'https://podcasts.apple.com/id'}]\n",
		"a: &a [*a]\n",
		"--- !!binary\n",
		"poll_interval: 99999999999999999999\n",
		"slack: {bot_token: '${X'}\n",
		// Issue 6: every hostile input of the hardening.
		"flood_limit: 1.5\nbackfill: 2.7\n",
		"feeds: [{url: https://a.example/f, backfill: 0.5}]\n",
		"flood_limit: .nan\nbackfill: -.inf\n",
		"flood_limit: 1e30\nbackfill: 5000\n",
		"subscriptions: [{platform: console, digest: {schedule: '* * * * *'}}]\n",
		"subscriptions: [{platform: console, digest: {schedule: '@hourly', time_zone: Europe/Paris}}]\n",
		"subscriptions: [{platform: console, digest: {schedule: '0 0 30 2 *'}}]\n",
		"poll_interval: 2562047h47m16s\n",
		"max_announcement_age: 1m\n",
		"allow_networks: [10.0.0.0/8, '::1', not-a-network, 'fe80::1%eth0']\n",
		"database: postgres://pmbot:hunter2@db:5432/pmbot?sslmode=require\n",
		"database: 'u:hunter2@db://x'\n",
		"slack: {bot_token: xoxb-1-2-3, app_token: xapp-1-A, signing_secret: abc}\n",
		"discord: {bot_token: MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs}\n",
		"language: 42\nbackfill: ten\n",
		"log: {level: verbose}\nfeeds: oops\n",
		"feeds: [{url: 'https://user:hunter2@host/%zz'}, {url: 'https://u:hunter2/x@host/'}]\n",
		"feeds: [{url: https://feeds.megaphone.fm/A}, {url: https://feeds.megaphone.fm/B}, {url: 'https://h.example/s.php?id=1'}, {url: 'https://h.example/s.php?id=2'}]\n",
		"\x00\x01\xff\xfe binary \x80garbage\x1b[0m",
		"a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n",
		"subscriptions: [&s {platform: console}, {<<: *s, channel: stderr}]\n",
		"log: {level: debug, level: warn}\n",
	} {
		f.Add(s)
	}
	env := []string{"PMBOT_SLACK_BOT_TOKEN=xoxb-example", "PMBOT_SLACK_APP_TOKEN=xapp-example", "PMBOT_DISCORD_BOT_TOKEN=d"}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Load(strings.NewReader(in), env)
		if err != nil {
			if strings.Contains(err.Error(), "xoxb-example") {
				t.Errorf("error leaks a secret: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Load succeeded but Validate fails: %v\ninput: %q", err, in)
		}
	})
}
