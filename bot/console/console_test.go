package console_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/bot"
	"github.com/pmbot/pmbot/bot/console"
	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
	"github.com/pmbot/pmbot/feeds/feedstest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// catalog serves episodes held in memory, newest first.
type catalog struct{ eps []feeds.Episode }

func (c catalog) Latest(_ context.Context, n int) ([]feeds.Episode, error) {
	return c.eps[:min(n, len(c.eps))], nil
}

func (c catalog) ByNumber(_ context.Context, n int) (feeds.Episode, error) {
	for _, ep := range c.eps {
		if ep.Number == n {
			return ep, nil
		}
	}
	return feeds.Episode{}, commands.ErrNoEpisode
}

func (c catalog) All(context.Context) ([]feeds.Episode, error) { return c.eps, nil }

// failing is a catalog whose store is broken.
type failing struct{}

var errInternal = errors.New("sqlite: disk I/O error at /var/lib/pmbot.db")

func (failing) Latest(context.Context, int) ([]feeds.Episode, error) { return nil, errInternal }
func (failing) ByNumber(context.Context, int) (feeds.Episode, error) {
	return feeds.Episode{}, errInternal
}
func (failing) All(context.Context) ([]feeds.Episode, error) { return nil, errInternal }

// searcher finds episodes whose title or notes hold the query, with a snippet
// marking it: enough to render hits without the search index.
type searcher struct{ cat commands.Catalog }

func (s searcher) Search(ctx context.Context, q string, limit int) ([]commands.Hit, error) {
	all, err := s.cat.All(ctx)
	if err != nil {
		return nil, err
	}
	var hits []commands.Hit
	for _, ep := range all {
		if len(hits) == limit {
			break
		}
		if strings.Contains(strings.ToLower(ep.Title+" "+ep.NotesText), strings.ToLower(q)) {
			hits = append(hits, commands.Hit{Episode: ep, Score: 1, Snippet: []commands.Fragment{{Text: "… the "}, {Text: q, Match: true}, {Text: " incident …"}}})
		}
	}
	return hits, nil
}

// subscriptions is one channel's subscription, in memory.
type subscriptions struct {
	topics []string
	on     bool
}

func (s *subscriptions) info() commands.SubscriptionInfo {
	return commands.SubscriptionInfo{Feed: "postmortem", FeedTitle: "Post Mortem", Topics: s.topics, Language: "fr", DigestSchedule: "0 9 * * 1", DigestTimeZone: "Europe/Paris"}
}

func (s *subscriptions) Subscribe(_ context.Context, _, _ string, topics []string) (commands.SubscriptionInfo, bool, error) {
	created := !s.on
	s.on, s.topics = true, topics
	return s.info(), created, nil
}

func (s *subscriptions) Unsubscribe(context.Context, string, string) (bool, error) {
	was := s.on
	s.on = false
	return was, nil
}

func (s *subscriptions) List(context.Context, string, string) ([]commands.SubscriptionInfo, error) {
	if !s.on {
		return nil, nil
	}
	return []commands.SubscriptionInfo{s.info()}, nil
}

type status struct{}

func (status) Status(context.Context) (commands.StatusInfo, error) {
	at := time.Date(2024, 5, 12, 9, 0, 0, 0, time.UTC)
	return commands.StatusInfo{
		Version: "v1.2.3",
		Feeds:   []commands.FeedStatus{{Name: "postmortem", Title: "Post Mortem", Episodes: 18, LastPolled: at, NextPoll: at.Add(15 * time.Minute), Failures: 1, LastError: "HTTP 503 Service Unavailable"}},
		Pending: 2,
	}, nil
}

type digests struct{ cat commands.Catalog }

func (d digests) Preview(ctx context.Context, _, _ string) (commands.DigestPreview, error) {
	eps, err := d.cat.Latest(ctx, 2)
	if err != nil {
		return commands.DigestPreview{}, err
	}
	return commands.DigestPreview{Since: time.Date(2022, 4, 1, 0, 0, 0, 0, time.UTC), Episodes: eps, Next: time.Date(2022, 5, 2, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600))}, nil
}

