// Package config is pmbot's typed configuration: defaults, a YAML file, environment
// overrides, and a validation that reports every problem at once in words an admin
// can act on.
//
// The package never reads the process environment or prints anything itself: Load
// takes the environment as a []string so tests and the CLI control it, and secrets are
// typed (Secret) so they cannot leak through fmt, slog, JSON or an error message.
package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/pmbot/pmbot/localfile"

	// The digest scheduler loads IANA zones by name; embedding the database keeps
	// "Europe/Paris" valid in minimal containers that ship no zoneinfo.
	_ "time/tzdata"
)

// Config is the whole configuration of one bot process.
type Config struct {
	// Database is a SQLite file path (default "pmbot.db"; file:PATH and file://,
	// sqlite:// URLs too), or a PostgreSQL URL (postgres://USER:PASSWORD@HOST/DB).
	// PMBOT_DATABASE sets it too, and is the better place for a password.
	Database string `yaml:"database"`
	// PollInterval is how often every feed is fetched (default 15m, from 1m to 24h).
	PollInterval Duration `yaml:"poll_interval"`
	// Backfill is how many of the newest episodes the first poll of a feed announces
	// (at most 1000); 0 (the default) announces nothing, so adding a feed never floods
	// a channel.
	Backfill int `yaml:"backfill"`
	// FloodLimit is the most new episodes announced one by one in a single poll
	// (1 to 1000); above it, one summary message is posted instead (default 3).
	FloodLimit int `yaml:"flood_limit"`
	// MaxAnnouncementAge is how long an announcement may wait to be posted (the
	// platform down, the bot stopped): past it, it is dropped rather than posted
	// late, so a channel is not flooded with old news after an outage. Default 7
	// days ("168h"), from 1h to 365 days; PMBOT_MAX_ANNOUNCEMENT_AGE overrides it.
	MaxAnnouncementAge Duration `yaml:"max_announcement_age"`
	// AllowNetworks lists the private, loopback or link-local networks (CIDR
	// prefixes like "10.0.0.0/8", or single IP addresses) that URLs taken from feed
	// content (a chapters file, a feed's new-feed-url) may reach. Empty by default:
	// a feed cannot make the bot fetch from the local network. AllowedPrefixes
	// returns them parsed.
	AllowNetworks []string `yaml:"allow_networks"`
	// Language is the reply language, "en" (default) or "fr", for subscriptions that
	// do not set their own.
	Language string `yaml:"language"`
	// Feeds are the podcasts followed. A feeds list in YAML replaces the default one.
	Feeds []Feed `yaml:"feeds"`
	// Subscriptions say which channels get which feeds.
	Subscriptions []Subscription `yaml:"subscriptions"`
	Slack         Slack          `yaml:"slack"`
	Discord       Discord        `yaml:"discord"`
	Log           Log            `yaml:"log"`
	// Listen is the address (host:port) of the HTTP server for Slack's HTTP mode
	// (/slack/events); default ":8080" when that mode is on. Socket Mode needs
	// no listener.
	Listen string `yaml:"listen"`

	// Warnings are things that work but should be fixed, such as a token written
	// in the file instead of the environment. Load and LoadFile fill it; it is not
	// a setting. A warning names the key, never the value.
	Warnings []Problem `yaml:"-"`
}

// Feed is one followed podcast, given by URL, by title and author, or by its Apple
// Podcasts page: users know a podcast by name far more often than by its RSS URL.
type Feed struct {
	// Name is the short id subscriptions and commands use. When empty it is derived
	// from the feed alone (never from the other feeds' order): the title's slug;
	// else the URL's host and the meaningful part of its path
	// ("feeds.megaphone.fm-gbs8392", "example.org" for https://example.org/feed.xml),
	// or a file's name; else the Apple page. Two derived names that would still be
	// the same both get "-" and 6 hex digits of the source's SHA-256. A name set
	// here is never changed.
	Name string `yaml:"name"`
	// URL is the RSS/Atom URL, a file:// URL or a local path.
	URL string `yaml:"url"`
	// Title and Author find the feed by name through Apple's public directory.
	Title  string `yaml:"title"`
	Author string `yaml:"author"`
	// Apple is the Apple Podcasts page URL, e.g.
	// https://podcasts.apple.com/fr/podcast/post-mortem/id1234567890.
	Apple string `yaml:"apple"`
	// Language is "fr" or "en"; empty means take it from the feed.
	Language string `yaml:"language"`
	// Backfill overrides Config.Backfill for this feed when set.
	Backfill *int `yaml:"backfill"`
}

