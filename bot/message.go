package bot

import (
	"strconv"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// MessageKind is what a message the bot posts on its own is about.
type MessageKind string

// The kinds of Message.
const (
	// MessageEpisode announces one new episode, in full.
	MessageEpisode MessageKind = "episode"
	// MessageSummary announces several new episodes at once (the flood guard, or
	// a backlog): a list.
	MessageSummary MessageKind = "summary"
	// MessageDigest lists the episodes of a period, each with its first takeaway.
	MessageDigest MessageKind = "digest"
	// MessageArchive brings back one episode from the back catalogue, in full,
	// when a period had none.
	MessageArchive MessageKind = "archive"
)

// MaxItems is the most episodes a summary or a digest lists; the others are
// counted in Message.More. Every renderer shows them all: the platform limits
// are met by cutting text, never by dropping an episode silently.
const MaxItems = 10

// Message is a message the bot posts on its own (an announcement, a summary or a
// digest), composed once here with every layout rule, so that an adapter only
// renders and escapes it. Every string is plain text with no markup.
type Message struct {
	Kind MessageKind
	// Language is the language the words were written in ("en" or "fr"), for
	// the words a renderer adds itself (dates, durations, "Listen").
	Language  string
	FeedTitle string
	// Header is the title line: "New episode of Post Mortem".
	Header string
	// Text is a paragraph under the header (the archive's introduction, "No new
	// episode this week."), or "".
	Text string
	// Items are the episodes, in order, at most MaxItems.
	Items []Item
	// More counts the episodes left out of Items ("… and 4 more").
	More int
	// Detail asks for each item in full (summary, takeaways, links, chapters
	// count), not as one line.
	Detail bool
	// Fallback is the whole message as one line of plain text, for notifications
	// and clients that show no rich layout.
	Fallback string
}

// Item is one episode of a Message.
type Item struct {
	Episode feeds.Episode
	// Note is the line under a listed episode: its first takeaway in a digest.
	Note string
	// Buttons are the item's actions: listen (a URL) and its key takeaways (a
	// command, answered privately to whoever clicks).
	Buttons []commands.Button
}

// ComposeMessage composes a message of kind about eps (oldest first) of the feed
// titled feedTitle, in lang. prefix is the slash command ("/postmortem") that the
// buttons run.
func ComposeMessage(kind MessageKind, feedTitle, lang, prefix string, eps []feeds.Episode) Message {
	lang = commands.Language("", lang)
	m := commands.DefaultMessages()
	feed := feedTitle
	if feed == "" {
		feed = m.Sprintf(lang, commands.MsgThePodcast)
	}
	msg := Message{Kind: kind, Language: lang, FeedTitle: feedTitle}
	switch kind {
	case MessageSummary:
		msg.Header = m.Sprintf(lang, commands.MsgNewEpisodes, len(eps), feed)
	case MessageDigest:
		msg.Header = m.Sprintf(lang, commands.MsgWeeklyDigest, feed)
		if len(eps) == 0 {
			msg.Text = m.Sprintf(lang, commands.MsgNoDigestNews)
		}
	case MessageArchive:
		msg.Header = m.Sprintf(lang, commands.MsgFromTheArchive, feed)
		msg.Text = m.Sprintf(lang, commands.MsgArchiveIntro)
		msg.Detail = true
	default:
		msg.Kind = MessageEpisode
		msg.Header = m.Sprintf(lang, commands.MsgNewEpisode, feed)
		msg.Detail = true
	}
	shown := eps
	if !msg.Detail && len(shown) > MaxItems {
		// A summary names the newest: they are the news.
		shown = shown[len(shown)-MaxItems:]
	}
	msg.More = len(eps) - len(shown)
	for _, ep := range shown {
		it := Item{Episode: ep}
		if kind == MessageDigest {
			it.Note = commands.FirstTakeaway(ep)
		}
		if ep.AudioURL != "" {
			it.Buttons = append(it.Buttons, commands.Button{Label: m.Sprintf(lang, commands.MsgListen), URL: ep.AudioURL})
		}
		if ep.Number > 0 && len(ep.Notes.Takeaways) > 0 {
			it.Buttons = append(it.Buttons, commands.Button{Label: m.Sprintf(lang, commands.MsgKeyTakeaways), Command: prefix + " takeaways " + strconv.Itoa(ep.Number)})
		}
		msg.Items = append(msg.Items, it)
	}
	msg.Fallback = msg.Header
	if len(shown) == 1 {
		msg.Fallback += ": " + commands.Label(shown[0])
	}
	return msg
}

// Delivery describes one post of a message to a channel, for a Poster.
type Delivery struct {
	// Key is the delivery's stable key ("pmbot-d42"): the same for every attempt
	// at the same message, and never for another one.
	Key string
	// Attempt counts the attempts, from 1.
	Attempt int
	Kind    MessageKind
	Channel string
	// MayHavePosted says an earlier attempt may have posted the message without
	// that being recorded (the process died mid-post, a post timed out): only
	// then must a poster look for it before posting again. A delivery refused by
	// a rate limit is not in doubt.
	MayHavePosted bool
}

// DeliveryKey is the stable key of the outbox delivery with this id.
func DeliveryKey(id int64) string { return "pmbot-d" + strconv.FormatInt(id, 10) }
