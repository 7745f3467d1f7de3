package feeds_test

// The show-notes corpus (issue 9): hand-checked expectations for episodes of the
// real feeds in testdata/feeds and of the Post Mortem fixture, in
// testdata/notes-corpus (schema and judgement rules in its README.md). This file
// scores today's extraction against them, per feed, and fails when a feed falls
// below its floor.
//
//	go test ./feeds -run Corpus -v                 # the per-feed table
//	go test ./feeds -run Corpus -v -notes.report   # and every episode's diff
//	PMBOT_NOTES_REPORT=1 go test ./feeds -run Corpus -v   # the same, by environment
//
// When the extraction gets better, raise the floors below to the new figures (the
// table prints them in the same form); never lower one without saying why.

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/unicode/norm"

	"github.com/pmbot/pmbot/feeds"
)

// corpusFloor is what a feed must keep: ratios are at least the floor, link
// problems at most MaxLinkProblems. A ratio with nothing to count (no takeaway
// extracted, no chapter expected…) counts as 1.
type corpusFloor struct {
	TakeawayPrecision float64
	TakeawayRecall    float64
	ChapterPrecision  float64
	ChapterRecall     float64
	LinkRecall        float64
	MaxLinkProblems   int
	SummariesOK       int
}

// corpusFloors are today's figures (2026-12-01, before the shownotes rewrite), by
// corpus file. Raise them as the rules improve.
var corpusFloors = map[string]corpusFloor{
	"1865-art19.xml.json":                         {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 0, SummariesOK: 5},
	"baywatch-berlin-podigee.rss.json":            {TakeawayPrecision: 0.5, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 0, SummariesOK: 1},
	"dw-langsam-gesprochene-nachrichten.xml.json": {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 0, SummariesOK: 5},
	"giant-bombcast-730-items.rss.json":           {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 0, SummariesOK: 6},
	"heise-developer.atom.json":                   {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 0, SummariesOK: 5},
	"jn-noticias-iso-8859-1.rss.json":             {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 0, SummariesOK: 5},
	"launched-fireside.xml.json":                  {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 1, SummariesOK: 6},
	"mike-neumann-show.xml.json":                  {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 0, SummariesOK: 6},
	"no-agenda-malformed.xml.json":                {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 31, SummariesOK: 5},
	"podcasting20-pc20rss.xml.json":               {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 17, SummariesOK: 5},
	"podverse-test-feed.xml.json":                 {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 0, SummariesOK: 5},
	"postmortem-feed-plain.xml.json":              {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 0.888, ChapterRecall: 0.888, LinkRecall: 1, MaxLinkProblems: 12, SummariesOK: 9},
	"postmortem-feed.xml.json":                    {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 0.888, ChapterRecall: 0.888, LinkRecall: 1, MaxLinkProblems: 10, SummariesOK: 9},
	"sentimental-garbage-acast.xml.json":          {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 2, SummariesOK: 6},
	"taverncast-leading-newline.rss.json":         {TakeawayPrecision: 1, TakeawayRecall: 1, ChapterPrecision: 1, ChapterRecall: 1, LinkRecall: 1, MaxLinkProblems: 0, SummariesOK: 5},
}

var notesReport = flag.Bool("notes.report", false, "print the show-notes corpus diff of every episode (TestNotesCorpus)")

// corpusDir holds the expectations; paths inside them are from the repository root.
const corpusDir = "../testdata/notes-corpus"

// keptApart reports whether the extraction marked a link as the podcast's own
// footer or promo rather than one of the episode's references. Today's Link has
// no such mark, so every footer link it returns is "mixed in". When the
// extraction gains one, read it here (a bool field named Footer is already
// honoured, found by reflection so that this file compiles either way).
func keptApart(l feeds.Link) bool {
	if f := reflect.ValueOf(l).FieldByName("Footer"); f.IsValid() && f.Kind() == reflect.Bool {
		return f.Bool()
	}
	return false
}

// Corpus files, as testdata/notes-corpus/README.md documents them.
type corpusFile struct {
	Feed     string                       `json:"feed"`
	About    string                       `json:"about"`
	Footer   []string                     `json:"footer"`
	Episodes map[string]corpusExpectation `json:"episodes"`
}

