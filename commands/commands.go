// Package commands holds the platform-neutral /postmortem commands: a Request is
// routed through a table of commands to a handler that returns a typed Reply, which
// each adapter renders for its platform.
package commands

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/pmbot/pmbot/feeds"
)

// MaxText is the longest command text accepted, in bytes.
const MaxText = 4000

// Request is one command as a user typed it, with where it came from.
type Request struct {
	Name      string
	Args      []string
	UserID    string
	ChannelID string
	Platform  string
	Locale    string
}

// Reply is a platform-neutral answer.
type Reply struct {
	// Header is the reply's title line.
	Header string
	// Text is a paragraph of plain text.
	Text string
	// Episodes are shown as cards.
	Episodes []feeds.Episode
	// Detail asks the renderer to show the episodes' summary, takeaways and links.
	Detail bool
	// Bullets is a plain list.
	Bullets []string
	// Private replies are shown to the asking user only.
	Private bool
}

// Handler answers a request.
type Handler func(ctx context.Context, req Request) (Reply, error)

// Command is one row of the command table, from which routing and help come.
type Command struct {
	Name        string
	Aliases     []string
	Usage       string
	Description string
	Examples    []string
	Handler     Handler
}

// UserError is an error whose message is meant for the user ("no episode 99; the
// latest is 17"). Other errors are internal and shown as a generic apology.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

// Errorf returns a UserError.
func Errorf(format string, args ...any) error {
	return &UserError{Msg: fmt.Sprintf(format, args...)}
}

// Router routes requests to the command table.
type Router struct {
	Prefix   string
	commands []Command
	byName   map[string]*Command
}

// NewRouter returns a router over the given commands, adding "help". prefix is the
// slash command's name as users type it ("/postmortem").
func NewRouter(prefix string, cmds []Command) *Router {
	r := &Router{Prefix: prefix, byName: make(map[string]*Command)}
	r.commands = append(r.commands, cmds...)
	r.commands = append(r.commands, Command{
		Name:        "help",
		Usage:       "help [command]",
		Description: "List the commands, or explain one.",
		Examples:    []string{"help", "help takeaways"},
		Handler:     r.help,
	})
	for i := range r.commands {
		c := &r.commands[i]
		r.byName[c.Name] = c
		for _, a := range c.Aliases {
			r.byName[a] = c
		}
	}
	return r
}

// Commands returns the command table.
func (r *Router) Commands() []Command { return r.commands }

// Parse turns command text ("takeaways 3", "/postmortem episode 12") into a request's
// name and arguments. Control characters are dropped and the text is capped, so
// nothing a user types can reach a renderer raw.
func Parse(text string) (name string, args []string, err error) {
	if len(text) > MaxText {
		return "", nil, Errorf("that command is too long (%d bytes; the limit is %d)", len(text), MaxText)
	}
	text = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, text)
	fields := strings.Fields(text)
	if len(fields) > 0 && strings.HasPrefix(fields[0], "/") {
		fields = fields[1:]
	}
	if len(fields) == 0 {
		return "help", nil, nil
	}
	return strings.ToLower(fields[0]), fields[1:], nil
}

// Dispatch runs the request's command. Errors a user can act on come back as a
// UserError; anything else is internal.
func (r *Router) Dispatch(ctx context.Context, req Request) (Reply, error) {
	c, ok := r.byName[strings.ToLower(req.Name)]
	if !ok {
		if s := r.suggest(req.Name); s != "" {
			return Reply{}, Errorf("unknown command %q; did you mean `%s`? Try `%s help`.", clip(req.Name, 40), s, r.Prefix)
		}
		return Reply{}, Errorf("unknown command %q. Try `%s help`.", clip(req.Name, 40), r.Prefix)
	}
	return c.Handler(ctx, req)
}

// ErrorReply turns a handler's error into what the user sees: the message of a
// UserError, else a generic apology (the details go to the log, not the channel).
func ErrorReply(err error) Reply {
	var ue *UserError
	if errors.As(err, &ue) {
		return Reply{Text: ue.Msg, Private: true}
	}
	return Reply{Text: "Something went wrong on our side; the bot's admin can find the details in its log.", Private: true}
}

func (r *Router) help(_ context.Context, req Request) (Reply, error) {
	if len(req.Args) > 0 {
		c, ok := r.byName[strings.ToLower(req.Args[0])]
		if !ok {
			return Reply{}, Errorf("no command %q. Try `%s help`.", clip(req.Args[0], 40), r.Prefix)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s\nUsage: %s %s", c.Description, r.Prefix, c.Usage)
		if len(c.Aliases) > 0 {
			fmt.Fprintf(&b, "\nAlso: %s", strings.Join(c.Aliases, ", "))
		}
		for _, ex := range c.Examples {
			fmt.Fprintf(&b, "\nExample: %s %s", r.Prefix, ex)
		}
		return Reply{Header: r.Prefix + " " + c.Name, Text: b.String(), Private: true}, nil
	}
	rep := Reply{Header: "Commands", Private: true}
	for _, c := range r.commands {
		rep.Bullets = append(rep.Bullets, fmt.Sprintf("%s %s: %s", r.Prefix, c.Usage, c.Description))
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
