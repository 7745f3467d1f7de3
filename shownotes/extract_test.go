package shownotes

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Fields of Notes a case checks; the others are ignored.
const (
	fTakeaways = 1 << iota
	fChapters
	fLinks
	fSummary
	fAll = fTakeaways | fChapters | fLinks | fSummary
)

// ignoreExcept ignores the fields of Notes a case does not check.
func ignoreExcept(fields int) cmp.Option {
	var ignore []string
	if fields&fTakeaways == 0 {
		ignore = append(ignore, "Takeaways", "TakeawaysSource")
	}
	if fields&fChapters == 0 {
		ignore = append(ignore, "Chapters")
	}
	// Which rule found the chapters: TestChaptersSource.
	ignore = append(ignore, "ChaptersSource")
	if fields&fLinks == 0 {
		ignore = append(ignore, "Links")
	}
	if fields&fSummary == 0 {
		ignore = append(ignore, "Summary")
	}
	return cmpopts.IgnoreFields(Notes{}, ignore...)
}

// styleCase is one synthetic style of show notes.
type styleCase struct {
	name   string
	notes  string
	opt    Options
	fields int
	want   Notes
}

// TestExtractStyles runs synthetic show notes, one style each, in the
// languages of lang.go: every rule of the package, and hostile input.
func TestExtractStyles(t *testing.T) {
	var cases []styleCase
	cases = append(cases, takeawayStyles...)
	cases = append(cases, promoStyles...)
	cases = append(cases, chapterStyles...)
	cases = append(cases, linkStyles...)
	cases = append(cases, summaryStyles...)
	cases = append(cases, edgeStyles...)
	if len(cases) < 30 {
		t.Fatalf("%d styles, want at least 30", len(cases))
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("two cases named %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			got := Extract(tc.notes, tc.opt)
			if diff := cmp.Diff(tc.want, got, ignoreExcept(tc.fields), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Extract (-want +got):\n%s", diff)
			}
			checkNotes(t, got)
		})
	}
}

