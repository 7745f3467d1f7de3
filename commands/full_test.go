package commands_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/pmbot/pmbot/commands"
	"github.com/pmbot/pmbot/feeds"
)

// fakeSearch answers every query with the same hits, and remembers the query.
type fakeSearch struct {
	hits  []commands.Hit
	err   error
	query *string
}

func (s fakeSearch) Search(_ context.Context, q string, limit int) ([]commands.Hit, error) {
	if s.query != nil {
		*s.query = q
	}
	if s.err != nil {
		return nil, s.err
	}
	return s.hits[:min(limit, len(s.hits))], nil
}

// fakeSubs keeps one channel's subscription in memory.
type fakeSubs struct {
	subs    []commands.SubscriptionInfo
	err     error
	changes int
}

func (f *fakeSubs) Subscribe(_ context.Context, platform, channel string, topics []string) (commands.SubscriptionInfo, bool, error) {
	if f.err != nil {
		return commands.SubscriptionInfo{}, false, f.err
	}
	f.changes++
	info := commands.SubscriptionInfo{Feed: "postmortem", FeedTitle: "Post Mortem", Topics: topics, Language: "fr", DigestSchedule: "0 9 * * 1", DigestTimeZone: "Europe/Paris"}
	created := len(f.subs) == 0
	f.subs = []commands.SubscriptionInfo{info}
	return info, created, nil
}

func (f *fakeSubs) Unsubscribe(context.Context, string, string) (bool, error) {
	if f.err != nil {
		return false, f.err
	}
	f.changes++
	removed := len(f.subs) > 0
	f.subs = nil
	return removed, nil
}

func (f *fakeSubs) List(context.Context, string, string) ([]commands.SubscriptionInfo, error) {
	return f.subs, f.err
}

type fakeStatus struct {
	info commands.StatusInfo
	err  error
}

func (f fakeStatus) Status(context.Context) (commands.StatusInfo, error) { return f.info, f.err }

type fakeDigest struct {
	p   commands.DigestPreview
	err error
}

func (f fakeDigest) Preview(context.Context, string, string) (commands.DigestPreview, error) {
	return f.p, f.err
}

var (
	polled = time.Date(2024, 5, 12, 9, 0, 0, 0, time.UTC)
	paris  = time.FixedZone("CEST", 2*3600)
)

// world is a router over every dependency, with the Post Mortem episodes.
type world struct {
	r      *commands.Router
	subs   *fakeSubs
	query  string
	eps    []feeds.Episode
	digest *fakeDigest
}

func newWorld(t testing.TB) *world {
	eps := postMortem(t)
	w := &world{subs: &fakeSubs{}, eps: eps, digest: &fakeDigest{}}
	var hits []commands.Hit
	for _, ep := range eps[:7] {
		hits = append(hits, commands.Hit{Episode: ep, Score: 1, Snippet: []commands.Fragment{{Text: "about "}, {Text: "BGP", Match: true}, {Text: " routes"}}})
	}
	w.digest.p = commands.DigestPreview{Since: time.Date(2022, 4, 21, 0, 0, 0, 0, time.UTC), Episodes: eps[:1], Next: time.Date(2022, 5, 2, 9, 0, 0, 0, paris)}
	w.r = commands.New("/postmortem", commands.Deps{
		Catalog:       fakeCatalog{eps: eps},
		Search:        fakeSearch{hits: hits, query: &w.query},
		Subscriptions: w.subs,
		Status: fakeStatus{info: commands.StatusInfo{
			Version: "v1.2.3",
			Feeds:   []commands.FeedStatus{{Name: "postmortem", Title: "Post Mortem", Episodes: 18, LastPolled: polled, NextPoll: polled.Add(15 * time.Minute), Failures: 2, LastError: "HTTP 503"}},
			Pending: 3, Dead: 1, LastDead: "channel_not_found",
		}},
		Digests: digester{w.digest},
		Rand:    func(n int) int { return n - 1 },
	})
	return w
}

// digester reads the world's preview when asked, so a test can change it.
type digester struct{ d *fakeDigest }

func (d digester) Preview(ctx context.Context, p, c string) (commands.DigestPreview, error) {
	return d.d.Preview(ctx, p, c)
}

