package discord

import (
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot/chattext"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// maxLinkURL is the longest URL we write in a masked link: a longer one is no
// address a person follows, and would eat the room of a whole list.
const maxLinkURL = 512

// card renders an episode in full as one embed of at most room characters:
// its title linked to its page, the summary and key takeaways in the
// description, its links grouped by section in fields, date · duration · #N
// in the footer and its publication time as the timestamp. When any of the
// notes had to be cut, the description ends with a "More" link to the full
// notes. nil when not even the title fits.
func (b *builder) card(ep feeds.Episode, room int) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{}
	u, hasURL := episodeURL(ep, MaxEmbedURL)
	if hasURL {
		e.URL = u
	}
	e.Title, _ = clip(b.title(ep), min(MaxEmbedTitle, room/3))
	if e.Title == "" {
		return nil
	}
	room -= chattext.Width(e.Title)
	if meta, _ := clipPlain(b.meta(ep, true), min(MaxFooterText, room/4)); meta != "" {
		e.Footer = &discordgo.MessageEmbedFooter{Text: meta}
		room -= chattext.Width(meta)
	}
	if !ep.Published.IsZero() {
		e.Timestamp = ep.Published.UTC().Format(time.RFC3339)
	}
	moreLink := ""
	if mu, ok := episodeURL(ep, maxLinkURL); ok {
		moreLink = maskedLink(mu, b.S(commands.MsgMore), maxLinkURL+40)
	}
	reserve := 0
	if moreLink != "" && chattext.Width(moreLink)+2 <= room/4 {
		reserve = chattext.Width(moreLink) + 2
	} else {
		moreLink = ""
	}
	room -= reserve
	descRoom := min(room, MaxEmbedDescription-reserve)

	var writers []func(k int)
	var desc []string
	cut := false
	spend := func(s string) {
		w := chattext.Width(s)
		if len(desc) > 0 {
			w += 2
		}
		room -= w
		descRoom -= w
		desc = append(desc, s)
	}
	if s := chattext.Clean(ep.Notes.Summary); s != "" {
		writers = append(writers, func(k int) {
			text, c := clip(s, min(maxSummary, share(descRoom-2, k)))
			cut = cut || c || text == ""
			if text != "" {
				spend(text)
			}
		})
	}
	if tk := ep.Notes.Takeaways; len(tk) > 0 && ep.Notes.TakeawaysSource != feeds.TakeawaysSummary {
		writers = append(writers, func(k int) {
			heading := bold(escape(b.S(commands.MsgKeyTakeaways)))
			list, c := b.list(bullets(tk), len(tk), share(descRoom-2, k)-chattext.Width(heading)-1)
			cut = cut || c
			if list != "" {
				spend(heading + "\n" + list)
			}
		})
	}
	// An episode's card lists its references, not the podcast's own links.
	if refs := ep.Notes.References(); len(refs) > 0 {
		writers = append(writers, func(k int) {
			fields, c := b.linkFields(refs, share(room, k))
			cut = cut || c
			e.Fields = fields
			for _, f := range fields {
				room -= chattext.Width(f.Name) + chattext.Width(f.Value)
			}
		})
	}
	for i, w := range writers {
		w(len(writers) - i)
	}
	if cut && moreLink != "" {
		desc = append(desc, moreLink)
	}
	e.Description = strings.Join(desc, "\n\n")
	return e
}

// linkFields renders links as fields, one per section in the order they
// come, each a list of "• [text](url)" lines, within room; the last ends with
// "… and N more" when some are left out. A link whose URL is not safe cannot
// be followed and is left out, uncounted.
func (b *builder) linkFields(links []feeds.Link, room int) ([]*discordgo.MessageEmbedField, bool) {
	type group struct {
		name  string
		lines []string
	}
	var groups []*group
	index := make(map[string]*group)
	total, lines := 0, 0
	for _, l := range links {
		u, ok := safeURL(l.URL, maxLinkURL)
		if !ok {
			continue
		}
		total++
		if lines == maxItems {
			continue
		}
		lk := maskedLink(u, l.Text, maxBullet+chattext.Width(u))
		if lk == "" {
			continue
		}
		s := strings.TrimRight(chattext.Line(l.Section), " :")
		g, seen := index[s]
		if !seen {
			name := s
			if name == "" {
				name = b.S(commands.MsgLinks)
			}
			n, _ := clip(name, min(MaxFieldName, maxBullet))
			g = &group{name: n}
			index[s] = g
			groups = append(groups, g)
		}
		g.lines = append(g.lines, "• "+lk)
		lines++
	}
	if total == 0 {
		return nil, false
	}
	moreW := chattext.Width("\n" + b.more(total))
	var out []*discordgo.MessageEmbedField
	shown := 0
	room -= moreW
groups:
	for _, g := range groups {
		// A section longer than a field goes on in fields with no name of
		// their own (a zero-width space: Discord needs one).
		for rest, name := g.lines, g.name; len(rest) > 0; name = zwsp {
			if len(out) == MaxEmbedFields-1 || name == "" {
				break groups
			}
			value, n := fitLines(rest, min(MaxFieldValue-moreW, room-chattext.Width(name)))
			if n == 0 {
				break groups
			}
			out = append(out, &discordgo.MessageEmbedField{Name: name, Value: value})
			room -= chattext.Width(name) + chattext.Width(value)
			shown += n
			rest = rest[n:]
		}
	}
	if shown == total {
		return out, false
	}
	if len(out) > 0 {
		out[len(out)-1].Value += "\n" + b.more(total-shown)
	}
	return out, true
}
