package commands

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// The languages every reply exists in.
const (
	English = "en"
	French  = "fr"
)

// Message keys adapters use for the words they add around announcements and
// replies. A key is the English text; Messages.Sprintf translates it.
const (
	MsgNewEpisode     = "New episode of %s"     // arg: feed title
	MsgNewEpisodes    = "%d new episodes of %s" // args: count, feed title
	MsgWeeklyDigest   = "Weekly digest — %s"    // arg: feed title
	MsgFromTheArchive = "From the archive — %s" // arg: feed title
	MsgArchiveIntro   = "No new episode this week; here is one from the back catalogue."
	MsgNoDigestNews   = "No new episode this week."
	MsgKeyTakeaways   = "Key takeaways"
	MsgListen         = "Listen"
	MsgMore           = "More"
	MsgLinks          = "Links"
	MsgShare          = "Share in channel"
	MsgUndated        = "undated"
	MsgUntitled       = "(untitled)"
	MsgThePodcast     = "the podcast"
	MsgAndMore        = "… and %d more" // arg: count
	// MsgLabelValue joins a label and its value ("Topics: bgp"), MsgHeading ends a
	// heading ("Key takeaways:"): French puts a space before the colon.
	MsgLabelValue = "%s: %s"
	MsgHeading    = "%s:"
)

// Messages is the message catalogue: every user-visible string of the bot in
// English and French. It is read-only once built and safe for concurrent use.
type Messages struct {
	printers map[string]*message.Printer
}

// DefaultMessages returns the catalogue, built once on first use. It is never
// changed afterwards, so sharing it is sharing a constant.
var DefaultMessages = sync.OnceValue(NewMessages)

// NewMessages builds the catalogue. It uses its own catalog.Builder, never
// x/text's global one, so nothing else in the process can change what we say.
func NewMessages() *Messages {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for _, m := range messageTable {
		// The table is fixed at compile time and tested; an error here would be a
		// malformed tag, which cannot happen with these constants.
		_ = b.SetString(language.English, m.key, m.en)
		_ = b.SetString(language.French, m.key, m.fr)
	}
	for _, m := range pluralTable {
		_ = b.Set(language.English, m.key, plural.Selectf(m.arg, "%d", "one", m.en[0], "other", m.en[1]))
		_ = b.Set(language.French, m.key, plural.Selectf(m.arg, "%d", "one", m.fr[0], "other", m.fr[1]))
	}
	return &Messages{printers: map[string]*message.Printer{
		English: message.NewPrinter(language.English, message.Catalog(b)),
		French:  message.NewPrinter(language.French, message.Catalog(b)),
	}}
}

// Language chooses a reply's language: the user's locale when it is French or
// English ("fr-CA" is French), else the channel's configured language, else English.
func Language(locale, channelLanguage string) string {
	for _, l := range []string{locale, channelLanguage} {
		if p := primary(l); p == French || p == English {
			return p
		}
	}
	return English
}

// primary is a locale's primary subtag, lower-cased: "fr" of "fr_FR" or "FR-ca".
func primary(locale string) string {
	locale = strings.TrimSpace(locale)
	if i := strings.IndexAny(locale, "-_"); i >= 0 {
		locale = locale[:i]
	}
	return strings.ToLower(locale)
}

// Printer returns the printer for lang ("en", "fr", or a locale such as "fr-FR");
// anything else is English.
func (m *Messages) Printer(lang string) *message.Printer {
	return m.printers[Language(lang, "")]
}

// Sprintf formats the message key in lang. A key the catalogue lacks is used as
// the format itself, so an untranslated message still reads, in English.
func (m *Messages) Sprintf(lang, key string, args ...any) string {
	return m.Printer(lang).Sprintf(key, args...)
}

// ErrorReply turns a handler's error into what the user sees, in lang: the message
// of a UserError, else a generic apology (the details go to the log, not the
// channel, where they could leak paths or tokens).
func (m *Messages) ErrorReply(lang string, err error) Reply {
	lang = Language(lang, "")
	var ue *UserError
	if errors.As(err, &ue) {
		text := ue.Msg
		if ue.Key != "" {
			text = m.Sprintf(lang, ue.Key, ue.Args...)
		}
		return Reply{Language: lang, Text: text, Private: true}
	}
	return Reply{Language: lang, Text: m.Sprintf(lang, "Something went wrong on our side; the bot's admin can find the details in its log."), Private: true}
}

var (
	monthsEN = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	monthsFR = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
)

// Date formats a day: "28 April 2022", "28 avril 2022", "1er mai 2022". The
// zero time is "undated". The day is the one of t's location.
func (m *Messages) Date(lang string, t time.Time) string {
	lang = Language(lang, "")
	if t.IsZero() {
		return m.Sprintf(lang, MsgUndated)
	}
	day, month := strconv.Itoa(t.Day()), monthsEN[t.Month()-1]
	if lang == French {
		month = monthsFR[t.Month()-1]
		if t.Day() == 1 {
			day = "1er"
		}
	}
	// Not through the printer: it would group the year's digits ("2,022").
	return day + " " + month + " " + strconv.Itoa(t.Year())
}

