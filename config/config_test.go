package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

// exampleEnv is what config.example.yaml needs: it subscribes Slack and Discord
// channels, so their tokens must be set.
var exampleEnv = []string{
	"PMBOT_SLACK_BOT_TOKEN=xoxb-example",
	"PMBOT_SLACK_APP_TOKEN=xapp-example",
	"PMBOT_DISCORD_BOT_TOKEN=discord-example",
}

func readExample(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadDefaults(t *testing.T) {
	for name, in := range map[string]string{
		"empty":        "",
		"comment only": "# nothing here\n",
		"null":         "~\n",
		"blank lines":  "\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Load(strings.NewReader(in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Default(), got); diff != "" {
				t.Errorf("Load(%q) (-want +got):\n%s", in, diff)
			}
		})
	}
	d := Default()
	if d.PollInterval.Duration != 15*time.Minute || d.FloodLimit != 3 || d.Database != "pmbot.db" || d.Language != "en" || d.Backfill != 0 {
		t.Errorf("Default() = %+v", d)
	}
	if d.HasSlack() || d.HasDiscord() || len(d.Subscriptions) != 0 {
		t.Errorf("Default() should have no platform and no subscription: %+v", d)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
}

const fullYAML = `
database: /var/lib/pmbot/pmbot.db
poll_interval: 1h30m
backfill: 2
flood_limit: 5
language: FR
feeds:
  - url: https://www.example.org/feed.xml
  - title: "L'Équipe Café"
    author: Someone
    backfill: 0
  - apple: https://podcasts.apple.com/fr/podcast/post-mortem/id1609974955
    language: fr
  - url: file:///srv/feeds/local-show.rss
  - name: custom
    url: testdata/other.xml
subscriptions:
  - platform: Slack
    channel: C0123ABCD
    feed: post-mortem
    digest: {schedule: "0 8 * * 2", time_zone: America/New_York, enabled: false}
  - platform: discord
    channel: "42"
    language: en
    topics: [bgp]
  - platform: console
slack:
  bot_token: xoxb-1
  signing_secret: s3cret
discord:
  bot_token: d-token
  application_id: "1234"
  public_key: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
log:
  level: debug
  format: json
`