// ask runs text as a user with this locale and rights.
func ask(r *commands.Router, locale string, manage bool, text string) (commands.Reply, error) {
	return r.Answer(context.Background(), commands.Request{UserID: "u1", ChannelID: "c1", Platform: "test", Locale: locale, CanManage: manage}, text)
}

func TestLanguage(t *testing.T) {
	tests := []struct{ locale, channel, want string }{
		{"", "", "en"},
		{"fr", "", "fr"},
		{"fr-FR", "en", "fr"},
		{"fr_CA", "", "fr"},
		{"FR", "", "fr"},
		{"en-US", "fr", "en"},
		{"en-GB", "", "en"},
		{"de", "fr", "fr"},   // the user's locale is neither: the channel's
		{"es-ES", "", "en"},  // neither, and no channel language
		{"", "fr", "fr"},     // Slack: no user locale
		{"", "fr-FR", "fr"},  // a channel language written as a locale
		{"", "de", "en"},     // an unsupported channel language
		{" fr ", "", "fr"},   // stray spaces
		{"f", "", "en"},      // not a language
		{"french", "", "en"}, // not a tag
		{"-", "", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.locale+"/"+tt.channel, func(t *testing.T) {
			if got := commands.Language(tt.locale, tt.channel); got != tt.want {
				t.Errorf("Language(%q, %q) = %q, want %q", tt.locale, tt.channel, got, tt.want)
			}
		})
	}

	t.Run("reply follows the request", func(t *testing.T) {
		w := newWorld(t)
		for _, tt := range tests {
			rep, err := w.r.Dispatch(context.Background(), commands.Request{Name: "latest", Locale: tt.locale, ChannelLanguage: tt.channel})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"en": "Latest episode", "fr": "Dernier épisode"}[tt.want]
			if rep.Language != tt.want || rep.Header != want {
				t.Errorf("%q/%q: reply in %q with header %q; want %q, %q", tt.locale, tt.channel, rep.Language, rep.Header, tt.want, want)
			}
		}
	})
}

// TestEveryCommand runs each command of the table in both languages: it answers,
// in the language asked, without an English word leaking into the French reply's
// header.
func TestEveryCommand(t *testing.T) {
	w := newWorld(t)
	texts := map[string]string{
		"search": "search bgp", "latest": "latest 2", "episode": "episode 17", "takeaways": "takeaways 3",
		"chapters": "chapters 17", "links": "links 17", "random": "random", "digest": "digest",
		"subscribe": "subscribe security", "unsubscribe": "unsubscribe", "subscriptions": "subscriptions",
		"status": "status", "help": "help",
	}
	if len(texts) != len(w.r.Commands()) {
		t.Fatalf("the table has %d commands, the test knows %d", len(w.r.Commands()), len(texts))
	}
	for _, c := range w.r.Commands() {
		text, ok := texts[c.Name]
		if !ok {
			t.Fatalf("no test for %s", c.Name)
		}
		for _, lang := range []string{"en", "fr"} {
			t.Run(c.Name+"/"+lang, func(t *testing.T) {
				rep, err := ask(w.r, lang, true, text)
				if err != nil {
					t.Fatalf("%q: %v (%q)", text, err, rep.Text)
				}
				if rep.Language != lang {
					t.Errorf("Language = %q", rep.Language)
				}
				if rep.Header == "" && rep.Text == "" && len(rep.Episodes) == 0 {
					t.Errorf("empty reply %+v", rep)
				}
				if rep.Shareable && (!rep.Private || !strings.HasPrefix(rep.Command, "/postmortem ")) {
					t.Errorf("shareable reply: Private %v, Command %q", rep.Private, rep.Command)
				}
			})
		}
	}
}

