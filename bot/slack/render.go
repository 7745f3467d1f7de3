package slack

import (
	"bytes"
	"encoding/json"

	slackapi "github.com/slack-go/slack"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/chattext"
	"github.com/pmbot/pmbot/commands"
)

// Response types of a command's answer.
const (
	Ephemeral = "ephemeral"  // only the user who asked sees it
	InChannel = "in_channel" // everyone in the channel sees it
)

// Payload is one rendered message: what chat.postMessage (or a command's
// response) gets, within every limit of Block Kit, with feed and user text
// escaped so that it can mention no one and link nowhere we did not choose.
type Payload struct {
	// Text is the plain fallback for notifications and for clients without
	// Block Kit: never empty, escaped for mrkdwn, at most MaxFallback.
	Text   string
	Blocks []slackapi.Block
	// ResponseType is Ephemeral or InChannel for a command's answer, "" for a
	// message the bot posts on its own.
	ResponseType string
	// ReplaceOriginal asks that a response to a button click replace the
	// message that holds the button. Only answers (ResponseType set) carry it.
	ReplaceOriginal bool
}

// wirePayload is Payload as JSON, in the order Slack documents the fields.
type wirePayload struct {
	Text            string           `json:"text"`
	Blocks          []slackapi.Block `json:"blocks"`
	UnfurlLinks     bool             `json:"unfurl_links"`
	UnfurlMedia     bool             `json:"unfurl_media"`
	ResponseType    string           `json:"response_type,omitempty"`
	ReplaceOriginal *bool            `json:"replace_original,omitempty"`
}

