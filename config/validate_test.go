package config

import (
	"errors"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestValidateErrors(t *testing.T) {
	const hexKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	slackOn := Slack{BotToken: "xoxb-1", AppToken: "xapp-1"}
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string // problem lines, without the "config: " prefix
	}{
		{"valid default", func(c *Config) {}, nil},
		{"poll interval too short", func(c *Config) { c.PollInterval = Duration{10 * time.Second} },
			[]string{"poll_interval: 10s is too short; use 1m or more"}},
		{"poll interval of 292 years", func(c *Config) { c.PollInterval = Duration{math.MaxInt64} },
			[]string{"poll_interval: 2562047h47m16.854775807s is too long; use between 1m and 24h"}},
		{"poll interval just too long", func(c *Config) { c.PollInterval = Duration{25 * time.Hour} },
			[]string{"poll_interval: 25h is too long; use between 1m and 24h"}},
		{"poll interval of a day", func(c *Config) { c.PollInterval = Duration{24 * time.Hour} }, nil},
		{"absurd counts", func(c *Config) { c.Backfill = 1001; c.FloodLimit = 5000; c.Feeds[0].Backfill = ptr(2000) },
			[]string{"backfill: 1001 is too large; use at most 1000", "flood_limit: 5000 is too large; use at most 1000", "feeds[0].backfill: 2000 is too large; use at most 1000"}},
		{"largest counts", func(c *Config) { c.Backfill = 1000; c.FloodLimit = 1000; c.Feeds[0].Backfill = ptr(1000) }, nil},
		{"announcement age too short", func(c *Config) { c.MaxAnnouncementAge = Duration{30 * time.Minute} },
			[]string{"max_announcement_age: 30m is out of range; use between 1h and 365 days (8760h), like 168h for a week"}},
		{"announcement age too long", func(c *Config) { c.MaxAnnouncementAge = Duration{366 * 24 * time.Hour} },
			[]string{"max_announcement_age: 8784h is out of range; use between 1h and 365 days (8760h), like 168h for a week"}},
		{"announcement age bounds", func(c *Config) { c.MaxAnnouncementAge = Duration{time.Hour} }, nil},
		{"allowed networks", func(c *Config) { c.AllowNetworks = []string{"10.0.0.0/8", " 192.168.1.10 ", "fd00::/8", "::1"} }, nil},
		{"bad networks", func(c *Config) {
			c.AllowNetworks = []string{"10.0.0.0/8", "10.0.0.0/33", "intranet.local", "fe80::1%eth0"}
		},
			[]string{
				`allow_networks[1]: "10.0.0.0/33" is not a network; write a CIDR prefix like 10.0.0.0/8 or an IP address like 192.168.1.10`,
				`allow_networks[2]: "intranet.local" is not a network; write a CIDR prefix like 10.0.0.0/8 or an IP address like 192.168.1.10`,
				`allow_networks[3]: "fe80::1%eth0" is not a network; write a CIDR prefix like 10.0.0.0/8 or an IP address like 192.168.1.10`,
			}},
		{"slack api url, managers, listen", func(c *Config) {
			c.Slack = slackOn
			c.Slack.APIURL, c.Slack.Managers, c.Listen = "http://127.0.0.1:9999/api", []string{"U0123ABCD", "W99"}, "127.0.0.1:8080"
		}, nil},
		{"bad slack api url, managers, listen", func(c *Config) {
			c.Slack = slackOn
			c.Slack.APIURL, c.Slack.Managers, c.Listen = "ftp://u:secret@x/", []string{"@bob"}, "8080"
		}, []string{
			"slack.api_url: is not an http(s) URL without credentials; leave it out to use Slack's (https://slack.com/api/)",
			"slack.managers[0]: is not a Slack user id; copy it from the user's profile (⋮ > Copy member ID), like U0123ABCD",
			`listen: "8080" is not an address; write host:port or :port, like :8080`,
		}},
		{"discord api url and guilds", func(c *Config) {
			c.Discord.APIURL, c.Discord.GuildIDs = "http://127.0.0.1:9/api/v10", []string{"123456789012345678"}
		}, nil},
		{"bad discord api url and guilds", func(c *Config) {
			c.Discord.APIURL, c.Discord.GuildIDs = "discord.com/api", []string{"my-server"}
		}, []string{
			"discord.api_url: is not an http(s) URL without credentials; leave it out to use Discord's (https://discord.com/api/v10/)",
			"discord.guild_ids[0]: is not a server id; use the number (Developer Mode on, then right-click the server > Copy Server ID)",
		}},
		{"discord shards", func(c *Config) { c.Discord.Shards = 4 }, nil},
		{"too many discord shards", func(c *Config) { c.Discord.Shards = 65 },
			[]string{"discord.shards: must be between 1 and 64 (Discord needs one shard per 2,500 servers); leave it out for 1"}},
		{"negative backfill", func(c *Config) { c.Backfill = -1 },
			[]string{"backfill: -1 is negative; use 0 to announce nothing on a feed's first poll, or N for the newest N"}},
		{"flood limit zero", func(c *Config) { c.FloodLimit = 0 },
			[]string{"flood_limit: 0 is too small; use 1 or more (more new episodes than this in one poll become one summary)"}},
		{"language", func(c *Config) { c.Language = "de" },
			[]string{`language: "de" is not supported; use en or fr`}},
		{"log level and format", func(c *Config) { c.Log = Log{Level: "verbose", Format: "xml"} },
			[]string{`log.level: "verbose" is not a level; use debug, info, warn or error`, `log.format: "xml" is not a format; use text or json`}},
		{"database scheme, never the URL", func(c *Config) { c.Database = "mysql://root:hunter2@db/x" },
			[]string{`database: "mysql" databases are not supported; use a SQLite file path (like pmbot.db) or a postgres:// URL`}},
		{"PostgreSQL URL", func(c *Config) { c.Database = "postgres://u:hunter2@db/pmbot" }, nil},
		{"postgresql scheme too", func(c *Config) { c.Database = "PostgreSQL://u:hunter2@db:5432/pmbot?sslmode=require" }, nil},
		{"credentials before ://, never quoted", func(c *Config) { c.Database = "u:hunter2@db://pmbot" },
			[]string{"database: is neither a file path nor a URL this version supports; use a SQLite file path (like pmbot.db) or a postgres:// URL"}},
		{"SQLite paths and URLs", func(c *Config) { c.Database = "file:pmbot.db?cache=shared" }, nil},
		{"SQLite file URL", func(c *Config) { c.Database = "file:///var/lib/pmbot.db" }, nil},
		{"database placeholder", func(c *Config) { c.Database = "${DB}" },
			[]string{"database: ${…} placeholders are expanded only in secret fields; set PMBOT_DATABASE in the environment instead"}},
		{"no feeds", func(c *Config) { c.Feeds = nil },
			[]string{"feeds: no feed to follow; add one with url, or title and author, or apple"}},
		{"feed without a source", func(c *Config) { c.Feeds = append(c.Feeds, Feed{Name: "x"}) },
			[]string{"feeds[1]: set url, or title and author, or apple"}},
		{"title without author", func(c *Config) { c.Feeds = append(c.Feeds, Feed{Title: "Some Show"}) },
			[]string{`feeds[1]: title "Some Show" needs author too (Apple's directory is searched by both), or set url or apple`}},
		{"author without title", func(c *Config) { c.Feeds = append(c.Feeds, Feed{Name: "y", Author: "Jo"}) },
			[]string{`feeds[1]: author "Jo" needs title too (Apple's directory is searched by both), or set url or apple`}},
		{"apple URL without id", func(c *Config) {
			c.Feeds = append(c.Feeds, Feed{Name: "a", Apple: "https://podcasts.apple.com/fr/podcast/post-mortem"})
		}, []string{`feeds[1].apple: is not an Apple Podcasts page; use its URL, like https://podcasts.apple.com/fr/podcast/post-mortem/id1234567890 (it must contain /id and digits)`}},
		{"apple URL elsewhere", func(c *Config) {
			c.Feeds = append(c.Feeds, Feed{Name: "a", Apple: "https://example.com/podcast/id123"})
		}, []string{`feeds[1].apple: is not an Apple Podcasts page; use its URL, like https://podcasts.apple.com/fr/podcast/post-mortem/id1234567890 (it must contain /id and digits)`}},
		{"feed URL scheme", func(c *Config) { c.Feeds = append(c.Feeds, Feed{Name: "f", URL: "ftp://h/f.xml"}) },
			[]string{`feeds[1].url: the ftp:// scheme is not supported; use an http(s):// or file:// URL, or a file path`}},
		{"feed URL without host", func(c *Config) { c.Feeds = append(c.Feeds, Feed{Name: "f", URL: "https:///f.xml"}) },
			[]string{`feeds[1].url: has no host; write it like https://example.org/feed.xml`}},
		{"URL with a password that does not parse (bad escape)", func(c *Config) {
			c.Feeds = append(c.Feeds, Feed{Name: "f", URL: "https://user:hunter2@host/%zz"})
		}, []string{"feeds[1].url: is not a valid URL: a % is not followed by two hexadecimal digits; write %25 for a % sign"}},
		{"URL with a password taken for a port", func(c *Config) {
			c.Feeds = append(c.Feeds, Feed{Name: "f", URL: "https://user:hunter2/x@host/feed"})
		}, []string{"feeds[1].url: is not a valid URL: the port after the host is not a number; a user name or password with : / @ ? or # must be %-encoded"}},
		{"URL with a token and a line break", func(c *Config) {
			c.Feeds = append(c.Feeds, Feed{Name: "f", URL: "https://host/feed\n?token=hunter2"})
		}, []string{"feeds[1].url: is not a valid URL: it holds a control character (a line break or a tab?)"}},
		{"scheme with credentials, never quoted", func(c *Config) {
			c.Feeds = append(c.Feeds, Feed{Name: "f", URL: "user:hunter2@host://feed"})
		}, []string{"feeds[1].url: is not a URL this version supports; use an http(s):// or file:// URL, or a file path"}},
		{"feed language and backfill", func(c *Config) { c.Feeds[0].Language = "es"; c.Feeds[0].Backfill = ptr(-2) },
			[]string{`feeds[0].language: "es" is not supported; use en or fr`, "feeds[0].backfill: -2 is negative; use 0 or more, or remove it to use the global backfill"}},
		{"duplicate names", func(c *Config) {
			c.Feeds = []Feed{{Name: "h", URL: "https://h.example/a"}, {Name: "h", URL: "https://h.example/b"}}
		}, []string{`feeds[1].name: "h" is already the name of feeds[0]; give each feed its own name`}},
		{"derived names on one host do not collide", func(c *Config) {
			c.Feeds = []Feed{{URL: "https://h.example/a"}, {URL: "https://h.example/b"}}
		}, nil},
		{"same podcast twice", func(c *Config) {
			c.Feeds = []Feed{{Name: "a", URL: "https://h.example/a"}, {Name: "b", URL: "https://h.example/a"}}
		}, []string{"feeds[1]: follows the same podcast as feeds[0]; remove one, or each episode is announced twice"}},
		{"bad name", func(c *Config) { c.Feeds[0].Name = "Post Mortem" },
			[]string{`feeds[0].name: "Post Mortem" is not a valid name; use up to 64 letters, digits, ., - or _, like "post-mortem"`}},
		{"underivable name", func(c *Config) { c.Feeds = []Feed{{Title: "🎙️", Author: "x"}} },
			[]string{`feeds[0].name: cannot be derived from this feed; set name, like "my-podcast"`}},
		{"unknown platform", func(c *Config) { c.Subscriptions = []Subscription{{Platform: "teams", Channel: "x"}} },
			[]string{`subscriptions[0].platform: "teams" is not a platform; use slack, discord or console`}},
		{"slack subscription without token", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "slack", Channel: "C1"}}
		}, []string{"subscriptions[0]: platform slack needs a Slack bot token; set slack.bot_token or PMBOT_SLACK_BOT_TOKEN"}},
		{"discord subscription without token", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "discord", Channel: "1"}}
		}, []string{"subscriptions[0]: platform discord needs a Discord bot token; set discord.bot_token or PMBOT_DISCORD_BOT_TOKEN"}},
		{"unknown feed", func(c *Config) { c.Subscriptions = []Subscription{{Platform: "console", Feed: "pm"}} },
			[]string{`subscriptions[0].feed: no feed is named "pm"; use one of "postmortem", or leave it empty for every feed`}},
		{"subscription language", func(c *Config) { c.Subscriptions = []Subscription{{Platform: "console", Language: "it"}} },
			[]string{`subscriptions[0].language: "it" is not supported; use en or fr`}},
		{"slack channel name", func(c *Config) {
			c.Slack = slackOn
			c.Subscriptions = []Subscription{{Platform: "slack", Channel: "#general"}}
		}, []string{`subscriptions[0].channel: "#general" is a channel name; use the channel id, like C0123ABCD (channel details > About, at the bottom)`}},
		{"missing slack channel", func(c *Config) {
			c.Slack = slackOn
			c.Subscriptions = []Subscription{{Platform: "slack"}}
		}, []string{"subscriptions[0].channel: set the Slack channel id, like C0123ABCD (channel details > About, at the bottom)"}},
		{"discord channel not a snowflake", func(c *Config) {
			c.Discord.BotToken = "d"
			c.Subscriptions = []Subscription{{Platform: "discord", Channel: "general"}}
		}, []string{`subscriptions[0].channel: is not a Discord channel id; use the number (Developer Mode on, then right-click the channel > Copy Channel ID)`}},
		{"thread outside discord", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "console", Thread: true}}
		}, []string{"subscriptions[0].thread: is for Discord channels only; remove it"}},
		{"console channel", func(c *Config) { c.Subscriptions = []Subscription{{Platform: "console", Channel: "/dev/tty"}} },
			[]string{`subscriptions[0].channel: "/dev/tty": the console writes to stdout or stderr`}},
		{"cron field count", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "console", Digest: Digest{Schedule: "0 9 * *"}}}
		}, []string{`subscriptions[0].digest.schedule: "0 9 * *": expected 5 fields (minute hour day-of-month month day-of-week), like "0 9 * * 1"`}},
		{"cron range", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "console", Digest: Digest{Schedule: "0 25 * * 1"}}}
		}, []string{`subscriptions[0].digest.schedule: "0 25 * * 1": end of range (25) above maximum (23): 25`}},
		{"cron with a zone", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "console", Digest: Digest{Schedule: "CRON_TZ=UTC 0 9 * * 1"}}}
		}, []string{`subscriptions[0].digest.schedule: "CRON_TZ=UTC 0 9 * * 1": set the zone in time_zone, not in the schedule`}},
		{"cron every", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "console", Digest: Digest{Schedule: "@every 1m"}}}
		}, []string{`subscriptions[0].digest.schedule: "@every 1m": use a cron spec such as "0 9 * * 1" (Mondays at 9:00), so the digest comes at a set local time`}},
		{"time zone", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "console", Digest: Digest{TimeZone: "Europe/Pariss"}}}
		}, []string{`subscriptions[0].digest.time_zone: unknown time zone "Europe/Pariss"; use an IANA name like Europe/Paris or America/New_York`}},
		{"empty topic", func(c *Config) { c.Subscriptions = []Subscription{{Platform: "console", Topics: []string{"bgp", " "}}} },
			[]string{"subscriptions[0].topics[1]: is empty; remove it"}},
		{"duplicate subscription", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "console"}, {Platform: "console", Channel: "stdout"}}
		}, []string{"subscriptions[1]: repeats subscriptions[0] (same platform, channel and feed); remove one"}},
		{"feed on top of every feed", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "console"}, {Platform: "console", Feed: "postmortem"}}
		}, []string{"subscriptions[1]: subscriptions[0] already sends every feed to this channel; remove one"}},
		{"every feed on top of a feed", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "console", Feed: "postmortem"}, {Platform: "console"}}
		}, []string{`subscriptions[1]: sends every feed to a channel that subscriptions[0] already gets "postmortem" in; remove one`}},
		{"the conflicting subscription need not be the first", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "console", Feed: "postmortem"}, {Platform: "console", Channel: "stderr"}, {Platform: "console", Feed: "postmortem"}}
		}, []string{"subscriptions[2]: repeats subscriptions[0] (same platform, channel and feed); remove one"}},
		{"slack needs a connection mode", func(c *Config) { c.Slack = Slack{BotToken: "xoxb-1"} },
			[]string{"slack: set app_token (Socket Mode, no public URL needed) or signing_secret (HTTP events), or PMBOT_SLACK_APP_TOKEN / PMBOT_SLACK_SIGNING_SECRET"}},
		{"slack tokens swapped", func(c *Config) { c.Slack = Slack{BotToken: "xapp-1-secret", AppToken: "xoxb-2-secret"} },
			[]string{
				"slack.bot_token: holds an app-level token (xapp-…); use the Bot User OAuth Token (xoxb-…) and put the xapp- token in app_token",
				"slack.app_token: holds an OAuth token (xox…-); use the app-level token (xapp-…) from Basic Information > App-Level Tokens",
			}},
		{"slack app token without bot token", func(c *Config) { c.Slack = Slack{AppToken: "xapp-1"} },
			[]string{"slack.bot_token: is empty while other Slack credentials are set; set it (or PMBOT_SLACK_BOT_TOKEN) to turn Slack on"}},
		{"token with a line break", func(c *Config) { c.Discord.BotToken = "abc\ndef" },
			[]string{"discord.bot_token: contains spaces or line breaks; paste the token alone"}},
		{"discord ids", func(c *Config) { c.Discord = Discord{BotToken: "d", ApplicationID: "app", PublicKey: "nothex"} },
			[]string{
				`discord.application_id: is not an application id; copy the number from the Developer Portal's General Information page`,
				"discord.public_key: is not a public key; copy the 64 hexadecimal characters from the Developer Portal's General Information page",
			}},
		{"discord webhook pasted as a channel, never quoted", func(c *Config) {
			c.Discord.BotToken = "d"
			c.Subscriptions = []Subscription{{Platform: "discord", Channel: "https://discord.com/api/webhooks/1/hunter2"}}
		}, []string{`subscriptions[0].channel: is not a Discord channel id; use the number (Developer Mode on, then right-click the channel > Copy Channel ID)`}},
		{"feed URL in place of a feed name, never quoted", func(c *Config) {
			c.Subscriptions = []Subscription{{Platform: "console", Feed: "https://h.example/rss?token=hunter2"}}
		}, []string{`subscriptions[0].feed: is not a feed name; use one of "postmortem" (a feed's name, not its URL), or leave it empty for every feed`}},
		{"discord ok", func(c *Config) { c.Discord = Discord{BotToken: "d", ApplicationID: "123", PublicKey: hexKey} }, nil},
		{"every problem at once", func(c *Config) {
			c.PollInterval = Duration{time.Second}
			c.FloodLimit = -1
			c.Feeds = append(c.Feeds, Feed{})
			c.Subscriptions = []Subscription{{Platform: "slack", Channel: "C1", Feed: "nope"}}
		}, []string{
			"poll_interval: 1s is too short; use 1m or more",
			"flood_limit: -1 is too small; use 1 or more (more new episodes than this in one poll become one summary)",
			"feeds[1]: set url, or title and author, or apple",
			`feeds[1].name: cannot be derived from this feed; set name, like "my-podcast"`,
			"subscriptions[0]: platform slack needs a Slack bot token; set slack.bot_token or PMBOT_SLACK_BOT_TOKEN",
			`subscriptions[0].feed: no feed is named "nope"; use one of "postmortem", or leave it empty for every feed`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.modify(&c)
			err := c.Validate()
			var got []string
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("Validate returned %T, not *Error: %v", err, err)
				}
				for _, p := range e.Problems {
					got = append(got, p.String())
				}
				if !strings.HasPrefix(err.Error(), "config: ") || strings.Count(err.Error(), "\nconfig: ") != len(got)-1 {
					t.Errorf("every line of the error should start with config: %q", err.Error())
				}
				for _, secret := range []string{"hunter2", "-secret", "abc\ndef"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error leaks %q: %v", secret, err)
					}
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate problems (-want +got):\n%s", diff)
			}
		})
	}
}