var takeawayStyles = []styleCase{
	{
		name:   "en html h2 key takeaways, nested list gives top-level items",
		notes:  `<p>We look back at the outage.</p><h2>Key Takeaways</h2><ul><li>Page a human early<ul><li>not a bot</li><li>not a queue</li></ul></li><li>Write the timeline first</li></ul><h2>Links</h2><ul><li><a href="https://example.org/pm">Postmortem</a></li></ul>`,
		fields: fTakeaways,
		want:   Notes{Takeaways: []string{"Page a human early", "Write the timeline first"}, TakeawaysSource: TakeawaysSection},
	},
	{
		name:   "fr plain label line and dashes",
		notes:  "On revient sur la panne.\n\nCe qu'il faut retenir :\n- Tester les restaurations, pas seulement les sauvegardes.\n- Garder un runbook à jour.\n\nLiens\nhttps://example.org/runbook",
		fields: fTakeaways,
		want:   Notes{Takeaways: []string{"Tester les restaurations, pas seulement les sauvegardes.", "Garder un runbook à jour."}, TakeawaysSource: TakeawaysSection},
	},
	{
		name:   "es markdown heading and stars",
		notes:  "Hablamos de bases de datos.\n\n## Puntos clave\n* Replicar no es respaldar.\n* Medir la latencia de cola.\n\n## Enlaces\n* [Documentación](https://example.org/docs)",
		fields: fTakeaways,
		want:   Notes{Takeaways: []string{"Replicar no es respaldar.", "Medir la latencia de cola."}, TakeawaysSource: TakeawaysSection},
	},
	{
		name:   "de bold line heading and numbered list",
		notes:  `<p>Heute geht es um Kubernetes.</p><p><strong>Die wichtigsten Erkenntnisse</strong></p><ol><li>Limits immer setzen.</li><li>Probes richtig konfigurieren.</li></ol>`,
		fields: fTakeaways,
		want:   Notes{Takeaways: []string{"Limits immer setzen.", "Probes richtig konfigurieren."}, TakeawaysSource: TakeawaysSection},
	},
	{
		name:   "it label paragraph before a list",
		notes:  `<p>Parliamo di osservabilità.</p><p>Punti chiave:</p><ul><li>Le metriche non bastano.</li><li>I log devono essere strutturati.</li></ul>`,
		fields: fTakeaways,
		want:   Notes{Takeaways: []string{"Le metriche non bastano.", "I log devono essere strutturati."}, TakeawaysSource: TakeawaysSection},
	},
	{
		name:   "pt h3 what you will learn",
		notes:  `<p>Um episódio sobre incidentes.</p><h3>O que você vai aprender</h3><ul><li>Como escrever um post-mortem.</li><li>Como evitar a culpa.</li></ul>`,
		fields: fTakeaways,
		want:   Notes{Takeaways: []string{"Como escrever um post-mortem.", "Como evitar a culpa."}, TakeawaysSource: TakeawaysSection},
	},
	{
		name:   "en in this episode you'll learn, plain",
		notes:  "A chat with an SRE.\n\nIn this episode, you'll learn:\n• how error budgets work\n• why SLOs need owners",
		fields: fTakeaways,
		want:   Notes{Takeaways: []string{"how error budgets work", "why SLOs need owners"}, TakeawaysSource: TakeawaysSection},
	},
	{
		name:   "en lead-in list, nested items belong to their parent",
		notes:  `<p>Here is what we cover:</p><ul><li>The DNS change that broke everything<ul><li>TTLs</li></ul></li><li>How the rollback took four hours</li></ul>`,
		fields: fTakeaways,
		want:   Notes{Takeaways: []string{"The DNS change that broke everything", "How the rollback took four hours"}, TakeawaysSource: TakeawaysList},
	},
	{
		name:   "en markdown bold highlights",
		notes:  "**Highlights**\n- Postgres vacuum explained\n- Why the index bloated",
		fields: fTakeaways,
		want:   Notes{Takeaways: []string{"Postgres vacuum explained", "Why the index bloated"}, TakeawaysSource: TakeawaysSection},
	},
	{
		name:   "fr flattened run-in with emoji bullets",
		notes:  "Une intro. À retenir : ✅ Toujours tester les sauvegardes. ✅ Documenter les runbooks. Ressources : https://example.org/y",
		fields: fTakeaways,
		want:   Notes{Takeaways: []string{"Toujours tester les sauvegardes.", "Documenter les runbooks."}, TakeawaysSource: TakeawaysSection},
	},
	{
		name:   "de summary statements: no greeting, no call, date kept whole",
		notes:  "Hallo und willkommen! Die neue Staffel startet am 3. Oktober in allen Apps. Wir sprechen über Backups und Ausfälle. Folgt uns auf Instagram!",
		fields: fTakeaways | fSummary,
		want: Notes{
			Takeaways:       []string{"Die neue Staffel startet am 3. Oktober in allen Apps.", "Wir sprechen über Backups und Ausfälle."},
			TakeawaysSource: TakeawaysSummary,
			Summary:         "Hallo und willkommen! Die neue Staffel startet am 3. Oktober in allen Apps. Wir sprechen über Backups und Ausfälle.",
		},
	},
	{
		name:   "en summary statements: abbreviations do not split, questions and labels go",
		notes:  "Why did the cache fall over? Dr. Smith explains how e.g. retries made it worse. Plus: a bonus clip. We also cover the long road to recovery.",
		fields: fTakeaways,
		want: Notes{
			Takeaways:       []string{"Dr. Smith explains how e.g. retries made it worse.", "We also cover the long road to recovery."},
			TakeawaysSource: TakeawaysSummary,
		},
	},
	{
		name:   "en exclamations that only name things are no statements",
		notes:  "Doom! Quake! Hexen! We talk about the history of id Software and its engines.",
		fields: fTakeaways | fSummary,
		want: Notes{
			Takeaways:       []string{"We talk about the history of id Software and its engines."},
			TakeawaysSource: TakeawaysSummary,
			Summary:         "Doom! Quake! Hexen! We talk about the history of id Software and its engines.",
		},
	},
	{
		name:   "es only questions and a greeting give no takeaways",
		notes:  "¡Hola a todos! ¿Qué pasa cuando falla el DNS? ¿Y quién lo arregla?",
		fields: fTakeaways,
		want:   Notes{},
	},
}

