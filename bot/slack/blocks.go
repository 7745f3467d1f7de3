package slack

import (
	"slices"
	"strconv"
	"strings"

	slackapi "github.com/slack-go/slack"

	"github.com/pmbot/pmbot/bot/chattext"
	"github.com/pmbot/pmbot/commands"
)

// The action_id of every button we write is one of these, followed by "." and
// a number that makes it unique in its message ("pmbot_command.3"), except the
// share button, of which a message has at most one. ActionOf reads it back.
const (
	// ActionCommand runs a command line for whoever clicks; the button's value
	// is the line ("/postmortem takeaways 17"), answered privately.
	ActionCommand = "pmbot_command"
	// ActionShare posts a private reply in the channel; the value is the
	// command line that gives the reply again (commands.Reply.Command).
	ActionShare = "pmbot_share"
	// ActionLink opens its URL in the browser. Slack still sends the click to
	// the app, which only has to acknowledge it.
	ActionLink = "pmbot_link"
)

// ActionOf returns the kind of a button's action_id: ActionCommand of
// "pmbot_command.3", ActionShare of "pmbot_share"; "" for an id we did not
// write.
func ActionOf(actionID string) string {
	kind, n, numbered := strings.Cut(actionID, ".")
	switch kind {
	case ActionShare:
		if !numbered {
			return kind
		}
	case ActionCommand, ActionLink:
		if _, err := strconv.Atoi(n); numbered && err == nil {
			return kind
		}
	}
	return ""
}

// mrkdwnText is a mrkdwn text object. verbatim keeps Slack from linking bare
// URLs, #channel names and @mentions in it by itself: what is a link is what
// we wrote as one (contract: text object, "verbatim").
func mrkdwnText(s string) *slackapi.TextBlockObject {
	return &slackapi.TextBlockObject{Type: slackapi.MarkdownType, Text: s, Verbatim: true}
}

// plainText is a plain_text object, which Slack shows as written (with
// :emoji: codes): it needs no escaping, only a length limit, and feed text in it
// goes through defuse.
func plainText(s string) *slackapi.TextBlockObject {
	emoji := true
	return &slackapi.TextBlockObject{Type: slackapi.PlainTextType, Text: s, Emoji: &emoji}
}

func sectionBlock(s string) *slackapi.SectionBlock {
	return slackapi.NewSectionBlock(mrkdwnText(s), nil, nil)
}

func contextBlock(s string) *slackapi.ContextBlock {
	return slackapi.NewContextBlock("", mrkdwnText(s))
}

// blockWidth is what a block spends of a message's TextBudget: its texts, and
// its buttons' texts, URLs and values.
func blockWidth(blk slackapi.Block) int {
	text := func(t *slackapi.TextBlockObject) int {
		if t == nil {
			return 0
		}
		return chattext.Width(t.Text)
	}
	n := 0
	switch blk := blk.(type) {
	case *slackapi.HeaderBlock:
		n += text(blk.Text)
	case *slackapi.SectionBlock:
		n += text(blk.Text)
		for _, f := range blk.Fields {
			n += text(f)
		}
	case *slackapi.ContextBlock:
		for _, e := range blk.ContextElements.Elements {
			if t, ok := e.(*slackapi.TextBlockObject); ok {
				n += text(t)
			}
		}
	case *slackapi.ActionBlock:
		for _, e := range blk.Elements.ElementSet {
			if btn, ok := e.(*slackapi.ButtonBlockElement); ok {
				n += buttonWidth(btn)
			}
		}
	}
	return n
}

func buttonWidth(btn *slackapi.ButtonBlockElement) int {
	return chattext.Width(btn.Text.Text) + chattext.Width(btn.URL) + chattext.Width(btn.Value)
}

// builder writes one message's blocks within its budget.
type builder struct {
	lang   string
	msgs   *commands.Messages
	blocks []slackapi.Block
	// tail is written last but was given room first: the actions that must not
	// be crowded out by a long list above them.
	tail []slackapi.Block
	room budget
	ids  int // numbers action_ids
}

func newBuilder(lang string) *builder {
	return &builder{
		lang: commands.Language("", lang),
		msgs: commands.DefaultMessages(),
		room: budget{blocks: BlockBudget, chars: TextBudget},
	}
}

// S formats a message key in the message's language.
func (b *builder) S(key string, args ...any) string { return b.msgs.Sprintf(b.lang, key, args...) }

// more is "… and n more", the end of every list that was cut.
func (b *builder) more(n int) string { return escapeMrkdwn(b.S(commands.MsgAndMore, n)) }

// add appends blocks if they all fit, and reports whether they did: a part
// is shown whole or not at all, never with its end missing.
func (b *builder) add(blks ...slackapi.Block) bool {
	w := widthOf(blks)
	if !b.room.fits(len(blks), w) || slices.ContainsFunc(blks, empty) {
		return false
	}
	b.room.spend(len(blks), w)
	b.blocks = append(b.blocks, blks...)
	return true
}

