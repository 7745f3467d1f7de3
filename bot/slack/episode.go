package slack

import (
	slackapi "github.com/slack-go/slack"

	"github.com/pmbot/pmbot/bot/chattext"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// title is an episode's title on one line, never empty. The number is not in
// it: the context line under it shows it.
func (b *builder) title(ep feeds.Episode) string {
	if t := chattext.Line(ep.Title); t != "" {
		return t
	}
	return b.S(commands.MsgUntitled)
}

// episodeURL is where an episode's title links to: its page, else its audio.
func episodeURL(ep feeds.Episode) (string, bool) {
	if u, ok := linkURL(ep.Link); ok {
		return u, true
	}
	return linkURL(ep.AudioURL)
}

// titleLine is an episode's title in bold, linked to its page when there is
// room for the link, at most max wide and its words at most maxTitle; "" when
// not even "…" fits.
func (b *builder) titleLine(ep feeds.Episode, max int) string {
	t := b.title(ep)
	if u, ok := episodeURL(ep); ok {
		// The link is worth a shorter title, not a title cut to nothing.
		over := chattext.Width("*<" + u + "|>*")
		if max-over >= min(chattext.Width(escapeMrkdwn(t)), 40) {
			return boldText(mrkdwnLink(u, t, min(max, over+maxTitle)-2))
		}
	}
	s, _ := clipText(t, min(max, maxTitle+2)-2, true)
	return boldText(s)
}

// meta is the line under an episode's title: "28 April 2022 · 1h03 · #17",
// and its chapter count when chapters is set.
func (b *builder) meta(ep feeds.Episode, chapters bool) string {
	return escapeMrkdwn(chattext.Meta(b.msgs, b.lang, ep, chapters))
}

// item renders an episode as one entry of a list (a summary, a digest, a
// search's results): one section with its title, its meta line and what
// extra writes under them (a note, a snippet) within the width it is given,
// then its buttons, all within allow. Under pressure the note is cut first,
// then the title loses its link, then the title is cut; the buttons take at
// most a third. nil when not even a title fits.
func (b *builder) item(ep feeds.Episode, extra func(max int) string, btns []commands.Button, allow budget) []slackapi.Block {
	var acts []slackapi.Block
	if allow.blocks >= 2 && len(btns) > 0 {
		acts = b.actions(btns, budget{blocks: allow.blocks - 1, chars: allow.chars / 3})
	}
	room := min(MaxSectionText, allow.chars-widthOf(acts))
	meta := b.meta(ep, false)
	title := b.titleLine(ep, min(maxTitle+maxLinkURL, room-chattext.Width(meta)-1))
	if title == "" || allow.blocks < 1 {
		return nil
	}
	text := title + "\n" + meta
	if extra != nil {
		if x := extra(room - chattext.Width(text) - 1); x != "" {
			text += "\n" + x
		}
	}
	if chattext.Width(text) > room {
		text = title // the meta line did not fit either
	}
	return append([]slackapi.Block{sectionBlock(text)}, acts...)
}

func widthOf(blks []slackapi.Block) int {
	n := 0
	for _, blk := range blks {
		n += blockWidth(blk)
	}
	return n
}

// noteExtra returns an extra for item: plain text s on one line, escaped and cut.
func noteExtra(s string, limit int) func(max int) string {
	return func(max int) string {
		out, _ := clipText(chattext.Line(s), min(max, limit), true)
		return out
	}
}

// card renders an episode in full, within allow: title, meta line (with the
// chapter count), summary, key takeaways, links grouped by section, the
// episode's buttons and, when any of the notes had to be cut, a link to the
// full notes. Room goes first to the title, meta and buttons, then is shared
// by summary, takeaways and links.
func (b *builder) card(ep feeds.Episode, btns []commands.Button, allow budget) []slackapi.Block {
	c := cardWriter{b: b, left: allow}
	acts := b.actions(btns, budget{blocks: min(2, allow.blocks-1), chars: allow.chars / 4})
	c.left.spend(len(acts), widthOf(acts))
	moreURL, hasMore := episodeURL(ep)
	var moreLink slackapi.Block
	if hasMore {
		moreLink = contextBlock(mrkdwnLink(moreURL, b.S(commands.MsgMore), MaxSectionText))
		c.left.spend(1, blockWidth(moreLink)) // kept whether or not it is needed
	}
	if !c.add(sectionBlock(b.titleLine(ep, min(maxTitle+maxLinkURL, c.left.chars/2)))) {
		return nil
	}
	c.add(contextBlock(b.meta(ep, true)))
	bodies := c.bodies(ep)
	for i, body := range bodies {
		body(c.left.share(len(bodies) - i))
	}
	if c.cut && hasMore {
		c.out = append(c.out, moreLink)
	}
	return append(c.out, acts...)
}

// cardWriter collects a card's blocks within what is left of its room.
type cardWriter struct {
	b    *builder
	left budget
	out  []slackapi.Block
	cut  bool // some of the notes were left out
}

// add appends blk if it fits (an empty section never does).
func (c *cardWriter) add(blk slackapi.Block) bool {
	w := blockWidth(blk)
	if empty(blk) {
		return false
	}
	if !c.left.fits(1, w) {
		c.cut = true
		return false
	}
	c.left.spend(1, w)
	c.out = append(c.out, blk)
	return true
}

// bodies returns the writers of the card's summary, takeaways and links, for
// those the episode has; each writes within the share it is given.
func (c *cardWriter) bodies(ep feeds.Episode) []func(budget) {
	var out []func(budget)
	if s := chattext.Clean(ep.Notes.Summary); s != "" {
		out = append(out, func(share budget) {
			text, cut := clipText(s, min(maxSummary, share.chars), true)
			c.cut = c.cut || cut
			c.add(sectionBlock(text))
		})
	}
	if tk := ep.Notes.Takeaways; len(tk) > 0 && ep.Notes.TakeawaysSource != feeds.TakeawaysSummary {
		out = append(out, func(share budget) {
			share.chars = min(share.chars, maxListTakeaways)
			heading := boldText(escapeMrkdwn(c.b.S(commands.MsgKeyTakeaways)))
			blks, shown := c.b.list([]listGroup{{title: heading, lines: bullets(tk)}}, len(tk), share)
			c.keep(blks, shown < len(tk))
		})
	}
	if groups, total := c.b.linkGroups(ep.Notes.References()); total > 0 {
		out = append(out, func(share budget) {
			share.chars = min(share.chars, maxListLinks)
			blks, shown := c.b.list(groups, total, share)
			c.keep(blks, shown < total)
		})
	}
	return out
}

// keep adds a list's blocks, which were made to fit.
func (c *cardWriter) keep(blks []slackapi.Block, cut bool) {
	c.cut = c.cut || cut || len(blks) == 0
	for _, blk := range blks {
		c.add(blk)
	}
}