var promoStyles = []styleCase{
	{
		name:   "en html sponsor paragraph between real ones",
		notes:  `<p>Thanks to our sponsor Acme Cloud! Acme gives you fast servers. Go to <a href="https://acme.example/pod?utm_source=pod">acme.example/pod</a> and use code POD for 20% off.</p><p>This week we dig into the S3 outage of 2017 and what it taught us.</p><p>Links: <a href="https://example.org/s3">AWS summary</a></p>`,
		fields: fAll,
		want: Notes{
			Takeaways:       []string{"This week we dig into the S3 outage of 2017 and what it taught us."},
			TakeawaysSource: TakeawaysSummary,
			Links:           []Link{{Text: "AWS summary", URL: "https://example.org/s3"}},
			Summary:         "This week we dig into the S3 outage of 2017 and what it taught us.",
		},
	},
	{
		name:   "en one plain paragraph: the sponsor read goes, the text beside it stays",
		notes:  "We talk about DNS outages with Jane Doe. This episode is brought to you by Acme. Acme makes backups easy; visit acme.example/pod for a free trial. Jane explains how a TTL of one week bit her team.",
		fields: fSummary | fTakeaways,
		want: Notes{
			Takeaways:       []string{"We talk about DNS outages with Jane Doe.", "Jane explains how a TTL of one week bit her team."},
			TakeawaysSource: TakeawaysSummary,
			Summary:         "We talk about DNS outages with Jane Doe. Jane explains how a TTL of one week bit her team.",
		},
	},
	{
		name:   "fr promo code and review call in one paragraph",
		notes:  "Cet épisode vous est offert par Acme. Utilisez le code POD20 sur acme.example pour 20 % de réduction. Nous parlons de la migration de notre base de données vers Postgres. Laissez-nous 5 étoiles sur Apple Podcasts !",
		fields: fSummary,
		want:   Notes{Summary: "Nous parlons de la migration de notre base de données vers Postgres."},
	},
	{
		name:   "es it pt calls to subscribe and follow are removed",
		notes:  "<p>Suscríbete y déjanos una reseña.</p><p>Seguici su Instagram per altri episodi.</p><p>Inscreva-se no canal!</p><p>Hablamos de la caída de un banco y de sus causas.</p>",
		fields: fSummary,
		want:   Notes{Summary: "Hablamos de la caída de un banco y de sus causas."},
	},
	{
		name:   "sponsors heading: its section is promotional",
		notes:  `<p>The story of a failed deploy.</p><h3>Sponsors</h3><ul><li><a href="https://acme.example">Acme</a>: the cloud that never fails</li></ul><h3>Links</h3><ul><li><a href="https://example.org/deploy">Deploy notes</a></li></ul>`,
		fields: fLinks,
		want:   Notes{Links: []Link{{Text: "Deploy notes", URL: "https://example.org/deploy", Section: "Links"}}},
	},
	{
		name:   "en patreon and review calls with their links",
		notes:  "<p>We discuss consensus algorithms in depth.</p><p>Support us on Patreon: <a href=\"https://patreon.com/show\">patreon.com/show</a>. Leave us a review!</p>",
		fields: fLinks | fSummary,
		want:   Notes{Summary: "We discuss consensus algorithms in depth."},
	},
	{
		name:   "a sponsor mentioned in passing is not a read",
		notes:  "Paul explains his top 10 games of 2011, brought to you by the letter D.",
		fields: fSummary,
		want:   Notes{Summary: "Paul explains his top 10 games of 2011, brought to you by the letter D."},
	},
}