func TestLoadFull(t *testing.T) {
	got, err := Load(strings.NewReader(fullYAML), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Database:           "/var/lib/pmbot/pmbot.db",
		PollInterval:       Duration{90 * time.Minute},
		Backfill:           2,
		FloodLimit:         5,
		MaxAnnouncementAge: Duration{DefaultMaxAnnouncementAge},
		Language:           "fr",
		Feeds: []Feed{
			{Name: "example.org", URL: "https://www.example.org/feed.xml"},
			{Name: "l-equipe-cafe", Title: "L'Équipe Café", Author: "Someone", Backfill: ptr(0)},
			{Name: "post-mortem", Apple: "https://podcasts.apple.com/fr/podcast/post-mortem/id1609974955", Language: "fr"},
			{Name: "local-show", URL: "file:///srv/feeds/local-show.rss"},
			{Name: "custom", URL: "testdata/other.xml"},
		},
		Subscriptions: []Subscription{
			{Platform: "slack", Channel: "C0123ABCD", Feed: "post-mortem", Language: "fr",
				Digest: Digest{Schedule: "0 8 * * 2", TimeZone: "America/New_York", Enabled: ptr(false)}},
			{Platform: "discord", Channel: "42", Language: "en", Topics: []string{"bgp"},
				Digest: Digest{Schedule: "0 9 * * 1", TimeZone: "Europe/Paris", Enabled: ptr(true)}},
			{Platform: "console", Channel: "stdout", Language: "fr",
				Digest: Digest{Schedule: "0 9 * * 1", TimeZone: "Europe/Paris", Enabled: ptr(true)}},
		},
		Slack:   Slack{BotToken: "xoxb-1", SigningSecret: "s3cret"},
		Discord: Discord{BotToken: "d-token", ApplicationID: "1234", PublicKey: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		Log:     Log{Level: "debug", Format: "json"},
		// Literal secrets work, with a warning; "d-token" is not shaped like one.
		Warnings: []Problem{
			{Line: 28, Key: "slack.bot_token", Message: "a token is written in the file; secrets belong in the environment (PMBOT_SLACK_BOT_TOKEN or ${PMBOT_SLACK_BOT_TOKEN})"},
			{Line: 29, Key: "slack.signing_secret", Message: "a secret is written in the file; secrets belong in the environment (PMBOT_SLACK_SIGNING_SECRET or ${PMBOT_SLACK_SIGNING_SECRET})"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load (-want +got):\n%s", diff)
	}
	if !got.HasSlack() || !got.HasDiscord() {
		t.Errorf("HasSlack, HasDiscord = %v, %v; want true, true", got.HasSlack(), got.HasDiscord())
	}
	if got.Subscriptions[0].Digest.IsEnabled() || !got.Subscriptions[1].Digest.IsEnabled() {
		t.Error("IsEnabled does not follow digest.enabled")
	}
	if b := got.BackfillFor(got.Feeds[1]); b != 0 {
		t.Errorf("BackfillFor(override 0) = %d", b)
	}
	if b := got.BackfillFor(got.Feeds[0]); b != 2 {
		t.Errorf("BackfillFor(no override) = %d", b)
	}
	if id := got.Feeds[2].AppleID(); id != "1609974955" {
		t.Errorf("AppleID = %q", id)
	}
}

func TestFeedsReplaceDefaults(t *testing.T) {
	got, err := Load(strings.NewReader("feeds:\n  - url: https://a.example/feed\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Feed{{Name: "a.example", URL: "https://a.example/feed"}}
	if diff := cmp.Diff(want, got.Feeds); diff != "" {
		t.Errorf("feeds (-want +got):\n%s", diff)
	}
}

func TestLoadYAMLErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown top-level key", "pol_interval: 1m\n",
			`config: line 1: unknown key "pol_interval" at the top level; did you mean "poll_interval"?`},
		{"unknown key without a close match", "slack:\n  token: x\n",
			`config: line 2: unknown key "token" in slack; known keys are bot_token, app_token, signing_secret, api_url, managers, posts_per_minute`},
		{"unknown feed key", "feeds:\n  - url: https://a.example/f\n    titel: x\n",
			`config: line 3: unknown key "titel" in a feed; did you mean "title"?`},
		{"unknown digest key", "subscriptions:\n  - platform: console\n    digest: {timezone: UTC}\n",
			`config: line 3: unknown key "timezone" in digest; did you mean "time_zone"?`},
		{"several at once", "databse: x\nlog: {lvl: debug}\n",
			"config: line 1: unknown key \"databse\" at the top level; did you mean \"database\"?\n" +
				"config: line 2: unknown key \"lvl\" in log; did you mean \"level\"?"},
		{"syntax error keeps its line", "feeds:\n  - url: a\n bad: [\n",
			`config: line 2: did not find expected key`},
		{"wrong type", "backfill: ten\n", `config: line 1: backfill: expected a whole number here, not text`},
		{"list expected", "feeds: https://a.example/f\n", `config: line 1: feeds: expected a list (lines starting with -) here, not text`},
		{"bad duration", "poll_interval: soon\n", `config: line 1: poll_interval: "soon" is not a duration; write it like 15m, 1h30m or 900 (seconds)`},
		{"duration as a list", "poll_interval: [1]\n", `config: line 1: poll_interval: expected a duration like 15m or 1h30m, not a list or mapping`},
		{"duplicate key", "language: en\nlanguage: fr\n", `config: line 2: mapping key "language" already defined at line 1`},
		{"two documents", "language: en\n---\nlanguage: fr\n", `config: line 2: a second YAML document (---) follows; keep the whole configuration in one document`},
		{"token pasted in place of a section", "slack: xoxb-123456789-secret\n", `config: line 1: slack: expected a mapping (key: value lines) here, not text`},
		{"a custom tag does not bring the value back", "backfill: !foo xoxb-123456789-secret\n", `config: line 1: backfill: expected a whole number here, not !foo`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tt.in), nil)
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("ok", func(t *testing.T) {
		c, err := LoadFile(write("ok.yaml", "flood_limit: 7\n"), nil)
		if err != nil || c.FloodLimit != 7 {
			t.Fatalf("LoadFile = %v, %v", c.FloodLimit, err)
		}
	})
	t.Run("syntax error names the file and line", func(t *testing.T) {
		p := write("bad.yaml", "language: en\nfeeds: [\n")
		_, err := LoadFile(p, nil)
		want := "config: " + p + ": line 2: did not find expected node content"
		if err == nil || err.Error() != want {
			t.Errorf("err = %v\nwant  %s", err, want)
		}
	})
	t.Run("validation error names the file", func(t *testing.T) {
		p := write("invalid.yaml", "flood_limit: 0\n")
		_, err := LoadFile(p, nil)
		want := "config: " + p + ": flood_limit: 0 is too small; use 1 or more (more new episodes than this in one poll become one summary)"
		if err == nil || err.Error() != want {
			t.Errorf("err = %v\nwant  %s", err, want)
		}
		var e *Error
		if !errors.As(err, &e) || e.File != p {
			t.Errorf("err is not an *Error for %s: %#v", p, err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		p := filepath.Join(dir, "missing.yaml")
		_, err := LoadFile(p, nil)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) {
			t.Errorf("err = %v; want fs.ErrNotExist naming %s", err, p)
		}
	})
}

func TestExampleLoads(t *testing.T) {
	c, err := Load(strings.NewReader(readExample(t)), exampleEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasSlack() || !c.HasDiscord() {
		t.Error("the example should configure Slack and Discord")
	}
	var platforms []string
	for _, s := range c.Subscriptions {
		platforms = append(platforms, s.Platform)
	}
	if diff := cmp.Diff([]string{"slack", "discord", "console"}, platforms); diff != "" {
		t.Errorf("subscription platforms (-want +got):\n%s", diff)
	}
	var ways []string
	for _, f := range c.Feeds {
		switch {
		case f.URL != "":
			ways = append(ways, "url")
		case f.Apple != "":
			ways = append(ways, "apple")
		case f.Title != "" && f.Author != "":
			ways = append(ways, "title+author")
		}
	}
	if diff := cmp.Diff([]string{"title+author", "url", "apple"}, ways); diff != "" {
		t.Errorf("feed kinds (-want +got):\n%s", diff)
	}
	if c.Slack.BotToken.Value() != "xoxb-example" {
		t.Errorf("placeholder not expanded: %q", c.Slack.BotToken.Value())
	}

	t.Run("documents every key", func(t *testing.T) {
		text := readExample(t)
		for _, sec := range sections {
			for f := range sec.typ.Fields() {
				key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
				documented := strings.Contains(text, key+":")
				switch {
				case key == "-":
				case !documented:
					t.Errorf("config.example.yaml does not mention %s (%s)", key, sec.where)
				}
			}
		}
	})
	t.Run("no secret values", func(t *testing.T) {
		for _, line := range strings.Split(readExample(t), "\n") {
			for _, k := range []string{"bot_token:", "app_token:", "signing_secret:"} {
				if _, v, ok := strings.Cut(line, k); ok && !strings.HasPrefix(strings.TrimSpace(v), "${PMBOT_") {
					t.Errorf("secret not written as a ${PMBOT_…} placeholder: %s", line)
				}
			}
		}
	})
	t.Run("without the tokens it says which are missing", func(t *testing.T) {
		_, err := Load(strings.NewReader(readExample(t)), nil)
		if err == nil {
			t.Fatal("Load succeeded without tokens")
		}
		for _, want := range []string{
			"config: slack.bot_token: ${PMBOT_SLACK_BOT_TOKEN} is not set in the environment",
			"config: discord.bot_token: ${PMBOT_DISCORD_BOT_TOKEN} is not set",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	})
}

func TestDerivedNames(t *testing.T) {
	tests := []struct {
		feed Feed
		want string
	}{
		{Feed{Title: "Post Mortem", Author: "x"}, "post-mortem"},
		{Feed{Title: "  Ça  Débogue !! ", Author: "x"}, "ca-debogue"},
		{Feed{Title: "Cœur & Âme", Author: "x", URL: "https://h.example/f"}, "coeur-ame"},
		{Feed{URL: "https://WWW.Example.com:8443/rss"}, "example.com"},
		{Feed{URL: "feeds/My Show.xml"}, "my-show"},
		{Feed{URL: `C:\feeds\show.rss`}, "show"},
		{Feed{URL: "file:///tmp/pod.xml"}, "pod"},
		{Feed{Apple: "https://podcasts.apple.com/us/podcast/the-show/id42"}, "the-show"},
		{Feed{Apple: "https://podcasts.apple.com/id42"}, "apple-42"},
		{Feed{Title: "🎙️", Author: "x"}, ""},
		// The meaningful part of the path tells feeds on one host apart.
		{Feed{URL: "https://feeds.megaphone.fm/GBS8392"}, "feeds.megaphone.fm-gbs8392"},
		{Feed{URL: "https://example.org/"}, "example.org"},
		{Feed{URL: "https://example.org/feed.xml"}, "example.org"},
		{Feed{URL: "https://example.org/podcast/rss/"}, "example.org"},
		{Feed{URL: "https://anchor.fm/s/12345/podcast/rss"}, "anchor.fm-s-12345"},
		{Feed{URL: "https://rss.example.com/shows/Post_Mortem.rss"}, "rss.example.com-shows-post-mortem"},
		// Never the user name, password or query.
		{Feed{URL: "https://user:hunter2@example.org/bgp-talk/feed?token=s3cr3t"}, "example.org-bgp-talk"},
		{Feed{URL: "https://bücher.example/flux/épisodes.rss"}, "bucher.example-flux-episodes"},
		{Feed{URL: "http://[::1]:8080/feed"}, "ip6-1"},
		{Feed{URL: "https://example.org/" + strings.Repeat("segment/", 20)}, "example.org-segment-segment-segment-segment-segment-segment-segm"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.feed.derivedName(); got != tt.want {
				t.Errorf("derivedName(%+v) = %q; want %q", tt.feed, got, tt.want)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"15m", 15 * time.Minute, false},
		{"1h30m", 90 * time.Minute, false},
		{"900", 900 * time.Second, false},
		{" 60 ", time.Minute, false},
		{"1.5", 0, true},
		{"soon", 0, true},
		{"99999999999999999999", 0, true},
		{"9999999999999", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if (err != nil) != tt.err || got.Duration != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
	for d, want := range map[time.Duration]string{
		15 * time.Minute: "15m", time.Hour: "1h", 90 * time.Minute: "1h30m", 10 * time.Second: "10s", 61 * time.Second: "1m1s",
	} {
		if got := (Duration{d}).String(); got != want {
			t.Errorf("Duration(%v).String() = %q; want %q", d, got, want)
		}
	}
	c, err := Load(strings.NewReader("poll_interval: 120\n"), nil)
	if err != nil || c.PollInterval.Duration != 2*time.Minute {
		t.Errorf("poll_interval: 120 -> %v, %v; want 2m", c.PollInterval, err)
	}
}

func TestRedactedDatabase(t *testing.T) {
	for in, want := range map[string]string{
		"pmbot.db":                          "pmbot.db",
		"postgres://u:hunter2@db/pmbot":     "postgres://u:xxxxx@db/pmbot",
		"postgres://u@db/pmbot":             "postgres://u@db/pmbot",
		"postgres://u:hun%zzter2@db/pmbot":  "postgres://[redacted]",
		"postgresql://u:p@db:5432/x?ssl=on": "postgresql://u:xxxxx@db:5432/x?ssl=on",
	} {
		if got := (Config{Database: in}).RedactedDatabase(); got != want {
			t.Errorf("RedactedDatabase(%q) = %q; want %q", in, got, want)
		}
	}
}
