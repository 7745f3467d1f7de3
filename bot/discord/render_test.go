package discord_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/feeds/feedstest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const prefix = "/postmortem"

// fixtureCatalog serves episodes held in memory, newest first.
type fixtureCatalog struct {
	eps []feeds.Episode
	err error
}

func (c fixtureCatalog) Latest(_ context.Context, n int) ([]feeds.Episode, error) {
	return c.eps[:min(n, len(c.eps))], c.err
}

func (c fixtureCatalog) ByNumber(_ context.Context, n int) (feeds.Episode, error) {
	if c.err != nil {
		return feeds.Episode{}, c.err
	}
	for _, ep := range c.eps {
		if ep.Number == n {
			return ep, nil
		}
	}
	return feeds.Episode{}, commands.ErrNoEpisode
}

func (c fixtureCatalog) All(context.Context) ([]feeds.Episode, error) { return c.eps, c.err }

// fixtureSearch finds episodes whose title or notes hold the query, with a
// snippet that quotes the query (hostile input included) between two pieces
// of the episode's summary.
type fixtureSearch struct{ cat fixtureCatalog }

func (s fixtureSearch) Search(_ context.Context, q string, limit int) ([]commands.Hit, error) {
	var hits []commands.Hit
	for _, ep := range s.cat.eps {
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

// fixtureSubs is one channel's subscription, in memory.
type fixtureSubs struct {
	topics []string
	on     bool
	title  string
}

func (s *fixtureSubs) info() commands.SubscriptionInfo {
	return commands.SubscriptionInfo{Feed: "postmortem", FeedTitle: s.title, Topics: s.topics, Language: "fr", DigestSchedule: "0 9 * * 1", DigestTimeZone: "Europe/Paris"}
}

func (s *fixtureSubs) Subscribe(_ context.Context, _, _ string, topics []string) (commands.SubscriptionInfo, bool, error) {
	created := !s.on
	s.on, s.topics = true, topics
	return s.info(), created, nil
}

func (s *fixtureSubs) Unsubscribe(context.Context, string, string) (bool, error) {
	was := s.on
	s.on = false
	return was, nil
}

func (s *fixtureSubs) List(context.Context, string, string) ([]commands.SubscriptionInfo, error) {
	if !s.on {
		return nil, nil
	}
	return []commands.SubscriptionInfo{s.info()}, nil
}

type fixtureStatus struct{ title, lastError string }

func (s fixtureStatus) Status(context.Context) (commands.StatusInfo, error) {
	at := time.Date(2024, 5, 12, 9, 0, 0, 0, time.UTC)
	return commands.StatusInfo{
		Version: "v1.2.3",
		Feeds:   []commands.FeedStatus{{Name: "postmortem", Title: s.title, Episodes: 18, LastPolled: at, NextPoll: at.Add(15 * time.Minute), Failures: 1, LastError: s.lastError}},
		Pending: 2, Dead: 1, LastDead: "channel_not_found",
	}, nil
}

type fixtureDigests struct{ cat fixtureCatalog }

func (d fixtureDigests) Preview(ctx context.Context, _, _ string) (commands.DigestPreview, error) {
	eps, err := d.cat.Latest(ctx, 2)
	return commands.DigestPreview{Since: time.Date(2022, 4, 1, 0, 0, 0, 0, time.UTC), Episodes: eps, Next: time.Date(2022, 5, 2, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600))}, err
}

// fixtureRouter is the whole command table over eps, with fakes for the rest;
// feedTitle names the podcast in subscriptions and status.
func fixtureRouter(eps []feeds.Episode, feedTitle string) *commands.Router {
	cat := fixtureCatalog{eps: eps}
	return commands.New(prefix, commands.Deps{
		Catalog:       cat,
		Search:        fixtureSearch{cat: cat},
		Subscriptions: &fixtureSubs{on: true, topics: []string{"bgp", "sécurité"}, title: feedTitle},
		Status:        fixtureStatus{title: feedTitle, lastError: "HTTP 503 Service Unavailable"},
		Digests:       fixtureDigests{cat: cat},
		Rand:          func(n int) int { return n / 2 },
	})
}

// ask answers a command line as a Discord user with this locale who manages the
// channel.
func ask(r *commands.Router, locale, text string) commands.Reply {
	rep, _ := r.Answer(context.Background(), commands.Request{Platform: "discord", ChannelID: "789", UserID: "123", Locale: locale, CanManage: true}, text)
	return rep
}

func postMortem(t testing.TB) *feeds.Feed { return feedstest.PostMortem(t) }

func episodeNumber(t testing.TB, feed *feeds.Feed, n int) feeds.Episode {
	t.Helper()
	for _, ep := range feed.Episodes {
		if ep.Number == n {
			return ep
		}
	}
	t.Fatalf("no episode %d in the feed", n)
	return feeds.Episode{}
}

// oldestFirst returns the n newest episodes of eps (newest first), oldest
// first, as bot.ComposeMessage takes them.
func oldestFirst(eps []feeds.Episode, n int) []feeds.Episode {
	out := slices.Clone(eps[:n])
	slices.Reverse(out)
	return out
}

// renderCase is one payload to check and compare with its golden file.
type renderCase struct {
	name    string
	payload discord.Payload
}

// messageCases are every kind of bot.Message, in English and French.
func messageCases(t testing.TB) []renderCase {
	feed := postMortem(t)
	var out []renderCase
	for _, lang := range []string{"en", "fr"} {
		compose := func(kind bot.MessageKind, eps []feeds.Episode) discord.Payload {
			return discord.RenderMessage(bot.ComposeMessage(kind, feed.Title, lang, prefix, eps))
		}
		p := lang + "-"
		out = append(out,
			renderCase{p + "message-episode-17", compose(bot.MessageEpisode, []feeds.Episode{episodeNumber(t, feed, 17)})},
			renderCase{p + "message-episode-3", compose(bot.MessageEpisode, []feeds.Episode{episodeNumber(t, feed, 3)})},
			renderCase{p + "message-trailer", compose(bot.MessageEpisode, feed.Episodes[len(feed.Episodes)-1:])},
			renderCase{p + "message-summary-3", compose(bot.MessageSummary, oldestFirst(feed.Episodes, 3))},
			renderCase{p + "message-summary-14", compose(bot.MessageSummary, oldestFirst(feed.Episodes, 14))},
			renderCase{p + "message-digest-3", compose(bot.MessageDigest, oldestFirst(feed.Episodes, 3))},
			renderCase{p + "message-digest-empty", compose(bot.MessageDigest, nil)},
			renderCase{p + "message-archive", compose(bot.MessageArchive, []feeds.Episode{episodeNumber(t, feed, 2)})},
		)
	}
	return out
}

// replyCases are every kind of command reply, on the Post Mortem feed.
func replyCases(t testing.TB) []renderCase {
	feed := postMortem(t)
	r := fixtureRouter(feed.Episodes, feed.Title)
	broken := commands.New(prefix, commands.Deps{Catalog: fixtureCatalog{err: errors.New("sqlite: disk I/O error at /var/lib/pmbot.db")}})
	reply := func(name string, rep commands.Reply) renderCase { return renderCase{name, discord.RenderReply(rep)} }
	out := []renderCase{
		reply("en-reply-help", ask(r, "", "help")),
		reply("en-reply-help-takeaways", ask(r, "", "help takeaways")),
		reply("en-reply-search", ask(r, "", "search bgp")),
		reply("en-reply-episode-17", ask(r, "", "episode 17")),
		reply("en-reply-random", ask(r, "", "random")),
		reply("en-reply-takeaways-3", ask(r, "", "takeaways 3")),
		reply("en-reply-takeaways-17-summary", ask(r, "", "takeaways 17")),
		reply("en-reply-chapters-17", ask(r, "", "chapters 17")),
		reply("en-reply-links-17", ask(r, "", "links 17")),
		reply("en-reply-latest-1", ask(r, "", "latest")),
		reply("en-reply-latest-3", ask(r, "", "latest 3")),
		reply("en-reply-latest-50", ask(r, "", "latest 50")),
		reply("en-reply-digest", ask(r, "", "digest")),
		reply("en-reply-status", ask(r, "", "status")),
		reply("en-reply-subscriptions", ask(r, "", "subscriptions")),
		reply("en-reply-subscribe", ask(r, "", "subscribe security BGP")),
		reply("en-reply-unsubscribe", ask(fixtureRouter(feed.Episodes, feed.Title), "", "unsubscribe")),
		reply("en-reply-error-user", ask(r, "", "episode 99")),
		reply("en-reply-error-typo", ask(r, "", "takaways 3")),
		reply("en-reply-error-internal", ask(broken, "", "latest")),
		reply("en-reply-buttons", commands.Reply{Language: "en", Header: "Listen", Buttons: []commands.Button{
			{Label: "Apple Podcasts", URL: "https://podcasts.apple.com/x"},
			{Label: "Key takeaways", Command: prefix + " takeaways 17"},
		}}),
		// A private reply that can be shared: the share button is its last.
		reply("en-reply-private-shareable", commands.Reply{Language: "en", Header: "Key takeaways: #3", Bullets: []string{"one", "two"},
			Private: true, Shareable: true, Command: prefix + " takeaways 3"}),
		// Shared, the same reply shows in the channel without the button.
		reply("en-reply-shared", ask(r, "", "takeaways 3").Shared()),
		reply("fr-reply-help", ask(r, "fr", "help")),
		reply("fr-reply-search", ask(r, "fr", "search bgp")),
		reply("fr-reply-episode-17", ask(r, "fr-FR", "episode 17")),
		reply("fr-reply-takeaways-3", ask(r, "fr", "takeaways 3")),
		reply("fr-reply-chapters-12", ask(r, "fr", "chapters 12")),
		reply("fr-reply-links-12", ask(r, "fr", "links 12")),
		reply("fr-reply-latest-3", ask(r, "fr", "latest 3")),
		reply("fr-reply-digest", ask(r, "fr", "digest")),
		reply("fr-reply-status", ask(r, "fr", "status")),
		reply("fr-reply-subscriptions", ask(r, "fr", "subscriptions")),
		reply("fr-reply-error-user", ask(r, "fr", "episode 99")),
		reply("fr-reply-error-internal", ask(broken, "fr", "latest")),
	}
	return out
}

// hostileCases render a feed written by an attacker, and users typing the same.
func hostileCases(t testing.TB) []renderCase {
	eps := hostileEpisodes()
	title := hostileString(5000)
	r := fixtureRouter(eps, title)
	compose := func(kind bot.MessageKind, lang string, eps []feeds.Episode) discord.Payload {
		return discord.RenderMessage(bot.ComposeMessage(kind, title, lang, prefix, eps))
	}
	reply := func(name string, rep commands.Reply) renderCase { return renderCase{name, discord.RenderReply(rep)} }
	ev := hostileString(300)
	return []renderCase{
		{"hostile-message-episode", compose(bot.MessageEpisode, "en", eps[:1])},
		{"hostile-message-episode-fr", compose(bot.MessageEpisode, "fr", eps[1:2])},
		{"hostile-message-summary", compose(bot.MessageSummary, "en", eps)},
		{"hostile-message-digest", compose(bot.MessageDigest, "fr", eps)},
		{"hostile-message-archive", compose(bot.MessageArchive, "en", eps[2:3])},
		{"hostile-message-raw", discord.RenderMessage(bot.Message{Kind: bot.MessageDigest, Language: ev, FeedTitle: ev, Header: ev, Text: hostileString(20000),
			Items: []bot.Item{{Episode: eps[0], Note: ev, Buttons: []commands.Button{
				{Label: ev, URL: "javascript:alert(1)"}, {Label: ev, URL: "https://x|y"}, {Label: ev, Command: ev}, {Label: ev, URL: "https://example.org/ok?a=1&b=<2>"},
			}}}, More: 1 << 30, Fallback: ev})},
		reply("hostile-reply-episode", ask(r, "", "episode 666")),
		reply("hostile-reply-latest", ask(r, "fr", "latest 10")),
		reply("hostile-reply-search", ask(r, "", "search channel")),
		reply("hostile-reply-takeaways", ask(r, "", "takeaways 666")),
		reply("hostile-reply-chapters", ask(r, "fr", "chapters 666")),
		reply("hostile-reply-links", ask(r, "", "links 666")),
		reply("hostile-reply-digest", ask(r, "", "digest")),
		reply("hostile-reply-status", ask(r, "", "status")),
		reply("hostile-reply-subscriptions", ask(r, "fr", "subscriptions")),
		reply("hostile-reply-error-search", ask(r, "", "search "+hostileString(150))),
		reply("hostile-reply-error-command", ask(r, "fr", hostileString(30)+" 3")),
		reply("hostile-reply-everything", hostileReply()),
	}
}

// The pieces of hostile text: mentions, masked links, spoilers and the
// markdown Discord would act on, Slack's too, right-to-left text and
// overrides, emoji sequences, control characters and broken UTF-8.
var hostileBits = []string{
	"@everyone", "@here", "<@123>", "<@!123>", "<@&456>", "<#789>", "</help:1>", "<t:0:R>",
	"[x](https://evil.example)", "[x](<https://evil.example>)", "||spoiler||",
	"**bold** *it* _it_ __u__ ~~strike~~ `code`", "```block```", "> quote", ">>> all",
	"# heading", "## h2", "-# small", "- item", "1. item", "\\escaped\\", "\\*not\\*",
	"<!channel>", "<https://evil.example|click>", "&amp;", "@\u200beveryone",
	"مرحبا بالعالم", "שלום עולם", "\u202eevil\u202c", "\u2067isolate",
	"👩\u200d👩\u200d👧\u200d👦", "👍🏽", "🇫🇷", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
	"\x1b[31mred\x1b[0m", "nul\x00", "\xff\xfe", "line\nbreak", "e\u0301", "|pipe|",
}

// hostileString is hostile text of about n characters, every piece in turn,
// invalid UTF-8 included.
func hostileString(n int) string {
	var b strings.Builder
	for i, count := 0, 0; count < n; i++ {
		piece := hostileBits[i%len(hostileBits)] + " "
		b.WriteString(piece)
		count += utf8.RuneCountInString(piece)
	}
	return b.String()
}

// hostileURLs are links a feed may hold: some safe, most not.
var hostileURLs = []string{
	"https://example.org/a?b=1&c=@everyone",
	"javascript:alert(1)",
	"JavaScript:alert(1)",
	"https://example.org/ok?a=1&b=2",
	"https://trusted.example@evil.example/",
	"https://example.org/\u202etxt.exe",
	"https://example.org/" + strings.Repeat("p", 2000),
	"data:text/html,<script>alert(1)</script>",
	"https://example.org/<@123>",
	"https://fr.wikipedia.org/wiki/Tempête_(météo)",
	"https://evil.example/x)[y](https://evil2.example",
	"https://x|y",
}

// hostileEpisodes are episodes an attacker wrote, every field of them.
func hostileEpisodes() []feeds.Episode {
	var eps []feeds.Episode
	for i := range 12 {
		ep := feeds.Episode{
			Number:          666 - i,
			Title:           hostileString(5000),
			Published:       time.Date(2024, 2, 29, 23, 59, 0, 0, time.FixedZone("x", -5*3600)),
			DurationSeconds: 3601 + i,
			AudioURL:        hostileURLs[i%len(hostileURLs)],
			Link:            hostileURLs[(i+1)%len(hostileURLs)],
			NotesText:       "channel " + hostileString(500),
			Notes: feeds.Notes{
				Summary:         hostileString(20000),
				TakeawaysSource: feeds.TakeawaysSection,
			},
		}
		for j := range 200 {
			ep.Notes.Takeaways = append(ep.Notes.Takeaways, strconv.Itoa(j)+" "+hostileString(50+j*5))
		}
		for j := range 500 {
			ep.Notes.Links = append(ep.Notes.Links, feeds.Link{
				Text:    hostileString(20 + j%300),
				URL:     hostileURLs[j%len(hostileURLs)],
				Section: hostileBits[(j/50)%len(hostileBits)],
			})
		}
		for j := range 80 {
			ep.Notes.Chapters = append(ep.Notes.Chapters, feeds.Chapter{StartSeconds: j * 60, Title: hostileString(100)})
		}
		eps = append(eps, ep)
	}
	// One episode with a plain, safe link, so that a hostile title is also
	// shown linked.
	eps[3].Link = "https://example.org/episode?id=3&x=y"
	return eps
}

// hostileReply fills every field of a reply with hostile text.
func hostileReply() commands.Reply {
	ev := hostileString(3000)
	eps := hostileEpisodes()
	rep := commands.Reply{Language: "fr", Header: ev, Text: hostileString(10000), Detail: true, Private: true, Shareable: true, Command: prefix + " " + ev}
	for i := range 30 {
		rep.Fields = append(rep.Fields, commands.Field{Name: hostileString(100 + i), Value: ev})
		rep.Bullets = append(rep.Bullets, ev)
		rep.Buttons = append(rep.Buttons, commands.Button{Label: ev, URL: hostileURLs[i%len(hostileURLs)], Command: ev})
		rep.Hits = append(rep.Hits, commands.Hit{Episode: eps[i%len(eps)], Snippet: []commands.Fragment{{Text: ev}, {Text: ev, Match: true}, {Text: "x"}, {Text: "*y*", Match: true}}})
	}
	rep.Episodes = eps
	rep.Links = eps[0].Notes.Links
	return rep
}

func allCases(t testing.TB) []renderCase {
	return slices.Concat(messageCases(t), replyCases(t), hostileCases(t))
}

// TestGolden compares every payload with testdata/golden/<name>.json; run
// `go test ./bot/discord -run TestGolden -update` to rewrite them after a change,
// and read the diff.
func TestGolden(t *testing.T) {
	for _, c := range allCases(t) {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.payload.Preview()
			if err != nil {
				t.Fatal(err)
			}
			checkPayload(t, got)
			path := filepath.Join("testdata", "golden", c.name+".json")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./bot/discord -run TestGolden -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-want +got):\n%s", path, diff)
			}
		})
	}
}
