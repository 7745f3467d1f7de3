// Package rendertest holds what the Slack and Discord renderers' tests share:
// a command router over in-memory fakes, the golden cases of every message
// kind and command reply in English and French, and a feed written by an
// attacker. Each platform passes its renderer and its hostile URLs.
package rendertest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/feeds/feedstest"
)

// Prefix is the slash command of the cases.
const Prefix = "/postmortem"

// Catalog serves episodes held in memory, newest first.
type Catalog struct {
	Episodes []feeds.Episode
	// Err is returned by every method when set.
	Err error
}

// Latest returns the n newest episodes.
func (c Catalog) Latest(_ context.Context, n int) ([]feeds.Episode, error) {
	return c.Episodes[:min(n, len(c.Episodes))], c.Err
}

// ByNumber returns episode n, or commands.ErrNoEpisode.
func (c Catalog) ByNumber(_ context.Context, n int) (feeds.Episode, error) {
	if c.Err != nil {
		return feeds.Episode{}, c.Err
	}
	for _, ep := range c.Episodes {
		if ep.Number == n {
			return ep, nil
		}
	}
	return feeds.Episode{}, commands.ErrNoEpisode
}

// All returns every episode.
func (c Catalog) All(context.Context) ([]feeds.Episode, error) { return c.Episodes, c.Err }

// Search finds episodes whose title or notes hold the query, with a
// snippet that quotes the query (hostile input included) between two pieces
// of the episode's summary.
type Search struct{ Catalog Catalog }

// Search returns the episodes that hold q.
func (s Search) Search(_ context.Context, q string, limit int) ([]commands.Hit, error) {
	var hits []commands.Hit
	for _, ep := range s.Catalog.Episodes {
		if len(hits) == limit {
			break
		}
		if strings.Contains(strings.ToLower(ep.Title+" "+ep.NotesText+" "+ep.Notes.Summary), strings.ToLower(q)) {
			before, after := firstRunes(ep.Notes.Summary, 40), firstRunes(ep.Title, 30)
			hits = append(hits, commands.Hit{Episode: ep, Score: 1, Snippet: []commands.Fragment{
				{Text: "… " + before + " "}, {Text: q, Match: true}, {Text: " " + after + " …"},
			}})
		}
	}
	return hits, nil
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

// Subscriptions is one channel's subscription, in memory.
type Subscriptions struct {
	topics []string
	on     bool
	title  string
}

func (s *Subscriptions) info() commands.SubscriptionInfo {
	return commands.SubscriptionInfo{Feed: "postmortem", FeedTitle: s.title, Topics: s.topics, Language: "fr", DigestSchedule: "0 9 * * 1", DigestTimeZone: "Europe/Paris"}
}

// Subscribe turns the subscription on with these topics.
func (s *Subscriptions) Subscribe(_ context.Context, _, _ string, topics []string) (commands.SubscriptionInfo, bool, error) {
	created := !s.on
	s.on, s.topics = true, topics
	return s.info(), created, nil
}

// Unsubscribe turns the subscription off.
func (s *Subscriptions) Unsubscribe(context.Context, string, string) (bool, error) {
	was := s.on
	s.on = false
	return was, nil
}

// List returns the subscription when it is on.
func (s *Subscriptions) List(context.Context, string, string) ([]commands.SubscriptionInfo, error) {
	if !s.on {
		return nil, nil
	}
	return []commands.SubscriptionInfo{s.info()}, nil
}

// Status is the bot's health, with one feed whose last poll failed.
type Status struct{ title, lastError string }

// Status reports the bot's health, with a failing feed.
func (s Status) Status(context.Context) (commands.StatusInfo, error) {
	at := time.Date(2024, 5, 12, 9, 0, 0, 0, time.UTC)
	return commands.StatusInfo{
		Version: "v1.2.3",
		Feeds:   []commands.FeedStatus{{Name: "postmortem", Title: s.title, Episodes: 18, LastPolled: at, NextPoll: at.Add(15 * time.Minute), Failures: 1, LastError: s.lastError}},
		Pending: 2, Dead: 1, LastDead: "channel_not_found",
	}, nil
}

// Digests previews digests of the catalogue's latest episodes.
type Digests struct{ Catalog Catalog }

// Preview previews a digest of the latest episodes.
func (d Digests) Preview(ctx context.Context, _, _ string) (commands.DigestPreview, error) {
	eps, err := d.Catalog.Latest(ctx, 2)
	return commands.DigestPreview{Since: time.Date(2022, 4, 1, 0, 0, 0, 0, time.UTC), Episodes: eps, Next: time.Date(2022, 5, 2, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600))}, err
}

