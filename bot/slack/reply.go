package slack

import (
	slackapi "github.com/slack-go/slack"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/chattext"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// RenderReply renders a command's answer, in r.Language: header, paragraph,
// fields, bullets, search hits (matched words in bold), episodes (cards when
// r.Detail, else a list), links by section, then r.Buttons and, on a private
// reply that can be shared, "Share in channel". Lists that do not fit end
// with "… and N more".
func RenderReply(r commands.Reply) Payload {
	b := newBuilder(r.Language)
	b.header(r.Header)
	b.reserve(b.replyActions(r)...)
	parts := b.replyParts(r)
	for i, part := range parts {
		part(len(parts) - i)
	}
	rt := Ephemeral
	if !r.Private {
		rt = InChannel
	}
	return Payload{
		Text:         fallback(r.Header, r.Text, replyTitle(r), firstOf(r.Bullets), b.S(commands.MsgUntitled)),
		Blocks:       b.finish(r.Text),
		ResponseType: rt,
	}
}

// replyActions are a reply's buttons and its share button, in actions blocks.
func (b *builder) replyActions(r commands.Reply) []slackapi.Block {
	var elems []*slackapi.ButtonBlockElement
	for _, btn := range r.Buttons {
		if len(elems) == maxButtons {
			break
		}
		if e := b.button(btn); e != nil {
			elems = append(elems, e)
		}
	}
	if e := b.shareButton(r); e != nil {
		elems = append(elems, e)
	}
	// At most a third of the room: the buttons act on the answer, they are
	// not it.
	return actionBlocks(elems, budget{blocks: 3, chars: b.room.chars / 3})
}

// replyParts returns the writers of a reply's parts, in the order they show;
// each is called with the number of parts left, itself included, and takes
// its share of the room.
func (b *builder) replyParts(r commands.Reply) []func(k int) {
	var parts []func(k int)
	if r.Text != "" {
		parts = append(parts, func(k int) { b.paragraph(r.Text, k) })
	}
	if len(r.Fields) > 0 {
		parts = append(parts, func(k int) { b.add(b.fields(r.Fields, b.room.share(k))...) })
	}
	if len(r.Bullets) > 0 {
		parts = append(parts, func(k int) {
			blks, _ := b.list([]listGroup{{lines: bullets(r.Bullets)}}, len(r.Bullets), b.room.share(k))
			b.add(blks...)
		})
	}
	if len(r.Hits) > 0 {
		parts = append(parts, func(k int) { b.hits(r.Hits, b.room.share(k)) })
	}
	if len(r.Episodes) > 0 {
		parts = append(parts, func(k int) { b.episodes(r.Episodes, r.Detail, b.room.share(k)) })
	}
	if len(r.Links) > 0 {
		parts = append(parts, func(k int) {
			groups, total := b.linkGroups(r.Links)
			blks, _ := b.list(groups, total, b.room.share(k))
			b.add(blks...)
		})
	}
	return parts
}

// episodes adds a reply's episodes within allow: cards, or list entries.
func (b *builder) episodes(eps []feeds.Episode, detail bool, allow budget) {
	items := make([]bot.Item, len(eps))
	for i, ep := range eps {
		items[i] = bot.Item{Episode: ep}
		if detail {
			items[i].Buttons = b.listenButton(ep)
		}
	}
	if detail {
		b.cardsWithin(items, allow)
	} else {
		b.itemsWithin(items, nil, 0, allow)
	}
}

// listenButton is the Listen button of a reply's episode card (a bot.Item
// brings its own).
func (b *builder) listenButton(ep feeds.Episode) []commands.Button {
	if ep.AudioURL == "" {
		return nil
	}
	return []commands.Button{{Label: b.S(commands.MsgListen), URL: ep.AudioURL}}
}

// hits adds search results within allow: each a list entry with its snippet.
func (b *builder) hits(hits []commands.Hit, allow budget) {
	items := make([]bot.Item, len(hits))
	for i, h := range hits {
		items[i] = bot.Item{Episode: h.Episode}
	}
	b.itemsWithin(items, func(i int) func(int) string {
		return func(max int) string { return snippet(hits[i], min(max, maxSnippet)) }
	}, 0, allow)
}

// snippet renders a hit's excerpt within max, its matched words in bold; the
// episode's summary when the search gave no snippet. Fragments are cleaned and
// escaped one by one, so nothing split across two can come together around
// our marks.
func snippet(h commands.Hit, max int) string {
	if len(h.Snippet) == 0 {
		s, _ := clipText(chattext.Line(h.Episode.Notes.Summary), max, true)
		return s
	}
	return chattext.Snippet(h.Snippet, max, func(p chattext.Piece) (string, bool) {
		// Slack reads "*" as bold only away from letters: a match glued to a
		// word is shown plain rather than with stray stars.
		return snippetPiece(p.Text, p.Match && !p.Glued, p.Room)
	})
}

// snippetPiece is one fragment's text within max, escaped, in bold when match
// (the stars count); cut reports that it did not fit whole.
func snippetPiece(text string, match bool, max int) (string, bool) {
	if !match {
		return clipText(text, max, true)
	}
	s, cut := clipText(text, max-2, true)
	return boldText(s), cut
}

// fields renders name/value pairs as section fields ("*Name*\nValue"), ten to
// a section, at most maxItems, within allow; "… and N more" follows in a
// context line when some are left out. Each field gets an equal share of the
// room, but not less than minField: a few readable fields are worth more than
// many cut to nothing.
func (b *builder) fields(fs []commands.Field, allow budget) []slackapi.Block {
	const minField = 200
	allow.spend(1, chattext.Width(b.more(len(fs)))) // kept for the "more" line
	var out []slackapi.Block
	var cur []*slackapi.TextBlockObject
	flush := func() {
		if len(cur) > 0 {
			out = append(out, slackapi.NewSectionBlock(nil, cur, nil))
			cur = nil
		}
	}
	shown := 0
	for i, f := range fs {
		if chattext.Line(f.Name) == "" && chattext.Line(f.Value) == "" {
			shown++ // nothing to show is not left out
			continue
		}
		if shown == maxItems || (len(cur) == 0 && allow.blocks < 1) {
			break
		}
		room := min(MaxFieldText, max(allow.share(len(fs)-i).chars, minField), allow.chars)
		text := b.field(f, room)
		if text == "" {
			break
		}
		if len(cur) == 0 {
			allow.spend(1, 0)
		}
		allow.spend(0, chattext.Width(text))
		cur = append(cur, mrkdwnText(text))
		shown++
		if len(cur) == MaxFields {
			flush()
		}
	}
	flush()
	if shown < len(fs) {
		out = append(out, contextBlock(b.more(len(fs)-shown)))
	}
	return out
}

// field is one field's mrkdwn within max: its name in bold over its value.
// The name gets up to half the room, the value the rest.
func (b *builder) field(f commands.Field, max int) string {
	name, value := chattext.Line(f.Name), chattext.Line(f.Value)
	if name == "" {
		v, _ := clipText(value, min(maxValue, max), true)
		return v
	}
	n, _ := clipText(name, min(maxTitle, max/2)-2, true)
	if n == "" {
		return ""
	}
	if value == "" {
		return boldText(n)
	}
	v, _ := clipText(value, min(maxValue, max-chattext.Width(n)-3), true)
	if v == "" {
		return boldText(n)
	}
	return boldText(n) + "\n" + v
}

// replyTitle names a reply's first episode or hit, for its fallback text.
func replyTitle(r commands.Reply) string {
	switch {
	case len(r.Episodes) > 0:
		return commands.Label(r.Episodes[0])
	case len(r.Hits) > 0:
		return commands.Label(r.Hits[0].Episode)
	}
	return ""
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
