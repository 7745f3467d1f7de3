// Package config is pmbot's typed configuration: defaults, a YAML file, environment
// overrides, and a validation that reports every problem at once in words an admin
// can act on.
//
// The package never reads the process environment or prints anything itself: Load
// takes the environment as a []string so tests and the CLI control it, and secrets are
// typed (Secret) so they cannot leak through fmt, slog, JSON or an error message.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	// The digest scheduler loads IANA zones by name; embedding the database keeps
	// "Europe/Paris" valid in minimal containers that ship no zoneinfo.
	_ "time/tzdata"
)

// Config is the whole configuration of one bot process.
type Config struct {
	// Database is a SQLite file path (default "pmbot.db") or a postgres:// URL.
	Database string `yaml:"database"`
	// PollInterval is how often every feed is fetched (default 15m, at least 1m).
	PollInterval Duration `yaml:"poll_interval"`
	// Backfill is how many of the newest episodes the first poll of a feed announces;
	// 0 (the default) announces nothing, so adding a feed never floods a channel.
	Backfill int `yaml:"backfill"`
	// FloodLimit is the most new episodes announced one by one in a single poll;
	// above it, one summary message is posted instead (default 3).
	FloodLimit int `yaml:"flood_limit"`
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
}

// Feed is one followed podcast, given by URL, by title and author, or by its Apple
// Podcasts page: users know a podcast by name far more often than by its RSS URL.
type Feed struct {
	// Name is the short id subscriptions and commands use. When empty it is derived
	// from the title, else the URL's host (or file name), else the Apple page.
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
}

// Discord holds the Discord application credentials; a bot token turns the Discord
// adapter on.
type Discord struct {
	BotToken Secret `yaml:"bot_token"`
	// ApplicationID registers slash commands; it is public.
	ApplicationID string `yaml:"application_id"`
	// PublicKey verifies HTTP interactions; it is public.
	PublicKey string `yaml:"public_key"`
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

// Default returns the configuration used with no file: it follows Post Mortem by
// name, so the bot runs without any setup.
func Default() Config {
	return Config{
		Database:     DefaultDatabase,
		PollInterval: DefaultPollInterval,
		FloodLimit:   DefaultFloodLimit,
		Language:     DefaultLanguage,
		Feeds: []Feed{{
			Name:     "postmortem",
			Title:    "Post Mortem",
			Author:   "François Paupier",
			Language: "fr",
		}},
		Log: Log{Level: "info", Format: "text"},
	}
}

// Load reads a configuration: defaults, then the YAML from r (empty input keeps the
// defaults; unknown keys are rejected so typos do not go unnoticed), then ${VAR}
// placeholders in secret fields, then the PMBOT_* overrides from env, then the
// derived defaults (FillDefaults), then Validate. Errors are *Error values listing
// every problem.
func Load(r io.Reader, env []string) (Config, error) {
	c := Default()
	if err := decode(r, &c); err != nil {
		return Config{}, err
	}
	vars := envMap(env)
	unresolved := c.expandPlaceholders(vars)
	var problems []Problem
	if err := c.ApplyEnv(env); err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return Config{}, err
		}
		problems = append(problems, e.Problems...)
	}
	// A placeholder whose variable is unset is an error only if no *_FILE or direct
	// override filled the field afterwards.
	reported := make(map[string]bool)
	for _, u := range unresolved {
		if *u.field.ptr(&c) == "" {
			reported[u.field.key] = true
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
		for _, p := range e.Problems {
			// The missing variable is the cause; "bot_token is empty" would repeat it.
			if !reported[p.Key] {
				problems = append(problems, p)
			}
		}
	}
	if len(problems) > 0 {
		return Config{}, &Error{Problems: problems}
	}
	return c, nil
}

// LoadFile is Load on the file at path; every error names the file.
func LoadFile(path string, env []string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// Keep the *PathError so callers can test errors.Is(err, fs.ErrNotExist).
		return Config{}, fmt.Errorf("config: %w", err)
	}
	c, err := Load(bytes.NewReader(data), env)
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
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	c.Log.Level, c.Log.Format = lower(c.Log.Level), lower(c.Log.Format)
	for i := range c.Feeds {
		f := &c.Feeds[i]
		f.URL, f.Apple, f.Name = strings.TrimSpace(f.URL), strings.TrimSpace(f.Apple), strings.TrimSpace(f.Name)
		f.Language = lower(f.Language)
		if f.Name == "" {
			f.Name = f.derivedName()
		}
	}
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

// derivedName is the name given to a feed configured without one.
func (f Feed) derivedName() string {
	if n := slug(f.Title); n != "" {
		return n
	}
	if f.URL != "" {
		u, err := url.Parse(f.URL)
		if err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
			return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
		}
		p := f.URL
		if err == nil && u.Scheme == "file" {
			p = u.Path
		}
		base := path.Base(strings.ReplaceAll(p, `\`, "/"))
		if n := slug(strings.TrimSuffix(base, path.Ext(base))); n != "" {
			return n
		}
	}
	if f.Apple != "" {
		if u, err := url.Parse(f.Apple); err == nil {
			// Apple page paths end in /<podcast-slug>/id<digits>.
			parts := strings.Split(strings.Trim(u.Path, "/"), "/")
			for i := len(parts) - 1; i > 0; i-- {
				if strings.HasPrefix(parts[i], "id") {
					if n := slug(parts[i-1]); n != "" && n != "podcast" {
						return n
					}
				}
			}
		}
		if id := f.AppleID(); id != "" {
			return "apple-" + id
		}
	}
	return ""
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

// decode reads the YAML from r into c, turning yaml.v3 errors into Problems.
func decode(r io.Reader, c *Config) (err error) {
	// yaml.v3 has panicked on hostile input before; a bad file must be an error,
	// never a crash.
	defer func() {
		if p := recover(); p != nil {
			err = &Error{Problems: []Problem{{Message: fmt.Sprintf("could not parse the YAML (%v)", p)}}}
		}
	}()
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty input: keep the defaults
		}
		return yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			return yamlError(err)
		}
		return &Error{Problems: []Problem{{Line: line, Message: "a second YAML document (---) follows; keep the whole configuration in one document"}}}
	}
	return nil
}
