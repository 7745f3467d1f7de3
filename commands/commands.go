// Package commands holds the platform-neutral /postmortem commands: a Request is
// routed through a table of commands to a handler that returns a typed Reply, which
// each adapter renders for its platform. Every reply exists in English and French
// (see Messages); help is generated from the table.
package commands

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/pmbot/pmbot/feeds"
)

// MaxText is the longest command text accepted, in bytes.
const MaxText = 4000

// Request is one command as a user typed it, with where it came from. Adapters fill
// it from the platform's event; nothing in it is trusted (Dispatch cleans Name and
// Args again, whoever built them).
type Request struct {
	Name      string
	Args      []string
	UserID    string
	ChannelID string
	Platform  string
	// Locale is the user's locale when the platform tells it (Discord: "fr",
	// "en-US"); "" when it does not (Slack). It chooses the reply's language first.
	Locale string
	// ChannelLanguage is the language configured for the channel ("fr", "en"); the
	// reply's language when Locale is not French or English.
	ChannelLanguage string
	// CanManage says the user may manage the channel (Discord: the Manage Channels
	// permission; Slack: a workspace admin or the channel's manager), which
	// subscribe and unsubscribe require. Adapters fill it; false refuses changes.
	CanManage bool
}

// Reply is a platform-neutral answer. Every string is plain text with no markup:
// renderers escape it for their platform. Empty parts are not shown.
type Reply struct {
	// Language is the language the reply was written in ("en" or "fr"); renderers
	// use it for the words they add themselves ("Key takeaways", dates).
	Language string
	// Header is the reply's title line.
	Header string
	// Text is a paragraph of plain text.
	Text string
	// Fields are short name/value pairs ("Last poll: 12 May 2024, 09:00 UTC").
	Fields []Field
	// Episodes are shown as cards.
	Episodes []feeds.Episode
	// Detail asks the renderer to show the episodes' summary, takeaways and links.
	Detail bool
	// Hits are search results, each with a snippet whose matched words renderers mark.
	Hits []Hit
	// Bullets is a plain list.
	Bullets []string
	// Links are shown grouped by their Section, in the order they come.
	Links []feeds.Link
	// Buttons are actions: open a URL, or run a command.
	Buttons []Button
	// Private replies are shown to the asking user only (ephemeral).
	Private bool
	// Shareable asks the adapter to offer a "share in channel" action on a private
	// reply; sharing runs Command again and posts its reply with Shared().
	Shareable bool
	// Command is the command line that gives this reply again ("/postmortem
	// episode 12", even when the user asked for `random`), for the share action.
	// Handlers set it without the prefix; Dispatch adds the router's.
	Command string
}

// Shared returns the reply as posted in the channel by the share action.
func (r Reply) Shared() Reply {
	r.Private, r.Shareable = false, false
	return r
}

// Field is one name/value pair of a reply.
type Field struct {
	Name  string
	Value string
}

// Button is one action of a reply: it opens URL, or, when URL is empty, runs
// Command (a command line such as "/postmortem episode 12").
type Button struct {
	Label   string
	URL     string
	Command string
}

// Handler answers a request.
type Handler func(ctx context.Context, req Request) (Reply, error)

// Command is one row of the command table, from which routing and help come.
// Usage and Description are message keys (English text), translated when help is
// shown.
type Command struct {
	Name        string
	Aliases     []string
	Usage       string
	Description string
	Examples    []string
	Handler     Handler
	// Slow says the command may take longer than a platform's acknowledgement
	// deadline (3 s): an adapter acknowledges it at once and answers later,
	// rather than wait for its reply.
	Slow bool
	// French is the command's name in French, for platforms that localise
	// command names (Discord); it is also one of its Aliases.
	French string
	// Options are the command's arguments, typed, for platforms that declare
	// them (Discord's slash commands). Typed as a line, they are its words, in
	// this order.
	Options []Option
	// Manage says the command changes the channel's subscriptions: only members
	// who may manage the channel run it.
	Manage bool
}

// OptionKind is the type of a command's argument.
type OptionKind int

// The kinds of Option.
const (
	// OptionText is free words (a search, topics).
	OptionText OptionKind = iota
	// OptionEpisode names an episode: a number, "latest" or words of its title;
	// platforms that can complete it as it is typed do.
	OptionEpisode
	// OptionInteger is a whole number between Min and Max.
	OptionInteger
	// OptionCommand is the name of another command (help's).
	OptionCommand
)

// Option is one typed argument of a command.
type Option struct {
	Name   string
	French string
	// Description is a message key (English text), translated where shown.
	Description string
	Kind        OptionKind
	Required    bool
	// Min and Max bound an OptionInteger.
	Min, Max int
	// Suggest offers episodes as the argument is typed (Discord's autocomplete),
	// as every OptionEpisode does; for words, the words typed come first.
	Suggest bool
}