var chapterStyles = []styleCase{
	{
		name:   "podlove chapters from the feed win, bounded by the duration and titled",
		notes:  "<p>00:00 Intro<br>05:00 Topic</p>",
		opt:    Options{DurationSeconds: 600, Chapters: []Chapter{{StartSeconds: 120, Title: " Part  two "}, {StartSeconds: 0, Title: "Start"}, {StartSeconds: 300, Title: ""}, {StartSeconds: 900, Title: "After the end"}}},
		fields: fChapters,
		want:   Notes{Chapters: []Chapter{{StartSeconds: 0, Title: "Start"}, {StartSeconds: 120, Title: "Part two"}}},
	},
	{
		name:   "html table of times and titles, a row without a title is no chapter",
		notes:  `<table><tr><th>Time</th><th>Topic</th></tr><tr><td>00:00</td><td>Intro</td></tr><tr><td>04:10</td><td></td></tr><tr><td>12:45</td><td>The fix</td></tr></table>`,
		fields: fChapters,
		want:   Notes{Chapters: []Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 765, Title: "The fix"}}},
	},
	{
		name:   "markdown table, title first",
		notes:  "| Chapter | Start |\n|---|---|\n| Intro | 0:00 |\n| Deep dive | 7:30 |",
		fields: fChapters,
		want:   Notes{Chapters: []Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 450, Title: "Deep dive"}}},
	},
	{
		name:   "pre block of timestamps",
		notes:  "<p>Chapters below.</p><pre>00:00 Intro\n03:21 Context\n1:02:03 Wrap-up</pre>",
		fields: fChapters,
		want:   Notes{Chapters: []Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 201, Title: "Context"}, {StartSeconds: 3723, Title: "Wrap-up"}}},
	},
	{
		name:   "units and fractions",
		notes:  "0m00s Intro\n12m30s The incident\n1h02m03s Lessons\n01:05:30.500 Outro",
		fields: fChapters,
		want:   Notes{Chapters: []Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 750, Title: "The incident"}, {StartSeconds: 3723, Title: "Lessons"}, {StartSeconds: 3930, Title: "Outro"}}},
	},
	{
		name:   "times at the end of their lines",
		notes:  "Intro (00:00)\nThe outage (05:30)\nWhat we changed - 21:14",
		fields: fChapters,
		want:   Notes{Chapters: []Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 330, Title: "The outage"}, {StartSeconds: 1274, Title: "What we changed"}}},
	},
	{
		name:   "a schedule of times of day is not chapters",
		notes:  "Schedule:\n09:00 Doors open\n09:30 Keynote\n12:00 Lunch",
		fields: fChapters,
		want:   Notes{},
	},
	{
		name:   "no chapter past the episode's end",
		notes:  "00:00 Intro\n10:00 Part two\n95:00 Bonus",
		opt:    Options{DurationSeconds: 3600},
		fields: fChapters,
		want:   Notes{Chapters: []Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 600, Title: "Part two"}}},
	},
	{
		name:   "times out of order are not chapters",
		notes:  "10:00 Second\n05:00 First",
		fields: fChapters,
		want:   Notes{},
	},
	{
		name:   "one time at the start of a line of prose is not a chapter",
		notes:  "We recorded this live.\n12:34 is the build number that broke it all, and we talk about why.\nThanks for listening.",
		fields: fChapters,
		want:   Notes{},
	},
	{
		name:   "markdown list of times under a chapters heading, starting late",
		notes:  "## Chapitres\n- 20:00 Deuxième partie\n- 35:00 Questions",
		fields: fChapters,
		want:   Notes{Chapters: []Chapter{{StartSeconds: 1200, Title: "Deuxième partie"}, {StartSeconds: 2100, Title: "Questions"}}},
	},
}