// empty reports whether blk is a section or context with no text, which
// Slack refuses: a part cut to nothing is left out instead.
func empty(blk slackapi.Block) bool {
	switch blk := blk.(type) {
	case *slackapi.SectionBlock:
		return (blk.Text == nil || blk.Text.Text == "") && len(blk.Fields) == 0
	case *slackapi.ContextBlock:
		for _, e := range blk.ContextElements.Elements {
			if t, ok := e.(*slackapi.TextBlockObject); !ok || t.Text == "" {
				return true
			}
		}
		return len(blk.ContextElements.Elements) == 0
	}
	return false
}

// reserve gives room to blocks that go at the end of the message, now, so
// that what comes before cannot take it.
func (b *builder) reserve(blks ...slackapi.Block) {
	for _, blk := range blks {
		w := blockWidth(blk)
		if !b.room.fits(1, w) {
			return
		}
		b.room.spend(1, w)
		b.tail = append(b.tail, blk)
	}
}

// done returns the message's blocks, the reserved ones last. Buttons that
// end the body (an episode's Listen) and the reserved ones (Share) go in one
// actions block when they fit in one: one row of buttons, not two.
func (b *builder) done() []slackapi.Block {
	if n := len(b.blocks); n > 0 && len(b.tail) > 0 {
		last, ok1 := b.blocks[n-1].(*slackapi.ActionBlock)
		next, ok2 := b.tail[0].(*slackapi.ActionBlock)
		if ok1 && ok2 && len(last.Elements.ElementSet)+len(next.Elements.ElementSet) <= ButtonsPerAction {
			merged := slices.Concat(last.Elements.ElementSet, next.Elements.ElementSet)
			b.blocks[n-1] = slackapi.NewActionBlock("", merged...)
			b.tail = b.tail[1:]
		}
	}
	return append(b.blocks, b.tail...)
}

// header adds a header block with plain text s; nothing when s is empty.
func (b *builder) header(s string) {
	if h, _ := clipText(defuse(chattext.Line(s)), MaxHeaderText, false); h != "" {
		b.add(slackapi.NewHeaderBlock(plainText(h)))
	}
}

// id returns a new action_id of this kind.
func (b *builder) id(kind string) string {
	b.ids++
	return kind + "." + strconv.Itoa(b.ids)
}

// button renders a commands.Button: a link button when its URL is safe, else a
// command button when it has a command; nil when it has neither, or when its
// command is too long for a value (a cut command line would run another
// command).
func (b *builder) button(btn commands.Button) *slackapi.ButtonBlockElement {
	label := defuse(chattext.Line(btn.Label))
	if u, ok := linkURL(btn.URL); ok {
		if label == "" {
			label = b.S(commands.MsgMore)
		}
		text, _ := clipText(label, MaxButtonText, false)
		e := slackapi.NewButtonBlockElement(b.id(ActionLink), "", plainText(text))
		e.URL = u
		return e
	}
	if btn.URL != "" {
		// A button to open a URL that is no safe link does nothing rather
		// than something else.
		return nil
	}
	cmd := chattext.Line(btn.Command)
	if cmd == "" || chattext.Width(cmd) > MaxButtonValue {
		return nil
	}
	if label == "" {
		label = defuse(cmd)
	}
	text, _ := clipText(label, MaxButtonText, false)
	return slackapi.NewButtonBlockElement(b.id(ActionCommand), cmd, plainText(text))
}

// shareButton is the "Share in channel" button of a private reply that can be
// shared, or nil. Its value is the command line that gives the reply again.
func (b *builder) shareButton(r commands.Reply) *slackapi.ButtonBlockElement {
	cmd := chattext.Line(r.Command)
	if !r.Private || !r.Shareable || cmd == "" || chattext.Width(cmd) > MaxButtonValue {
		return nil
	}
	text, _ := clipText(b.S(commands.MsgShare), MaxButtonText, false)
	e := slackapi.NewButtonBlockElement(ActionShare, cmd, plainText(text))
	e.Style = slackapi.StylePrimary
	return e
}

// actions renders buttons (at most maxButtons) as actions blocks of at most
// ButtonsPerAction each, within allow; buttons that do not fit are left out.
func (b *builder) actions(btns []commands.Button, allow budget) []slackapi.Block {
	var elems []*slackapi.ButtonBlockElement
	for _, btn := range btns {
		if len(elems) == maxButtons {
			break
		}
		if e := b.button(btn); e != nil {
			elems = append(elems, e)
		}
	}
	return actionBlocks(elems, allow)
}

// actionBlocks puts buttons in actions blocks, as many as fit in allow.
func actionBlocks(elems []*slackapi.ButtonBlockElement, allow budget) []slackapi.Block {
	var out []slackapi.Block
	var cur []slackapi.BlockElement
	flush := func() {
		if len(cur) > 0 {
			out = append(out, slackapi.NewActionBlock("", cur...))
			cur = nil
		}
	}
	for _, e := range elems {
		w := buttonWidth(e)
		newBlock := len(cur) == 0 || len(cur) == ButtonsPerAction
		need := 0
		if newBlock {
			need = 1
		}
		if !allow.fits(need, w) {
			break
		}
		if newBlock {
			flush()
		}
		allow.spend(need, w)
		cur = append(cur, e)
	}
	flush()
	return out
}
