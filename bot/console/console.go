// Package console is the terminal adapter: it prints announcements on stdout and
// answers /postmortem commands typed on stdin, so the bot runs with no chat
// platform at all.
package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/store"
)

// Platform is the console's platform name in subscriptions.
const Platform = "console"

// Channel is the console's only channel.
const Channel = "stdout"

// Adapter prints to Out and reads commands through Router.
type Adapter struct {
	Out    io.Writer
	Router *commands.Router
	Logger *slog.Logger
	// Now is the clock for message ids; time.Now when nil.
	Now func() time.Time

	mu sync.Mutex // one message at a time on the terminal
	n  int
}

var _ bot.Poster = (*Adapter)(nil)

// Post prints an announcement. The terminal cannot be asked afterwards what it
// showed, so a kill between printing and recording may print one message twice.
func (a *Adapter) Post(_ context.Context, _ string, an bot.Announcement) (string, error) {
	var b strings.Builder
	RenderAnnouncement(&b, an)
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := io.WriteString(a.Out, b.String()); err != nil {
		return "", fmt.Errorf("console: post: %w", err)
	}
	a.n++
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	return "console-" + strconv.FormatInt(now().UnixNano(), 36) + "-" + strconv.Itoa(a.n), nil
}

// Serve answers command lines read from in until in ends or ctx is cancelled. A
// line may start with "/postmortem" or not; a line longer than commands.MaxText
// is answered with an error and skipped, not a reason to stop. A read error ends
// Serve with that error. The read itself cannot be interrupted, so on cancel
// Serve returns at once and its reader ends with the process or at the input's
// end.
func (a *Adapter) Serve(ctx context.Context, in io.Reader) error {
	type input struct {
		line    string
		tooLong bool
		err     error
	}
	lines := make(chan input)
	go func() {
		defer close(lines)
		br := bufio.NewReaderSize(in, 64*1024)
		for {
			line, tooLong, err := readLine(br, commands.MaxText)
			var msgs []input
			if line != "" || tooLong {
				msgs = append(msgs, input{line: line, tooLong: tooLong})
			}
			if err != nil && err != io.EOF {
				msgs = append(msgs, input{err: err})
			}
			for _, m := range msgs {
				select {
				case lines <- m:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case in, ok := <-lines:
			switch {
			case !ok:
				return nil
			case in.err != nil:
				return fmt.Errorf("console: read commands: %w", in.err)
			case in.tooLong:
				a.write(commands.ErrorReply(commands.Errorf("that line is too long; the limit is %d bytes", commands.MaxText)))
			case strings.TrimSpace(in.line) != "":
				a.Answer(ctx, in.line)
			}
		}
	}
}

// readLine reads one line without its end. A line longer than max bytes is read
// to its end and dropped: tooLong is set and line is empty.
func readLine(br *bufio.Reader, max int) (line string, tooLong bool, err error) {
	var b []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(b)+len(chunk) > max+2 { // room for "\r\n"
				tooLong, b = true, nil
			} else {
				b = append(b, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		line = strings.TrimRight(string(b), "\r\n")
		if !tooLong && len(line) > max {
			tooLong, line = true, ""
		}
		return line, tooLong, err
	}
}

// Answer runs one command line and prints the reply.
func (a *Adapter) Answer(ctx context.Context, line string) {
	a.write(a.reply(ctx, line))
}

// write prints a reply. A terminal that cannot be written to has no one to tell.
func (a *Adapter) write(rep commands.Reply) {
	var b strings.Builder
	RenderReply(&b, rep)
	a.mu.Lock()
	defer a.mu.Unlock()
	io.WriteString(a.Out, b.String())
}

func (a *Adapter) reply(ctx context.Context, line string) commands.Reply {
	name, args, err := commands.Parse(line)
	if err != nil {
		return commands.ErrorReply(err)
	}
	rep, err := a.Router.Dispatch(ctx, commands.Request{Name: name, Args: args, UserID: "console", ChannelID: Channel, Platform: Platform})
	if err != nil {
		var ue *commands.UserError
		if a.Logger != nil && !errors.As(err, &ue) {
			a.Logger.Error("command failed", "command", name, "err", err)
		}
		return commands.ErrorReply(err)
	}
	return rep
}

const rule = "──────────────────────────────────────────"

// RenderAnnouncement writes an announcement in the terminal layout.
func RenderAnnouncement(w *strings.Builder, a bot.Announcement) {
	w.WriteString(rule + "\n")
	if a.Kind == store.KindSummary {
		fmt.Fprintf(w, "%d new episodes of %s\n\n", len(a.Episodes), feedTitle(a.FeedTitle))
		for i, ep := range a.Episodes {
			if i == maxItems {
				fmt.Fprintf(w, "… and %d more\n", len(a.Episodes)-i)
				break
			}
			fmt.Fprintf(w, "• %s  (%s)\n", label(ep), dateOf(ep))
			if u := line(ep.AudioURL, maxURL); u != "" {
				fmt.Fprintf(w, "  %s\n", u)
			}
		}
		w.WriteString(rule + "\n\n")
		return
	}
	fmt.Fprintf(w, "New episode of %s\n\n", feedTitle(a.FeedTitle))
	for _, ep := range a.Episodes {
		renderEpisode(w, ep, true)
	}
	w.WriteString(rule + "\n\n")
}

// RenderReply writes a command reply in the terminal layout.
func RenderReply(w *strings.Builder, r commands.Reply) {
	if r.Header != "" {
		fmt.Fprintf(w, "%s\n", line(r.Header, maxTitle))
	}
	if t := clean(r.Text); t != "" {
		fmt.Fprintf(w, "%s\n", t)
	}
	renderBullets(w, "  ", r.Bullets)
	above := r.Header != "" || r.Text != "" || len(r.Bullets) > 0
	for i, ep := range r.Episodes {
		if r.Detail {
			if i > 0 || above {
				w.WriteString("\n")
			}
			renderEpisode(w, ep, true)
			renderLinks(w, ep.Notes.Links)
			continue
		}
		if i == 0 && above {
			w.WriteString("\n")
		}
		fmt.Fprintf(w, "  • %s  (%s)\n", label(ep), dateOf(ep))
	}
	w.WriteString("\n")
}

// renderLinks writes an episode's links from its notes, at most maxItems of them.
func renderLinks(w *strings.Builder, links []feeds.Link) {
	if len(links) == 0 {
		return
	}
	w.WriteString("\nLinks:\n")
	for i, l := range links {
		if i == maxItems {
			fmt.Fprintf(w, "  … and %d more\n", len(links)-i)
			return
		}
		u := line(l.URL, maxURL)
		if u == "" {
			continue
		}
		if t := line(l.Text, maxTitle); t != "" && t != u {
			fmt.Fprintf(w, "  • %s: %s\n", t, u)
		} else {
			fmt.Fprintf(w, "  • %s\n", u)
		}
	}
}

// renderBullets writes a list, at most maxItems of it.
func renderBullets(w *strings.Builder, indent string, items []string) {
	for i, it := range items {
		if i == maxItems {
			fmt.Fprintf(w, "%s… and %d more\n", indent, len(items)-i)
			return
		}
		if it := line(it, maxBullet); it != "" {
			fmt.Fprintf(w, "%s• %s\n", indent, it)
		}
	}
}

func renderEpisode(w *strings.Builder, ep feeds.Episode, detail bool) {
	fmt.Fprintf(w, "%s\n", label(ep))
	meta := []string{dateOf(ep)}
	if ep.DurationSeconds > 0 {
		meta = append(meta, formatDuration(ep.DurationSeconds))
	}
	fmt.Fprintf(w, "%s\n", strings.Join(meta, " · "))
	if !detail {
		return
	}
	if s := clean(ep.Notes.Summary); s != "" {
		fmt.Fprintf(w, "\n%s\n", s)
	}
	if len(ep.Notes.Takeaways) > 0 && ep.Notes.TakeawaysSource != feeds.TakeawaysSummary {
		w.WriteString("\nKey takeaways:\n")
		renderBullets(w, "  ", ep.Notes.Takeaways)
	}
	if u := line(ep.AudioURL, maxURL); u != "" {
		fmt.Fprintf(w, "\nListen: %s\n", u)
	} else if u := line(ep.Link, maxURL); u != "" {
		fmt.Fprintf(w, "\nMore: %s\n", u)
	}
}

// label is an episode's one-line name, never empty.
func label(ep feeds.Episode) string {
	ep.Title = line(ep.Title, maxTitle)
	if ep.Title == "" {
		ep.Title = "(untitled)"
	}
	return commands.Label(ep)
}

// feedTitle is a feed's one-line name, never empty.
func feedTitle(s string) string {
	if s = line(s, maxTitle); s == "" {
		return "the podcast"
	}
	return s
}

func dateOf(ep feeds.Episode) string {
	if ep.Published.IsZero() {
		return "undated"
	}
	return ep.Published.UTC().Format("2006-01-02")
}

func formatDuration(s int) string {
	if s >= 3600 {
		return fmt.Sprintf("%dh%02d", s/3600, (s%3600)/60)
	}
	if s >= 60 {
		return fmt.Sprintf("%d min", (s+30)/60)
	}
	return fmt.Sprintf("%d s", s)
}

// Caps on what feed content may print: feed content is data, and a megabyte-long
// title or ten thousand takeaways must not bury the terminal.
const (
	maxField  = 2000 // runes of a paragraph (a summary, a reply's text)
	maxTitle  = 300  // runes of a one-line title or header
	maxBullet = 500  // runes of one list item
	maxURL    = 1000 // runes of a URL
	maxItems  = 20   // items of a list, episodes of a summary
)

// clean neutralises feed text for a terminal: escape sequences are removed whole
// and other control and invisible formatting characters (bidi overrides,
// zero-width spaces) dropped, so a feed cannot move the cursor, recolour the
// screen or reorder text. Runs of blank lines are collapsed and the text is capped
// at maxField runes.
func clean(s string) string {
	var b strings.Builder
	newlines := 0
	n := 0
	for i := 0; i < len(s); {
		if skip := escapeLen(s[i:]); skip > 0 {
			i += skip
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\n' || r == '\u2028' || r == '\u2029':
			newlines++
			continue
		case r == '\t':
			r = ' '
		case r == utf8.RuneError || unicode.IsControl(r) || (unicode.Is(unicode.Cf, r) && r != '\u200d'):
			continue
		}
		if newlines > 0 && b.Len() > 0 {
			b.WriteString(strings.Repeat("\n", min(newlines, 2)))
		}
		newlines = 0
		if n == maxField {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// line is clean text on one line: line breaks and runs of spaces become one
// space, and the text is capped at max runes.
func line(s string, max int) string {
	s = strings.Join(strings.Fields(clean(s)), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}

// escapeLen is the length in bytes of the terminal escape sequence s starts with
// (CSI "ESC [ … m", OSC "ESC ] … BEL", the 8-bit forms, two-byte "ESC x"), or 0.
func escapeLen(s string) int {
	var body int // where the sequence's body starts
	var osc bool
	switch {
	case strings.HasPrefix(s, "\x1b["):
		body = 2
	case strings.HasPrefix(s, "\u009b"):
		body = len("\u009b")
	case strings.HasPrefix(s, "\x1b]"), strings.HasPrefix(s, "\x1bP"), strings.HasPrefix(s, "\x1b_"), strings.HasPrefix(s, "\x1b^"), strings.HasPrefix(s, "\x1bX"):
		body, osc = 2, true
	case strings.HasPrefix(s, "\u009d"), strings.HasPrefix(s, "\u0090"):
		body, osc = len("\u009d"), true
	case len(s) >= 2 && s[0] == '\x1b' && s[1] >= 0x20 && s[1] < 0x7f:
		return 2
	default:
		return 0
	}
	if osc {
		// A string sequence runs to BEL or ST; unterminated, only its opener goes.
		for i := body; i < len(s); i++ {
			switch {
			case s[i] == '\a':
				return i + 1
			case strings.HasPrefix(s[i:], "\x1b\\"):
				return i + 2
			case strings.HasPrefix(s[i:], "\u009c"):
				return i + len("\u009c")
			}
		}
		return body
	}
	// CSI: parameter and intermediate bytes, then one final byte.
	i := body
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x3f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}
