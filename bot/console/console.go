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
// line may start with "/postmortem" or not. The read itself cannot be interrupted,
// so on cancel Serve returns at once and its reader ends with the process or at
// the input's end.
func (a *Adapter) Serve(ctx context.Context, in io.Reader) error {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			a.Answer(ctx, line)
		}
	}
}

// Answer runs one command line and prints the reply.
func (a *Adapter) Answer(ctx context.Context, line string) {
	rep := a.reply(ctx, line)
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
		if a.Logger != nil {
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
		fmt.Fprintf(w, "%d new episodes of %s\n\n", len(a.Episodes), clean(a.FeedTitle))
		for _, ep := range a.Episodes {
			fmt.Fprintf(w, "• %s  (%s)\n", clean(commands.Label(ep)), dateOf(ep))
			if ep.AudioURL != "" {
				fmt.Fprintf(w, "  %s\n", clean(ep.AudioURL))
			}
		}
		w.WriteString(rule + "\n\n")
		return
	}
	fmt.Fprintf(w, "New episode of %s\n\n", clean(a.FeedTitle))
	for _, ep := range a.Episodes {
		renderEpisode(w, ep, true)
	}
	w.WriteString(rule + "\n\n")
}

// RenderReply writes a command reply in the terminal layout.
func RenderReply(w *strings.Builder, r commands.Reply) {
	if r.Header != "" {
		fmt.Fprintf(w, "%s\n", clean(r.Header))
	}
	if r.Text != "" {
		fmt.Fprintf(w, "%s\n", clean(r.Text))
	}
	for _, b := range r.Bullets {
		fmt.Fprintf(w, "  • %s\n", clean(b))
	}
	for i, ep := range r.Episodes {
		if i > 0 || r.Header != "" || r.Text != "" {
			w.WriteString("\n")
		}
		if r.Detail {
			renderEpisode(w, ep, true)
			continue
		}
		fmt.Fprintf(w, "%s  (%s)\n", clean(commands.Label(ep)), dateOf(ep))
	}
	w.WriteString("\n")
}

func renderEpisode(w *strings.Builder, ep feeds.Episode, detail bool) {
	fmt.Fprintf(w, "%s\n", clean(commands.Label(ep)))
	meta := []string{dateOf(ep)}
	if ep.DurationSeconds > 0 {
		meta = append(meta, formatDuration(ep.DurationSeconds))
	}
	fmt.Fprintf(w, "%s\n", strings.Join(meta, " · "))
	if !detail {
		return
	}
	if s := ep.Notes.Summary; s != "" {
		fmt.Fprintf(w, "\n%s\n", clean(s))
	}
	if len(ep.Notes.Takeaways) > 0 && ep.Notes.TakeawaysSource != feeds.TakeawaysSummary {
		w.WriteString("\nKey takeaways:\n")
		for _, t := range ep.Notes.Takeaways {
			fmt.Fprintf(w, "  • %s\n", clean(t))
		}
	}
	if ep.AudioURL != "" {
		fmt.Fprintf(w, "\nListen: %s\n", clean(ep.AudioURL))
	} else if ep.Link != "" {
		fmt.Fprintf(w, "\nMore: %s\n", clean(ep.Link))
	}
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

// maxField caps what one feed field may print: feed content is data, and a
// megabyte-long title must not bury the terminal.
const maxField = 2000

// clean neutralises feed text for a terminal: escape sequences and other control
// characters are dropped, so a feed cannot move the cursor or recolour the screen.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || (unicode.Is(unicode.Cf, r) && r != '\u200d') {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > maxField {
		s = string(r[:maxField]) + "…"
	}
	return s
}