func postMortem(t testing.TB) *feeds.Feed { return feedstest.PostMortem(t) }

func episode(t testing.TB, feed *feeds.Feed, n int) feeds.Episode {
	t.Helper()
	for _, ep := range feed.Episodes {
		if ep.Number == n {
			return ep
		}
	}
	t.Fatalf("no episode %d in the feed", n)
	return feeds.Episode{}
}

// router is the whole command table over cat, with fakes for the rest.
func router(cat commands.Catalog) *commands.Router {
	return commands.New("/postmortem", deps(cat))
}

func deps(cat commands.Catalog) commands.Deps {
	return commands.Deps{
		Catalog:       cat,
		Search:        searcher{cat: cat},
		Subscriptions: &subscriptions{},
		Status:        status{},
		Digests:       digests{cat: cat},
		Rand:          func(n int) int { return n / 2 },
	}
}

// reply runs a command line through the router as the adapter does, for a user
// with this locale who manages the channel.
func reply(t *testing.T, r *commands.Router, locale, line string) commands.Reply {
	t.Helper()
	rep, _ := r.Answer(context.Background(), commands.Request{Platform: console.Platform, ChannelID: console.Channel, Locale: locale, CanManage: true}, line)
	return rep
}

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// checkTerminalSafe fails if s holds anything a feed must not put on a terminal.
func checkTerminalSafe(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Error("output is not valid UTF-8")
	}
	for i, r := range s {
		if r == '\n' {
			continue
		}
		if unicode.IsControl(r) || (unicode.Is(unicode.Cf, r) && r != '\u200d') {
			t.Errorf("output has %U at byte %d", r, i)
			return
		}
	}
}