func TestFrench(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		text   string
		header string
		text2  string
	}{
		{text: "episode 99", text2: "pas d'épisode 99 ; le dernier est le 17"},
		{text: "takaways 3", text2: "commande inconnue « takaways » ; vouliez-vous dire `takeaways` ? Essayez `/postmortem help`."},
		{text: "takeaways 3", header: "Points clés : #3 La Data Science dans les grands groupes, avec Ouriel Bettach 🇫🇷"},
		{text: "takeaways 17", header: "Points clés : #17 Incident BGP chez Facebook & OVH", text2: "Les notes n'ont pas de section « points clés » ; voici leur résumé."},
		{text: "latest 3", header: "Les 3 derniers épisodes"},
		{text: "chapters 16", header: "Chapitres : #16 Blameless Engineering at ASOS", text2: "Les notes de cet épisode ne donnent pas de chapitres."},
		{text: "latest abc", text2: "`latest` prend un nombre d'épisodes, comme `latest 3` ; « abc » n'en est pas un"},
		{text: "subscribe x", text2: "il faut avoir le droit de gérer ce canal pour changer ses abonnements"},
		{text: "help", header: "Commandes"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			rep, _ := ask(w.r, "fr-FR", false, tt.text)
			if rep.Header != tt.header {
				t.Errorf("Header = %q, want %q", rep.Header, tt.header)
			}
			if tt.text2 != "" && rep.Text != tt.text2 {
				t.Errorf("Text = %q, want %q", rep.Text, tt.text2)
			}
		})
	}

	t.Run("help one command", func(t *testing.T) {
		rep, err := ask(w.r, "fr", false, "help episode")
		if err != nil {
			t.Fatal(err)
		}
		want := "Afficher un épisode : résumé, points clés, liens.\n" +
			"Utilisation : /postmortem episode <n|latest|mots>\n" +
			"Aussi : ep, show, épisode\n" +
			"Exemple : /postmortem episode 17\n" +
			"Exemple : /postmortem episode latest\n" +
			"Exemple : /postmortem episode dragonblood"
		if diff := cmp.Diff(want, rep.Text); diff != "" {
			t.Errorf("help (-want +got):\n%s", diff)
		}
	})
	t.Run("internal error", func(t *testing.T) {
		r := commands.New("/postmortem", commands.Deps{Catalog: fakeCatalog{err: errors.New("disk on fire")}})
		rep, err := ask(r, "fr", false, "latest")
		if err == nil || commands.IsUserError(err) {
			t.Fatalf("err = %v, want the internal error", err)
		}
		if rep.Text != "Quelque chose s'est mal passé de notre côté ; l'admin du bot en trouvera le détail dans son journal." {
			t.Errorf("Text = %q", rep.Text)
		}
	})
}

func TestSearch(t *testing.T) {
	w := newWorld(t)
	t.Run("five hits at most, with snippets", func(t *testing.T) {
		rep, err := ask(w.r, "", false, "search  BGP   outage")
		if err != nil {
			t.Fatal(err)
		}
		if w.query != "BGP outage" {
			t.Errorf("query = %q", w.query)
		}
		if len(rep.Hits) != 5 || len(rep.Hits[0].Snippet) != 3 {
			t.Errorf("%d hits, first snippet %v; want 5 with snippets", len(rep.Hits), rep.Hits[0].Snippet)
		}
		if rep.Header != `Results for "BGP outage"` || !rep.Private || !rep.Shareable || rep.Command != "/postmortem search BGP outage" {
			t.Errorf("reply = %q private %v shareable %v command %q", rep.Header, rep.Private, rep.Shareable, rep.Command)
		}
	})
	t.Run("no words", func(t *testing.T) {
		rep, err := ask(w.r, "", false, "search")
		if !commands.IsUserError(err) || !strings.Contains(rep.Text, "`latest`") {
			t.Errorf("reply %q, err %v; want a hint at latest", rep.Text, err)
		}
	})
	t.Run("no hits", func(t *testing.T) {
		r := commands.New("/postmortem", commands.Deps{Catalog: fakeCatalog{eps: w.eps}, Search: fakeSearch{}})
		rep, _ := ask(r, "", false, "search zzzqqq")
		if rep.Text != `no episode matches "zzzqqq"` {
			t.Errorf("Text = %q", rep.Text)
		}
		rep, _ = ask(r, "fr", false, "search zzzqqq")
		if rep.Text != "aucun épisode ne correspond à « zzzqqq »" {
			t.Errorf("Text = %q", rep.Text)
		}
	})
	t.Run("too long", func(t *testing.T) {
		rep, _ := ask(w.r, "", false, "search "+strings.Repeat("a", 300))
		if !strings.Contains(rep.Text, "too long (300 characters; the limit is 200)") {
			t.Errorf("Text = %q", rep.Text)
		}
	})
	t.Run("without an index, titles and notes", func(t *testing.T) {
		r := commands.NewRouter("/postmortem", commands.EpisodeCommands(fakeCatalog{eps: w.eps}))
		rep, err := ask(r, "", false, "search facebook")
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Hits) == 0 || rep.Hits[0].Episode.Number != 17 {
			t.Errorf("hits %v, want #17 first", rep.Hits)
		}
		rep, err = ask(r, "", false, "search 12")
		if err != nil || len(rep.Hits) != 1 || rep.Hits[0].Episode.Number != 12 {
			t.Errorf("search 12: %v, %v", rep.Hits, err)
		}
	})
	t.Run("index error is internal", func(t *testing.T) {
		r := commands.New("/postmortem", commands.Deps{Catalog: fakeCatalog{eps: w.eps}, Search: fakeSearch{err: errors.New("index: corrupt")}})
		rep, err := ask(r, "", false, "search bgp")
		if err == nil || commands.IsUserError(err) || strings.Contains(rep.Text, "corrupt") {
			t.Errorf("reply %q, err %v", rep.Text, err)
		}
	})
	t.Run("episode words go through the index", func(t *testing.T) {
		rep, err := ask(w.r, "", false, "episode dragonblod") // a typo the index forgives
		if err != nil || w.query != "dragonblod" || rep.Episodes[0].Number != 17 {
			t.Errorf("episode via index: %v %q %v", err, w.query, numbers(rep.Episodes))
		}
	})
}