var linkStyles = []styleCase{
	{
		name: "tracking removed, duplicates merged",
		notes: `<p><a href="https://Example.org/post/?utm_source=x&id=3#top">The post</a>, ` +
			`<a href="https://example.org/post?id=3&fbclid=abc">again</a>, ` +
			`<a href="https://www.amazon.com/dp/B00X/ref=sr_1_1?tag=pod-20&keywords=x">the book</a>, ` +
			`<a href="http://news.example/a?mc_cid=1&mc_eid=2&gclid=z&page=2">news</a></p>`,
		fields: fLinks,
		want: Notes{Links: []Link{
			{Text: "The post", URL: "https://Example.org/post/?id=3#top"},
			{Text: "the book", URL: "https://www.amazon.com/dp/B00X/"},
			{Text: "news", URL: "http://news.example/a?page=2"},
		}},
	},
	{
		name:   "markdown links, image links, bare URLs",
		notes:  "Read [the RFC](https://www.rfc-editor.org/rfc/rfc9110) and [![Slides](https://x.example/s.png)](https://x.example/slides).\nMore at https://www.example.com/blog/post-1?utm_medium=feed",
		fields: fLinks,
		want: Notes{Links: []Link{
			{Text: "the RFC", URL: "https://www.rfc-editor.org/rfc/rfc9110"},
			{Text: "Slides", URL: "https://x.example/slides"},
			{Text: "More at", URL: "https://www.example.com/blog/post-1"},
		}},
	},
	{
		name:   "a bare URL inside a long sentence is named by its host and path",
		notes:  "We kept going back to the incident report that the team published a week later on https://status.example.com/incidents/42 because it explained the timeline so well.",
		fields: fLinks,
		want:   Notes{Links: []Link{{Text: "status.example.com/incidents/42", URL: "https://status.example.com/incidents/42"}}},
	},
	{
		name:   "markdown links written as text in HTML notes",
		notes:  `<p>@everyone read [the postmortem](https://blog.example/post?utm_source=x) &amp; <a href="https://rfc.example/1035">the RFC</a>, not [this](https://x.example/a) inside <a href="https://y.example/">[a](https://z.example/)</a>.</p>`,
		fields: fLinks,
		want: Notes{Links: []Link{
			{Text: "the postmortem", URL: "https://blog.example/post"},
			{Text: "the RFC", URL: "https://rfc.example/1035"},
			{Text: "this", URL: "https://x.example/a"},
			{Text: "[a](https://z.example/)", URL: "https://y.example/"},
		}},
	},
	{
		name:   "a bare URL after anchors is not named by their texts",
		notes:  `<p>Links: <a href="https://blog.example/post">the postmortem</a>, <a href="https://blog.example/other">the fix</a>, https://rfc.example/rfc1035</p>`,
		fields: fLinks,
		want: Notes{Links: []Link{
			{Text: "the postmortem", URL: "https://blog.example/post"},
			{Text: "the fix", URL: "https://blog.example/other"},
			{Text: "rfc.example/rfc1035", URL: "https://rfc.example/rfc1035"},
		}},
	},
	{
		name: "the podcast's own footer is kept apart",
		notes: `<p>Guest: <a href="https://jane.example/blog">Jane's blog</a></p><h3>Follow us</h3><ul><li><a href="https://twitter.com/show">Twitter</a></li></ul>` +
			`<p><a href="https://feeds.example/show.xml">RSS</a> · <a href="https://podcasts.apple.com/podcast/id1">Listen on Apple Podcasts</a> · <a href="https://show.example/">Home</a></p>`,
		opt:    Options{Link: "https://show.example/episodes/12"},
		fields: fLinks,
		want: Notes{Links: []Link{
			{Text: "Jane's blog", URL: "https://jane.example/blog"},
			{Text: "Twitter", URL: "https://twitter.com/show", Section: "Follow us", Footer: true},
			{Text: "RSS", URL: "https://feeds.example/show.xml", Section: "Follow us", Footer: true},
			{Text: "Listen on Apple Podcasts", URL: "https://podcasts.apple.com/podcast/id1", Section: "Follow us", Footer: true},
			{Text: "Home", URL: "https://show.example/", Section: "Follow us", Footer: true},
		}},
	},
	{
		name: "sections only from real headings: not the title, not a bold link, not a bold sentence",
		notes: `<p><b>Episode 12: The Big Outage</b></p><p><a href="https://a.example/x">A</a></p>` +
			`<p><a href="https://b.example/pdf"><b>Full summaries in PDF</b></a></p><p><a href="https://c.example/y">C</a></p>` +
			`<p><b>We loved this one.</b></p><p><a href="https://d.example/z">D</a></p><h4>Références</h4><p><a href="https://e.example/w">E</a></p>`,
		opt:    Options{Title: "The Big Outage"},
		fields: fLinks,
		want: Notes{Links: []Link{
			{Text: "A", URL: "https://a.example/x"},
			{Text: "Full summaries in PDF", URL: "https://b.example/pdf"},
			{Text: "C", URL: "https://c.example/y"},
			{Text: "D", URL: "https://d.example/z"},
			{Text: "E", URL: "https://e.example/w", Section: "Références"},
		}},
	},
	{
		name:   "bad schemes and relative links dropped, mailto named by its address",
		notes:  `<p><a href="javascript:alert(1)">x</a> <a href="/relative">rel</a> <a href="mailto:host@example.org?subject=hi"></a> <a href="data:text/html,x">d</a></p>`,
		fields: fLinks,
		want:   Notes{Links: []Link{{Text: "host@example.org", URL: "mailto:host@example.org?subject=hi"}}},
	},
}