func TestRenderAnnouncement(t *testing.T) {
	feed := postMortem(t)
	tests := []struct {
		name string
		an   bot.Message
	}{
		{"announce-episode-3", announcement(bot.MessageEpisode, feed.Title, "", episode(t, feed, 3))},
		{"announce-episode-17", announcement(bot.MessageEpisode, feed.Title, "", episode(t, feed, 17))},
		{"announce-trailer", announcement(bot.MessageEpisode, feed.Title, "", feed.Episodes[len(feed.Episodes)-1])},
		{"announce-summary-5", announcement(bot.MessageSummary, feed.Title, "", feed.Episodes[:5]...)},
		{"announce-digest", announcement(bot.MessageDigest, feed.Title, "", feed.Episodes[:3]...)},
		{"announce-digest-empty", announcement(bot.MessageDigest, feed.Title, "")},
		{"announce-digest-archive", announcement(bot.MessageArchive, feed.Title, "", episode(t, feed, 2))},
		{"fr-announce-episode-17", announcement(bot.MessageEpisode, feed.Title, "fr", episode(t, feed, 17))},
		{"fr-announce-summary-5", announcement(bot.MessageSummary, feed.Title, "fr", feed.Episodes[:5]...)},
		{"fr-announce-digest", announcement(bot.MessageDigest, feed.Title, "fr", feed.Episodes[:3]...)},
		{"fr-announce-digest-archive", announcement(bot.MessageArchive, feed.Title, "fr-FR", episode(t, feed, 2))},
		{"fr-announce-trailer-untitled", announcement(bot.MessageEpisode, "", "fr", feeds.Episode{Title: "\x1b[2J"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			console.RenderMessage(&b, tt.an)
			checkTerminalSafe(t, b.String())
			golden(t, tt.name, b.String())
		})
	}
}

func TestRenderReply(t *testing.T) {
	feed := postMortem(t)
	r := router(catalog{eps: feed.Episodes})
	tests := []struct {
		name string
		rep  commands.Reply
	}{
		{"reply-takeaways-3", reply(t, r, "", "takeaways 3")},
		{"reply-takeaways-17-summary", reply(t, r, "", "takeaways 17")},
		{"reply-takeaways-none", reply(t, r, "", "takeaways 5")},
		{"reply-episode-17", reply(t, r, "", "episode 17")},
		{"reply-latest-3", reply(t, r, "", "latest 3")},
		{"reply-help", reply(t, r, "", "help")},
		{"reply-help-takeaways", reply(t, r, "", "help takeaways")},
		{"reply-error-user", reply(t, r, "", "episode 99")},
		{"reply-error-typo", reply(t, r, "", "takaways 3")},
		{"reply-error-internal", reply(t, router(failing{}), "", "latest")},
		{"reply-search", reply(t, r, "", "search bgp")},
		{"reply-chapters-17", reply(t, r, "", "chapters 17")},
		{"reply-links-17", reply(t, r, "", "links 17")},
		{"reply-random", reply(t, r, "", "random")},
		{"reply-digest", reply(t, r, "", "digest")},
		{"reply-subscribe", reply(t, r, "", "subscribe security BGP")},
		{"reply-subscriptions", reply(t, r, "", "subscriptions")},
		{"reply-unsubscribe", reply(t, r, "", "unsubscribe")},
		{"reply-status", reply(t, r, "", "status")},
		{"reply-buttons", commands.Reply{Language: "en", Header: "Listen", Buttons: []commands.Button{{Label: "Apple Podcasts", URL: "https://podcasts.apple.com/x"}, {Label: "Share in channel", Command: "/postmortem episode 17"}}}},
		{"reply-not-available", reply(t, commands.New("/postmortem", commands.Deps{}), "", "status")},
		{"fr-reply-takeaways-3", reply(t, r, "fr", "takeaways 3")},
		{"fr-reply-episode-17", reply(t, r, "fr-FR", "episode 17")},
		{"fr-reply-latest-3", reply(t, r, "fr", "latest 3")},
		{"fr-reply-help", reply(t, r, "fr", "help")},
		{"fr-reply-error-user", reply(t, r, "fr", "episode 99")},
		{"fr-reply-error-typo", reply(t, r, "fr", "takaways 3")},
		{"fr-reply-error-internal", reply(t, router(failing{}), "fr", "latest")},
		{"fr-reply-search", reply(t, r, "fr", "search bgp")},
		{"fr-reply-chapters-12", reply(t, r, "fr", "chapters 12")},
		{"fr-reply-links-12", reply(t, r, "fr", "links 12")},
		{"fr-reply-digest", reply(t, r, "fr", "digest")},
		{"fr-reply-subscribe", reply(t, r, "fr", "subscribe sécurité")},
		{"fr-reply-subscriptions", reply(t, r, "fr", "subscriptions")},
		{"fr-reply-status", reply(t, r, "fr", "status")},
		{"fr-reply-refused", func() commands.Reply {
			rep, _ := r.Answer(context.Background(), commands.Request{Locale: "fr"}, "subscribe bgp")
			return rep
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			console.RenderReply(&b, tt.rep)
			checkTerminalSafe(t, b.String())
			if strings.Contains(b.String(), errInternal.Error()) {
				t.Error("an internal error reached the user")
			}
			golden(t, tt.name, b.String())
		})
	}
}

// hostile is an episode whose every field is written by an attacker.
func hostile() feeds.Episode {
	return feeds.Episode{
		Number:          666,
		Title:           "\x1b[2J\x1b[31mred\x1b[0m \u202eevil\u202c @everyone <!channel> <script>alert(1)</script>\x00NUL\x07\rover\nNew episode of Fake Feed\u200b\u2066x\u2069",
		Published:       time.Date(2024, 2, 29, 23, 59, 0, 0, time.FixedZone("x", -5*3600)),
		DurationSeconds: 3601,
		AudioURL:        "https://example.org/a.mp3\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\n@here",
		Link:            "javascript:alert(1)",
		Notes: feeds.Notes{
			Summary:         "Summary \x1b[5mblink\x1b[0m\u0085\u009b31m <@U123> <#C1|general> **bold** ```code```\n\n\n\n\n\n\nafter many blank lines",
			Takeaways:       []string{"one \x1b[1mbold", "two\ninjected line", "\u202eoverride", "@everyone"},
			TakeawaysSource: feeds.TakeawaysSection,
			Links: []feeds.Link{
				{Text: "click \x1b]8;;https://evil.example\x07me\x1b]8;;\x07", URL: "https://example.org/\u202etxt.exe"},
				{Text: "two\nlines", URL: "https://example.org/\nNew episode of Fake Feed"},
			},
		},
	}
}

// huge is an episode with a megabyte title, a 100k-character summary and ten
// thousand takeaways.
func huge() feeds.Episode {
	many := make([]string, 10000)
	for i := range many {
		many[i] = "takeaway " + strings.Repeat("x", 100)
	}
	return feeds.Episode{
		Number:    7,
		Title:     strings.Repeat("A", 1<<20),
		AudioURL:  "https://example.org/" + strings.Repeat("p", 1<<20),
		Published: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		Notes: feeds.Notes{
			Summary:         strings.Repeat("é", 100000),
			Takeaways:       many,
			TakeawaysSource: feeds.TakeawaysSection,
		},
	}
}

func TestRenderHostile(t *testing.T) {
	const maxOutput = 64 << 10 // what one message may print, whatever the feed holds
	tests := []struct {
		name   string
		render func(*strings.Builder)
	}{
		{"hostile-announce-episode", func(b *strings.Builder) {
			console.RenderMessage(b, announcement(bot.MessageEpisode, "Feed\x1b[2J\n@everyone", "", hostile()))
		}},
		{"hostile-announce-summary", func(b *strings.Builder) {
			console.RenderMessage(b, announcement(bot.MessageSummary, "\u202eFeed", "", hostile(), hostile()))
		}},
		{"hostile-reply-detail", func(b *strings.Builder) {
			console.RenderReply(b, commands.Reply{Header: "Latest episode", Episodes: []feeds.Episode{hostile()}, Detail: true})
		}},
		{"hostile-reply-list", func(b *strings.Builder) {
			console.RenderReply(b, commands.Reply{Header: "Latest 2 episodes", Episodes: []feeds.Episode{hostile(), hostile()}})
		}},
		{"hostile-reply-bullets", func(b *strings.Builder) {
			console.RenderReply(b, commands.Reply{Header: "Key takeaways: " + commands.Label(hostile()), Bullets: hostile().Notes.Takeaways})
		}},
		{"hostile-reply-search", func(b *strings.Builder) {
			ev := hostile().Title
			console.RenderReply(b, commands.Reply{Header: "Results for " + ev, Hits: []commands.Hit{
				{Episode: hostile(), Snippet: []commands.Fragment{{Text: ev + " \x1b"}, {Text: "[2J" + ev, Match: true}, {Text: "\n@everyone\x1b]8;;x"}, {Text: "\x07", Match: true}}},
				{Episode: hostile()}, // no snippet: the summary stands in
			}})
		}},
		{"hostile-reply-subscriptions", func(b *strings.Builder) {
			subs := &subscriptions{on: true, topics: []string{"\x1b[31mred", "two\nlines", "@everyone", "<!channel>", "\u202eevil"}}
			r := commands.New("/postmortem", commands.Deps{Subscriptions: subs})
			rep, _ := r.Answer(context.Background(), commands.Request{CanManage: true}, "subscriptions")
			console.RenderReply(b, rep)
			rep, _ = r.Answer(context.Background(), commands.Request{CanManage: true, Locale: "fr"}, "subscribe \x1b[31mred @everyone <!channel> \u202eevil")
			console.RenderReply(b, rep)
		}},
		{"hostile-reply-fields", func(b *strings.Builder) {
			ev := hostile().Title
			console.RenderReply(b, commands.Reply{Language: "fr", Header: ev, Fields: []commands.Field{{Name: ev, Value: ev}, {Name: "", Value: "\n\n"}, {Name: "x\ny", Value: ""}},
				Links:   append(hostile().Notes.Links, feeds.Link{Section: ev, Text: ev, URL: "https://example.org/\x1b[2J"}),
				Buttons: []commands.Button{{Label: ev, URL: "javascript:alert(1)\n@here"}, {Label: "\x1b[2J", Command: "/postmortem\nNew episode of Fake Feed"}}})
		}},
		{"hostile-announce-digest", func(b *strings.Builder) {
			console.RenderMessage(b, announcement(bot.MessageDigest, "Feed\x1b[2J\n@everyone", "\x1b[2Jfr", hostile(), hostile()))
		}},
		{"hostile-announce-archive", func(b *strings.Builder) {
			console.RenderMessage(b, announcement(bot.MessageArchive, "\u202eFeed", "fr", hostile()))
		}},
		{"huge-announce-digest", func(b *strings.Builder) {
			eps := make([]feeds.Episode, 30)
			for i := range eps {
				eps[i] = huge()
			}
			console.RenderMessage(b, announcement(bot.MessageDigest, strings.Repeat("F", 1<<20), "", eps...))
		}},
		{"huge-reply-search", func(b *strings.Builder) {
			var hits []commands.Hit
			for range 100 {
				hits = append(hits, commands.Hit{Episode: huge(), Snippet: []commands.Fragment{{Text: strings.Repeat("s", 1<<16)}, {Text: strings.Repeat("m", 1<<16), Match: true}}})
			}
			var fields []commands.Field
			for range 100 {
				fields = append(fields, commands.Field{Name: strings.Repeat("n", 5000), Value: strings.Repeat("v", 5000)})
			}
			console.RenderReply(b, commands.Reply{Hits: hits, Fields: fields})
		}},
		{"huge-announce-episode", func(b *strings.Builder) {
			console.RenderMessage(b, announcement(bot.MessageEpisode, strings.Repeat("F", 1<<20), "", huge()))
		}},
		{"huge-announce-summary", func(b *strings.Builder) {
			eps := make([]feeds.Episode, 30)
			for i := range eps {
				eps[i] = huge()
			}
			console.RenderMessage(b, announcement(bot.MessageSummary, "Feed", "", eps...))
		}},
		{"huge-reply-detail", func(b *strings.Builder) {
			ep := huge()
			for range 1000 {
				ep.Notes.Links = append(ep.Notes.Links, feeds.Link{Text: strings.Repeat("t", 5000), URL: "https://example.org/" + strings.Repeat("u", 5000)})
			}
			console.RenderReply(b, commands.Reply{Text: strings.Repeat("\n", 10000) + "text", Episodes: []feeds.Episode{ep}, Detail: true})
		}},
		{"huge-reply-bullets", func(b *strings.Builder) {
			console.RenderReply(b, commands.Reply{Header: "Key takeaways: " + commands.Label(huge()), Bullets: huge().Notes.Takeaways})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			tt.render(&b)
			out := b.String()
			checkTerminalSafe(t, out)
			if len(out) > maxOutput {
				t.Errorf("output is %d bytes; a message must stay under %d", len(out), maxOutput)
			}
			for _, bad := range []string{"\x1b", "\u202e", "\x00", "\r", "\u200b", "\u2066", "\u009b", "\nNew episode of Fake Feed", "\n@here", "\ninjected line", "\n@everyone"} {
				if strings.Contains(out, bad) {
					t.Errorf("output contains %q", bad)
				}
			}
			for _, line := range strings.Split(out, "\n") {
				if n := utf8.RuneCountInString(line); n > 2100 {
					t.Errorf("a line is %d characters long", n)
				}
			}
			golden(t, tt.name, out)
		})
	}
}

// syncBuffer is an io.Writer safe for the adapter's goroutine and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServe(t *testing.T) {
	feed := postMortem(t)
	var out syncBuffer
	a := &console.Adapter{Out: &out, Router: router(catalog{eps: feed.Episodes})}
	in := strings.NewReader("help\n/postmortem latest\n\n   \nbogus\ntakaways 3\r\nlatest abc")
	if err := a.Serve(context.Background(), in); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	got := out.String()
	checkTerminalSafe(t, got)
	for _, want := range []string{
		"Commands\n",                       // help
		"/postmortem takeaways <n|latest>", // help lists the commands
		"Latest episode\n",                 // latest
		"#17 Incident BGP chez Facebook & OVH\n",
		"28 April 2022 · 1h03\n",
		`unknown command "bogus". Try ` + "`/postmortem help`.",
		"did you mean `takeaways`?",
		"`latest` takes a number of episodes", // the last line, with no newline
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output does not contain %q:\n%s", want, got)
		}
	}
	golden(t, "serve-session", got)
}