// Subscription sends one feed (or every feed) to one channel of one platform.
type Subscription struct {
	// Platform is "slack", "discord" or "console".
	Platform string `yaml:"platform"`
	// Channel is a Slack channel id ("C0123ABCD"), a Discord channel id (a number),
	// or "stdout"/"stderr" for the console.
	Channel string `yaml:"channel"`
	// Feed is a feed Name; empty means every feed.
	Feed string `yaml:"feed"`
	// Language is "fr" or "en"; empty means Config.Language.
	Language string `yaml:"language"`
	// Digest is the weekly summary posted in this channel.
	Digest Digest `yaml:"digest"`
	// Topics optionally restrict announcements to matching episodes (not used yet).
	Topics []string `yaml:"topics"`
	// Thread opens a discussion thread under each announcement (Discord text
	// channels; in a forum every announcement is a post of its own anyway).
	Thread bool `yaml:"thread"`
}

// Digest is when a subscription's digest is posted, in the channel's local time.
type Digest struct {
	// Schedule is a 5-field cron spec (default "0 9 * * 1": Mondays at 9:00).
	Schedule string `yaml:"schedule"`
	// TimeZone is an IANA zone name (default "Europe/Paris").
	TimeZone string `yaml:"time_zone"`
	// Enabled defaults to true; a pointer tells "unset" from an explicit false.
	Enabled *bool `yaml:"enabled"`
}

// Slack holds the Slack app credentials; a bot token turns the Slack adapter on.
type Slack struct {
	// BotToken (xoxb-…) posts messages.
	BotToken Secret `yaml:"bot_token"`
	// AppToken (xapp-…) enables Socket Mode, so no public URL is needed.
	AppToken Secret `yaml:"app_token"`
	// SigningSecret verifies HTTP requests when Socket Mode is not used.
	SigningSecret Secret `yaml:"signing_secret"`
	// APIURL is the Web API's base URL, ending in "/" (default Slack's
	// https://slack.com/api/): a proxy or a test double. Socket Mode follows the
	// URL that apps.connections.open returns.
	APIURL string `yaml:"api_url"`
	// Managers are the user ids (U…) who may change a channel's subscriptions,
	// besides the workspace's admins and owners.
	Managers []string `yaml:"managers"`
	// PostsPerMinute is how many messages the bot posts in the workspace per
	// minute at most (default 600, Slack's usual allowance); each channel also
	// gets at most one a second.
	PostsPerMinute int `yaml:"posts_per_minute"`
}

// DefaultSlackPostsPerMinute is Slack's usual workspace-wide allowance for posts.
const DefaultSlackPostsPerMinute = 600

// PostGap is the least time between two posts in the workspace.
func (s Slack) PostGap() time.Duration {
	n := s.PostsPerMinute
	if n <= 0 {
		n = DefaultSlackPostsPerMinute
	}
	return time.Minute / time.Duration(n)
}

// DefaultListen is the HTTP address used when one is needed and none is set.
const DefaultListen = ":8080"

// DefaultSlackAPIURL is Slack's Web API.
const DefaultSlackAPIURL = "https://slack.com/api/"

// API is the Web API base URL to use: APIURL, else Slack's, always ending in "/"
// (slack-go appends method names to it as they are).
func (s Slack) API() string {
	if s.APIURL == "" {
		return DefaultSlackAPIURL
	}
	return strings.TrimSuffix(s.APIURL, "/") + "/"
}

// ListenAddr is the HTTP address to serve: Listen, else DefaultListen when
// Slack's HTTP mode or Discord's interactions endpoint needs one, else ""
// (nothing to serve).
func (c Config) ListenAddr() string {
	if c.Listen == "" && ((c.HasSlack() && !c.Slack.SocketMode()) || (c.HasDiscord() && c.Discord.PublicKey != "")) {
		return DefaultListen
	}
	return c.Listen
}

// DiscordThreads are the Discord channels whose subscriptions ask for a thread
// under each announcement.
func (c Config) DiscordThreads() map[string]bool {
	out := make(map[string]bool)
	for _, s := range c.Subscriptions {
		if s.Platform == "discord" && s.Thread {
			out[s.Channel] = true
		}
	}
	return out
}

// SocketMode reports whether Slack events come through Socket Mode (an app
// token is set), rather than HTTP requests to /slack/events.
func (s Slack) SocketMode() bool { return s.AppToken != "" }

