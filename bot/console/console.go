// Package console is the terminal adapter: it prints announcements on stdout and
// answers /postmortem commands typed on stdin, so the bot runs with no chat
// platform at all.
package console

import (
	"bufio"
	"context"
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
	"github.com/pmbot/pmbot/bot/chattext"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
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
	// Language is the console channel's configured language ("en", "fr"); replies
	// are in it, as a terminal has no user locale to prefer.
	Language string
	// ReadOnly refuses subscribe and unsubscribe. The person at the terminal runs
	// the bot and so manages its only channel, unless told otherwise.
	ReadOnly bool

	mu sync.Mutex // one message at a time on the terminal
	n  int
}

var _ bot.Poster = (*Adapter)(nil)

// Post prints a message. The terminal cannot be asked afterwards what it showed,
// so the delivery's key cannot make it idempotent: a kill between printing and
// recording may print one message twice.
func (a *Adapter) Post(_ context.Context, _ bot.Delivery, msg bot.Message) (string, error) {
	var b strings.Builder
	RenderMessage(&b, msg)
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
				err := commands.Errorf("that line is too long; the limit is %d bytes", commands.MaxText)
				a.write(commands.DefaultMessages().ErrorReply(commands.Language("", a.Language), err))
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

// Request is the request the console makes of a command line's user: the
// terminal's only channel, in its configured language, with the right to manage
// it unless ReadOnly.
func (a *Adapter) Request() commands.Request {
	return commands.Request{UserID: "console", ChannelID: Channel, Platform: Platform, ChannelLanguage: a.Language, CanManage: !a.ReadOnly}
}

func (a *Adapter) reply(ctx context.Context, line string) commands.Reply {
	rep, err := a.Router.Answer(ctx, a.Request(), line)
	if err != nil && a.Logger != nil && !commands.IsUserError(err) {
		a.Logger.Error("command failed", "err", err)
	}
	return rep
}

const rule = "──────────────────────────────────────────"

// RenderMessage writes a message the bot posts on its own (an announcement, a
// summary, a digest) in the terminal layout. Its words and layout were composed by
// bot.ComposeMessage; this only lays them out for a terminal and cleans them.
func RenderMessage(w *strings.Builder, msg bot.Message) {
	lang := commands.Language("", msg.Language)
	m := commands.DefaultMessages()
	w.WriteString(rule + "\n")
	fmt.Fprintf(w, "%s\n\n", line(msg.Header, maxTitle))
	if t := clean(msg.Text); t != "" {
		fmt.Fprintf(w, "%s\n", t)
		if msg.Detail {
			w.WriteString("\n")
		}
	}
	for i, it := range msg.Items {
		ep := it.Episode
		if msg.Detail {
			if i > 0 {
				w.WriteString("\n")
			}
			renderEpisode(w, lang, ep, true)
			continue
		}
		fmt.Fprintf(w, "• %s  (%s)\n", label(lang, ep), dateOf(lang, ep))
		if it.Note != "" {
			if t := line(it.Note, maxBullet); t != "" {
				fmt.Fprintf(w, "  %s\n", t)
			}
		} else if u := line(ep.AudioURL, maxURL); u != "" && msg.Kind == bot.MessageSummary {
			fmt.Fprintf(w, "  %s\n", u)
		}
	}
	if msg.More > 0 {
		fmt.Fprintf(w, "%s\n", m.Sprintf(lang, commands.MsgAndMore, msg.More))
	}
	w.WriteString(rule + "\n\n")
}

// RenderReply writes a command reply in the terminal layout. Matched words of a
// search snippet are shown as **word**: readable on any terminal, with or without
// colour, and unlike « » not mistaken for French quotes. A private reply's share
// action is not shown: the terminal has one reader and nowhere to share to.
func RenderReply(w *strings.Builder, r commands.Reply) {
	lang := commands.Language("", r.Language)
	m := commands.DefaultMessages()
	if r.Header != "" {
		fmt.Fprintf(w, "%s\n", line(r.Header, maxTitle))
	}
	if t := clean(r.Text); t != "" {
		fmt.Fprintf(w, "%s\n", t)
	}
	for i, f := range r.Fields {
		if i == maxItems {
			fmt.Fprintf(w, "%s\n", m.Sprintf(lang, commands.MsgAndMore, len(r.Fields)-i))
			break
		}
		name, value := line(f.Name, maxTitle), line(f.Value, maxBullet)
		switch {
		case name != "" && value != "":
			fmt.Fprintf(w, "%s\n", pair(lang, name, value))
		case name != "" || value != "":
			fmt.Fprintf(w, "%s\n", name+value)
		}
	}
	renderBullets(w, lang, "  ", r.Bullets)
	above := r.Header != "" || r.Text != "" || len(r.Bullets) > 0 || len(r.Fields) > 0
	for i, h := range r.Hits {
		if i == maxItems {
			fmt.Fprintf(w, "  %s\n", m.Sprintf(lang, commands.MsgAndMore, len(r.Hits)-i))
			break
		}
		if i == 0 && above {
			w.WriteString("\n")
		}
		fmt.Fprintf(w, "  • %s  (%s)\n", label(lang, h.Episode), dateOf(lang, h.Episode))
		if s := snippet(h); s != "" {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
	above = above || len(r.Hits) > 0
	for i, ep := range r.Episodes {
		if r.Detail {
			if i > 0 || above {
				w.WriteString("\n")
			}
			renderEpisode(w, lang, ep, true)
			renderLinks(w, lang, ep.Notes.References())
			continue
		}
		if i == 0 && above {
			w.WriteString("\n")
		}
		fmt.Fprintf(w, "  • %s  (%s)\n", label(lang, ep), dateOf(lang, ep))
	}
	renderLinks(w, lang, r.Links)
	if len(r.Buttons) > 0 {
		w.WriteString("\n")
	}
	for i, b := range r.Buttons {
		if i == maxItems {
			break
		}
		target := line(b.URL, maxURL)
		if target == "" {
			target = line(b.Command, maxTitle)
		}
		if l := line(b.Label, maxTitle); l != "" && target != "" {
			fmt.Fprintf(w, "%s\n", pair(lang, l, target))
		} else if target != "" {
			fmt.Fprintf(w, "%s\n", target)
		}
	}
	w.WriteString("\n")
}

// snippet is a search hit's excerpt on one line, matched words in **bold**; the
// episode's summary when the search gave no snippet.
func snippet(h commands.Hit) string {
	if len(h.Snippet) == 0 {
		return line(h.Episode.Notes.Summary, maxSnippet)
	}
	var b strings.Builder
	for _, f := range h.Snippet {
		// Each fragment is cleaned on its own: an escape sequence split across
		// fragments cannot come back together around the marks.
		t := line(f.Text, maxSnippet)
		if f.Match && t != "" {
			t = "**" + t + "**"
		}
		if b.Len() > 0 && t != "" && !strings.HasSuffix(b.String(), " ") && chattext.StartsSpaced(f.Text) {
			b.WriteString(" ")
		}
		b.WriteString(t)
		if chattext.EndsSpaced(f.Text) {
			b.WriteString(" ")
		}
	}
	return line(b.String(), maxSnippet)
}

// renderLinks writes links grouped by the section they appear in (in the order
// the sections come), at most maxItems of them.
func renderLinks(w *strings.Builder, lang string, links []feeds.Link) {
	if len(links) == 0 {
		return
	}
	var order []string
	groups := make(map[string][]feeds.Link)
	for _, l := range links {
		s := strings.TrimRight(line(l.Section, maxTitle), " :")
		if _, ok := groups[s]; !ok {
			order = append(order, s)
		}
		groups[s] = append(groups[s], l)
	}
	shown := 0
	for _, s := range order {
		if shown == maxItems {
			break
		}
		if countURLs(groups[s]) == 0 {
			continue // a heading over nothing
		}
		title := s
		if title == "" {
			title = commands.DefaultMessages().Sprintf(lang, commands.MsgLinks)
		}
		fmt.Fprintf(w, "\n%s\n", commands.DefaultMessages().Sprintf(lang, commands.MsgHeading, title))
		for _, l := range groups[s] {
			if shown == maxItems {
				break
			}
			u := line(l.URL, maxURL)
			if u == "" {
				continue
			}
			shown++
			if t := line(l.Text, maxTitle); t != "" && t != u {
				fmt.Fprintf(w, "  • %s\n", pair(lang, t, u))
			} else {
				fmt.Fprintf(w, "  • %s\n", u)
			}
		}
	}
	if n := countURLs(links) - shown; n > 0 {
		fmt.Fprintf(w, "  %s\n", commands.DefaultMessages().Sprintf(commands.Language("", lang), commands.MsgAndMore, n))
	}
}

func countURLs(links []feeds.Link) int {
	n := 0
	for _, l := range links {
		if line(l.URL, maxURL) != "" {
			n++
		}
	}
	return n
}

// renderBullets writes a list, at most maxItems of it.
func renderBullets(w *strings.Builder, lang, indent string, items []string) {
	for i, it := range items {
		if i == maxItems {
			fmt.Fprintf(w, "%s%s\n", indent, commands.DefaultMessages().Sprintf(lang, commands.MsgAndMore, len(items)-i))
			return
		}
		if it := line(it, maxBullet); it != "" {
			fmt.Fprintf(w, "%s• %s\n", indent, it)
		}
	}
}

func renderEpisode(w *strings.Builder, lang string, ep feeds.Episode, detail bool) {
	m := commands.DefaultMessages()
	fmt.Fprintf(w, "%s\n", label(lang, ep))
	meta := []string{dateOf(lang, ep)}
	if ep.DurationSeconds > 0 {
		meta = append(meta, m.Duration(lang, ep.DurationSeconds))
	}
	fmt.Fprintf(w, "%s\n", strings.Join(meta, " · "))
	if !detail {
		return
	}
	if s := clean(ep.Notes.Summary); s != "" {
		fmt.Fprintf(w, "\n%s\n", s)
	}
	if len(ep.Notes.Takeaways) > 0 && ep.Notes.TakeawaysSource != feeds.TakeawaysSummary {
		fmt.Fprintf(w, "\n%s\n", m.Sprintf(lang, commands.MsgHeading, m.Sprintf(lang, commands.MsgKeyTakeaways)))
		renderBullets(w, lang, "  ", ep.Notes.Takeaways)
	}
	if u := line(ep.AudioURL, maxURL); u != "" {
		fmt.Fprintf(w, "\n%s\n", pair(lang, m.Sprintf(lang, commands.MsgListen), u))
	} else if u := line(ep.Link, maxURL); u != "" {
		fmt.Fprintf(w, "\n%s\n", pair(lang, m.Sprintf(lang, commands.MsgMore), u))
	}
}

// pair is "label: value" with the language's spacing.
func pair(lang, label, value string) string {
	return commands.DefaultMessages().Sprintf(lang, commands.MsgLabelValue, label, value)
}

// label is an episode's one-line name, never empty.
func label(lang string, ep feeds.Episode) string {
	ep.Title = line(ep.Title, maxTitle)
	if ep.Title == "" {
		ep.Title = commands.DefaultMessages().Sprintf(lang, commands.MsgUntitled)
	}
	return commands.Label(ep)
}

// feedTitle is a feed's one-line name, never empty.
func feedTitle(lang, s string) string {
	if s = line(s, maxTitle); s == "" {
		return commands.DefaultMessages().Sprintf(lang, commands.MsgThePodcast)
	}
	return s
}

func dateOf(lang string, ep feeds.Episode) string {
	return commands.DefaultMessages().Date(lang, ep.Published.UTC())
}

// Caps on what feed content may print: feed content is data, and a megabyte-long
// title or ten thousand takeaways must not bury the terminal.
const (
	maxField  = 2000 // runes of a paragraph (a summary, a reply's text)
	maxTitle  = 300  // runes of a one-line title or header
	maxBullet = 500  // runes of one list item
	maxURL    = 1000 // runes of a URL
	maxItems  = 20   // items of a list, episodes of a summary
	// maxSnippet is runes of a search snippet: a glimpse, not the notes.
	maxSnippet = 300
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