func TestServeFrench(t *testing.T) {
	feed := postMortem(t)
	var out syncBuffer
	a := &console.Adapter{Out: &out, Router: router(catalog{eps: feed.Episodes}), Language: "fr"}
	in := strings.NewReader("latest\nepisode 99\nsubscribe sécurité\n" + strings.Repeat("x", commands.MaxText+10) + "\n")
	if err := a.Serve(context.Background(), in); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	got := out.String()
	for _, want := range []string{"Dernier épisode\n", "28 avril 2022 · 1 h 03\n", "pas d'épisode 99 ; le dernier est le 17", "Abonnement créé", "cette ligne est trop longue"} {
		if !strings.Contains(got, want) {
			t.Errorf("output does not contain %q:\n%s", want, got)
		}
	}
	golden(t, "fr-serve-session", got)

	out = syncBuffer{}
	a = &console.Adapter{Out: &out, Router: router(catalog{eps: feed.Episodes}), ReadOnly: true}
	if err := a.Serve(context.Background(), strings.NewReader("subscribe\n")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "you need permission to manage this channel") {
		t.Errorf("a read-only console changed subscriptions: %q", out.String())
	}
}

func TestServeLongLine(t *testing.T) {
	feed := postMortem(t)
	var out syncBuffer
	a := &console.Adapter{Out: &out, Router: router(catalog{eps: feed.Episodes})}
	in := strings.NewReader("episode " + strings.Repeat("x", 2<<20) + "\nlatest\n")
	if err := a.Serve(context.Background(), in); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	got := out.String()
	if !strings.Contains(got, "too long") {
		t.Errorf("an overlong line is not reported:\n%.500s", got)
	}
	if !strings.Contains(got, "#17 Incident BGP") {
		t.Errorf("the line after an overlong one is not answered:\n%.500s", got)
	}
	if len(got) > 4096 {
		t.Errorf("output is %d bytes", len(got))
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("stdin: input/output error") }

func TestServeReadError(t *testing.T) {
	a := &console.Adapter{Out: io.Discard, Router: router(catalog{})}
	done := make(chan error, 1)
	go func() { done <- a.Serve(context.Background(), errReader{}) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "input/output error") {
			t.Errorf("Serve = %v, want the read error", err)
		}
	case <-time.After(time.Minute): // a safety net: it returns at once
		t.Fatal("Serve did not return on a read error")
	}
}