// Router is the whole command table over eps, with fakes for the rest;
// feedTitle names the podcast in subscriptions and status.
func Router(eps []feeds.Episode, feedTitle string) *commands.Router {
	cat := Catalog{Episodes: eps}
	return commands.New(Prefix, commands.Deps{
		Catalog:       cat,
		Search:        Search{Catalog: cat},
		Subscriptions: &Subscriptions{on: true, topics: []string{"bgp", "sécurité"}, title: feedTitle},
		Status:        Status{title: feedTitle, lastError: "HTTP 503 Service Unavailable"},
		Digests:       Digests{Catalog: cat},
		Rand:          func(n int) int { return n / 2 },
	})
}

// EpisodeNumber is episode n of feed; it fails the test when there is none.
func EpisodeNumber(t testing.TB, feed *feeds.Feed, n int) feeds.Episode {
	t.Helper()
	for _, ep := range feed.Episodes {
		if ep.Number == n {
			return ep
		}
	}
	t.Fatalf("no episode %d in the feed", n)
	return feeds.Episode{}
}

// OldestFirst returns the n newest episodes of eps (newest first), oldest
// first, as bot.ComposeMessage takes them.
func OldestFirst(eps []feeds.Episode, n int) []feeds.Episode {
	out := slices.Clone(eps[:n])
	slices.Reverse(out)
	return out
}

// Case is one payload to check and compare with its golden file.
type Case[P any] struct {
	Name    string
	Payload P
}

// Platform is what the cases need of one platform.
type Platform[P any] struct {
	// Name, ChannelID and UserID make the requests of the cases ("discord").
	Name, ChannelID, UserID string
	Message                 func(bot.Message) P
	Reply                   func(commands.Reply) P
	// Hostile is what an attacker would write on the platform.
	Hostile Hostile
}

// Ask answers a command line as a user of the platform with this locale who
// manages the channel.
func (p Platform[P]) Ask(r *commands.Router, locale, text string) commands.Reply {
	rep, _ := r.Answer(context.Background(), commands.Request{Platform: p.Name, ChannelID: p.ChannelID, UserID: p.UserID, Locale: locale, CanManage: true}, text)
	return rep
}

// Cases are every golden case: messages, replies and the hostile feed.
func (p Platform[P]) Cases(t testing.TB) []Case[P] {
	return slices.Concat(p.MessageCases(t), p.ReplyCases(t), p.HostileCases())
}

// MessageCases are every kind of bot.Message, in English and French.
func (p Platform[P]) MessageCases(t testing.TB) []Case[P] {
	feed := feedstest.PostMortem(t)
	var out []Case[P]
	for _, lang := range []string{"en", "fr"} {
		compose := func(kind bot.MessageKind, eps []feeds.Episode) P {
			return p.Message(bot.ComposeMessage(kind, feed.Title, lang, Prefix, eps))
		}
		p := lang + "-"
		out = append(out,
			Case[P]{p + "message-episode-17", compose(bot.MessageEpisode, []feeds.Episode{EpisodeNumber(t, feed, 17)})},
			Case[P]{p + "message-episode-3", compose(bot.MessageEpisode, []feeds.Episode{EpisodeNumber(t, feed, 3)})},
			Case[P]{p + "message-trailer", compose(bot.MessageEpisode, feed.Episodes[len(feed.Episodes)-1:])},
			Case[P]{p + "message-summary-3", compose(bot.MessageSummary, OldestFirst(feed.Episodes, 3))},
			Case[P]{p + "message-summary-14", compose(bot.MessageSummary, OldestFirst(feed.Episodes, 14))},
			Case[P]{p + "message-digest-3", compose(bot.MessageDigest, OldestFirst(feed.Episodes, 3))},
			Case[P]{p + "message-digest-empty", compose(bot.MessageDigest, nil)},
			Case[P]{p + "message-archive", compose(bot.MessageArchive, []feeds.Episode{EpisodeNumber(t, feed, 2)})},
		)
	}
	return out
}