// DateTime formats a moment with its zone: "28 April 2022, 14:05 UTC",
// "28 avril 2022 à 14:05 UTC".
func (m *Messages) DateTime(lang string, t time.Time) string {
	if t.IsZero() {
		return m.Sprintf(lang, "never")
	}
	return m.Sprintf(lang, "%s, %s", m.Date(lang, t), t.Format("15:04 MST"))
}

// Duration formats an episode's length: "1h03" or "1 h 03" (French spacing),
// "45 min", "30 s".
func (m *Messages) Duration(lang string, seconds int) string {
	switch {
	case seconds >= 3600:
		h, min := strconv.Itoa(seconds/3600), (seconds%3600)/60
		mm := strconv.Itoa(min)
		if min < 10 {
			mm = "0" + mm
		}
		if Language(lang, "") == French {
			return h + " h " + mm
		}
		return h + "h" + mm
	case seconds >= 60:
		return strconv.Itoa((seconds+30)/60) + " min"
	default:
		return strconv.Itoa(max(seconds, 0)) + " s"
	}
}

// Timestamp is a position in an episode as players show it: "12:34", "1:02:03".
func Timestamp(seconds int) string {
	seconds = max(seconds, 0)
	h, m, s := seconds/3600, (seconds%3600)/60, seconds%60
	two := func(n int) string {
		if n < 10 {
			return "0" + strconv.Itoa(n)
		}
		return strconv.Itoa(n)
	}
	if h > 0 {
		return strconv.Itoa(h) + ":" + two(m) + ":" + two(s)
	}
	return two(m) + ":" + two(s)
}

// LanguageName names a configured language in lang: "French", "anglais".
func (m *Messages) LanguageName(lang, code string) string {
	switch primary(code) {
	case English:
		return m.Sprintf(lang, "English")
	case French:
		return m.Sprintf(lang, "French")
	case "":
		return m.Sprintf(lang, "default")
	}
	return clip(code, 20)
}

var (
	weekdaysEN = [...]string{"Sundays", "Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays"}
	weekdaysFR = [...]string{"le dimanche", "le lundi", "le mardi", "le mercredi", "le jeudi", "le vendredi", "le samedi"}
	dayNames   = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
)

// Schedule describes a digest's cron spec in words when it is the usual shape
// ("0 9 * * 1" in Europe/Paris is "Mondays at 09:00 (Europe/Paris)"), else shows
// the spec itself.
func (m *Messages) Schedule(lang, spec, tz string) string {
	if tz == "" {
		tz = "UTC"
	}
	tz = clip(tz, 40)
	f := strings.Fields(spec)
	if len(f) == 5 && f[2] == "*" && f[3] == "*" {
		mi, err1 := strconv.Atoi(f[0])
		hr, err2 := strconv.Atoi(f[1])
		if err1 == nil && err2 == nil && mi >= 0 && mi < 60 && hr >= 0 && hr < 24 {
			at := Timestamp(hr*60 + mi) // hh:mm read as mm:ss
			if days := m.weekdays(lang, f[4]); days != "" {
				return m.Sprintf(lang, "%s at %s (%s)", days, at, tz)
			}
		}
	}
	return m.Sprintf(lang, "cron “%s” (%s)", clip(spec, 60), tz)
}

// weekdays names a cron day-of-week field ("1", "mon,thu", "*", "1-5"), or "".
func (m *Messages) weekdays(lang, field string) string {
	switch field {
	case "*":
		return m.Sprintf(lang, "every day")
	case "1-5", "mon-fri", "MON-FRI":
		return m.Sprintf(lang, "weekdays")
	}
	names := weekdaysEN
	if Language(lang, "") == French {
		names = weekdaysFR
	}
	var out []string
	for _, d := range strings.Split(field, ",") {
		n, err := strconv.Atoi(d)
		if err != nil {
			v, ok := dayNames[strings.ToLower(d)]
			if !ok {
				return ""
			}
			n = v
		}
		if n < 0 || n > 7 {
			return ""
		}
		out = append(out, names[n%7])
	}
	return strings.Join(out, m.Sprintf(lang, " and "))
}

// tr is a request's translator: the messages in the language chosen for it.
type tr struct {
	m    *Messages
	lang string
}

func (m *Messages) tr(req Request) tr {
	return tr{m: m, lang: Language(req.Locale, req.ChannelLanguage)}
}

// S formats a message key in the request's language.
func (t tr) S(key string, args ...any) string { return t.m.Sprintf(t.lang, key, args...) }
func (t tr) Date(d time.Time) string          { return t.m.Date(t.lang, d) }
func (t tr) DateTime(d time.Time) string      { return t.m.DateTime(t.lang, d) }
func (t tr) Schedule(spec, tz string) string  { return t.m.Schedule(t.lang, spec, tz) }
func (t tr) LanguageName(code string) string  { return t.m.LanguageName(t.lang, code) }
func (t tr) feed(title string) string {
	if strings.TrimSpace(title) == "" {
		return t.S(MsgThePodcast)
	}
	return title
}