func TestChaptersAndLinks(t *testing.T) {
	w := newWorld(t)
	rep, err := ask(w.r, "", false, "chapters #12")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Header != "Chapters: #12 Comment Google anonymise vos données personnelles avec la Differential Privacy" || len(rep.Bullets) != 5 {
		t.Errorf("chapters: %q %q", rep.Header, rep.Bullets)
	}
	for _, b := range rep.Bullets {
		if len(b) < 6 || b[2] != ':' {
			t.Errorf("chapter %q does not start with mm:ss", b)
		}
	}

	rep, err = ask(w.r, "", false, "links 17")
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Links) != 23 || rep.Links[0].Section != "Bibliographie" {
		t.Errorf("links: %d, first %+v", len(rep.Links), rep.Links[0])
	}
	rep, _ = ask(w.r, "", false, "links 16")
	if rep.Text != "This episode's show notes have no links." || rep.Header != "Links: #16 Blameless Engineering at ASOS" {
		t.Errorf("no links: %q %q", rep.Header, rep.Text)
	}
	rep, _ = ask(w.r, "", false, "chapters")
	if !strings.Contains(rep.Text, "which episode?") {
		t.Errorf("chapters without a number: %q", rep.Text)
	}
}

func TestTimestamp(t *testing.T) {
	for s, want := range map[int]string{0: "00:00", 59: "00:59", 754: "12:34", 3723: "1:02:03", -5: "00:00", 36000: "10:00:00"} {
		if got := commands.Timestamp(s); got != want {
			t.Errorf("Timestamp(%d) = %q, want %q", s, got, want)
		}
	}
}