var summaryStyles = []styleCase{
	{
		name:   "label, warning and title lines are no summary",
		notes:  "Episode 7: Disk Full\nShow notes:\nContent warning: strong language. The disk filled up at 3 am and nobody was paged.",
		opt:    Options{Title: "Disk Full"},
		fields: fSummary,
		want:   Notes{Summary: "The disk filled up at 3 am and nobody was paged."},
	},
	{
		name:   "entities decoded in plain text",
		notes:  "Mark &amp; John talk R&amp;D, Q&amp;A and the &quot;five whys&quot;.",
		fields: fSummary,
		want:   Notes{Summary: `Mark & John talk R&D, Q&A and the "five whys".`},
	},
	{
		name:   "names after a label are no prose; the prose after them is",
		notes:  "<p>Executive Producers:</p><p>Sir John of London</p><p>Dame Jane</p><p>This week the hosts argue about tabs and spaces for an hour.</p>",
		fields: fSummary,
		want:   Notes{Summary: "This week the hosts argue about tabs and spaces for an hour."},
	},
	{
		name:   "short notes are their own summary",
		notes:  "Notes 4",
		fields: fSummary,
		want:   Notes{Summary: "Notes 4"},
	},
	{
		name:   "a sentence cut at its colon goes on in the next paragraph",
		notes:  "We discuss Bionic Commando:\n\nRearmed, a diabolical pyramid scheme, and much more!",
		fields: fSummary,
		want:   Notes{Summary: "We discuss Bionic Commando: Rearmed, a diabolical pyramid scheme, and much more!"},
	},
}

var edgeStyles = []styleCase{
	{name: "empty", notes: " \n\t ", fields: fAll, want: Notes{}},
	{
		name:   "invalid utf-8 and NUL",
		notes:  "\xff\xfe<p>Bad \x00 bytes\xc3 here.</p>",
		fields: fSummary,
		want:   Notes{Summary: "Bad \uFFFD bytes\uFFFD here."},
	},
	{
		name:   "deep nesting keeps the top level",
		notes:  "Key takeaways:\n- one\n  - two\n    - three\n- four",
		fields: fTakeaways,
		want:   Notes{Takeaways: []string{"one", "four"}, TakeawaysSource: TakeawaysSection},
	},
	{
		name:   "text with a known tag name is read as HTML, the rest kept as text",
		notes:  "I <3 uptime and a < b. <A is not a tag.",
		fields: fSummary,
		want:   Notes{Summary: "I <3 uptime and a < b."},
	},
}

// checkNotes asserts what holds for any notes.
func checkNotes(t *testing.T, n Notes) {
	t.Helper()
	clean := func(what, s string) {
		if s != strings.TrimSpace(s) || strings.Contains(s, "\n") || !utf8.ValidString(s) {
			t.Errorf("%s not clean: %q", what, s)
		}
	}
	clean("summary", n.Summary)
	if utf8.RuneCountInString(n.Summary) > MaxSummaryRunes+1 || len(n.Takeaways) > MaxTakeaways ||
		len(n.Chapters) > MaxChapters || len(n.Links) > MaxLinks {
		t.Errorf("limits exceeded: summary %d runes, %d takeaways, %d chapters, %d links",
			utf8.RuneCountInString(n.Summary), len(n.Takeaways), len(n.Chapters), len(n.Links))
	}
	if (n.TakeawaysSource == "") != (len(n.Takeaways) == 0) {
		t.Errorf("takeaways %q with source %q", n.Takeaways, n.TakeawaysSource)
	}
	for _, s := range n.Takeaways {
		clean("takeaway", s)
		if s == "" || utf8.RuneCountInString(s) > MaxItemRunes+1 {
			t.Errorf("bad takeaway %q", s)
		}
	}
	for i, c := range n.Chapters {
		clean("chapter title", c.Title)
		if c.Title == "" || c.StartSeconds < 0 || i > 0 && c.StartSeconds <= n.Chapters[i-1].StartSeconds {
			t.Errorf("bad chapters %v", n.Chapters)
		}
	}
	seen := map[string]bool{}
	for _, l := range n.Links {
		clean("link text", l.Text)
		clean("link section", l.Section)
		if l.Text == "" {
			t.Errorf("link without text: %v", l)
		}
		low := strings.ToLower(l.URL)
		if !strings.HasPrefix(low, "http://") && !strings.HasPrefix(low, "https://") && !strings.HasPrefix(low, "mailto:") {
			t.Errorf("bad link scheme: %q", l.URL)
		}
		if k := linkKey(l.URL); seen[k] {
			t.Errorf("duplicate link %q", l.URL)
		} else {
			seen[k] = true
		}
	}
}