// Deadlines of Dispatch. An adapter waits QuickReply for a reply that is not Slow
// before it defers it (acknowledges first, answers through a follow-up); every
// command ends within Timeout, with an apology if it must.
const (
	QuickReply = 2 * time.Second
	Timeout    = 30 * time.Second
)

// UserError is an error whose message is meant for the user ("no episode 99; the
// latest is 17"). Other errors are internal and shown as a generic apology. Key and
// Args let the message be translated; Msg is its English form.
type UserError struct {
	Msg  string
	Key  string
	Args []any
}

func (e *UserError) Error() string { return e.Msg }

// Errorf returns a UserError. format is also the message key: when the catalogue
// has it, the user reads it in their language.
func Errorf(format string, args ...any) error {
	return &UserError{Msg: fmt.Sprintf(format, args...), Key: format, Args: args}
}

// Router routes requests to the command table.
type Router struct {
	Prefix string
	// Timeout bounds each command; the package's Timeout when 0.
	Timeout  time.Duration
	msgs     *Messages
	commands []Command
	byName   map[string]*Command
	// suggestEpisodes backs Suggest; nil when the router has no catalogue.
	suggestEpisodes func(ctx context.Context, typed string) ([]Choice, error)
}

// Suggest suggests episodes for an episode argument (or search words) as they are
// typed, as SuggestEpisodes does over the router's catalogue and search; none
// when the router has no catalogue.
func (r *Router) Suggest(ctx context.Context, typed string) ([]Choice, error) {
	if r.suggestEpisodes == nil {
		return nil, nil
	}
	return r.suggestEpisodes(ctx, typed)
}

// NewRouter returns a router over the given commands, adding "help". prefix is the
// slash command's name as users type it ("/postmortem").
func NewRouter(prefix string, cmds []Command) *Router {
	r := &Router{Prefix: prefix, msgs: DefaultMessages(), byName: make(map[string]*Command)}
	r.commands = append(r.commands, cmds...)
	r.commands = append(r.commands, Command{
		Name:        "help",
		Aliases:     []string{"aide"},
		French:      "aide",
		Usage:       "help [command]",
		Description: "List the commands, or explain one.",
		Examples:    []string{"help", "help takeaways"},
		Handler:     r.help,
		Options:     []Option{{Name: "command", French: "commande", Description: "The command to explain.", Kind: OptionCommand}},
	})
	for i := range r.commands {
		c := &r.commands[i]
		r.byName[c.Name] = c
		for _, a := range c.Aliases {
			r.byName[a] = c
		}
		if c.French != "" {
			r.byName[c.French] = c
		}
	}
	return r
}

// Commands returns the command table.
func (r *Router) Commands() []Command { return r.commands }

// Messages returns the message catalogue the router answers with, for renderers.
func (r *Router) Messages() *Messages { return r.msgs }

// Parse turns command text ("takeaways 3", "/postmortem episode 12") into a request's
// name and arguments. Control characters are dropped and the text is capped, so
// nothing a user types can reach a renderer raw.
func Parse(text string) (name string, args []string, err error) {
	if len(text) > MaxText {
		return "", nil, Errorf("that command is too long (%d bytes; the limit is %d)", len(text), MaxText)
	}
	fields := strings.Fields(scrub(text))
	if len(fields) > 0 && strings.HasPrefix(fields[0], "/") {
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return "help", nil, nil
	}
	return strings.ToLower(fields[0]), fields[1:], nil
}

// scrub turns line breaks and tabs into spaces and drops control and invisible
// formatting characters (bidi overrides, zero-width spaces, invalid UTF-8).
func scrub(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}

// sanitize cleans a request built by an adapter that may not have used Parse (a
// Discord option holds any string), so handlers see what Parse would give them.
func sanitize(req Request) (Request, error) {
	size := len(req.Name)
	for _, a := range req.Args {
		size += len(a) + 1
	}
	if size > MaxText {
		return req, Errorf("that command is too long (%d bytes; the limit is %d)", size, MaxText)
	}
	req.Name = strings.ToLower(strings.TrimSpace(scrub(req.Name)))
	args := make([]string, 0, len(req.Args))
	for _, a := range req.Args {
		if a = strings.Join(strings.Fields(scrub(a)), " "); a != "" {
			args = append(args, a)
		}
	}
	req.Args = args
	return req, nil
}

// CommandName is the command a line names ("takeaways"), as Parse reads it,
// without the slash command before it; "" when the line cannot be parsed.
func CommandName(text string) string {
	name, _, err := Parse(text)
	if err != nil {
		return ""
	}
	return name
}