// ReplyCases are every kind of command reply, on the Post Mortem feed.
func (p Platform[P]) ReplyCases(t testing.TB) []Case[P] {
	feed := feedstest.PostMortem(t)
	r := Router(feed.Episodes, feed.Title)
	broken := commands.New(Prefix, commands.Deps{Catalog: Catalog{Err: errors.New("sqlite: disk I/O error at /var/lib/pmbot.db")}})
	reply := func(name string, rep commands.Reply) Case[P] { return Case[P]{name, p.Reply(rep)} }
	out := []Case[P]{
		reply("en-reply-help", p.Ask(r, "", "help")),
		reply("en-reply-help-takeaways", p.Ask(r, "", "help takeaways")),
		reply("en-reply-search", p.Ask(r, "", "search bgp")),
		reply("en-reply-episode-17", p.Ask(r, "", "episode 17")),
		reply("en-reply-random", p.Ask(r, "", "random")),
		reply("en-reply-takeaways-3", p.Ask(r, "", "takeaways 3")),
		reply("en-reply-takeaways-17-summary", p.Ask(r, "", "takeaways 17")),
		reply("en-reply-chapters-17", p.Ask(r, "", "chapters 17")),
		reply("en-reply-links-17", p.Ask(r, "", "links 17")),
		reply("en-reply-latest-1", p.Ask(r, "", "latest")),
		reply("en-reply-latest-3", p.Ask(r, "", "latest 3")),
		reply("en-reply-latest-50", p.Ask(r, "", "latest 50")),
		reply("en-reply-digest", p.Ask(r, "", "digest")),
		reply("en-reply-status", p.Ask(r, "", "status")),
		reply("en-reply-subscriptions", p.Ask(r, "", "subscriptions")),
		reply("en-reply-subscribe", p.Ask(r, "", "subscribe security BGP")),
		reply("en-reply-unsubscribe", p.Ask(Router(feed.Episodes, feed.Title), "", "unsubscribe")),
		reply("en-reply-error-user", p.Ask(r, "", "episode 99")),
		reply("en-reply-error-typo", p.Ask(r, "", "takaways 3")),
		reply("en-reply-error-internal", p.Ask(broken, "", "latest")),
		reply("en-reply-buttons", commands.Reply{Language: "en", Header: "Listen", Buttons: []commands.Button{
			{Label: "Apple Podcasts", URL: "https://podcasts.apple.com/x"},
			{Label: "Key takeaways", Command: Prefix + " takeaways 17"},
		}}),
		// A private reply that can be shared: the share button is its last.
		reply("en-reply-private-shareable", commands.Reply{Language: "en", Header: "Key takeaways: #3", Bullets: []string{"one", "two"},
			Private: true, Shareable: true, Command: Prefix + " takeaways 3"}),
		// Shared, the same reply shows in the channel without the button.
		reply("en-reply-shared", p.Ask(r, "", "takeaways 3").Shared()),
		reply("fr-reply-help", p.Ask(r, "fr", "help")),
		reply("fr-reply-search", p.Ask(r, "fr", "search bgp")),
		reply("fr-reply-episode-17", p.Ask(r, "fr-FR", "episode 17")),
		reply("fr-reply-takeaways-3", p.Ask(r, "fr", "takeaways 3")),
		reply("fr-reply-chapters-12", p.Ask(r, "fr", "chapters 12")),
		reply("fr-reply-links-12", p.Ask(r, "fr", "links 12")),
		reply("fr-reply-latest-3", p.Ask(r, "fr", "latest 3")),
		reply("fr-reply-digest", p.Ask(r, "fr", "digest")),
		reply("fr-reply-status", p.Ask(r, "fr", "status")),
		reply("fr-reply-subscriptions", p.Ask(r, "fr", "subscriptions")),
		reply("fr-reply-error-user", p.Ask(r, "fr", "episode 99")),
		reply("fr-reply-error-internal", p.Ask(broken, "fr", "latest")),
	}
	return out
}

// HostileCases render a feed written by an attacker, and users typing the same.
func (p Platform[P]) HostileCases() []Case[P] {
	eps := p.Hostile.Episodes()
	title := p.Hostile.String(5000)
	r := Router(eps, title)
	compose := func(kind bot.MessageKind, lang string, eps []feeds.Episode) P {
		return p.Message(bot.ComposeMessage(kind, title, lang, Prefix, eps))
	}
	reply := func(name string, rep commands.Reply) Case[P] { return Case[P]{name, p.Reply(rep)} }
	ev := p.Hostile.String(300)
	return []Case[P]{
		{"hostile-message-episode", compose(bot.MessageEpisode, "en", eps[:1])},
		{"hostile-message-episode-fr", compose(bot.MessageEpisode, "fr", eps[1:2])},
		{"hostile-message-summary", compose(bot.MessageSummary, "en", eps)},
		{"hostile-message-digest", compose(bot.MessageDigest, "fr", eps)},
		{"hostile-message-archive", compose(bot.MessageArchive, "en", eps[2:3])},
		{"hostile-message-raw", p.Message(bot.Message{Kind: bot.MessageDigest, Language: ev, FeedTitle: ev, Header: ev, Text: p.Hostile.String(20000),
			Items: []bot.Item{{Episode: eps[0], Note: ev, Buttons: []commands.Button{
				{Label: ev, URL: "javascript:alert(1)"}, {Label: ev, URL: "https://x|y"}, {Label: ev, Command: ev}, {Label: ev, URL: "https://example.org/ok?a=1&b=<2>"},
			}}}, More: 1 << 30, Fallback: ev})},
		reply("hostile-reply-episode", p.Ask(r, "", "episode 666")),
		reply("hostile-reply-latest", p.Ask(r, "fr", "latest 10")),
		reply("hostile-reply-search", p.Ask(r, "", "search channel")),
		reply("hostile-reply-takeaways", p.Ask(r, "", "takeaways 666")),
		reply("hostile-reply-chapters", p.Ask(r, "fr", "chapters 666")),
		reply("hostile-reply-links", p.Ask(r, "", "links 666")),
		reply("hostile-reply-digest", p.Ask(r, "", "digest")),
		reply("hostile-reply-status", p.Ask(r, "", "status")),
		reply("hostile-reply-subscriptions", p.Ask(r, "fr", "subscriptions")),
		reply("hostile-reply-error-search", p.Ask(r, "", "search "+p.Hostile.String(150))),
		reply("hostile-reply-error-command", p.Ask(r, "fr", p.Hostile.String(30)+" 3")),
		reply("hostile-reply-everything", p.Hostile.Reply()),
	}
}