// Discord holds the Discord application credentials; a bot token turns the Discord
// adapter on.
type Discord struct {
	BotToken Secret `yaml:"bot_token"`
	// ApplicationID registers slash commands; it is public.
	ApplicationID string `yaml:"application_id"`
	// PublicKey verifies HTTP interactions; it is public.
	PublicKey string `yaml:"public_key"`
	// APIURL is the REST base, version included, ending in "/" (default
	// Discord's https://discord.com/api/v10/): a proxy or a test double. The
	// gateway's address comes from GET /gateway/bot at this base.
	APIURL string `yaml:"api_url"`
	// GuildIDs, when set, register the slash commands in these servers only,
	// where changes show at once, rather than globally.
	GuildIDs []string `yaml:"guild_ids"`
	// Shards is how many gateway connections (shards) the bot uses: Discord
	// requires one per 2,500 servers. Replicas sharing a PostgreSQL database
	// hold each shard one at a time. 0 means 1.
	Shards int `yaml:"shards"`
}

// DefaultDiscordAPIURL is Discord's REST API, version 10.
const DefaultDiscordAPIURL = "https://discord.com/api/v10/"

// API is the REST base URL to use: APIURL, else Discord's, always ending in "/".
func (d Discord) API() string {
	if d.APIURL == "" {
		return DefaultDiscordAPIURL
	}
	return strings.TrimSuffix(d.APIURL, "/") + "/"
}

// Log is how the process logs.
type Log struct {
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// Format is text (default, for terminals) or json (for log collectors).
	Format string `yaml:"format"`
}

// Defaults that FillDefaults and Default apply.
const (
	DefaultDatabase       = "pmbot.db"
	DefaultLanguage       = "en"
	DefaultFloodLimit     = 3
	DefaultDigestSchedule = "0 9 * * 1"
	DefaultDigestTimeZone = "Europe/Paris"
	DefaultConsoleChannel = "stdout"
)

// DefaultPollInterval is how often feeds are polled when the config does not say.
var DefaultPollInterval = Duration{15 * time.Minute}

// DefaultMaxAnnouncementAge is how long an announcement may wait to be posted when
// the config does not say: a week covers a long outage without posting stale news.
const DefaultMaxAnnouncementAge = 7 * 24 * time.Hour

// MaxFileSize is the largest configuration file read: a real one is a few KiB, so
// anything larger is the wrong file, and reading it whole would only waste memory.
const MaxFileSize = 1 << 20

// Default returns the configuration used with no file: it follows Post Mortem by
// name, so the bot runs without any setup.
func Default() Config {
	return Config{
		Database:           DefaultDatabase,
		PollInterval:       DefaultPollInterval,
		FloodLimit:         DefaultFloodLimit,
		MaxAnnouncementAge: Duration{DefaultMaxAnnouncementAge},
		Language:           DefaultLanguage,
		Feeds: []Feed{{
			Name:     "postmortem",
			Title:    "Post Mortem",
			Author:   "François Paupier",
			Language: "fr",
		}},
		Log: Log{Level: "info", Format: "text"},
	}
}

// Load reads a configuration: defaults, then the YAML from r (at most MaxFileSize;
// empty input keeps the defaults; unknown keys are rejected so typos do not go
// unnoticed), then ${VAR} placeholders in secret fields, then the PMBOT_*
// overrides from env, then the derived defaults (FillDefaults), then Validate.
// Errors are *Error values listing every problem at once, YAML type errors and
// invalid values together. Warnings (secrets written in the file) go to
// Config.Warnings.
func Load(r io.Reader, env []string) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if len(data) > MaxFileSize {
		return Config{}, &Error{Problems: []Problem{{Message: tooLargeMessage}}}
	}
	return load(data, env)
}

// tooLargeMessage is the problem of a configuration over MaxFileSize.
const tooLargeMessage = "larger than 1 MiB; is this the right file?"