func TestRandom(t *testing.T) {
	eps := postMortem(t)
	for _, pick := range []int{0, 5, 16} {
		r := commands.New("/postmortem", commands.Deps{Catalog: fakeCatalog{eps: eps}, Rand: func(n int) int {
			if n != 17 { // the trailer is left out
				t.Errorf("Rand(%d), want Rand(17)", n)
			}
			return pick
		}})
		rep, err := ask(r, "", false, "random")
		if err != nil {
			t.Fatal(err)
		}
		want := eps[pick].Number
		if len(rep.Episodes) != 1 || rep.Episodes[0].Number != want || !rep.Detail {
			t.Errorf("random picked %v, want #%d", numbers(rep.Episodes), want)
		}
		if rep.Command != "/postmortem episode "+strconv.Itoa(want) {
			t.Errorf("share command %q repeats the draw", rep.Command)
		}
	}
	t.Run("broken rand", func(t *testing.T) {
		r := commands.New("/postmortem", commands.Deps{Catalog: fakeCatalog{eps: eps}, Rand: func(int) int { return -7 }})
		if _, err := ask(r, "", false, "random"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		r := commands.New("/postmortem", commands.Deps{Catalog: fakeCatalog{}})
		rep, _ := ask(r, "", false, "random")
		if !strings.Contains(rep.Text, "no episodes yet") {
			t.Errorf("Text = %q", rep.Text)
		}
	})
	t.Run("arguments", func(t *testing.T) {
		rep, _ := ask(commands.New("/postmortem", commands.Deps{Catalog: fakeCatalog{eps: eps}}), "", false, "random bgp")
		if !strings.Contains(rep.Text, "`search bgp`") {
			t.Errorf("Text = %q", rep.Text)
		}
	})
}

func TestDigest(t *testing.T) {
	w := newWorld(t)
	rep, err := ask(w.r, "", false, "digest")
	if err != nil {
		t.Fatal(err)
	}
	want := commands.Reply{
		Language: "en", Header: "Digest preview", Text: "Since 21 April 2022: 1 new episode",
		Fields: []commands.Field{
			{Name: "#17 Incident BGP chez Facebook & OVH", Value: w.eps[0].Notes.Summary},
			{Name: "Next digest", Value: "2 May 2022, 09:00 CEST"},
		},
		Private: true, Shareable: true, Command: "/postmortem digest",
	}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("digest (-want +got):\n%s", diff)
	}

	rep, _ = ask(w.r, "fr", false, "digest")
	if rep.Text != "Depuis le 21 avril 2022 : 1 nouvel épisode" || rep.Fields[1].Value != "2 mai 2022 à 09:00 CEST" {
		t.Errorf("French digest: %q %q", rep.Text, rep.Fields[1].Value)
	}

	w.digest.p = commands.DigestPreview{Since: time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC), Episodes: w.eps[14:15], Archive: true}
	rep, _ = ask(w.r, "fr", false, "digest")
	if rep.Header != "Tiré des archives" || rep.Text != "Pas de nouvel épisode depuis le 1er mai 2022 : le récapitulatif ressortira celui-ci." {
		t.Errorf("archive: %q %q", rep.Header, rep.Text)
	}
	if rep.Fields[0].Value != w.eps[14].Notes.Takeaways[0] {
		t.Errorf("archive field %q, want the first takeaway", rep.Fields[0].Value)
	}
	if last := rep.Fields[len(rep.Fields)-1]; last.Value != "aucun n'est prévu pour ce canal" {
		t.Errorf("next digest: %+v", last)
	}

	w.digest.p = commands.DigestPreview{Since: time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC)}
	rep, _ = ask(w.r, "", false, "digest")
	if rep.Text != "No new episode since 1 May 2022." {
		t.Errorf("empty week: %q", rep.Text)
	}
}

