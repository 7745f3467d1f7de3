package config

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// MinPollInterval is the shortest poll interval: polling faster only loads the
// publisher's server, as feeds rarely change more than daily.
const MinPollInterval = time.Minute

const maxNameLen = 64

var (
	nameRe       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	digitsRe     = regexp.MustCompile(`^[0-9]+$`)
	hexKeyRe     = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	languages    = []string{"en", "fr"}
	platforms    = []string{"slack", "discord", "console"}
	logLevels    = []string{"debug", "info", "warn", "error"}
	logFormats   = []string{"text", "json"}
	consoleChans = []string{"stdout", "stderr"}
)

// Validate reports every problem of c at once, as an *Error whose lines each name
// the key and say what to do. Empty values that have a default are valid: Validate
// judges c as FillDefaults would complete it, without changing c.
func (c Config) Validate() error {
	c.Feeds = slices.Clone(c.Feeds)
	c.Subscriptions = slices.Clone(c.Subscriptions)
	c.FillDefaults()

	var v validator
	v.database(c.Database)
	if c.PollInterval.Duration < MinPollInterval {
		v.add("poll_interval", "%s is too short; use 1m or more", c.PollInterval)
	}
	if c.Backfill < 0 {
		v.add("backfill", "%d is negative; use 0 to announce nothing on a feed's first poll, or N for the newest N", c.Backfill)
	}
	if c.FloodLimit < 1 {
		v.add("flood_limit", "%d is too small; use 1 or more (more new episodes than this in one poll become one summary)", c.FloodLimit)
	}
	v.language("language", c.Language, false)
	if !slices.Contains(logLevels, c.Log.Level) {
		v.add("log.level", "%q is not a level; use debug, info, warn or error", c.Log.Level)
	}
	if !slices.Contains(logFormats, c.Log.Format) {
		v.add("log.format", "%q is not a format; use text or json", c.Log.Format)
	}
	v.slack(c.Slack)
	v.discord(c.Discord)
	names := v.feeds(c.Feeds)
	v.subscriptions(c, names)
	return v.err()
}

type validator struct{ problems []Problem }