func FuzzExtract(f *testing.F) {
	for _, group := range [][]styleCase{takeawayStyles, promoStyles, chapterStyles, linkStyles, summaryStyles, edgeStyles} {
		for _, tc := range group {
			f.Add(tc.notes, tc.opt.Title, tc.opt.DurationSeconds)
		}
	}
	f.Fuzz(func(t *testing.T, notes, title string, duration int) {
		n := Extract(notes, Options{Title: title, DurationSeconds: duration})
		checkNotes(t, n)
		if duration > 0 {
			for _, c := range n.Chapters {
				if c.StartSeconds >= duration {
					t.Errorf("chapter %v past the end (%d s)", c, duration)
				}
			}
		}
		_ = Text(notes)
	})
}

// TestExtractLargeHostile runs 1 MiB inputs against the rules' loops (promo
// sentences with links, stamp lines, rows, headings, labels): they must finish
// quickly and respect the limits.
func TestExtractLargeHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	const mb = 1 << 20
	inputs := map[string]string{
		"promo with links": strings.Repeat(`Use code POD for 20% off at <a href="https://acme.example/x">acme</a>. Real text here. `, mb/90),
		"sponsor reads":    strings.Repeat("This episode is brought to you by Acme. Acme is great. ", mb/55),
		"stamp lines":      strings.Repeat("00:01 a\n", mb/8),
		"rows":             strings.Repeat("<tr><td>00:01</td><td>x</td></tr>", mb/33),
		"headings":         strings.Repeat("<h3>Key takeaways</h3><ul><li>x</li></ul>", mb/40),
		"labels":           strings.Repeat("Executive Producers:\n\n", mb/22),
		"title repeats":    strings.Repeat("The Title The Title\n", mb/20),
		"long label url":   strings.Repeat("word ", mb/10) + "https://e.example/x",
		"md links":         strings.Repeat("[a](https://e.example/a?utm_source=1) ", mb/38),
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			checkNotes(t, Extract(in, Options{Title: "The Title", DurationSeconds: 3600}))
		})
	}
}

// Each rule that finds chapters says so, for `pmbot notes-report`.
func TestChaptersSource(t *testing.T) {
	tests := []struct {
		name, notes string
		opt         Options
		want        string
	}{
		{"feed", "<p>Intro.</p>", Options{Chapters: []Chapter{{StartSeconds: 0, Title: "Start"}}, DurationSeconds: 600}, ChaptersFeed},
		{"table", "<table><tr><td>00:00</td><td>Intro</td></tr><tr><td>05:10</td><td>The outage</td></tr></table>", Options{DurationSeconds: 3600}, ChaptersTable},
		{"pre", "<pre>00:00 Intro\n03:21 Context\n10:00 Wrap-up</pre>", Options{DurationSeconds: 3600}, ChaptersPre},
		{"lines", "Chapters:\n00:00 Intro\n04:30 The outage\n31:00 Lessons", Options{DurationSeconds: 3600}, ChaptersLines},
		{"none", "<p>No times here.</p>", Options{DurationSeconds: 3600}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := Extract(tt.notes, tt.opt)
			if n.ChaptersSource != tt.want {
				t.Errorf("ChaptersSource = %q, want %q (chapters %v)", n.ChaptersSource, tt.want, n.Chapters)
			}
		})
	}
}