func TestSubscribe(t *testing.T) {
	t.Run("refused without rights", func(t *testing.T) {
		w := newWorld(t)
		for _, text := range []string{"subscribe", "subscribe security", "unsubscribe"} {
			rep, err := ask(w.r, "", false, text)
			if !commands.IsUserError(err) || rep.Text != "you need permission to manage this channel to change its subscriptions" || !rep.Private {
				t.Errorf("%q: reply %+v, err %v", text, rep, err)
			}
		}
		if w.subs.changes != 0 {
			t.Errorf("%d changes were made without rights", w.subs.changes)
		}
	})

	t.Run("confirmed in the channel", func(t *testing.T) {
		w := newWorld(t)
		rep, err := ask(w.r, "", true, "subscribe Sécurité, BGP security <b>ML</b>")
		if err != nil {
			t.Fatal(err)
		}
		want := commands.Reply{
			Language: "en", Header: "Subscribed",
			Text: "New episodes of Post Mortem about securite, bgp, security, b ml b will be announced here; others will not.",
			Fields: []commands.Field{
				{Name: "Topics", Value: "securite, bgp, security, b ml b"},
				{Name: "Language", Value: "French"},
				{Name: "Weekly digest", Value: "Mondays at 09:00 (Europe/Paris)"},
			},
		}
		if diff := cmp.Diff(want, rep); diff != "" {
			t.Errorf("subscribe (-want +got):\n%s", diff)
		}
		rep, _ = ask(w.r, "fr", true, "subscribe")
		if rep.Header != "Abonnement modifié" || rep.Text != "Chaque nouvel épisode de Post Mortem sera annoncé ici." || rep.Private {
			t.Errorf("resubscribe: %+v", rep)
		}
		if got := rep.Fields[2].Value; got != "le lundi à 09:00 (Europe/Paris)" {
			t.Errorf("French schedule %q", got)
		}
	})

	t.Run("topics", func(t *testing.T) {
		tests := []struct {
			text string
			want string // an error's words; "" when accepted
		}{
			{text: "subscribe " + strings.Repeat("a b ", 5) + "c d e f g h i j k", want: "too many topics (11; the limit is 10)"},
			{text: "subscribe " + strings.Repeat("x", 51), want: "is too long (51 characters; the limit is 50)"},
			{text: "subscribe " + strings.Repeat("é", 50)},
			{text: "subscribe <!channel>"},
			{text: "subscribe !!! ???", want: `the topic "!!!" has no letters or digits`},
			{text: "subscribe ,,,"},
			{text: "subscribe SECURITY security Security"},
		}
		for _, tt := range tests {
			t.Run(clipName(tt.text), func(t *testing.T) {
				w := newWorld(t)
				rep, err := ask(w.r, "", true, tt.text)
				if tt.want == "" {
					if err != nil {
						t.Fatalf("refused: %q", rep.Text)
					}
					return
				}
				if !commands.IsUserError(err) || !strings.Contains(rep.Text, tt.want) {
					t.Errorf("reply %q, err %v; want %q", rep.Text, err, tt.want)
				}
				if w.subs.changes != 0 {
					t.Error("a refused subscribe changed the subscription")
				}
			})
		}
		w := newWorld(t)
		if _, err := ask(w.r, "", true, "subscribe SECURITY security Security, <!channel>"); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"security", "channel"}, w.subs.subs[0].Topics); diff != "" {
			t.Errorf("stored topics (-want +got):\n%s", diff)
		}
	})

	t.Run("unsubscribe and list", func(t *testing.T) {
		w := newWorld(t)
		rep, _ := ask(w.r, "", false, "subscriptions")
		if rep.Text != "This channel follows no podcast; someone who manages it can run `subscribe`." {
			t.Errorf("empty list: %q", rep.Text)
		}
		if _, err := ask(w.r, "", true, "subscribe bgp"); err != nil {
			t.Fatal(err)
		}
		rep, _ = ask(w.r, "", false, "subscriptions")
		if rep.Text != "This channel follows Post Mortem." || rep.Fields[0] != (commands.Field{Name: "Topics", Value: "bgp"}) || !rep.Private {
			t.Errorf("list: %+v", rep)
		}
		rep, err := ask(w.r, "", true, "unsubscribe")
		if err != nil || rep.Header != "Unsubscribed" || rep.Private {
			t.Errorf("unsubscribe: %+v, %v", rep, err)
		}
		rep, _ = ask(w.r, "fr", true, "unsubscribe")
		if rep.Text != "Ce canal n'avait pas d'abonnement ; rien n'a changé." || !rep.Private {
			t.Errorf("second unsubscribe: %+v", rep)
		}
		rep, _ = ask(w.r, "", true, "unsubscribe security")
		if !strings.Contains(rep.Text, "takes no arguments") {
			t.Errorf("unsubscribe with arguments: %q", rep.Text)
		}
	})

	t.Run("store error is internal", func(t *testing.T) {
		r := commands.New("/postmortem", commands.Deps{Subscriptions: &fakeSubs{err: errors.New("sql: locked")}})
		rep, err := ask(r, "", true, "subscribe")
		if err == nil || commands.IsUserError(err) || strings.Contains(rep.Text, "locked") {
			t.Errorf("reply %q, err %v", rep.Text, err)
		}
	})
}

