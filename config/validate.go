package config

import (
	"errors"
	"fmt"
	"math/bits"
	"net"
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

// MaxPollInterval is the longest poll interval: a feed polled less than daily
// announces its episodes a day late, and a typo like "8760h" would silence it.
const MaxPollInterval = 24 * time.Hour

// Bounds of max_announcement_age: under an hour, a short outage would drop
// announcements; over a year, it no longer protects a channel from stale news.
const (
	minAnnouncementAge = time.Hour
	maxAnnouncementAge = 365 * 24 * time.Hour
)

// maxCount bounds backfill and flood_limit: more than this many announcements at
// once is a flood whatever the setting says, and usually a typo.
const maxCount = 1000

const maxNameLen = 64

var (
	nameRe       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	digitsRe     = regexp.MustCompile(`^[0-9]+$`)
	hexKeyRe     = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	slackUserRe  = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	languages    = []string{"en", "fr"}
	platforms    = []string{"slack", "discord", "console"}
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
	switch {
	case c.PollInterval.Duration < MinPollInterval:
		v.add("poll_interval", "%s is too short; use 1m or more", c.PollInterval)
	case c.PollInterval.Duration > MaxPollInterval:
		v.add("poll_interval", "%s is too long; use between 1m and 24h", c.PollInterval)
	}
	v.announcementAge(c.MaxAnnouncementAge)
	switch {
	case c.Backfill < 0:
		v.add("backfill", "%d is negative; use 0 to announce nothing on a feed's first poll, or N for the newest N", c.Backfill)
	case c.Backfill > maxCount:
		v.add("backfill", "%d is too large; use at most %d", c.Backfill, maxCount)
	}
	switch {
	case c.FloodLimit < 1:
		v.add("flood_limit", "%d is too small; use 1 or more (more new episodes than this in one poll become one summary)", c.FloodLimit)
	case c.FloodLimit > maxCount:
		v.add("flood_limit", "%d is too large; use at most %d", c.FloodLimit, maxCount)
	}
	v.language("language", c.Language, false)
	if _, err := ParseLogLevel(c.Log.Level); err != nil {
		v.add("log.level", "%v", err)
	}
	if !slices.Contains(logFormats, c.Log.Format) {
		v.add("log.format", "%q is not a format; use text or json", c.Log.Format)
	}
	v.networks(c.AllowNetworks)
	v.slack(c.Slack)
	v.listen(c.Listen)
	v.discord(c.Discord)
	names := v.feeds(c.Feeds)
	v.subscriptions(c, names)
	return v.err()
}

type validator struct {
	problems []Problem
	// zones caches time.LoadLocation, which unzips the embedded database each
	// time: a file of many subscriptions names the same few zones.
	zones map[string]error
}

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

// schemeRe is a URL scheme: only such a scheme is safe to quote, since what comes
// before "://" in a mistyped value may be a user name and password.
var schemeRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]{0,19}$`)

// database checks the database setting without ever quoting it: a URL may carry a
// password.
func (v *validator) database(db string) {
	if v.placeholder("database", db, "PMBOT_DATABASE") {
		return
	}
	scheme, _, isURL := strings.Cut(db, "://")
	if !isURL {
		return // a SQLite path, file:PATH included
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql", "file", "sqlite", "sqlite3":
		// PostgreSQL's URL is read by the store (check-config connects to it).
	default:
		if schemeRe.MatchString(scheme) {
			v.add("database", "%q databases are not supported; use a SQLite file path (like pmbot.db) or a postgres:// URL", scheme)
		} else {
			v.add("database", "is neither a file path nor a URL this version supports; use a SQLite file path (like pmbot.db) or a postgres:// URL")
		}
	}
}

func (v *validator) announcementAge(d Duration) {
	if d.Duration < minAnnouncementAge || d.Duration > maxAnnouncementAge {
		v.add("max_announcement_age", "%s is out of range; use between 1h and 365 days (8760h), like 168h for a week", d)
	}
}

// networks checks allow_networks; the entries are addresses, never secrets.
func (v *validator) networks(nets []string) {
	for i, n := range nets {
		if _, err := parseNetwork(n); err != nil {
			v.add(fmt.Sprintf("allow_networks[%d]", i), "%q is not a network; write a CIDR prefix like 10.0.0.0/8 or an IP address like 192.168.1.10", n)
		}
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
	if u, err := url.Parse(s.API()); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		v.add("slack.api_url", "is not an http(s) URL without credentials; leave it out to use Slack's (%s)", DefaultSlackAPIURL)
	}
	if s.PostsPerMinute < 0 || s.PostsPerMinute > 60000 {
		v.add("slack.posts_per_minute", "%d is out of range; use 1 to 60000, or leave it out for %d", s.PostsPerMinute, DefaultSlackPostsPerMinute)
	}
	for i, m := range s.Managers {
		if !slackUserRe.MatchString(m) {
			v.add(fmt.Sprintf("slack.managers[%d]", i), "is not a Slack user id; copy it from the user's profile (⋮ > Copy member ID), like U0123ABCD")
		}
	}
}

// listen checks the HTTP listen address.
func (v *validator) listen(addr string) {
	if addr == "" {
		return
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		v.add("listen", "%q is not an address; write host:port or :port, like :8080", addr)
	}
}

func (v *validator) discord(d Discord) {
	v.secret("discord.bot_token", d.BotToken)
	if !v.placeholder("discord.application_id", d.ApplicationID, "PMBOT_DISCORD_APPLICATION_ID") &&
		d.ApplicationID != "" && !digitsRe.MatchString(d.ApplicationID) {
		// Not quoted: a token pasted in the wrong field would be printed.
		v.add("discord.application_id", "is not an application id; copy the number from the Developer Portal's General Information page")
	}
	if !v.placeholder("discord.public_key", d.PublicKey, "PMBOT_DISCORD_PUBLIC_KEY") &&
		d.PublicKey != "" && !hexKeyRe.MatchString(d.PublicKey) {
		v.add("discord.public_key", "is not a public key; copy the 64 hexadecimal characters from the Developer Portal's General Information page")
	}
	if u, err := url.Parse(d.API()); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		v.add("discord.api_url", "is not an http(s) URL without credentials; leave it out to use Discord's (%s)", DefaultDiscordAPIURL)
	}
	for i, g := range d.GuildIDs {
		if !digitsRe.MatchString(g) {
			v.add(fmt.Sprintf("discord.guild_ids[%d]", i), "is not a server id; use the number (Developer Mode on, then right-click the server > Copy Server ID)")
		}
	}
	if d.Shards < 0 || d.Shards > maxShards {
		v.add("discord.shards", "must be between 1 and %d (Discord needs one shard per 2,500 servers); leave it out for 1", maxShards)
	}
}

// maxShards bounds discord.shards: one process connects each shard it holds,
// and 64 shards serve 160,000 servers.
const maxShards = 64

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
				v.add(key+".apple", "is not an Apple Podcasts page; use its URL, like https://podcasts.apple.com/fr/podcast/post-mortem/id1234567890 (it must contain /id and digits)")
			}
		}
		v.language(key+".language", f.Language, true)
		switch {
		case f.Backfill == nil:
		case *f.Backfill < 0:
			v.add(key+".backfill", "%d is negative; use 0 or more, or remove it to use the global backfill", *f.Backfill)
		case *f.Backfill > maxCount:
			v.add(key+".backfill", "%d is too large; use at most %d", *f.Backfill, maxCount)
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

// feedURL checks a feed's URL without quoting it: it may carry a user name and
// password, or a private feed's token in its query. The key says which one it is.
func (v *validator) feedURL(key, raw string) {
	scheme, _, isURL := strings.Cut(raw, "://")
	if !isURL {
		return // a local path
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		v.add(key, "is not a valid URL: %s", urlProblem(err))
	case scheme == "http" || scheme == "https":
		if u.Host == "" {
			v.add(key, "has no host; write it like https://example.org/feed.xml")
		}
	case scheme == "file":
	case schemeRe.MatchString(scheme):
		v.add(key, "the %s:// scheme is not supported; use an http(s):// or file:// URL, or a file path", scheme)
	default:
		v.add(key, "is not a URL this version supports; use an http(s):// or file:// URL, or a file path")
	}
}

// urlProblem says what url.Parse found wrong, in words that quote nothing of the
// URL (net/url's own messages quote parts of it, such as a password taken for a
// port).
func urlProblem(err error) string {
	var esc url.EscapeError
	var host url.InvalidHostError
	msg := err.Error()
	switch {
	case errors.As(err, &esc):
		return "a % is not followed by two hexadecimal digits; write %25 for a % sign"
	case errors.As(err, &host):
		return "the host holds a character that is not allowed"
	case strings.Contains(msg, "invalid port"):
		return "the port after the host is not a number; a user name or password with : / @ ? or # must be %-encoded"
	case strings.Contains(msg, "control character"):
		return "it holds a control character (a line break or a tab?)"
	}
	return "check that special characters are %-encoded"
}

func (v *validator) subscriptions(c Config, names map[string]int) {
	var seen subscriptionIndex
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
				v.unknownFeed(key+".feed", s.Feed, c.Feeds)
			}
		}
		v.language(key+".language", s.Language, false)
		if s.Thread && s.Platform != "discord" {
			v.add(key+".thread", "is for Discord channels only; remove it")
		}
		v.digest(key+".digest", s.Digest)
		for j, t := range s.Topics {
			if strings.TrimSpace(t) == "" {
				v.add(fmt.Sprintf("%s.topics[%d]", key, j), "is empty; remove it")
			}
		}
		// The same channel subscribed twice to a feed would get every episode twice.
		if j, ok := seen.conflict(s); ok {
			o := c.Subscriptions[j]
			switch {
			case o.Feed == s.Feed:
				v.add(key, "repeats subscriptions[%d] (same platform, channel and feed); remove one", j)
			case o.Feed == "":
				v.add(key, "subscriptions[%d] already sends every feed to this channel; remove one", j)
			default:
				v.add(key, "sends every feed to a channel that subscriptions[%d] already gets %q in; remove one", j, o.Feed)
			}
		}
		seen.add(i, s)
	}
}

// subscriptionIndex finds the first earlier subscription that sends a feed to the
// same channel again, in one map lookup rather than a scan of every earlier one
// (which made a file of many subscriptions quadratic to check).
type subscriptionIndex struct {
	byFeed    map[[3]string]int // platform, channel, feed -> first index
	byChannel map[[2]string]int // platform, channel -> first index
}

func (x *subscriptionIndex) add(i int, s Subscription) {
	if x.byFeed == nil {
		x.byFeed, x.byChannel = make(map[[3]string]int), make(map[[2]string]int)
	}
	if _, ok := x.byFeed[[3]string{s.Platform, s.Channel, s.Feed}]; !ok {
		x.byFeed[[3]string{s.Platform, s.Channel, s.Feed}] = i
	}
	if _, ok := x.byChannel[[2]string{s.Platform, s.Channel}]; !ok {
		x.byChannel[[2]string{s.Platform, s.Channel}] = i
	}
}

// conflict is the first earlier subscription that sends s's channel a feed s
// sends it too: the same feed, every feed, or any feed when s sends every feed.
func (x *subscriptionIndex) conflict(s Subscription) (int, bool) {
	if s.Feed == "" {
		j, ok := x.byChannel[[2]string{s.Platform, s.Channel}]
		return j, ok
	}
	j, ok := x.byFeed[[3]string{s.Platform, s.Channel, s.Feed}]
	if k, every := x.byFeed[[3]string{s.Platform, s.Channel, ""}]; every && (!ok || k < j) {
		j, ok = k, true
	}
	return j, ok
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
		// Not quoted: a webhook URL, which carries its token, is a common mistake here.
		v.add(key, "is not a Discord channel id; use the number (Developer Mode on, then right-click the channel > Copy Channel ID)")
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
		v.schedule(key+".schedule", d)
	}
	if d.TimeZone == "Local" {
		v.add(key+".time_zone", "\"Local\" depends on the server; use an IANA zone name like Europe/Paris")
	} else if err := v.zone(d.TimeZone); err != nil {
		v.add(key+".time_zone", "unknown time zone %q; use an IANA name like Europe/Paris or America/New_York", d.TimeZone)
	}
}

// zone loads the time zone name once per Validate.
func (v *validator) zone(name string) error {
	if err, ok := v.zones[name]; ok {
		return err
	}
	if v.zones == nil {
		v.zones = make(map[string]error)
	}
	_, err := time.LoadLocation(name)
	v.zones[name] = err
	return err
}

// schedule checks a cron spec parses, fires at all, and fires at most once a day:
// a digest sums up days of episodes, so "* * * * *" would post every minute.
func (v *validator) schedule(key string, d Digest) {
	sched, err := cron.ParseStandard(strings.TrimSpace(d.Schedule))
	if err != nil {
		v.add(key, "%q: %v", d.Schedule, err)
		return
	}
	spec, ok := sched.(*cron.SpecSchedule)
	if !ok {
		v.add(key, "%q: use a cron spec such as \"0 9 * * 1\" (Mondays at 9:00)", d.Schedule)
		return
	}
	// Minute and hour do not depend on the day, so every day the schedule fires,
	// it fires once per (minute, hour) pair. Counting them is exact, and unlike
	// measuring the gaps between firings it is not fooled by DST days, when
	// robfig/cron fires a daily 2:30 twice, an hour apart.
	if bits.OnesCount64(spec.Minute&minuteBits)*bits.OnesCount64(spec.Hour&hourBits) > 1 {
		v.add(key, "%q fires more than once a day; a digest is at most daily, like \"0 9 * * 1\" (Mondays 9:00)", d.Schedule)
		return
	}
	if sched.Next(scheduleProbe).IsZero() {
		v.add(key, "%q never fires (no such date); fix the day and month", d.Schedule)
	}
}

// The bits of cron.SpecSchedule's Minute and Hour that are values (the top bit
// marks a "*").
const (
	minuteBits = 1<<60 - 1
	hourBits   = 1<<24 - 1
)

// scheduleProbe is a fixed start for "does it ever fire": robfig/cron looks five
// years ahead, which covers 29 February.
var scheduleProbe = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// unknownFeed reports a subscription's feed that names no feed. The value is
// quoted only when it is shaped like a name: a URL pasted here may carry a token.
func (v *validator) unknownFeed(key, feed string, feeds []Feed) {
	if len(feed) <= maxNameLen && nameRe.MatchString(feed) {
		v.add(key, "no feed is named %q; use one of %s, or leave it empty for every feed", feed, feedNames(feeds))
		return
	}
	v.add(key, "is not a feed name; use one of %s (a feed's name, not its URL), or leave it empty for every feed", feedNames(feeds))
}

// maxListedNames bounds the feed names a message lists: a message per
// subscription listing every feed would grow with their product.
const maxListedNames = 10

func feedNames(feeds []Feed) string {
	var names []string
	for _, f := range feeds {
		if f.Name == "" {
			continue
		}
		if len(names) == maxListedNames {
			names = append(names, "…")
			break
		}
		names = append(names, fmt.Sprintf("%q", f.Name))
	}
	if len(names) == 0 {
		return "the configured feeds"
	}
	return strings.Join(names, ", ")
}