// MarshalJSON writes the payload as Slack takes it: text, blocks, no link or
// media previews (a feed's links must not unfurl into the channel), and for
// an answer its response_type and replace_original.
func (p Payload) MarshalJSON() ([]byte, error) {
	w := wirePayload{Text: p.Text, Blocks: p.Blocks, ResponseType: p.ResponseType}
	if w.Blocks == nil {
		w.Blocks = []slackapi.Block{}
	}
	if p.ResponseType != "" {
		w.ReplaceOriginal = &p.ReplaceOriginal
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// "<" and "&" stay readable in previews and golden files; an encoder that
	// wants them as \u003c escapes them again.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	return unescapeHTML(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// unescapeHTML turns the \u003c, \u003e and \u0026 that slack-go's own
// MarshalJSON methods write back into "<", ">" and "&": the same JSON string,
// readable. Escapes are read pairwise, so "\\u003c" (a backslash, then
// "u003c") is left alone.
func unescapeHTML(js []byte) []byte {
	out := make([]byte, 0, len(js))
	for i := 0; i < len(js); i++ {
		if js[i] != '\\' || i+1 == len(js) {
			out = append(out, js[i])
			continue
		}
		if js[i+1] == 'u' && i+6 <= len(js) {
			switch string(js[i+2 : i+6]) {
			case "003c", "003C":
				out, i = append(out, '<'), i+5
				continue
			case "003e", "003E":
				out, i = append(out, '>'), i+5
				continue
			case "0026":
				out, i = append(out, '&'), i+5
				continue
			}
		}
		out = append(out, js[i], js[i+1])
		i++
	}
	return out
}

// Preview returns the payload as `pmbot preview` prints it: its JSON,
// indented, ending with a line break.
func (p Payload) Preview() ([]byte, error) {
	b, err := p.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// MsgOptions are the options that post the payload with slack-go's
// PostMessage: its text (already escaped), its blocks, and no unfurling. A
// poster adds its own (channel metadata, MsgOptionResponseURL with
// ResponseType for an answer).
func (p Payload) MsgOptions() []slackapi.MsgOption {
	return []slackapi.MsgOption{
		slackapi.MsgOptionText(p.Text, false),
		slackapi.MsgOptionBlocks(p.Blocks...),
		slackapi.MsgOptionDisableLinkUnfurl(),
		slackapi.MsgOptionDisableMediaUnfurl(),
	}
}

// RenderMessage renders a message the bot posts on its own. An announcement
// or the archive's episode is shown in full (title, date, summary, takeaways,
// links, buttons); a summary or a digest lists its episodes one section each,
// with their note and buttons, and "… and N more" for those left out. Every
// episode of m.Items is shown: under pressure, text is cut, not episodes.
func RenderMessage(m bot.Message) Payload {
	b := newBuilder(m.Language)
	b.header(m.Header)
	b.paragraph(m.Text, 1)
	if m.Detail {
		if m.More > 0 {
			b.reserve(contextBlock(b.more(m.More)))
		}
		b.cardsWithin(m.Items, b.room)
	} else {
		b.itemsWithin(m.Items, func(i int) func(int) string { return noteExtra(m.Items[i].Note, maxBullet) }, m.More, b.room)
	}
	return Payload{
		Text:   fallback(m.Fallback, m.Header, m.Text, firstTitle(m.Items), b.S(commands.MsgUntitled)),
		Blocks: b.finish(m.Fallback),
	}
}

// cardsWithin adds each item in full within allow, a divider between two,
// each with an equal share of the room.
func (b *builder) cardsWithin(items []bot.Item, allow budget) {
	shown := 0
	for i, it := range items {
		share := allow.share(len(items) - i)
		var blks []slackapi.Block
		if shown > 0 {
			blks = append(blks, &slackapi.DividerBlock{Type: slackapi.MBTDivider})
			share.blocks--
		}
		card := b.card(it.Episode, it.Buttons, share)
		if len(card) == 0 {
			continue
		}
		blks = append(blks, card...)
		if b.add(blks...) {
			allow.spend(len(blks), widthOf(blks))
			shown++
		}
	}
}

// paragraph adds plain text s as a section, cut to one k-th of what is left
// (and to maxSummary); nothing when s is empty.
func (b *builder) paragraph(s string, k int) {
	if s = chattext.Clean(s); s != "" {
		text, _ := clipText(s, min(maxSummary, b.room.share(k).chars), true)
		b.add(sectionBlock(text))
	}
}

// finish returns the blocks, never none: a message with nothing to show shows
// its fallback.
func (b *builder) finish(fallbackText string) []slackapi.Block {
	if len(b.blocks)+len(b.tail) == 0 {
		text, _ := clipText(chattext.Line(fallbackText), MaxSectionText, true)
		if text == "" {
			text = escapeMrkdwn(b.S(commands.MsgUntitled))
		}
		b.add(sectionBlock(text))
	}
	return b.done()
}

// fallback is the first of texts that is not empty, on one line, escaped and
// cut to MaxFallback.
func fallback(texts ...string) string {
	for _, t := range texts {
		if s, _ := clipText(chattext.Line(t), MaxFallback, true); s != "" {
			return s
		}
	}
	return chattext.Ellipsis
}

func firstTitle(items []bot.Item) string {
	if len(items) == 0 {
		return ""
	}
	return commands.Label(items[0].Episode)
}

// itemsWithin adds list entries within allow, each with its buttons and what
// extra(i) writes under it (extra may be nil), then "… and N more" for the
// items left out: more of them before, and any that did not fit.
func (b *builder) itemsWithin(items []bot.Item, extra func(i int) func(int) string, more int, allow budget) {
	allow.spend(1, chattext.Width(b.more(len(items)+more))) // kept for the "more" line
	shown := 0
	for i, it := range items {
		var x func(int) string
		if extra != nil {
			x = extra(i)
		}
		blks := b.item(it.Episode, x, it.Buttons, allow.share(len(items)-i))
		if len(blks) == 0 || !b.add(blks...) {
			break
		}
		allow.spend(len(blks), widthOf(blks))
		shown++
	}
	if n := more + len(items) - shown; n > 0 {
		b.add(contextBlock(b.more(n)))
	}
}