// load is Load on the bytes of the file.
func load(data []byte, env []string) (Config, error) {
	c := Default()
	var problems []Problem
	var lines map[string]int
	doc, err := parseDocument(data)
	if err != nil {
		return Config{}, err
	}
	if doc != nil {
		t := newTree(doc)
		lines = t.lines
		problems = append(problems, t.problems...)
		typeProblems, err := decodeStrict(data, &c, t)
		if err != nil {
			return Config{}, err
		}
		problems = append(problems, typeProblems...)
		// In file order: the tree's problems and yaml.v3's come from two passes.
		slices.SortStableFunc(problems, func(a, b Problem) int { return a.Line - b.Line })
	}
	// Before placeholders and overrides: the warning is about what the file says.
	c.Warnings = c.fileSecretWarnings(lines)
	vars := envMap(env)
	unresolved := c.expandPlaceholders(vars)
	if err := c.ApplyEnv(env); err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return Config{}, err
		}
		problems = append(problems, e.Problems...)
	}
	// A placeholder whose variable is unset is an error only if no *_FILE or direct
	// override filled the field afterwards.
	for _, u := range unresolved {
		if *u.field.ptr(&c) == "" {
			problems = append(problems, Problem{Key: u.field.key, Message: fmt.Sprintf(
				"${%s} is not set in the environment; set it (or %s_FILE), or remove this line",
				u.name, u.field.env)})
		}
	}
	c.FillDefaults()
	if err := c.Validate(); err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return Config{}, err
		}
		problems = mergeProblems(problems, e.Problems)
	}
	if len(problems) > 0 {
		return Config{}, &Error{Problems: problems}
	}
	return c, nil
}

// mergeProblems adds the Validate problems to those found earlier, leaving out a
// key already reported, or one inside it: when "backfill: 1.5" is "not a whole
// number", "1 is ..." would only confuse; when ${VAR} is unset, "is empty" would
// repeat it; and when feeds is not a list, what Validate says of the default
// feeds is beside the point.
func mergeProblems(earlier, validate []Problem) []Problem {
	reported := keysOf(earlier)
	out := earlier
	for _, p := range validate {
		if !reported.covers(p.Key) {
			out = append(out, p)
		}
	}
	return out
}

// keySet is the keys that problems were reported for.
type keySet map[string]bool

func keysOf(problems []Problem) keySet {
	s := make(keySet, len(problems))
	for _, p := range problems {
		if p.Key != "" {
			s[p.Key] = true
		}
	}
	return s
}

// covers reports whether key, or a key that holds it ("feeds[1]" holds
// "feeds[1].url"), is in s. It walks up key, so it costs the same however many
// problems were reported.
func (s keySet) covers(key string) bool {
	for key != "" {
		if s[key] {
			return true
		}
		key = key[:max(0, strings.LastIndexAny(key, ".["))]
	}
	return false
}

// LoadFile is Load on the file at path; every error names the file. Only a regular
// file of at most MaxFileSize is read, so a device, a FIFO or a huge file is
// refused at once instead of hanging or eating memory. A missing file gives an
// error that matches fs.ErrNotExist.
func LoadFile(path string, env []string) (Config, error) {
	data, _, err := localfile.Read(context.Background(), path, MaxFileSize)
	if err != nil {
		return Config{}, configFileError(path, err)
	}
	c, err := load(data, env)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.File = path
			return Config{}, e
		}
		return Config{}, fmt.Errorf("config: %s: %w", path, err)
	}
	return c, nil
}

// fileError is a file that could not be read, in words, still matching the
// underlying error (fs.ErrNotExist, localfile.ErrNotRegular…) with errors.Is.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// configFileError words an error of localfile.Read on the configuration file.
func configFileError(path string, err error) error {
	cause := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		cause = pe.Err
	}
	var msg string
	switch {
	case errors.Is(err, localfile.ErrNotRegular):
		msg = fmt.Sprintf("config: %s: %v; give the path of a YAML file", path, cause)
	case errors.Is(err, localfile.ErrTooLarge):
		msg = fmt.Sprintf("config: %s: %s", path, tooLargeMessage)
	default:
		msg = fmt.Sprintf("config: %s: %v", path, cause)
	}
	return &fileError{msg: msg, err: err}
}

// HasSlack reports whether Slack credentials are configured (a bot token).
func (c Config) HasSlack() bool { return c.Slack.BotToken != "" }

// HasDiscord reports whether Discord credentials are configured (a bot token).
func (c Config) HasDiscord() bool { return c.Discord.BotToken != "" }

// BackfillFor is the backfill that applies to f: its own, else the global one.
func (c Config) BackfillFor(f Feed) int {
	if f.Backfill != nil {
		return *f.Backfill
	}
	return c.Backfill
}

// RedactedDatabase is Database with any password replaced, safe to log or print.
func (c Config) RedactedDatabase() string {
	if !strings.Contains(c.Database, "://") {
		return c.Database
	}
	u, err := url.Parse(c.Database)
	if err != nil {
		// An unparsable URL may still hold a password; show only its scheme.
		scheme, _, _ := strings.Cut(c.Database, "://")
		return scheme + "://[redacted]"
	}
	return u.Redacted()
}