type corpusExpectation struct {
	Title     string       `json:"title"`
	Why       string       `json:"why"`
	Takeaways expTakeaways `json:"takeaways"`
	Chapters  []expChapter `json:"chapters"`
	Links     expLinks     `json:"links"`
	Summary   expSummary   `json:"summary"`
}

type expTakeaways struct {
	Announced []string `json:"announced"`
	Fallback  []string `json:"fallback"`
	Forbidden []string `json:"forbidden"`
}

type expChapter struct {
	Start  int      `json:"start"`
	Titles []string `json:"titles"`
}

type expLinks struct {
	Episode  []expLink `json:"episode"`
	Footer   []string  `json:"footer"`
	Optional []string  `json:"optional"`
}

type expLink struct {
	URL  string `json:"url"`
	Text string `json:"text"`
}

type expSummary struct {
	Starts   []string `json:"starts"`
	Excludes []string `json:"excludes"`
}

func loadCorpus(t *testing.T) map[string]corpusFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(corpusDir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no corpus files in %s (%v)", corpusDir, err)
	}
	out := make(map[string]corpusFile)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(f)
		dec.DisallowUnknownFields()
		var cf corpusFile
		err = dec.Decode(&cf)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = cf
	}
	return out
}

func parseCorpusFeed(t *testing.T, path string) *feeds.Feed {
	t.Helper()
	f, err := os.Open(filepath.Join("..", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	feed, err := feeds.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return feed
}

// TestNotesCorpusFiles checks the corpus itself: every file decodes without an
// unknown key, names a feed that parses, has an entry in corpusFloors, covers at
// least five episodes (or all of a smaller feed), and names only GUIDs the feed has.
func TestNotesCorpusFiles(t *testing.T) {
	corpus := loadCorpus(t)
	var names []string
	for name := range corpus {
		names = append(names, name)
	}
	var floors []string
	for name := range corpusFloors {
		floors = append(floors, name)
	}
	sort.Strings(names)
	sort.Strings(floors)
	if diff := cmp.Diff(floors, names); diff != "" {
		t.Errorf("corpusFloors and the corpus files differ (-floors +files):\n%s", diff)
	}
	for _, name := range names {
		cf := corpus[name]
		t.Run(name, func(t *testing.T) {
			feed := parseCorpusFeed(t, cf.Feed)
			guids := make(map[string]bool)
			for _, ep := range feed.Episodes {
				guids[ep.GUID] = true
			}
			if want := min(5, len(feed.Episodes)); len(cf.Episodes) < want {
				t.Errorf("%d episodes, want at least %d", len(cf.Episodes), want)
			}
			for guid, e := range cf.Episodes {
				if !guids[guid] {
					t.Errorf("GUID %q is not in %s", guid, cf.Feed)
				}
				if e.Title == "" || e.Why == "" {
					t.Errorf("%s: title and why are required", guid)
				}
				if len(e.Takeaways.Announced) > 0 && len(e.Takeaways.Fallback) > 0 {
					t.Errorf("%s: announced key points and fallback statements exclude each other", guid)
				}
				for _, c := range e.Chapters {
					if len(c.Titles) == 0 {
						t.Errorf("%s: chapter at %d s has no title", guid, c.Start)
					}
				}
				for _, u := range append(append(linkURLs(e.Links.Episode), e.Links.Footer...), e.Links.Optional...) {
					if p, err := url.Parse(u); err != nil || p.Host == "" {
						t.Errorf("%s: %q is not an absolute URL", guid, u)
					}
				}
			}
		})
	}
}

func linkURLs(ls []expLink) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.URL)
	}
	return out
}

// corpusScore is one feed's figures. Each ratio is good/total.
type corpusScore struct {
	Episodes int
	// Where takeaways came from: section, list, summary, none.
	Sources map[string]int

	TakeawaysGood, TakeawaysTotal int
	AnnouncedFound, Announced     int
	ChaptersGood, ChaptersTotal   int
	ChaptersFound, ChaptersWanted int
	LinksFound, LinksWanted       int
	LinksTotal                    int
	Problems                      map[string]int
	SummariesOK                   int
}

