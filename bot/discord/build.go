package discord

import (
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot/chattext"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// embedColor is the bar at the left of our embeds.
const embedColor = 0xD9480F

// builder writes one message's content, embeds and buttons within its
// budget: EmbedBudget characters across all embeds, MaxEmbeds embeds,
// MaxButtons buttons.
type builder struct {
	lang    string
	msgs    *commands.Messages
	left    int // characters of embeds left
	embeds  []*discordgo.MessageEmbed
	buttons []discordgo.MessageComponent
	share   discordgo.MessageComponent // "Share in channel", last of all, or nil
	ids     map[string]bool
}

func newBuilder(lang string) *builder {
	return &builder{
		lang: commands.Language("", lang),
		msgs: commands.DefaultMessages(),
		left: EmbedBudget,
		ids:  make(map[string]bool),
	}
}

// S formats a message key in the message's language.
func (b *builder) S(key string, args ...any) string { return b.msgs.Sprintf(b.lang, key, args...) }

// more is "… and n more", escaped, the end of every list that was cut.
func (b *builder) more(n int) string { return escape(b.S(commands.MsgAndMore, n)) }

// embedWidth is what Discord counts of an embed against MaxEmbedTotal.
func embedWidth(e *discordgo.MessageEmbed) int {
	n := chattext.Width(e.Title) + chattext.Width(e.Description)
	if e.Footer != nil {
		n += chattext.Width(e.Footer.Text)
	}
	if e.Author != nil {
		n += chattext.Width(e.Author.Name)
	}
	for _, f := range e.Fields {
		n += chattext.Width(f.Name) + chattext.Width(f.Value)
	}
	return n
}

// empty reports whether an embed shows nothing, which Discord refuses.
func empty(e *discordgo.MessageEmbed) bool {
	return e.Title == "" && e.Description == "" && len(e.Fields) == 0 && e.Footer == nil && e.Author == nil
}

// addEmbed appends e if it fits, and reports whether it did.
func (b *builder) addEmbed(e *discordgo.MessageEmbed) bool {
	if e == nil || empty(e) || len(b.embeds) == MaxEmbeds {
		return false
	}
	w := embedWidth(e)
	if w > b.left {
		return false
	}
	b.left -= w
	e.Color = embedColor
	b.embeds = append(b.embeds, e)
	return true
}

// share is the part of n that one of k parts gets, rounded up; parts are
// served in order, each from what the earlier ones left.
func share(n, k int) int {
	if n <= 0 {
		return 0
	}
	if k <= 1 {
		return n
	}
	return (n + k - 1) / k
}

// button renders a commands.Button: a link button when its URL is safe, else a
// command button when it has a command that fits a custom_id; nil otherwise.
// A command already on a button of the message gets none (custom_ids are
// unique in a message). prefix goes before the label ("#17 "), to tell apart
// the buttons of several episodes.
func (b *builder) button(btn commands.Button, prefix string) discordgo.MessageComponent {
	label := chattext.Line(btn.Label)
	if btn.URL != "" {
		u, ok := safeURL(btn.URL, MaxButtonURL)
		if !ok {
			// A button to a URL that is no safe link does nothing rather
			// than something else.
			return nil
		}
		if label == "" {
			label = b.S(commands.MsgMore)
		}
		text, _ := clipPlain(prefix+label, MaxButtonLabel)
		return discordgo.Button{Label: text, Style: discordgo.LinkButton, URL: u}
	}
	id, ok := CommandCustomID(btn.Command)
	if !ok || b.ids[id] {
		return nil
	}
	if label == "" {
		label = chattext.Line(btn.Command)
	}
	text, _ := clipPlain(prefix+label, MaxButtonLabel)
	b.ids[id] = true
	return discordgo.Button{Label: text, Style: discordgo.SecondaryButton, CustomID: id}
}

// addButtons adds the buttons that render, while there is room.
func (b *builder) addButtons(btns []commands.Button, prefix string) {
	room := MaxButtons
	if b.share != nil {
		room-- // kept for the share button
	}
	for _, btn := range btns {
		if len(b.buttons) >= room {
			return
		}
		if c := b.button(btn, prefix); c != nil {
			b.buttons = append(b.buttons, c)
		}
	}
}

// shareButton sets the "Share in channel" button of a private reply that can
// be shared: the message's last button, whose room no other can take. Call it
// before addButtons.
func (b *builder) shareButton(r commands.Reply) {
	if !r.Private || !r.Shareable {
		return
	}
	id, ok := ShareCustomID(r.Command)
	if !ok {
		return
	}
	text, _ := clipPlain(b.S(commands.MsgShare), MaxButtonLabel)
	b.ids[id] = true
	b.share = discordgo.Button{Label: text, Style: discordgo.PrimaryButton, CustomID: id}
}

// components puts the buttons in action rows of MaxRowButtons.
// The share button comes last.
func (b *builder) components() []discordgo.MessageComponent {
	btns := b.buttons
	if b.share != nil {
		btns = append(btns[:len(btns):len(btns)], b.share)
	}
	var rows []discordgo.MessageComponent
	for i := 0; i < len(btns) && len(rows) < MaxActionRows; i += MaxRowButtons {
		rows = append(rows, discordgo.ActionsRow{Components: btns[i:min(i+MaxRowButtons, len(btns))]})
	}
	return rows
}

// content is lines of plain text, each escaped, together within ContentBudget;
// the first in bold.
func content(lines ...string) string {
	var parts []string
	used := 0
	for i, l := range lines {
		if i == 0 {
			l = chattext.Line(l)
		} else {
			l = chattext.Clean(l)
		}
		if l == "" {
			continue
		}
		room := ContentBudget - used - 1
		if i == 0 {
			room -= 4
		}
		s, _ := clip(l, min(room, ContentBudget/2))
		if s == "" {
			break
		}
		if i == 0 {
			s = bold(s)
		}
		parts = append(parts, s)
		used += chattext.Width(s) + 1
	}
	return strings.Join(parts, "\n")
}

// title is an episode's title on one line, never empty.
func (b *builder) title(ep feeds.Episode) string {
	if t := chattext.Line(ep.Title); t != "" {
		return t
	}
	return b.S(commands.MsgUntitled)
}

// episodeURL is where an episode's title links to: its page, else its audio.
func episodeURL(ep feeds.Episode, limit int) (string, bool) {
	if u, ok := safeURL(ep.Link, limit); ok {
		return u, true
	}
	return safeURL(ep.AudioURL, limit)
}

// meta is the plain line about an episode: "28 April 2022 · 1h03 · #17",
// and its chapter count when chapters is set.
func (b *builder) meta(ep feeds.Episode, chapters bool) string {
	return chattext.Meta(b.msgs, b.lang, ep, chapters)
}

// fitLines joins as many of lines as fit whole in max, one per line, and says
// how many.
func fitLines(lines []string, max int) (string, int) {
	used, n := 0, 0
	for _, l := range lines {
		w := chattext.Width(l)
		if n > 0 {
			w++
		}
		if used+w > max {
			break
		}
		used += w
		n++
	}
	return strings.Join(lines[:n], "\n"), n
}

// list is lines within max, ending with "… and N more" when some are left
// out (total counts items that never became lines too); and whether it was
// cut.
func (b *builder) list(lines []string, total, max int) (string, bool) {
	if len(lines) == total {
		if s, n := fitLines(lines, max); n == total {
			return s, false
		}
	}
	s, n := fitLines(lines, max-chattext.Width("\n"+b.more(total)))
	if n == 0 {
		if m := b.more(total); chattext.Width(m) <= max {
			return m, true
		}
		return "", true
	}
	return s + "\n" + b.more(total-n), true
}

// bullets turns plain items into escaped "• " lines, at most maxItems, each cut
// to maxBullet; empty items are dropped.
func bullets(items []string) []string {
	var out []string
	for _, it := range items {
		if len(out) == maxItems {
			break
		}
		if s, _ := clip(chattext.Line(it), maxBullet); s != "" {
			out = append(out, "• "+s)
		}
	}
	return out
}

// join joins the parts that are not empty with sep.
func join(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