// FillDefaults sets the values that are derived rather than fixed: feed names,
// subscription languages, digest schedule, time zone and enabled flag, the console
// channel, and lower-cased enum values. Load calls it; call it again after changing a
// Config by hand (the CLI's --feed) so the result matches what Load would give.
func (c *Config) FillDefaults() {
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.Language == "" {
		c.Language = DefaultLanguage
	}
	c.Language = lower(c.Language)
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	c.Slack.APIURL, c.Listen = strings.TrimSpace(c.Slack.APIURL), strings.TrimSpace(c.Listen)
	c.Discord.APIURL = strings.TrimSpace(c.Discord.APIURL)
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	c.Log.Level, c.Log.Format = lower(c.Log.Level), lower(c.Log.Format)
	for i := range c.Feeds {
		f := &c.Feeds[i]
		f.URL, f.Apple, f.Name = strings.TrimSpace(f.URL), strings.TrimSpace(f.Apple), strings.TrimSpace(f.Name)
		f.Language = lower(f.Language)
	}
	nameFeeds(c.Feeds)
	for i := range c.Subscriptions {
		s := &c.Subscriptions[i]
		s.Platform = lower(s.Platform)
		s.Channel = strings.TrimSpace(s.Channel)
		s.Language = lower(s.Language)
		if s.Language == "" {
			s.Language = c.Language
		}
		if s.Channel == "" && s.Platform == "console" {
			s.Channel = DefaultConsoleChannel
		}
		if s.Digest.Schedule == "" {
			s.Digest.Schedule = DefaultDigestSchedule
		}
		if s.Digest.TimeZone == "" {
			s.Digest.TimeZone = DefaultDigestTimeZone
		}
		if s.Digest.Enabled == nil {
			on := true
			s.Digest.Enabled = &on
		}
	}
}

// IsEnabled reports whether the digest is on; unset means on.
func (d Digest) IsEnabled() bool { return d.Enabled == nil || *d.Enabled }

// AllowedPrefixes is AllowNetworks parsed: single addresses become /32 or /128
// prefixes, host bits are cleared, and entries that do not parse (which Validate
// refuses) are left out.
func (c Config) AllowedPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range c.AllowNetworks {
		if p, err := parseNetwork(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// parseNetwork reads "10.0.0.0/8" or "192.168.1.10" as a prefix.
func parseNetwork(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		// A zone names an interface of this machine, not a network.
		return netip.Prefix{}, errors.New("has a zone")
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// logLevels are the levels ParseLogLevel accepts, in the order messages list them.
var logLevels = []string{"debug", "info", "warn", "error"}

// ParseLogLevel returns the log level s names (debug, info, warn or error, in any
// case), or an error in words an admin can act on. Validate uses it for log.level;
// the CLI uses it for --log-level, so both accept and refuse the same values.
func ParseLogLevel(s string) (string, error) {
	l := lower(s)
	if !slices.Contains(logLevels, l) {
		return "", fmt.Errorf("%q is not a level; use debug, info, warn or error", s)
	}
	return l, nil
}

// SlogLevel is Level as a slog.Level; unknown values (rejected by Validate) give info.
func (l Log) SlogLevel() slog.Level {
	switch lower(l.Level) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

var appleIDRe = regexp.MustCompile(`/id(\d+)(?:$|[/?#])`)

// AppleID is the numeric Apple Podcasts id in f.Apple ("" when there is none): the
// iTunes lookup API is queried by id.
func (f Feed) AppleID() string {
	m := appleIDRe.FindStringSubmatch(f.Apple)
	if m == nil {
		return ""
	}
	return m[1]
}

var accents = strings.NewReplacer(
	"à", "a", "á", "a", "â", "a", "ä", "a", "ã", "a", "å", "a",
	"ç", "c", "è", "e", "é", "e", "ê", "e", "ë", "e",
	"ì", "i", "í", "i", "î", "i", "ï", "i", "ñ", "n",
	"ò", "o", "ó", "o", "ô", "o", "ö", "o", "õ", "o", "ø", "o",
	"ù", "u", "ú", "u", "û", "u", "ü", "u", "ý", "y", "ÿ", "y",
	"œ", "oe", "æ", "ae", "ß", "ss",
)

// slug turns a title into an ASCII id: "Post Mortem" -> "post-mortem".
func slug(s string) string {
	s = accents.Replace(strings.ToLower(s))
	var b strings.Builder
	dash := false
	for _, r := range s {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	out := b.String()
	if len(out) > maxNameLen {
		out = strings.TrimRight(out[:maxNameLen], "-")
	}
	return out
}

func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