// Link problem kinds, in the order the table prints them.
var problemKinds = []string{"tracking", "duplicate", "url-text", "sentence-text", "no-text", "footer-mixed", "unlisted"}

func ratio(good, total int) float64 {
	if total == 0 {
		return 1
	}
	return float64(good) / float64(total)
}

func (s corpusScore) problems() int {
	n := 0
	for _, v := range s.Problems {
		n += v
	}
	return n
}

// figures is the score in the floors' form, rounded down to three decimals so
// that a floor copied from the table always holds.
func (s corpusScore) figures() corpusFloor {
	down := func(x float64) float64 { return float64(int(x*1000+1e-9)) / 1000 }
	return corpusFloor{
		TakeawayPrecision: down(ratio(s.TakeawaysGood, s.TakeawaysTotal)),
		TakeawayRecall:    down(ratio(s.AnnouncedFound, s.Announced)),
		ChapterPrecision:  down(ratio(s.ChaptersGood, s.ChaptersTotal)),
		ChapterRecall:     down(ratio(s.ChaptersFound, s.ChaptersWanted)),
		LinkRecall:        down(ratio(s.LinksFound, s.LinksWanted)),
		MaxLinkProblems:   s.problems(),
		SummariesOK:       s.SummariesOK,
	}
}

// below lists what falls short of the floor.
func (f corpusFloor) below(floor corpusFloor) []string {
	var out []string
	check := func(name string, got, want float64) {
		if got+1e-9 < want {
			out = append(out, fmt.Sprintf("%s %.3f < %.3f", name, got, want))
		}
	}
	check("takeaway precision", f.TakeawayPrecision, floor.TakeawayPrecision)
	check("takeaway recall", f.TakeawayRecall, floor.TakeawayRecall)
	check("chapter precision", f.ChapterPrecision, floor.ChapterPrecision)
	check("chapter recall", f.ChapterRecall, floor.ChapterRecall)
	check("link recall", f.LinkRecall, floor.LinkRecall)
	if f.MaxLinkProblems > floor.MaxLinkProblems {
		out = append(out, fmt.Sprintf("link problems %d > %d", f.MaxLinkProblems, floor.MaxLinkProblems))
	}
	if f.SummariesOK < floor.SummariesOK {
		out = append(out, fmt.Sprintf("acceptable summaries %d < %d", f.SummariesOK, floor.SummariesOK))
	}
	return out
}

// TestNotesCorpus scores the extraction on every corpus file and holds each feed
// to its floor.
func TestNotesCorpus(t *testing.T) {
	corpus := loadCorpus(t)
	report := *notesReport || os.Getenv("PMBOT_NOTES_REPORT") != ""
	var names []string
	for name := range corpus {
		names = append(names, name)
	}
	sort.Strings(names)
	scores := make(map[string]corpusScore)
	for _, name := range names {
		cf := corpus[name]
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			feed := parseCorpusFeed(t, cf.Feed)
			var diff strings.Builder
			s := scoreCorpusFeed(cf, feed, &diff)
			scores[name] = s
			if report {
				t.Logf("%s (%s)\n%s", name, cf.Feed, diff.String())
			}
			floor, ok := corpusFloors[name]
			if !ok {
				t.Fatalf("no floor for %s in corpusFloors", name)
			}
			if short := s.figures().below(floor); len(short) > 0 {
				t.Errorf("%s fell below its floor: %s\n(-floor +now):\n%s", name, strings.Join(short, "; "), cmp.Diff(floor, s.figures()))
			}
		})
	}
	if testing.Verbose() {
		var b strings.Builder
		writeCorpusTable(&b, names, scores)
		t.Logf("show-notes corpus, per feed:\n%s", b.String())
	}
}