// Validate judges c as completed by FillDefaults, but must not change it.
func TestValidateDoesNotModify(t *testing.T) {
	c := Default()
	c.Feeds = []Feed{{URL: "https://h.example/f", Language: "FR"}}
	c.Subscriptions = []Subscription{{Platform: "Console"}}
	before := Config{Feeds: append([]Feed(nil), c.Feeds...), Subscriptions: append([]Subscription(nil), c.Subscriptions...)}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.Feeds, c.Feeds); diff != "" {
		t.Errorf("Validate changed feeds (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(before.Subscriptions, c.Subscriptions); diff != "" {
		t.Errorf("Validate changed subscriptions (-before +after):\n%s", diff)
	}
}

func TestDigestSchedule(t *testing.T) {
	tests := []struct {
		schedule, zone string
		want           string // the problem, "" when valid
	}{
		{"0 9 * * 1", "", ""},
		{"0 9 * * *", "", ""},
		{"@daily", "", ""},
		{"@midnight", "", ""},
		{"@weekly", "", ""},
		{"@monthly", "", ""},
		{"@yearly", "", ""},
		{"0 9 1 * *", "", ""},
		{"0 9 29 2 *", "", ""},
		// DST: robfig/cron fires these twice, an hour apart, on the day clocks go
		// back, and 23h or 25h apart around the changes; they are still daily.
		{"30 2 * * *", "Europe/Paris", ""},
		{"30 1 * * *", "America/New_York", ""},
		{"0 9 * * *", "Australia/Lord_Howe", ""},
		{"* * * * *", "", `"* * * * *" fires more than once a day; a digest is at most daily, like "0 9 * * 1" (Mondays 9:00)`},
		{"@hourly", "", `"@hourly" fires more than once a day; a digest is at most daily, like "0 9 * * 1" (Mondays 9:00)`},
		{"*/30 9 * * 1", "", `"*/30 9 * * 1" fires more than once a day; a digest is at most daily, like "0 9 * * 1" (Mondays 9:00)`},
		{"0 9,18 * * 5", "", `"0 9,18 * * 5" fires more than once a day; a digest is at most daily, like "0 9 * * 1" (Mondays 9:00)`},
		{"0 0,23 * * *", "", `"0 0,23 * * *" fires more than once a day; a digest is at most daily, like "0 9 * * 1" (Mondays 9:00)`},
		{"0 0 30 2 *", "", `"0 0 30 2 *" never fires (no such date); fix the day and month`},
	}
	for _, tt := range tests {
		t.Run(tt.schedule+" "+tt.zone, func(t *testing.T) {
			c := Default()
			c.Subscriptions = []Subscription{{Platform: "console", Digest: Digest{Schedule: tt.schedule, TimeZone: tt.zone}}}
			var got []string
			if err := c.Validate(); err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatal(err)
				}
				for _, p := range e.Problems {
					got = append(got, p.String())
				}
			}
			var want []string
			if tt.want != "" {
				want = []string{"subscriptions[0].digest.schedule: " + tt.want}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLogLevel(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"debug", "debug", ""},
		{" WARN ", "warn", ""},
		{"Info", "info", ""},
		{"error", "error", ""},
		{"verbose", "", `"verbose" is not a level; use debug, info, warn or error`},
		{"", "", `"" is not a level; use debug, info, warn or error`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseLogLevel(tt.in)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff([]string{tt.want, tt.err}, []string{got, gotErr}); diff != "" {
				t.Errorf("ParseLogLevel(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
	// Validate words it the same way, so the CLI and the file agree.
	c := Default()
	c.Log.Level = "verbose"
	if err := c.Validate(); err == nil || err.Error() != `config: log.level: "verbose" is not a level; use debug, info, warn or error` {
		t.Errorf("Validate(log.level: verbose) = %v", err)
	}
}

func TestAllowedPrefixes(t *testing.T) {
	c := Config{AllowNetworks: []string{"10.0.0.0/8", "192.168.1.10", " 172.16.5.1/12 ", "fd00::/8", "::1", "nonsense", "fe80::1%eth0"}}
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.168.1.10/32"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("fd00::/8"),
		netip.MustParsePrefix("::1/128"),
	}
	if diff := cmp.Diff(want, c.AllowedPrefixes(), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("AllowedPrefixes (-want +got):\n%s", diff)
	}
	if got := Default().AllowedPrefixes(); len(got) != 0 {
		t.Errorf("default AllowedPrefixes = %v; want none", got)
	}
}

func TestSlackAPIAndListen(t *testing.T) {
	for _, tt := range []struct {
		cfg       Config
		api, addr string
	}{
		{Config{}, DefaultSlackAPIURL, ""},
		{Config{Slack: Slack{BotToken: "xoxb-1", AppToken: "xapp-1", APIURL: "http://proxy/api"}}, "http://proxy/api/", ""},
		{Config{Slack: Slack{BotToken: "xoxb-1", SigningSecret: "s"}}, DefaultSlackAPIURL, ":8080"},
		{Config{Slack: Slack{BotToken: "xoxb-1", SigningSecret: "s"}, Listen: "127.0.0.1:9000"}, DefaultSlackAPIURL, "127.0.0.1:9000"},
		// Discord's gateway needs no address; its HTTP interactions do.
		{Config{Discord: Discord{BotToken: "d"}}, DefaultSlackAPIURL, ""},
		{Config{Discord: Discord{BotToken: "d", PublicKey: "k"}}, DefaultSlackAPIURL, ":8080"},
	} {
		if got := tt.cfg.Slack.API(); got != tt.api {
			t.Errorf("API() = %q, want %q", got, tt.api)
		}
		if got := tt.cfg.ListenAddr(); got != tt.addr {
			t.Errorf("ListenAddr() = %q, want %q", got, tt.addr)
		}
	}
}
