package feeds

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/mmcdole/gofeed"

	"github.com/pmbot/pmbot/shownotes"
)

// The limits of package shownotes, as these tests check them.
const (
	maxNotesBytes = shownotes.MaxInput
	maxTakeaways  = shownotes.MaxTakeaways
	maxItemLen    = shownotes.MaxItemRunes
	maxChapters   = shownotes.MaxChapters
	maxLinks      = shownotes.MaxLinks
	maxSummaryLen = shownotes.MaxSummaryRunes
)

// fixtureItem is one item of a fixture feed, with the notes the way the feed
// parser hands them over (content:encoded, else description, else itunes:summary).
type fixtureItem struct {
	Title   string
	Episode int
	Notes   string
}

func loadFixture(t testing.TB, path string) []fixtureItem {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	f, err := gofeed.NewParser().ParseString(string(data))
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	var items []fixtureItem
	for _, it := range f.Items {
		fi := fixtureItem{Title: it.Title, Notes: it.Content}
		if fi.Notes == "" {
			fi.Notes = it.Description
		}
		if it.ITunesExt != nil {
			if fi.Notes == "" {
				fi.Notes = it.ITunesExt.Summary
			}
			fi.Episode, _ = strconv.Atoi(it.ITunesExt.Episode)
		}
		items = append(items, fi)
	}
	return items
}

const (
	postMortemHTML  = "../testdata/postmortem/feed.xml"
	postMortemPlain = "../testdata/postmortem/feed-plain.xml"
)

func episodeNotes(t testing.TB, path string, number int) string {
	t.Helper()
	for _, it := range loadFixture(t, path) {
		if it.Episode == number {
			return it.Notes
		}
	}
	t.Fatalf("%s: no episode %d", path, number)
	return ""
}

var bothVariants = []struct{ name, path string }{
	{"html", postMortemHTML},
	{"plain", postMortemPlain},
}

func TestExtractNotesPostMortemTakeaways(t *testing.T) {
	ep3 := []string{
		"Avoir une équipe multi-compétences (Software Engineer et Data Scientist) dans une même squad permet de livrer des produits (pas simplement mener des projets) ML plus rapidement.",
		"Le data et le model management sont le nerf de la guerre pour répondre aux questions de montée en charge. Le ML Ops est là pour rester. Voir ML Flow.",
		"Au-delà du technique, la conduite du changement pour le déploiement d’un produit ML doit être préparée avec les utilisateurs business.",
	}
	ep2 := []string{
		"Le temps d'exécution d'une fonction de hachage ne doit pas dépendre de la valeur du secret. Pensez aux implémentations en temps constant.",
		"Si vous ne maîtrisez pas un standard de sécurité, n'essayez pas de l'implémenter vous- même.",
		"Pour convaincre une équipe open source de la criticité d'une faille, arriver avec une preuve de concept (Proof of Concept, POC) complète qui montre l'attaque permet de gagner en crédibilité auprès de la communauté.",
		"Pour les utilisateurs finaux, pensez à effectuer les mises à jour de sécurité.",
	}
	ep14 := []string{
		"Les 3 étapes clés du chemin parcouru par les équipes tech d'Algolia pour gagner en maturité sur la réponse à incidents 🗝",
		"L'importance d'organiser le transfert de connaissances des experts de la codebase vers les nouveaux collaborateurs et comment accompagner les nouveaux venus pour leur premier cycle on-call 🚨📊👩💻",
		"De l'importance de monitorer les causes et non les symptômes 🤒",
	}
	tests := []struct {
		episode    int
		want       []string
		wantSource string
	}{
		{3, ep3, TakeawaysSection},
		{2, ep2, TakeawaysSection},
		{14, ep14, TakeawaysList},
	}
	for _, v := range bothVariants {
		for _, tt := range tests {
			t.Run(v.name+"/ep"+strconv.Itoa(tt.episode), func(t *testing.T) {
				got := ExtractNotes(episodeNotes(t, v.path, tt.episode))
				if diff := cmp.Diff(tt.want, got.Takeaways); diff != "" {
					t.Errorf("takeaways (-want +got):\n%s", diff)
				}
				if got.TakeawaysSource != tt.wantSource {
					t.Errorf("source = %q, want %q", got.TakeawaysSource, tt.wantSource)
				}
			})
		}
	}
}