func TestSchedule(t *testing.T) {
	m := commands.DefaultMessages()
	tests := []struct{ lang, spec, tz, want string }{
		{"en", "0 9 * * 1", "Europe/Paris", "Mondays at 09:00 (Europe/Paris)"},
		{"fr", "0 9 * * 1", "Europe/Paris", "le lundi à 09:00 (Europe/Paris)"},
		{"en", "30 18 * * mon,thu", "", "Mondays and Thursdays at 18:30 (UTC)"},
		{"fr", "0 8 * * *", "UTC", "tous les jours à 08:00 (UTC)"},
		{"en", "0 8 * * 1-5", "UTC", "weekdays at 08:00 (UTC)"},
		{"en", "0 7 * * 0", "UTC", "Sundays at 07:00 (UTC)"},
		{"en", "0 7 * * 7", "UTC", "Sundays at 07:00 (UTC)"},
		{"en", "@weekly", "UTC", "cron “@weekly” (UTC)"},
		{"fr", "0 9 1 * *", "UTC", "cron « 0 9 1 * * » (UTC)"},
		{"en", "99 9 * * 1", "UTC", "cron “99 9 * * 1” (UTC)"},
	}
	for _, tt := range tests {
		if got := m.Schedule(tt.lang, tt.spec, tt.tz); got != tt.want {
			t.Errorf("Schedule(%q, %q, %q) = %q, want %q", tt.lang, tt.spec, tt.tz, got, tt.want)
		}
	}
}

func TestDatesAndDurations(t *testing.T) {
	m := commands.DefaultMessages()
	d := time.Date(2022, 4, 28, 6, 0, 0, 0, time.UTC)
	for _, tt := range []struct{ lang, got, want string }{
		{"en", m.Date("en", d), "28 April 2022"},
		{"fr", m.Date("fr", d), "28 avril 2022"},
		{"fr", m.Date("fr", time.Date(2022, 8, 1, 0, 0, 0, 0, time.UTC)), "1er août 2022"},
		{"en", m.Date("en", time.Time{}), "undated"},
		{"fr", m.Date("fr", time.Time{}), "sans date"},
		{"en", m.Duration("en", 3780), "1h03"},
		{"fr", m.Duration("fr", 3780), "1 h 03"},
		{"fr", m.Duration("fr", 1740), "29 min"},
		{"en", m.Duration("en", 30), "30 s"},
		{"en", m.DateTime("en", d), "28 April 2022, 06:00 UTC"},
		{"fr", m.DateTime("fr", d), "28 avril 2022 à 06:00 UTC"},
		{"fr", m.Sprintf("fr", commands.MsgNewEpisodes, 3, "Post Mortem"), "3 nouveaux épisodes de Post Mortem"},
		{"en", m.Sprintf("en", commands.MsgNewEpisodes, 1, "Post Mortem"), "1 new episode of Post Mortem"},
		{"de", m.Sprintf("de", commands.MsgKeyTakeaways), "Key takeaways"},
		{"fr-CA", m.Sprintf("fr-CA", commands.MsgKeyTakeaways), "Points clés"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %q, want %q", tt.lang, tt.got, tt.want)
		}
	}
}

func TestStatus(t *testing.T) {
	w := newWorld(t)
	rep, err := ask(w.r, "", false, "status")
	if err != nil {
		t.Fatal(err)
	}
	want := []commands.Field{
		{Name: "Version", Value: "v1.2.3"},
		{Name: "Post Mortem", Value: "18 episodes · last poll: 12 May 2024, 09:00 UTC · next poll: 12 May 2024, 09:15 UTC · 2 failed polls in a row · last error: HTTP 503"},
		{Name: "Deliveries", Value: "3 waiting, 1 given up"},
		{Name: "Last given up", Value: "channel_not_found"},
	}
	if diff := cmp.Diff(want, rep.Fields); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	rep, _ = ask(w.r, "fr", false, "status")
	if rep.Header != "État" || rep.Fields[1].Value != "18 épisodes · dernière lecture : 12 mai 2024 à 09:00 UTC · prochaine lecture : 12 mai 2024 à 09:15 UTC · 2 lectures en échec d'affilée · dernière erreur : HTTP 503" {
		t.Errorf("French status: %q %q", rep.Header, rep.Fields[1].Value)
	}
	r := commands.New("/postmortem", commands.Deps{Status: fakeStatus{info: commands.StatusInfo{Feeds: []commands.FeedStatus{{Name: "pm"}}}}})
	rep, _ = ask(r, "", false, "status")
	if rep.Fields[0].Value != "unknown" || rep.Fields[1] != (commands.Field{Name: "pm", Value: "0 episodes · last poll: never"}) {
		t.Errorf("fresh status: %+v", rep.Fields)
	}
}