func TestServeCancel(t *testing.T) {
	feed := postMortem(t)
	var out syncBuffer
	a := &console.Adapter{Out: &out, Router: router(catalog{eps: feed.Episodes})}
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, pr) }()

	// A line is answered while the input stays open.
	if _, err := io.WriteString(pw, "latest\n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute) // a safety net: it answers at once
	for !strings.Contains(out.String(), "#17 Incident BGP") {
		if time.Now().After(deadline) {
			t.Fatalf("no answer to a line on an open input; output %q", out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Serve did not return after its context was cancelled")
	}
}

func TestPost(t *testing.T) {
	feed := postMortem(t)
	var out syncBuffer
	fixed := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &console.Adapter{Out: &out, Now: func() time.Time { return fixed }}
	an := announcement(bot.MessageEpisode, feed.Title, "", episode(t, feed, 17))

	seen := make(map[string]bool)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			id, err := a.Post(context.Background(), bot.Delivery{Key: "pmbot-d1", Attempt: 1, Channel: console.Channel}, an)
			if err != nil {
				t.Errorf("Post: %v", err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if id == "" || seen[id] {
				t.Errorf("message id %q is empty or repeated", id)
			}
			seen[id] = true
		})
	}
	wg.Wait()

	var one strings.Builder
	console.RenderMessage(&one, an)
	if got, want := out.String(), strings.Repeat(one.String(), 20); got != want {
		t.Errorf("20 posts printed %d bytes, want 20 whole messages (%d bytes), not interleaved", len(got), len(want))
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestPostWriteError(t *testing.T) {
	a := &console.Adapter{Out: failWriter{}}
	id, err := a.Post(context.Background(), bot.Delivery{Key: "pmbot-d1", Attempt: 1, Channel: console.Channel}, announcement(bot.MessageEpisode, "", "", feeds.Episode{Title: "x"}))
	if err == nil || id != "" {
		t.Errorf("Post = %q, %v; want an error and no id", id, err)
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"", "plain", "\x1b[2J\x1b[31mred", "\x1b]8;;https://evil\x07x\x1b]8;;\x07", "\x1b]unterminated", "\x1b[", "\x1b",
		"\u009b31m", "\u009d0;title\u009c", "\u202eevil", "a\u200bb", "\x00\x00", "\xff\xfe", "@everyone <!channel> <script>",
		"line\nNew episode of Fake", "\r\n\r\n", "\u2028\u2029", "👨\u200d👩\u200d👧 🇫🇷",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ep := feeds.Episode{Number: 1, Title: s, AudioURL: s, Notes: feeds.Notes{Summary: s, Takeaways: []string{s, s}, Links: []feeds.Link{{Text: s, URL: s}}}}
		var b strings.Builder
		console.RenderReply(&b, commands.Reply{Header: s, Text: s, Bullets: []string{s}, Episodes: []feeds.Episode{ep}, Detail: true})
		console.RenderMessage(&b, announcement(bot.MessageEpisode, s, "", ep))
		console.RenderMessage(&b, announcement(bot.MessageSummary, s, "", ep, ep))
		console.RenderMessage(&b, announcement(bot.MessageDigest, s, s, ep, ep))
		console.RenderMessage(&b, announcement(bot.MessageArchive, s, "fr", ep))
		console.RenderReply(&b, commands.Reply{Language: s, Fields: []commands.Field{{Name: s, Value: s}}, Links: []feeds.Link{{Section: s, Text: s, URL: s}},
			Hits: []commands.Hit{{Episode: ep, Snippet: []commands.Fragment{{Text: s}, {Text: s, Match: true}}}}, Buttons: []commands.Button{{Label: s, URL: s}, {Label: s, Command: s}}})
		out := b.String()
		checkTerminalSafe(t, out)
		if n := utf8.RuneCountInString(out); n > 40000 {
			t.Fatalf("output is %d runes", n)
		}
		// One-line fields stay on one line, whatever they hold.
		var one strings.Builder
		console.RenderReply(&one, commands.Reply{Header: s, Bullets: []string{s, s}, Episodes: []feeds.Episode{ep, ep}})
		if n := strings.Count(strings.TrimSpace(one.String()), "\n"); n > 5 {
			t.Fatalf("header, 2 bullets and 2 episodes printed %d lines:\n%s", n+1, one.String())
		}
	})
}

// announcement is a message as the dispatcher composes it.
func announcement(kind bot.MessageKind, feedTitle, lang string, eps ...feeds.Episode) bot.Message {
	return bot.ComposeMessage(kind, feedTitle, lang, "/postmortem", eps)
}