// Hostile is what an attacker writes on one platform: the pieces of text and
// the links that platform would act on.
type Hostile struct {
	// Bits are pieces of hostile text: mentions, links and formatting the
	// platform acts on, right-to-left text, emoji sequences, control
	// characters and broken UTF-8.
	Bits []string
	// URLs are links a feed may hold: some safe, most not.
	URLs []string
}

// String is hostile text of about n characters, every piece in turn,
// invalid UTF-8 included.
func (h Hostile) String(n int) string {
	var b strings.Builder
	for i, count := 0, 0; count < n; i++ {
		piece := h.Bits[i%len(h.Bits)] + " "
		b.WriteString(piece)
		count += utf8.RuneCountInString(piece)
	}
	return b.String()
}

// Episodes are episodes an attacker wrote, every field of them.
func (h Hostile) Episodes() []feeds.Episode {
	var eps []feeds.Episode
	for i := range 12 {
		ep := feeds.Episode{
			Number:          666 - i,
			Title:           h.String(5000),
			Published:       time.Date(2024, 2, 29, 23, 59, 0, 0, time.FixedZone("x", -5*3600)),
			DurationSeconds: 3601 + i,
			AudioURL:        h.URLs[i%len(h.URLs)],
			Link:            h.URLs[(i+1)%len(h.URLs)],
			NotesText:       "channel " + h.String(500),
			Notes: feeds.Notes{
				Summary:         h.String(20000),
				TakeawaysSource: feeds.TakeawaysSection,
			},
		}
		for j := range 200 {
			ep.Notes.Takeaways = append(ep.Notes.Takeaways, strconv.Itoa(j)+" "+h.String(50+j*5))
		}
		for j := range 500 {
			ep.Notes.Links = append(ep.Notes.Links, feeds.Link{
				Text:    h.String(20 + j%300),
				URL:     h.URLs[j%len(h.URLs)],
				Section: h.Bits[(j/50)%len(h.Bits)],
			})
		}
		for j := range 80 {
			ep.Notes.Chapters = append(ep.Notes.Chapters, feeds.Chapter{StartSeconds: j * 60, Title: h.String(100)})
		}
		eps = append(eps, ep)
	}
	// One episode with a plain, safe link, so that a hostile title is also
	// shown linked.
	eps[3].Link = "https://example.org/episode?id=3&x=y"
	return eps
}

// Reply fills every field of a reply with hostile text.
func (h Hostile) Reply() commands.Reply {
	ev := h.String(3000)
	eps := h.Episodes()
	rep := commands.Reply{Language: "fr", Header: ev, Text: h.String(10000), Detail: true, Private: true, Shareable: true, Command: Prefix + " " + ev}
	for i := range 30 {
		rep.Fields = append(rep.Fields, commands.Field{Name: h.String(100 + i), Value: ev})
		rep.Bullets = append(rep.Bullets, ev)
		rep.Buttons = append(rep.Buttons, commands.Button{Label: ev, URL: h.URLs[i%len(h.URLs)], Command: ev})
		rep.Hits = append(rep.Hits, commands.Hit{Episode: eps[i%len(eps)], Snippet: []commands.Fragment{{Text: ev}, {Text: ev, Match: true}, {Text: "x"}, {Text: "*y*", Match: true}}})
	}
	rep.Episodes = eps
	rep.Links = eps[0].Notes.Links
	return rep
}