func (v *validator) add(key, format string, args ...any) {
	v.problems = append(v.problems, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return &Error{Problems: v.problems}
}

func (v *validator) language(key, lang string, optional bool) {
	if lang == "" && optional {
		return
	}
	if !slices.Contains(languages, lang) {
		v.add(key, "%q is not supported; use en or fr", lang)
	}
}

// placeholder reports a ${VAR} left in a field that is not expanded, which would
// otherwise fail later in a confusing way.
func (v *validator) placeholder(key, value, env string) bool {
	if !strings.Contains(value, "${") {
		return false
	}
	msg := "${…} placeholders are expanded only in secret fields"
	if env != "" {
		msg += "; set " + env + " in the environment instead"
	}
	v.add(key, "%s", msg)
	return true
}

// database checks the database setting without ever quoting it: a Postgres URL
// carries a password.
func (v *validator) database(db string) {
	if v.placeholder("database", db, "PMBOT_DATABASE") {
		return
	}
	scheme, _, isURL := strings.Cut(db, "://")
	if !isURL {
		return // a SQLite path
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		if _, err := url.Parse(db); err != nil {
			v.add("database", "the postgres:// URL cannot be parsed; check its special characters are %%-encoded")
		}
	case "file", "sqlite", "sqlite3":
	default:
		v.add("database", "%q databases are not supported; use a SQLite file path (like pmbot.db) or a postgres:// URL", scheme)
	}
}

func (v *validator) secret(key string, s Secret) {
	val := s.Value()
	if strings.Contains(val, "${") {
		v.add(key, "holds a malformed ${…} placeholder; write ${NAME} with letters, digits and _")
	} else if strings.ContainsAny(val, " \t\r\n") {
		v.add(key, "contains spaces or line breaks; paste the token alone")
	}
}

func (v *validator) slack(s Slack) {
	v.secret("slack.bot_token", s.BotToken)
	v.secret("slack.app_token", s.AppToken)
	v.secret("slack.signing_secret", s.SigningSecret)
	// Only the prefixes are inspected, to catch the two tokens swapped.
	if strings.HasPrefix(s.BotToken.Value(), "xapp-") {
		v.add("slack.bot_token", "holds an app-level token (xapp-…); use the Bot User OAuth Token (xoxb-…) and put the xapp- token in app_token")
	}
	if strings.HasPrefix(s.AppToken.Value(), "xox") {
		v.add("slack.app_token", "holds an OAuth token (xox…-); use the app-level token (xapp-…) from Basic Information > App-Level Tokens")
	}
	if s.BotToken == "" && (s.AppToken != "" || s.SigningSecret != "") {
		v.add("slack.bot_token", "is empty while other Slack credentials are set; set it (or PMBOT_SLACK_BOT_TOKEN) to turn Slack on")
	}
	if s.BotToken != "" && s.AppToken == "" && s.SigningSecret == "" {
		v.add("slack", "set app_token (Socket Mode, no public URL needed) or signing_secret (HTTP events), or PMBOT_SLACK_APP_TOKEN / PMBOT_SLACK_SIGNING_SECRET")
	}
}

func (v *validator) discord(d Discord) {
	v.secret("discord.bot_token", d.BotToken)
	if !v.placeholder("discord.application_id", d.ApplicationID, "PMBOT_DISCORD_APPLICATION_ID") &&
		d.ApplicationID != "" && !digitsRe.MatchString(d.ApplicationID) {
		v.add("discord.application_id", "%q is not an application id; copy the number from the Developer Portal's General Information page", d.ApplicationID)
	}
	if !v.placeholder("discord.public_key", d.PublicKey, "PMBOT_DISCORD_PUBLIC_KEY") &&
		d.PublicKey != "" && !hexKeyRe.MatchString(d.PublicKey) {
		v.add("discord.public_key", "is not a public key; copy the 64 hexadecimal characters from the Developer Portal's General Information page")
	}
}

// feeds checks every feed and returns the index of each name.
func (v *validator) feeds(feeds []Feed) map[string]int {
	names := make(map[string]int, len(feeds))
	sources := make(map[string]int, len(feeds))
	if len(feeds) == 0 {
		v.add("feeds", "no feed to follow; add one with url, or title and author, or apple")
	}
	for i, f := range feeds {
		key := fmt.Sprintf("feeds[%d]", i)
		switch {
		case f.URL == "" && f.Apple == "" && f.Title == "" && f.Author == "":
			v.add(key, "set url, or title and author, or apple")
		case f.URL == "" && f.Apple == "" && f.Author == "":
			v.add(key, "title %q needs author too (Apple's directory is searched by both), or set url or apple", f.Title)
		case f.URL == "" && f.Apple == "" && f.Title == "":
			v.add(key, "author %q needs title too (Apple's directory is searched by both), or set url or apple", f.Author)
		}
		if f.URL != "" && !v.placeholder(key+".url", f.URL, "") {
			v.feedURL(key+".url", f.URL)
		}
		if f.Apple != "" {
			u, err := url.Parse(f.Apple)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !strings.HasSuffix(strings.ToLower(u.Hostname()), "apple.com") || f.AppleID() == "" {
				v.add(key+".apple", "%q is not an Apple Podcasts page; use its URL, like https://podcasts.apple.com/fr/podcast/post-mortem/id1234567890 (it must contain /id and digits)", f.Apple)
			}
		}
		v.language(key+".language", f.Language, true)
		if f.Backfill != nil && *f.Backfill < 0 {
			v.add(key+".backfill", "%d is negative; use 0 or more, or remove it to use the global backfill", *f.Backfill)
		}
		switch {
		case f.Name == "":
			v.add(key+".name", "cannot be derived from this feed; set name, like \"my-podcast\"")
		case len(f.Name) > maxNameLen || !nameRe.MatchString(f.Name):
			v.add(key+".name", "%q is not a valid name; use up to %d letters, digits, ., - or _, like \"post-mortem\"", f.Name, maxNameLen)
		default:
			if j, dup := names[f.Name]; dup {
				v.add(key+".name", "%q is already the name of feeds[%d]; give each feed its own name", f.Name, j)
			} else {
				names[f.Name] = i
			}
		}
		for _, src := range []string{f.URL, f.Apple, strings.ToLower(f.Title + "\x00" + f.Author)} {
			if src == "" || src == "\x00" {
				continue
			}
			if j, dup := sources[src]; dup && j != i {
				v.add(key, "follows the same podcast as feeds[%d]; remove one, or each episode is announced twice", j)
				break
			}
			sources[src] = i
		}
	}
	return names
}

func (v *validator) feedURL(key, raw string) {
	scheme, _, isURL := strings.Cut(raw, "://")
	if !isURL {
		return // a local path
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		v.add(key, "%q is not a valid URL", raw)
	case scheme == "http" || scheme == "https":
		if u.Host == "" {
			v.add(key, "%q has no host", raw)
		}
	case scheme == "file":
	default:
		v.add(key, "%q: use an http(s):// or file:// URL, or a file path", raw)
	}
}

func (v *validator) subscriptions(c Config, names map[string]int) {
	for i, s := range c.Subscriptions {
		key := fmt.Sprintf("subscriptions[%d]", i)
		switch {
		case !slices.Contains(platforms, s.Platform):
			v.add(key+".platform", "%q is not a platform; use slack, discord or console", s.Platform)
		case s.Platform == "slack" && !c.HasSlack():
			v.add(key, "platform slack needs a Slack bot token; set slack.bot_token or PMBOT_SLACK_BOT_TOKEN")
		case s.Platform == "discord" && !c.HasDiscord():
			v.add(key, "platform discord needs a Discord bot token; set discord.bot_token or PMBOT_DISCORD_BOT_TOKEN")
		}
		v.channel(key+".channel", s.Platform, s.Channel)
		if s.Feed != "" {
			if _, ok := names[s.Feed]; !ok {
				v.add(key+".feed", "no feed is named %q; use one of %s, or leave it empty for every feed", s.Feed, feedNames(c.Feeds))
			}
		}
		v.language(key+".language", s.Language, false)
		v.digest(key+".digest", s.Digest)
		for j, t := range s.Topics {
			if strings.TrimSpace(t) == "" {
				v.add(fmt.Sprintf("%s.topics[%d]", key, j), "is empty; remove it")
			}
		}
		// The same channel subscribed twice to a feed would get every episode twice.
		for j, o := range c.Subscriptions[:i] {
			if o.Platform != s.Platform || o.Channel != s.Channel {
				continue
			}
			switch {
			case o.Feed == s.Feed:
				v.add(key, "repeats subscriptions[%d] (same platform, channel and feed); remove one", j)
			case o.Feed == "":
				v.add(key, "subscriptions[%d] already sends every feed to this channel; remove one", j)
			case s.Feed == "":
				v.add(key, "sends every feed to a channel that subscriptions[%d] already gets %q in; remove one", j, o.Feed)
			default:
				continue
			}
			break
		}
	}
}

func (v *validator) channel(key, platform, ch string) {
	switch {
	case ch == "":
		switch platform {
		case "slack":
			v.add(key, "set the Slack channel id, like C0123ABCD (channel details > About, at the bottom)")
		case "discord":
			v.add(key, "set the Discord channel id, a number (Developer Mode on, then right-click the channel > Copy Channel ID)")
		default:
			v.add(key, "set the channel")
		}
	case strings.Contains(ch, "${"):
		v.add(key, "${…} placeholders are expanded only in secret fields; write the channel id")
	case platform == "slack" && strings.HasPrefix(ch, "#"):
		v.add(key, "%q is a channel name; use the channel id, like C0123ABCD (channel details > About, at the bottom)", ch)
	case platform == "discord" && !digitsRe.MatchString(ch):
		v.add(key, "%q is not a Discord channel id; use the number (Developer Mode on, then right-click the channel > Copy Channel ID)", ch)
	case platform == "console" && !slices.Contains(consoleChans, ch):
		v.add(key, "%q: the console writes to stdout or stderr", ch)
	}
}

func (v *validator) digest(key string, d Digest) {
	spec := strings.TrimSpace(d.Schedule)
	switch {
	case strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ="):
		v.add(key+".schedule", "%q: set the zone in time_zone, not in the schedule", d.Schedule)
	case strings.HasPrefix(spec, "@every"):
		v.add(key+".schedule", "%q: use a cron spec such as \"0 9 * * 1\" (Mondays at 9:00), so the digest comes at a set local time", d.Schedule)
	case !strings.HasPrefix(spec, "@") && len(strings.Fields(spec)) != 5:
		v.add(key+".schedule", "%q: expected 5 fields (minute hour day-of-month month day-of-week), like \"0 9 * * 1\"", d.Schedule)
	default:
		if _, err := cron.ParseStandard(spec); err != nil {
			v.add(key+".schedule", "%q: %v", d.Schedule, err)
		}
	}
	if d.TimeZone == "Local" {
		v.add(key+".time_zone", "\"Local\" depends on the server; use an IANA zone name like Europe/Paris")
	} else if _, err := time.LoadLocation(d.TimeZone); err != nil {
		v.add(key+".time_zone", "unknown time zone %q; use an IANA name like Europe/Paris or America/New_York", d.TimeZone)
	}
}

func feedNames(feeds []Feed) string {
	var names []string
	for _, f := range feeds {
		if f.Name != "" {
			names = append(names, fmt.Sprintf("%q", f.Name))
		}
	}
	if len(names) == 0 {
		return "the configured feeds"
	}
	return strings.Join(names, ", ")
}