// Dispatch runs the request's command. On error, the returned Reply is already what
// the user should see (in their language): the words of a UserError, else a
// generic apology; the error itself is for the log.
func (r *Router) Dispatch(ctx context.Context, req Request) (Reply, error) {
	lang := Language(req.Locale, req.ChannelLanguage)
	req, err := sanitize(req)
	if err != nil {
		return r.msgs.ErrorReply(lang, err), err
	}
	if req.Name == "" {
		req.Name = "help"
	}
	c, ok := r.byName[req.Name]
	if !ok {
		if s := r.suggest(req.Name); s != "" {
			err = Errorf("unknown command %q; did you mean `%s`? Try `%s help`.", clip(req.Name, 40), s, r.Prefix)
		} else {
			err = Errorf("unknown command %q. Try `%s help`.", clip(req.Name, 40), r.Prefix)
		}
		return r.msgs.ErrorReply(lang, err), err
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rep, err := c.Handler(ctx, req)
	if errors.Is(err, context.DeadlineExceeded) {
		err = Errorf("that took too long; try again in a moment")
	}
	if err != nil {
		return r.msgs.ErrorReply(lang, err), err
	}
	rep.Language = lang
	if rep.Shareable {
		if rep.Command == "" {
			rep.Command = strings.Join(append([]string{c.Name}, req.Args...), " ")
		}
		rep.Command = r.Prefix + " " + rep.Command
	}
	return rep, nil
}

// Answer parses command text and dispatches it with req's context (user, channel,
// locale, rights): what an adapter calls for a typed command. Like Dispatch, it
// returns the reply to show even on error, and the error for the log.
func (r *Router) Answer(ctx context.Context, req Request, text string) (Reply, error) {
	name, args, err := Parse(text)
	if err != nil {
		return r.msgs.ErrorReply(Language(req.Locale, req.ChannelLanguage), err), err
	}
	req.Name, req.Args = name, args
	return r.Dispatch(ctx, req)
}

// Slow reports whether the command a request names is Slow (see Command.Slow).
func (r *Router) Slow(name string) bool {
	c, ok := r.byName[strings.ToLower(strings.TrimSpace(name))]
	return ok && c.Slow
}

// Manages reports whether the command a request names changes the channel's
// subscriptions (see Command.Manage): adapters then find out whether the user may
// manage the channel, which can cost them a call to the platform.
func (r *Router) Manages(name string) bool {
	c, ok := r.byName[strings.ToLower(strings.TrimSpace(name))]
	return ok && c.Manage
}

// ErrorReply turns a handler's error into what the user sees, in English: the
// message of a UserError, else a generic apology (the details go to the log, not
// the channel). Messages.ErrorReply does the same in the user's language.
func ErrorReply(err error) Reply {
	return DefaultMessages().ErrorReply(English, err)
}

// IsUserError reports whether err carries a message for the user, so adapters log
// only the others.
func IsUserError(err error) bool {
	var ue *UserError
	return errors.As(err, &ue)
}

func (r *Router) help(_ context.Context, req Request) (Reply, error) {
	t := r.msgs.tr(req)
	if len(req.Args) > 0 {
		c, ok := r.byName[strings.ToLower(req.Args[0])]
		if !ok {
			return Reply{}, Errorf("no command %q. Try `%s help`.", clip(req.Args[0], 40), r.Prefix)
		}
		var b strings.Builder
		b.WriteString(t.S(c.Description))
		b.WriteString("\n" + t.S("Usage: %s", r.Prefix+" "+t.S(c.Usage)))
		if len(c.Aliases) > 0 {
			b.WriteString("\n" + t.S("Also: %s", strings.Join(c.Aliases, ", ")))
		}
		for _, ex := range c.Examples {
			b.WriteString("\n" + t.S("Example: %s", r.Prefix+" "+ex))
		}
		return Reply{Header: r.Prefix + " " + c.Name, Text: b.String(), Private: true}, nil
	}
	rep := Reply{Header: t.S("Commands"), Private: true}
	for _, c := range r.commands {
		rep.Bullets = append(rep.Bullets, r.Prefix+" "+t.S(c.Usage)+": "+t.S(c.Description))
	}
	return rep, nil
}

// suggest returns the command name closest to a mistyped one, if close enough.
func (r *Router) suggest(name string) string {
	name = strings.ToLower(name)
	best, bestD := "", 3
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	// A suggestion must be within half of what was typed ("x" is not a
	// typo of "ep"); names whose lengths differ too much are not compared.
	size := len([]rune(name))
	bestD = min(bestD, size/2+1)
	for _, n := range names {
		if abs(size-len([]rune(n))) >= bestD {
			continue
		}
		if d := distance(name, n); d < bestD {
			best, bestD = r.byName[n].Name, d
		}
	}
	return best
}

// distance is the edit distance on runes, counting a swap of two neighbours
// ("hlep") as one edit (optimal string alignment).
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