// TestNilDeps runs every command on a router with no dependencies: each says it is
// not available, in words, and none panics.
func TestNilDeps(t *testing.T) {
	r := commands.New("/postmortem", commands.Deps{})
	for _, c := range r.Commands() {
		if c.Name == "help" {
			continue
		}
		for _, lang := range []string{"en", "fr"} {
			rep, err := ask(r, lang, true, c.Name+" 1")
			if !commands.IsUserError(err) {
				t.Errorf("%s: err = %v, want a user error", c.Name, err)
			}
			want := map[string]string{
				"en": "`" + c.Name + "` is not available here: this bot was set up without it",
				"fr": "`" + c.Name + "` n'est pas disponible ici : ce bot a été installé sans",
			}[lang]
			if rep.Text != want {
				t.Errorf("%s/%s: %q, want %q", c.Name, lang, rep.Text, want)
			}
		}
	}
	if rep, err := ask(r, "", false, "help"); err != nil || len(rep.Bullets) != len(r.Commands()) {
		t.Errorf("help on an empty router: %v %v", rep.Bullets, err)
	}
}

// TestDispatchSanitizes sends what a careless adapter could: arguments with
// control characters, line breaks and empty strings, straight to Dispatch.
func TestDispatchSanitizes(t *testing.T) {
	w := newWorld(t)
	rep, err := w.r.Dispatch(context.Background(), commands.Request{Name: " SEA\u200bRCH\n", Args: []string{"", "\x1b[2J", " #3\r\n"}})
	if err != nil || w.query != "[2J #3" {
		t.Errorf("query %q, err %v; want the escape and blanks gone", w.query, err)
	}
	rep, err = w.r.Dispatch(context.Background(), commands.Request{Name: "Takeaways\x00", Args: []string{"", " #3\r\n", "\u202e"}})
	if err != nil || !strings.HasPrefix(rep.Header, "Key takeaways: #3 ") {
		t.Errorf("reply %q, err %v", rep.Header, err)
	}
	rep, err = w.r.Dispatch(context.Background(), commands.Request{Name: "search", Args: []string{strings.Repeat("a", commands.MaxText)}})
	if !commands.IsUserError(err) || !strings.Contains(rep.Text, "too long") {
		t.Errorf("oversized arguments: %q %v", rep.Text, err)
	}
	rep, _ = w.r.Dispatch(context.Background(), commands.Request{Name: "search", Args: []string{"bgp\n@everyone"}})
	if w.query != "bgp @everyone" || strings.Contains(rep.Command, "\n") {
		t.Errorf("query %q, command %q", w.query, rep.Command)
	}
}

func TestShared(t *testing.T) {
	w := newWorld(t)
	rep, _ := ask(w.r, "", false, "takeaways 3")
	shared := rep.Shared()
	if shared.Private || shared.Shareable || shared.Header != rep.Header {
		t.Errorf("Shared() = %+v", shared)
	}
	// The share command gives the same reply again.
	again, err := ask(w.r, "", false, rep.Command)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, again, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("share command's reply differs:\n%s", diff)
	}
}

func FuzzDispatch(f *testing.F) {
	for _, s := range []string{"subscribe a,b,,c", "search \x1b[2J bgp", "episode #", "episode #-0", "latest ##3", "chapters 1e9", "digest x", "help help", "subscribe " + strings.Repeat("é", 60)} {
		f.Add(s, "fr-FR", true)
	}
	w := newWorld(f)
	f.Fuzz(func(t *testing.T, text, locale string, manage bool) {
		rep, err := ask(w.r, locale, manage, text)
		if err != nil && rep.Text == "" {
			t.Fatalf("error %v with no words for the user", err)
		}
		if rep.Language != "en" && rep.Language != "fr" {
			t.Fatalf("Language = %q", rep.Language)
		}
		if !utf8.ValidString(rep.Text) || !utf8.ValidString(rep.Header) {
			t.Fatal("invalid UTF-8 in the reply")
		}
		if len(rep.Text) > 2*commands.MaxText {
			t.Fatalf("reply text is %d bytes", len(rep.Text))
		}
	})
}
