package discord

import (
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/chattext"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// RenderMessage renders a message the bot posts on its own. Its header (and
// text) is the content, which notifications show. An announcement or the
// archive's episode is an embed per episode, in full (see card); a summary or
// a digest is one embed listing its episodes, each with its note, and "… and
// N more" for those left out. The items' buttons follow, numbered "#N" when
// there are several episodes. Every episode of m.Items is shown: under
// pressure, text is cut, not episodes.
func RenderMessage(m bot.Message) Payload {
	b := newBuilder(m.Language)
	var lines []string
	lines = append(lines, m.Header, m.Text)
	if m.Detail || len(m.Items) == 0 {
		if m.More > 0 {
			lines = append(lines, b.S(commands.MsgAndMore, m.More))
		}
		for i, it := range m.Items {
			b.addEmbed(b.card(it.Episode, share(b.left, len(m.Items)-i)))
		}
	} else if len(m.Items) > 0 {
		eps := make([]feeds.Episode, len(m.Items))
		for i, it := range m.Items {
			eps[i] = it.Episode
		}
		desc := b.itemList(eps, func(i, max int) string {
			s, _ := clip(chattext.Line(m.Items[i].Note), min(max, maxBullet))
			return s
		}, m.More, min(MaxEmbedDescription, b.left))
		b.addEmbed(&discordgo.MessageEmbed{Description: desc})
	}
	for _, it := range m.Items {
		b.addButtons(it.Buttons, b.buttonPrefix(it.Episode, len(m.Items)))
	}
	return b.payload(content(lines...), m.Fallback, 0)
}

// buttonPrefix tells apart the buttons of several episodes: "#17 ".
func (b *builder) buttonPrefix(ep feeds.Episode, n int) string {
	if n < 2 || ep.Number <= 0 {
		return ""
	}
	return "#" + strconv.Itoa(ep.Number) + " "
}

// payload assembles the result; a message that would show nothing shows its
// fallback, so that it is never refused as empty.
func (b *builder) payload(text, fallback string, flags discordgo.MessageFlags) Payload {
	if text == "" && len(b.embeds) == 0 {
		text = content(fallback)
		if text == "" {
			text = content(b.S(commands.MsgUntitled))
		}
	}
	return Payload{Content: text, Embeds: b.embeds, Components: b.components(), Flags: flags}
}

// RenderReply renders a command's answer, in r.Language: one embed with the
// header as its title, the paragraph, bullets, search hits (matched words in
// bold) and episodes (a list) in its description, the fields and links (by
// section) as its fields; then, when r.Detail, an embed per episode in full.
// Buttons: "Share in channel" on a private reply that can be shared, then
// r.Buttons, then the episodes' Listen. A private reply is ephemeral.
func RenderReply(r commands.Reply) Payload {
	b := newBuilder(r.Language)
	b.shareButton(r)
	b.addButtons(r.Buttons, "")
	cards := 0
	if r.Detail {
		cards = min(len(r.Episodes), MaxEmbeds-1)
	}
	main := &discordgo.MessageEmbed{}
	room := share(b.left, cards+1)
	main.Title, _ = clip(chattext.Line(r.Header), min(MaxEmbedTitle, room/3))
	room -= chattext.Width(main.Title)
	descRoom := MaxEmbedDescription
	var desc []string
	addDesc := func(s string) {
		if s == "" {
			return
		}
		w := chattext.Width(s)
		if len(desc) > 0 {
			w += 2
		}
		room -= w
		descRoom -= w
		desc = append(desc, s)
	}
	descShare := func(k int) int { return min(share(room, k), descRoom) - 2 }
	var parts []func(k int)
	if s := chattext.Clean(r.Text); s != "" {
		parts = append(parts, func(k int) {
			text, _ := clip(s, min(maxSummary, descShare(k)))
			addDesc(text)
		})
	}
	if len(r.Bullets) > 0 {
		parts = append(parts, func(k int) {
			list, _ := b.list(bullets(r.Bullets), len(r.Bullets), descShare(k))
			addDesc(list)
		})
	}
	if len(r.Hits) > 0 {
		parts = append(parts, func(k int) {
			eps := make([]feeds.Episode, len(r.Hits))
			for i, h := range r.Hits {
				eps[i] = h.Episode
			}
			addDesc(b.itemList(eps, func(i, max int) string { return snippet(r.Hits[i], min(max, maxSnippet)) }, 0, descShare(k)))
		})
	}
	if len(r.Episodes) > 0 && !r.Detail {
		parts = append(parts, func(k int) { addDesc(b.itemList(r.Episodes, nil, 0, descShare(k))) })
	}
	if len(r.Fields) > 0 {
		parts = append(parts, func(k int) {
			fs := b.fields(r.Fields, share(room, k), MaxEmbedFields-len(main.Fields)-1)
			main.Fields = append(main.Fields, fs...)
			room -= fieldsWidth(fs)
		})
	}
	if len(r.Links) > 0 {
		parts = append(parts, func(k int) {
			fs, _ := b.linkFields(r.Links, share(room, k))
			if len(main.Fields)+len(fs) > MaxEmbedFields {
				return
			}
			main.Fields = append(main.Fields, fs...)
			room -= fieldsWidth(fs)
		})
	}
	for i, part := range parts {
		part(len(parts) - i)
	}
	main.Description = strings.Join(desc, "\n\n")
	b.addEmbed(main)
	for i := range cards {
		ep := r.Episodes[i]
		b.addEmbed(b.card(ep, share(b.left, cards-i)))
		if ep.AudioURL != "" {
			b.addButtons([]commands.Button{{Label: b.S(commands.MsgListen), URL: ep.AudioURL}}, b.buttonPrefix(ep, cards))
		}
	}
	var flags discordgo.MessageFlags
	if r.Private {
		flags = discordgo.MessageFlagsEphemeral
	}
	return b.payload("", firstOf(r.Header, r.Text), flags)
}

func firstOf(s ...string) string {
	for _, x := range s {
		if chattext.Line(x) != "" {
			return x
		}
	}
	return ""
}

func fieldsWidth(fs []*discordgo.MessageEmbedField) int {
	n := 0
	for _, f := range fs {
		n += chattext.Width(f.Name) + chattext.Width(f.Value)
	}
	return n
}

// fields renders name/value pairs as embed fields, at most limit and
// maxFields, within room; short ones inline. A last field "…" says how many
// were left out. A field needs a name and a value: the missing one is a
// zero-width space.
func (b *builder) fields(fs []commands.Field, room, limit int) []*discordgo.MessageEmbedField {
	const minField = 120
	limit = min(limit, maxFields)
	moreW := chattext.Width(chattext.Ellipsis + b.more(len(fs)))
	room -= moreW
	var out []*discordgo.MessageEmbedField
	shown := 0
	for i, f := range fs {
		name, value := chattext.Line(f.Name), chattext.Line(f.Value)
		if name == "" && value == "" {
			shown++
			continue
		}
		if len(out) == limit {
			break
		}
		r := min(max(share(room, len(fs)-i), minField), room)
		n, _ := clip(name, min(MaxFieldName, r/3))
		if n == "" {
			n = zwsp
		}
		v, _ := clip(value, min(MaxFieldValue, r-chattext.Width(n)))
		if v == "" {
			v = zwsp
		}
		if name != "" && n == zwsp || value != "" && v == zwsp {
			break
		}
		w := chattext.Width(n) + chattext.Width(v)
		if w > room {
			break
		}
		room -= w
		out = append(out, &discordgo.MessageEmbedField{Name: n, Value: v, Inline: chattext.Width(v) <= 40})
		shown++
	}
	if shown < len(fs) && len(out) < MaxEmbedFields {
		out = append(out, &discordgo.MessageEmbedField{Name: chattext.Ellipsis, Value: b.more(len(fs) - shown)})
	}
	return out
}

// itemList is episodes as a list within max: each its title in bold, linked
// to its page, its meta line and what extra(i, max) writes under it (a note,
// a snippet; extra may be nil), then "… and N more" for the episodes left out
// (more of them before, and any that did not fit).
func (b *builder) itemList(eps []feeds.Episode, extra func(i, max int) string, more, max int) string {
	max -= chattext.Width("\n\n" + b.more(len(eps)+more))
	var parts []string
	shown, used := 0, 0
	for i, ep := range eps {
		room := share(max-used, len(eps)-i) - 2
		s := b.item(ep, i, extra, room)
		if s == "" {
			break
		}
		parts = append(parts, s)
		used += chattext.Width(s) + 2
		shown++
	}
	if n := more + len(eps) - shown; n > 0 {
		parts = append(parts, b.more(n))
	}
	return strings.Join(parts, "\n\n")
}

// item is one episode of a list within max: title, meta, extra; under
// pressure the extra is cut first, then the title loses its link, then it is
// cut. "" when not even a title fits.
func (b *builder) item(ep feeds.Episode, i int, extra func(i, max int) string, max int) string {
	meta := escape(b.meta(ep, false))
	title := b.titleLine(ep, min(MaxEmbedTitle+maxLinkURL, max-chattext.Width(meta)-1))
	if title == "" {
		title = b.titleLine(ep, max)
		if title == "" {
			return ""
		}
		return title
	}
	text := title + "\n" + meta
	if extra != nil {
		if x := extra(i, max-chattext.Width(text)-1); x != "" {
			text += "\n" + x
		}
	}
	return text
}

// titleLine is an episode's title in bold, linked to its page when there is
// room for the link, at most max wide; "" when not even "…" fits.
func (b *builder) titleLine(ep feeds.Episode, max int) string {
	t := b.title(ep)
	if u, ok := episodeURL(ep, maxLinkURL); ok {
		over := chattext.Width("**[](" + u + ")**")
		if max-over >= min(chattext.Width(escape(t)), 40) {
			return bold(maskedLink(u, t, min(max-4, over-4+MaxEmbedTitle)))
		}
	}
	s, _ := clip(t, min(max, MaxEmbedTitle)-4)
	return bold(s)
}

// snippet renders a hit's excerpt within max, its matched words in bold; the
// episode's summary when the search gave no snippet. Fragments are cleaned and
// escaped one by one: escaping is context-free, so nothing split across two
// can come together around our marks.
func snippet(h commands.Hit, max int) string {
	if len(h.Snippet) == 0 {
		s, _ := clip(chattext.Line(h.Episode.Notes.Summary), max)
		return s
	}
	return chattext.Snippet(h.Snippet, max, func(p chattext.Piece) (string, bool) {
		if !p.Match {
			return clip(p.Text, p.Room)
		}
		s, cut := clip(p.Text, p.Room-4)
		return bold(s), cut
	})
}