func writeCorpusTable(w io.Writer, names []string, scores map[string]corpusScore) {
	frac := func(good, total int) string {
		if total == 0 {
			return "—"
		}
		return fmt.Sprintf("%d/%d %.2f", good, total, ratio(good, total))
	}
	fmt.Fprintf(w, "| corpus file | eps | takeaways section/list/summary/none | takeaway precision | key-point recall | chapter precision | chapter recall | episode links found | links | link problems (%s) | summaries ok |\n", strings.Join(problemKinds, "/"))
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, name := range names {
		s := scores[name]
		var probs []string
		for _, k := range problemKinds {
			probs = append(probs, fmt.Sprint(s.Problems[k]))
		}
		fmt.Fprintf(w, "| %s | %d | %d/%d/%d/%d | %s | %s | %s | %s | %s | %d | %d (%s) | %d/%d |\n",
			strings.TrimSuffix(name, ".json"), s.Episodes,
			s.Sources[feeds.TakeawaysSection], s.Sources[feeds.TakeawaysList], s.Sources[feeds.TakeawaysSummary], s.Sources[""],
			frac(s.TakeawaysGood, s.TakeawaysTotal), frac(s.AnnouncedFound, s.Announced),
			frac(s.ChaptersGood, s.ChaptersTotal), frac(s.ChaptersFound, s.ChaptersWanted),
			frac(s.LinksFound, s.LinksWanted), s.LinksTotal, s.problems(), strings.Join(probs, "/"),
			s.SummariesOK, s.Episodes)
	}
	fmt.Fprintln(w, "\nfloors in corpusFloors' form:")
	for _, name := range names {
		f := scores[name].figures()
		fmt.Fprintf(w, "\t%q: {TakeawayPrecision: %g, TakeawayRecall: %g, ChapterPrecision: %g, ChapterRecall: %g, LinkRecall: %g, MaxLinkProblems: %d, SummariesOK: %d},\n",
			name, f.TakeawayPrecision, f.TakeawayRecall, f.ChapterPrecision, f.ChapterRecall, f.LinkRecall, f.MaxLinkProblems, f.SummariesOK)
	}
}

// scoreCorpusFeed scores the episodes cf names and writes their diff to w.
func scoreCorpusFeed(cf corpusFile, feed *feeds.Feed, w io.Writer) corpusScore {
	s := corpusScore{Sources: make(map[string]int), Problems: make(map[string]int)}
	byGUID := make(map[string]feeds.Episode)
	for _, ep := range feed.Episodes {
		byGUID[ep.GUID] = ep
	}
	var guids []string
	for g := range cf.Episodes {
		guids = append(guids, g)
	}
	sort.Strings(guids)
	for _, guid := range guids {
		e := cf.Episodes[guid]
		ep, ok := byGUID[guid]
		if !ok {
			fmt.Fprintf(w, "\n## %s: NOT IN THE FEED\n", guid)
			continue
		}
		s.Episodes++
		n := ep.Notes
		s.Sources[n.TakeawaysSource]++
		fmt.Fprintf(w, "\n## %s — %s\n", guid, e.Title)
		scoreTakeaways(&s, e.Takeaways, n, w)
		scoreChapters(&s, e.Chapters, n.Chapters, w)
		scoreLinks(&s, cf.Footer, e.Links, n.Links, w)
		ok, why := summaryAcceptable(n.Summary, e.Summary)
		if ok {
			s.SummariesOK++
		}
		fmt.Fprintf(w, "summary %s: %q\n", verdict(ok, why), clipText(n.Summary, 160))
	}
	return s
}