func TestExtractNotesPostMortemSummary(t *testing.T) {
	for _, v := range bothVariants {
		t.Run(v.name, func(t *testing.T) {
			got := ExtractNotes(episodeNotes(t, v.path, 3))
			want := "Ouriel Bettach, Data Scientist depuis plus de 6ans, nous propose un panorama de ses expériences au sein de grands groupes industriels sur des projets de machine learning (ML). On en profite pour faire le bilan sur la façon dont les grands groupes approchent des projets ML et d’évoquer les points bloquants récurrents dans ces projets, avant d’ouvrir sur les challenges qui se dressent à l’horizon."
			if diff := cmp.Diff(want, got.Summary); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			// Without takeaways or a list, the summary's sentences stand in.
			got = ExtractNotes(episodeNotes(t, v.path, 12))
			if got.TakeawaysSource != TakeawaysSummary || len(got.Takeaways) == 0 || len(got.Takeaways) > 3 {
				t.Errorf("ep12 takeaways = %q (%s), want 1-3 summary sentences", got.Takeaways, got.TakeawaysSource)
			}
		})
	}
}

func chapterTimes(cs []Chapter) []int {
	var out []int
	for _, c := range cs {
		out = append(out, c.StartSeconds)
	}
	return out
}

func TestExtractNotesPostMortemChapters(t *testing.T) {
	tests := []struct {
		episode int
		want    []int
	}{
		{12, []int{120, 410, 1218, 1678, 2053}},
		{17, []int{110, 840, 2530, 2640}},
		{13, nil}, // "L'extrait audio à 21'40" est issu du film" is a credit
		{3, nil},
	}
	for _, v := range bothVariants {
		for _, tt := range tests {
			t.Run(v.name+"/ep"+strconv.Itoa(tt.episode), func(t *testing.T) {
				got := ExtractNotes(episodeNotes(t, v.path, tt.episode)).Chapters
				if diff := cmp.Diff(tt.want, chapterTimes(got)); diff != "" {
					t.Errorf("chapter times (-want +got):\n%s", diff)
				}
				for _, c := range got {
					if c.Title == "" {
						t.Errorf("chapter at %d has no title", c.StartSeconds)
					}
				}
			})
		}
	}
	t.Run("ep12 titles", func(t *testing.T) {
		got := ExtractNotes(episodeNotes(t, postMortemHTML, 12)).Chapters
		want := []Chapter{
			{StartSeconds: 120, Title: "Un bref historique des techniques d'anonymisations"},
			{StartSeconds: 410, Title: "Définit la confidentialité différentielle et ses propriétés"},
			{StartSeconds: 1218, Title: "Un cas d'usage au sein de Google"},
			{StartSeconds: 1678, Title: "Discuter des implémentations existantes"},
			{StartSeconds: 2053, Title: "Des challenges à l'adoption de cette technique"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("chapters (-want +got):\n%s", diff)
		}
	})
}

func TestExtractNotesPostMortemLinks(t *testing.T) {
	html := ExtractNotes(episodeNotes(t, postMortemHTML, 17)).Links
	if len(html) != 23 {
		t.Errorf("ep17: %d links, want 23", len(html))
	}
	for i, l := range html[:16] {
		if l.Section != "Bibliographie" {
			t.Errorf("ep17 link %d %q: section %q, want Bibliographie", i, l.URL, l.Section)
		}
	}
	wantRipe := Link{Text: "Les articles de RIPE Labs", URL: "https://labs.ripe.net/", Section: "Bibliographie"}
	for _, v := range bothVariants {
		t.Run(v.name+"/ripe", func(t *testing.T) {
			links := ExtractNotes(episodeNotes(t, v.path, 17)).Links
			var got Link
			for _, l := range links {
				if l.URL == wantRipe.URL {
					got = l
				}
			}
			if diff := cmp.Diff(wantRipe, got); diff != "" {
				t.Errorf("RIPE link (-want +got):\n%s", diff)
			}
		})
	}
	// Flattened notes glue URLs to the next item; the URLs found must still be
	// the ones the HTML links to.
	for _, ep := range []int{2, 12, 13, 17} {
		t.Run("plain urls/ep"+strconv.Itoa(ep), func(t *testing.T) {
			var want, got []string
			for _, l := range ExtractNotes(episodeNotes(t, postMortemHTML, ep)).Links {
				want = append(want, l.URL)
			}
			for _, l := range ExtractNotes(episodeNotes(t, postMortemPlain, ep)).Links {
				got = append(got, l.URL)
			}
			if ep == 2 {
				want = nil // the plain variant lost the anchors' URLs
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("urls (-html +plain):\n%s", diff)
			}
		})
	}
	t.Run("ep2 anchor text", func(t *testing.T) {
		want := []Link{
			{Text: "Site web Dragonblood - Analysing WPA3's Dragonfly Handshake", URL: "https://wpa3.mathyvanhoef.com/", Section: "Références"},
			{Text: "Dragonblood: Analyzing the Dragonfly Handshake of WPA3 and EAP-pwd", URL: "https://eprint.iacr.org/2019/383", Section: "Références"},
		}
		if diff := cmp.Diff(want, ExtractNotes(episodeNotes(t, postMortemHTML, 2)).Links); diff != "" {
			t.Errorf("links (-want +got):\n%s", diff)
		}
	})
}

func TestExtractNotesAcast(t *testing.T) {
	items := loadFixture(t, "../testdata/feeds/sentimental-garbage-acast.xml")
	clock := 0
	for _, it := range items {
		if strings.Contains(it.Notes, "(16:30)") || strings.Contains(it.Notes, "(17:00)") {
			clock++
		}
		n := ExtractNotes(it.Notes)
		low := strings.ToLower(n.Summary)
		if strings.Contains(low, "hosted on acast") || strings.Contains(low, "acast.com/privacy") {
			t.Errorf("%q: summary keeps boilerplate: %q", it.Title, n.Summary)
		}
		if n.Summary == "" && !strings.HasPrefix(NotesText(it.Notes), "Hosted on Acast") {
			t.Errorf("%q: empty summary", it.Title)
		}
		if len(n.Chapters) > 0 {
			t.Errorf("%q: chapters %v, want none (times of day are not chapters)", it.Title, n.Chapters)
		}
		for _, l := range n.Links {
			if strings.Contains(l.URL, "acast.com/privacy") {
				t.Errorf("%q: boilerplate link %v", it.Title, l)
			}
		}
	}
	if clock == 0 {
		t.Error("fixture no longer has (16:30)/(17:00) clock times")
	}
}

func TestExtractNotesFireside(t *testing.T) {
	items := loadFixture(t, "../testdata/feeds/launched-fireside.xml")
	var got Notes
	for _, it := range items {
		if it.Title == "32: Overcast - Marco Arment" {
			got = ExtractNotes(it.Notes)
		}
	}
	if len(got.Links) != 17 {
		t.Fatalf("%d links, want 17: %v", len(got.Links), got.Links)
	}
	want := []Link{
		{Text: "Marco on Twitter", URL: "https://twitter.com/marcoarment", Section: "Links & Show Notes"},
		{Text: "Marco's Blog", URL: "https://marco.org", Section: "Links & Show Notes"},
	}
	if diff := cmp.Diff(want, got.Links[:2]); diff != "" {
		t.Errorf("first links (-want +got):\n%s", diff)
	}
	// Changed (issue 9): the show's own site under "More Launched" is marked as its footer.
	if diff := cmp.Diff(Link{Text: "Website", URL: "https://launchedfm.com", Section: "More Launched", Footer: true}, got.Links[14]); diff != "" {
		t.Errorf("More Launched link (-want +got):\n%s", diff)
	}
	// A list under a links heading is not takeaways.
	if got.TakeawaysSource != TakeawaysSummary {
		t.Errorf("source = %q, want summary", got.TakeawaysSource)
	}
	for _, it := range items {
		n := ExtractNotes(it.Notes)
		if strings.Contains(it.Notes, "Links &amp; Show Notes") && len(n.Links) > 0 && n.Links[0].Section != "Links & Show Notes" {
			t.Errorf("%q: first link section %q", it.Title, n.Links[0].Section)
		}
	}
}

func TestExtractNotesPodcasting20DateTimes(t *testing.T) {
	for _, it := range loadFixture(t, "../testdata/feeds/podcasting20-pc20rss.xml") {
		if n := ExtractNotes(it.Notes); len(n.Chapters) > 0 {
			t.Errorf("%q: chapters %v from date-times", it.Title, n.Chapters)
		}
	}
}

var tagRe = regexp.MustCompile(`<[a-zA-Z/!]`)

// checkNotes asserts what must hold for any notes. Tags are looked for only in
// real notes: plain text may well say "<A" and mean it.
func checkNotes(t *testing.T, n Notes, noTags bool) {
	t.Helper()
	clean := func(what, s string) {
		if noTags && tagRe.MatchString(s) {
			t.Errorf("%s has a tag: %q", what, s)
		}
		if s != strings.TrimSpace(s) || strings.Contains(s, "  ") || strings.Contains(s, "\n") {
			t.Errorf("%s not collapsed/trimmed: %q", what, s)
		}
		if !utf8.ValidString(s) {
			t.Errorf("%s not UTF-8: %q", what, s)
		}
	}
	clean("summary", n.Summary)
	if utf8.RuneCountInString(n.Summary) > maxSummaryLen+1 {
		t.Errorf("summary too long: %d runes", utf8.RuneCountInString(n.Summary))
	}
	if len(n.Takeaways) > maxTakeaways {
		t.Errorf("%d takeaways", len(n.Takeaways))
	}
	for _, s := range n.Takeaways {
		clean("takeaway", s)
		if s == "" || utf8.RuneCountInString(s) > maxItemLen+1 {
			t.Errorf("bad takeaway length: %q", s)
		}
	}
	switch n.TakeawaysSource {
	case "":
		if len(n.Takeaways) > 0 {
			t.Error("takeaways without source")
		}
	case TakeawaysSection, TakeawaysList, TakeawaysSummary:
		if len(n.Takeaways) == 0 {
			t.Errorf("source %q without takeaways", n.TakeawaysSource)
		}
	default:
		t.Errorf("unknown source %q", n.TakeawaysSource)
	}
	for i, c := range n.Chapters {
		clean("chapter title", c.Title)
		if c.StartSeconds < 0 || i > 0 && c.StartSeconds <= n.Chapters[i-1].StartSeconds {
			t.Errorf("chapters not sorted/unique: %v", n.Chapters)
		}
	}
	seen := map[string]bool{}
	for _, l := range n.Links {
		clean("link text", l.Text)
		clean("link section", l.Section)
		low := strings.ToLower(l.URL)
		if !strings.HasPrefix(low, "http://") && !strings.HasPrefix(low, "https://") && !strings.HasPrefix(low, "mailto:") {
			t.Errorf("bad link scheme: %q", l.URL)
		}
		if seen[l.URL] {
			t.Errorf("duplicate link %q", l.URL)
		}
		seen[l.URL] = true
	}
}

func TestExtractNotesAllFeeds(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/feeds/*")
	paths = append(paths, postMortemHTML, postMortemPlain)
	n := 0
	for _, p := range paths {
		if strings.HasSuffix(p, ".md") {
			continue
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			for _, it := range loadFixture(t, p) {
				n++
				checkNotes(t, ExtractNotes(it.Notes), true)
				if txt := NotesText(it.Notes); tagRe.MatchString(txt) && !tagRe.MatchString(NotesText(txt)) {
					t.Errorf("%q: NotesText keeps tags", it.Title)
				}
			}
		})
	}
	if n < 1000 {
		t.Errorf("only %d items checked", n)
	}
}

func TestExtractNotesSynthetic(t *testing.T) {
	tests := []struct {
		name  string
		notes string
		want  Notes
	}{
		{
			name:  "empty",
			notes: "   ",
			want:  Notes{},
		},
		{
			name:  "english heading and numbered plain lines",
			notes: "We talk about outages.\n\nKey Takeaways:\n1. Test your backups.\n2) Page a human.\n\nLinks\nOur site https://example.org/x.",
			want: Notes{
				Takeaways:       []string{"Test your backups.", "Page a human."},
				TakeawaysSource: TakeawaysSection,
				Links:           []Link{{Text: "Our site", URL: "https://example.org/x", Section: "Links"}},
				Summary:         "We talk about outages.",
			},
		},
		{
			name:  "html heading h3 with emoji bullets in paragraphs",
			notes: "<p>Intro.</p><h3>À retenir :</h3><p>✅ Un<br>✅ Deux</p><h3>Crédits</h3><p>Musique</p>",
			want: Notes{
				Takeaways:       []string{"Un", "Deux"},
				TakeawaysSource: TakeawaysSection,
				Summary:         "Intro.",
			},
		},
		{
			name:  "html run-in takeaways paragraph",
			notes: "<p>Intro text here.</p><p><b>Lessons learned:</b> alerts need owners<br>- postmortems are blameless</p>",
			want: Notes{
				Takeaways:       []string{"alerts need owners", "postmortems are blameless"},
				TakeawaysSource: TakeawaysSection,
				Summary:         "Intro text here.",
			},
		},
		{
			name:  "html lead-in list",
			notes: "<p>In this episode we cover:</p><ul><li>How the cache fell over</li><li>Why retries made it worse</li></ul><p><strong>Resources</strong></p><ul><li><a href=\"https://example.org/a\">https://example.org/a</a></li></ul>",
			want: Notes{
				Takeaways:       []string{"How the cache fell over", "Why retries made it worse"},
				TakeawaysSource: TakeawaysList,
				// Changed (issue 9): a link whose text is its URL is named by its host and path.
				Links: []Link{{Text: "example.org/a", URL: "https://example.org/a", Section: "Resources"}},
				// Changed (issue 9): a label ending in ":" is never the summary; the first item stands in.
				Summary: "How the cache fell over",
			},
		},
		{
			name:  "links list is not takeaways, bad schemes dropped",
			notes: "<p>Hello there.</p><h3>Links</h3><ul><li>Docs: <a href=\"https://example.org/docs\">https://example.org/docs</a></li><li><a href=\"javascript:alert(1)\">click</a></li><li><a href=\"mailto:a@example.org\">Mail us</a></li><li><a href=\"/relative\">rel</a></li></ul>",
			want: Notes{
				// Changed (issue 9): a greeting is no takeaway, so the summary gives none.
				Links: []Link{
					{Text: "Docs", URL: "https://example.org/docs", Section: "Links"},
					{Text: "Mail us", URL: "mailto:a@example.org", Section: "Links"},
				},
				Summary: "Hello there.",
			},
		},
		{
			name:  "line chapters",
			notes: "Show notes\n00:00 Intro\n05:30 - The outage\n1:02:03 Wrap-up",
			want: Notes{
				// Changed (issue 9): timestamp lines are chapters, not prose: no summary, no takeaways.
				Chapters:       []Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 330, Title: "The outage"}, {StartSeconds: 3723, Title: "Wrap-up"}},
				ChaptersSource: shownotes.ChaptersLines,
			},
		},
		{
			name:  "inline colon chapters need two increasing non-clock times",
			notes: "We start with the history (02:10), then the fix (14:47).",
			want: Notes{
				Chapters:        []Chapter{{StartSeconds: 130, Title: "We start with the history"}, {StartSeconds: 887, Title: "The fix"}},
				ChaptersSource:  shownotes.ChaptersProse,
				Summary:         "We start with the history (02:10), then the fix (14:47).",
				Takeaways:       []string{"We start with the history (02:10), then the fix (14:47)."},
				TakeawaysSource: TakeawaysSummary,
			},
		},
		{
			name:  "clock times are not chapters",
			notes: "Live show at 17:00 in Paris. Doors (16:30) and talk (17:00). Last Modified 10/08/2021 13:52:18. Rendez-vous à 17h.",
			want: Notes{
				Summary: "Live show at 17:00 in Paris. Doors (16:30) and talk (17:00). Last Modified 10/08/2021 13:52:18. Rendez-vous à 17h.",
				// Changed (issue 9): "Last Modified <date>" is a stamp, not a statement.
				Takeaways:       []string{"Live show at 17:00 in Paris.", "Doors (16:30) and talk (17:00)."},
				TakeawaysSource: TakeawaysSummary,
			},
		},
		{
			name:  "boilerplate removed",
			notes: "A great chat about DNS. Learn more about your ad choices. Visit megaphone.fm/adchoices",
			want: Notes{
				Summary:         "A great chat about DNS.",
				Takeaways:       []string{"A great chat about DNS."},
				TakeawaysSource: TakeawaysSummary,
			},
		},
		{
			name:  "abbreviations and urls are not glued boundaries",
			notes: "Intro.\nPoints clés :\nUtiliser des outils (e.g.Terraform) est utile.\nVoir https://example.org/A.Bcd pour ASP.NET.",
			want: Notes{
				Takeaways:       []string{"Utiliser des outils (e.g.Terraform) est utile.", "Voir https://example.org/A.Bcd pour ASP.NET."},
				TakeawaysSource: TakeawaysSection,
				Links:           []Link{{Text: "Voir", URL: "https://example.org/A.Bcd", Section: "Points clés"}},
				Summary:         "Intro.",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExtractNotes(tt.notes)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ExtractNotes (-want +got):\n%s", diff)
			}
			checkNotes(t, got, true)
		})
	}
}

func TestExtractNotesSummaryCap(t *testing.T) {
	long := strings.Repeat("word ", 200) // one sentence of 1000 characters
	got := ExtractNotes(long).Summary
	if n := utf8.RuneCountInString(got); n > maxSummaryLen+1 || !strings.HasSuffix(got, "word…") {
		t.Errorf("summary of %d runes: %q", n, got)
	}
}

func TestNotesText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain trimmed", "  hello\nworld  ", "hello\nworld"},
		{"paragraphs and list", "<p>Hello&nbsp;&amp;   welcome</p><ul><li>One</li><li>Two <b>bold</b></li></ul><p>Line<br>break</p>",
			"Hello & welcome\n\nOne\nTwo bold\n\nLine\nbreak"},
		{"headings and scripts", "<h3>Links &amp; Notes</h3><script>var x = '<p>';</script><p>Text</p>", "Links & Notes\n\nText"},
		{"entities", "<p>l&#x27;épisode &lt;3</p>", "l'épisode <3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, NotesText(tt.in)); diff != "" {
				t.Errorf("NotesText (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseChaptersJSON(t *testing.T) {
	simple := []Chapter{
		{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 168, Title: "Hearing Aids"}, {StartSeconds: 260, Title: "Progress Report"}, {StartSeconds: 410, Title: "Namespace"},
		{StartSeconds: 3990, Title: "Just Break Up"}, {StartSeconds: 4600, Title: "Donations"}, {StartSeconds: 5510, Title: "The Big Players"},
		{StartSeconds: 5854, Title: "Spread the Word"}, {StartSeconds: 6089, Title: "Outro"},
	}
	complexWant := []Chapter{
		{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 168, Title: "Hearing Aids"}, {StartSeconds: 260, Title: "Progress Report"}, {StartSeconds: 410, Title: "Namespace"},
		{StartSeconds: 3990, Title: "Just Break Up"}, {StartSeconds: 4200, Title: "Played song by artist"}, {StartSeconds: 4600, Title: "Donations"},
		{StartSeconds: 5510, Title: "The Big Players"}, {StartSeconds: 5854, Title: "Spread the Word"}, {StartSeconds: 6089, Title: "Outro"},
	}
	for _, tt := range []struct {
		file string
		want []Chapter
	}{
		{"podcast-namespace-example.json", simple},
		{"podcast-namespace-example-complex.json", complexWant},
	} {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("../testdata/chapters", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseChaptersJSON(data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("chapters (-want +got):\n%s", diff)
			}
		})
	}
	inline := []struct {
		name    string
		in      string
		want    []Chapter
		wantErr bool
	}{
		{"floats round down", `{"version":"1.2.0","chapters":[{"startTime":12.9,"title":" A  b "},{"startTime":"30.5","title":"S"}]}`, []Chapter{{StartSeconds: 12, Title: "A b"}, {StartSeconds: 30, Title: "S"}}, false},
		{"toc false and bad times skipped", `{"chapters":[{"startTime":1,"toc":false},{"startTime":-3,"title":"neg"},{"title":"none"},{"startTime":5,"toc":true,"title":"ok","extra":{"x":[1,2]}}]}`, []Chapter{{StartSeconds: 5, Title: "ok"}}, false},
		{"empty list", `{"version":"1.2.0","chapters":[]}`, []Chapter{}, false},
		{"no chapters key", `{"version":"1.2.0"}`, nil, true},
		{"not json", `<xml/>`, nil, true},
		{"chapters wrong type", `{"chapters":{"a":1}}`, nil, true},
	}
	for _, tt := range inline {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChaptersJSON([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "feeds: chapters json: ") {
					t.Errorf("error %q lacks prefix", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("chapters (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("wraps json error", func(t *testing.T) {
		_, err := ParseChaptersJSON([]byte(`{"chapters":[`))
		if err == nil || errors.Unwrap(err) == nil {
			t.Errorf("err = %v, want a wrapped json error", err)
		}
	})
}

func fuzzSeeds(f *testing.F) {
	for _, ep := range []int{2, 3, 12, 13, 14, 17} {
		f.Add(episodeNotes(f, postMortemHTML, ep))
		f.Add(episodeNotes(f, postMortemPlain, ep))
	}
	for _, s := range []string{
		"", "<<<", "<p>", "</a></a><a href=", "[99’", "(99'99\")", "[1’ 50’’", "00:00", "99:99:99 x",
		strings.Repeat("<div>", 200) + "x" + strings.Repeat("</div>", 10),
		strings.Repeat("<ul><li>", 200), strings.Repeat("a.B", 300),
		"Points clés ;", "Points clés;Références", "https://x.org/AbcDef", "http://",
		"<a href=\"https://e.org\"></a><a href=\"https://e.org\">t</a>",
		"\xff\xfe<p>\x00bad utf8\xc3</p>", "mailto:", "<p><b>Key takeaways</b></p>",
		"en particulier : A.B", "1. \n2. \n- \n• ", "🗝L🗝L🗝", "<a href='https://e.org/x'>x<p>y</a>",
		"<A", // fuzz: plain text that looks like a tag
	} {
		f.Add(s)
	}
}

func FuzzExtractNotes(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		n := ExtractNotes(s)
		checkNotes(t, n, false)
		_ = NotesText(s)
	})
}

func FuzzParseChaptersJSON(f *testing.F) {
	for _, name := range []string{"podcast-namespace-example.json", "podcast-namespace-example-complex.json"} {
		data, err := os.ReadFile(filepath.Join("../testdata/chapters", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"", "{}", "null", `{"chapters":null}`, `{"chapters":[{"startTime":1e400}]}`,
		`{"chapters":[{"startTime":"NaN"},{"startTime":"1e9"},{"startTime":true,"title":5}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cs, err := ParseChaptersJSON(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "feeds: chapters json: ") {
				t.Errorf("error %q lacks prefix", err)
			}
			return
		}
		for i, c := range cs {
			if c.StartSeconds < 0 || i > 0 && c.StartSeconds < cs[i-1].StartSeconds {
				t.Errorf("bad chapters %v", cs)
			}
		}
	})
}

func BenchmarkExtractNotes(b *testing.B) {
	items := loadFixture(b, postMortemHTML)
	b.ResetTimer()
	for b.Loop() {
		for _, it := range items {
			ExtractNotes(it.Notes)
		}
	}
}

// BenchmarkReadNotes730 reads the notes of every item of the 730-item feed, the
// show-notes share of BenchmarkParse730.
func BenchmarkReadNotes730(b *testing.B) {
	doc, err := os.ReadFile("../testdata/feeds/giant-bombcast-730-items.rss")
	if err != nil {
		b.Fatal(err)
	}
	f, err := ParseBytes(doc, ParseOptions{SkipNotes: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i := range f.Episodes {
			f.Episodes[i].ReadNotes()
		}
	}
}

// TestExtractNotesLargeHostile runs 1 MiB inputs built to hit the slow paths
// (glued boundaries, timestamps, run-in headings, URLs); they must finish and
// respect the limits.
func TestExtractNotesLargeHostile(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	const mb = 1 << 20
	inputs := map[string]string{
		"glued":    strings.Repeat("a.B", mb/3),
		"colons":   strings.Repeat("12:34 ", mb/6),
		"primes":   strings.Repeat("[1’ 50’’] ", mb/12),
		"urls":     strings.Repeat("https://e.org/xLes ", mb/19),
		"anchors":  strings.Repeat(`<a href="https://e.org/x">https://e.org/x</a>`, mb/45),
		"headings": strings.Repeat("Points clés ; A. ", mb/17),
		"emoji":    strings.Repeat("🗝L", mb/5),
		"nesting":  strings.Repeat("<div><ul><li>", mb/13),
		"overcap":  strings.Repeat("é", mb), // 2 MiB: cut at 1 MiB on a rune boundary
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			n := ExtractNotes(in)
			checkNotes(t, n, false)
			if len(n.Links) > maxLinks || len(n.Chapters) > maxChapters {
				t.Errorf("%d links, %d chapters", len(n.Links), len(n.Chapters))
			}
			if txt := NotesText(in); !utf8.ValidString(txt) || len(txt) > maxNotesBytes {
				t.Errorf("NotesText: %d bytes, valid %v", len(txt), utf8.ValidString(txt))
			}
		})
	}
}