func verdict(ok bool, why string) string {
	if ok {
		return "ok"
	}
	return "NOT OK (" + why + ")"
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func scoreTakeaways(s *corpusScore, e expTakeaways, n feeds.Notes, w io.Writer) {
	acceptable := e.Fallback
	if len(e.Announced) > 0 {
		acceptable = e.Announced
	}
	left := make(map[string]int)
	for _, a := range acceptable {
		left[normItem(a)]++
	}
	forbidden := make(map[string]bool)
	for _, f := range e.Forbidden {
		forbidden[normItem(f)] = true
	}
	fmt.Fprintf(w, "takeaways (source %q):\n", n.TakeawaysSource)
	got := make(map[string]bool)
	for _, tk := range n.Takeaways {
		s.TakeawaysTotal++
		k := normItem(tk)
		got[k] = true
		switch {
		case left[k] > 0:
			left[k]--
			s.TakeawaysGood++
			fmt.Fprintf(w, "  ok         %q\n", clipText(tk, 160))
		case forbidden[k]:
			fmt.Fprintf(w, "  FORBIDDEN  %q\n", clipText(tk, 160))
		case isPieceOf(k, acceptable):
			fmt.Fprintf(w, "  SPLIT      %q\n", clipText(tk, 160))
		default:
			fmt.Fprintf(w, "  UNEXPECTED %q\n", clipText(tk, 160))
		}
	}
	for _, a := range e.Announced {
		s.Announced++
		if got[normItem(a)] {
			s.AnnouncedFound++
		} else {
			fmt.Fprintf(w, "  MISSING    %q\n", clipText(a, 160))
		}
	}
}

// isPieceOf reports whether k is a strict part of an acceptable statement: a
// sentence cut in two.
func isPieceOf(k string, acceptable []string) bool {
	if len(k) < 2 {
		return false
	}
	for _, a := range acceptable {
		if na := normItem(a); na != k && strings.Contains(na, k) {
			return true
		}
	}
	return false
}

func scoreChapters(s *corpusScore, want []expChapter, got []feeds.Chapter, w io.Writer) {
	used := make([]bool, len(want))
	s.ChaptersWanted += len(want)
	if len(want) == 0 && len(got) == 0 {
		fmt.Fprintln(w, "chapters: none, as expected")
		return
	}
	fmt.Fprintln(w, "chapters:")
	for _, c := range got {
		s.ChaptersTotal++
		match := -1
		for i, wc := range want {
			if used[i] || abs(wc.Start-c.StartSeconds) > 1 {
				continue
			}
			if slices.ContainsFunc(wc.Titles, func(t string) bool { return normItem(t) == normItem(c.Title) }) {
				match = i
				break
			}
		}
		if match >= 0 {
			used[match] = true
			s.ChaptersGood++
			s.ChaptersFound++
			fmt.Fprintf(w, "  ok         %5d %q\n", c.StartSeconds, c.Title)
			continue
		}
		fmt.Fprintf(w, "  WRONG      %5d %q\n", c.StartSeconds, c.Title)
	}
	for i, wc := range want {
		if !used[i] {
			fmt.Fprintf(w, "  MISSING    %5d %q\n", wc.Start, wc.Titles[0])
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func scoreLinks(s *corpusScore, feedFooter []string, e expLinks, got []feeds.Link, w io.Writer) {
	episode := make(map[string]bool)
	for _, l := range e.Episode {
		episode[normURL(l.URL)] = true
	}
	footer := make(map[string]bool)
	for _, u := range append(slices.Clone(feedFooter), e.Footer...) {
		footer[normURL(u)] = true
	}
	optional := make(map[string]bool)
	for _, u := range e.Optional {
		optional[normURL(u)] = true
	}
	s.LinksWanted += len(episode)
	if len(got) == 0 && len(episode) == 0 {
		fmt.Fprintln(w, "links: none, as expected")
		return
	}
	fmt.Fprintln(w, "links:")
	seen := make(map[string]bool)
	found := make(map[string]bool)
	for _, l := range got {
		s.LinksTotal++
		k := normURL(l.URL)
		var probs []string
		if hasTracking(l.URL) {
			probs = append(probs, "tracking")
		}
		if seen[k] {
			probs = append(probs, "duplicate")
		}
		seen[k] = true
		probs = append(probs, linkTextProblems(l.Text)...)
		class := "episode"
		switch {
		case episode[k]:
			found[k] = true
		case footer[k]:
			class = "footer"
			if !keptApart(l) {
				probs = append(probs, "footer-mixed")
			}
		case optional[k]:
			class = "optional"
		default:
			class = "?"
			probs = append(probs, "unlisted")
		}
		for _, p := range probs {
			s.Problems[p]++
		}
		mark := "ok"
		if len(probs) > 0 {
			mark = strings.ToUpper(strings.Join(probs, ","))
		}
		fmt.Fprintf(w, "  %-8s %s  %q -> %s [%s]\n", class, mark, clipText(l.Text, 80), l.URL, l.Section)
	}
	s.LinksFound += len(found)
	for _, l := range e.Episode {
		if k := normURL(l.URL); !found[k] {
			found[k] = true // once per URL
			fmt.Fprintf(w, "  MISSING  %q -> %s\n", l.Text, l.URL)
		}
	}
}

// linkTextProblems judges a link's text: never the raw URL, never empty, never a
// whole sentence (more than 12 words). A host and path ("example.org/page") is a
// fine text for a bare URL.
func linkTextProblems(text string) []string {
	t := strings.TrimSpace(text)
	switch {
	case t == "":
		return []string{"no-text"}
	case strings.Contains(t, "://") || strings.HasPrefix(strings.ToLower(t), "www."):
		return []string{"url-text"}
	case len(strings.Fields(t)) > 12:
		return []string{"sentence-text"}
	}
	return nil
}

// Tracking parameters: removed before comparing URLs, and a problem when the
// extraction leaves them. One list, here.
var (
	trackingParams = map[string]bool{
		"fbclid": true, "gclid": true, "dclid": true, "gbraid": true, "wbraid": true, "msclkid": true,
		"mc_cid": true, "mc_eid": true, "igshid": true, "yclid": true, "_hsenc": true, "_hsmi": true,
		"mkt_tok": true, "wt_mc": true, "wt_zmc": true,
	}
	amazonParams = map[string]bool{
		"ref": true, "ref_": true, "tag": true, "qid": true, "sr": true, "linkcode": true,
		"linkid": true, "camp": true, "creative": true, "creativeasin": true,
	}
)

func isTrackingParam(host, key string) bool {
	k := strings.ToLower(key)
	if strings.HasPrefix(k, "utm_") || trackingParams[k] {
		return true
	}
	h := strings.ToLower(host)
	return (strings.Contains(h, "amazon.") || strings.Contains(h, "amzn.")) && amazonParams[k]
}

func hasTracking(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return false
	}
	for k := range u.Query() {
		if isTrackingParam(u.Host, k) {
			return true
		}
	}
	return false
}

// normURL is the form two URLs are compared in: scheme and host in lower case,
// no fragment, no tracking parameter, the other parameters sorted, the path
// unescaped and without a trailing slash.
func normURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	q := u.Query()
	for k := range q {
		if isTrackingParam(u.Host, k) {
			q.Del(k)
		}
	}
	out := strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(norm.NFC.String(u.Path), "/")
	if len(q) > 0 {
		out += "?" + q.Encode()
	}
	return out
}

var leftoverEntity = regexp.MustCompile(`&(amp|lt|gt|quot|apos|nbsp|#[0-9]+|#x[0-9a-fA-F]+);`)

// summaryAcceptable: with no acceptable start, the summary must be empty;
// otherwise it starts with one of them, contains none of the excluded texts and
// no HTML entity left undecoded.
func summaryAcceptable(sum string, e expSummary) (bool, string) {
	if len(e.Starts) == 0 {
		if strings.TrimSpace(sum) != "" {
			return false, "the notes have no prose"
		}
		return true, ""
	}
	if strings.TrimSpace(sum) == "" {
		return false, "empty"
	}
	if m := leftoverEntity.FindString(sum); m != "" {
		return false, "entity " + m + " left"
	}
	ns := normText(sum)
	for _, x := range e.Excludes {
		if strings.Contains(ns, normText(x)) {
			return false, fmt.Sprintf("contains %q", x)
		}
	}
	for _, st := range e.Starts {
		if strings.HasPrefix(ns, trimNonAlnum(normText(st), false)) {
			return true, ""
		}
	}
	return false, "does not start with the first prose"
}

var typography = strings.NewReplacer(
	"’", "'", "‘", "'", "‛", "'", "ʼ", "'", "´", "'",
	"“", `"`, "”", `"`, "„", `"`, "«", `"`, "»", `"`,
	"–", "-", "—", "-", "‐", "-", "‑", "-",
	"\u00a0", " ", "\u202f", " ", "\u2009", " ", "…", "...",
)

// normText folds what a careful reader would not call a difference: Unicode
// composition, typographic quotes and dashes, non-breaking spaces, runs of
// spaces, case.
func normText(s string) string {
	s = typography.Replace(norm.NFC.String(s))
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// normItem is normText without what surrounds the words: bullets, emoji, final
// punctuation, quotes.
func normItem(s string) string { return trimNonAlnum(normText(s), true) }

func trimNonAlnum(s string, front bool) string {
	keep := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	if front {
		s = strings.TrimLeftFunc(s, keep)
	}
	return strings.TrimRightFunc(s, keep)
}
