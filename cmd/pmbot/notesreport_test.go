package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/feeds"
)

// TestNotesReportCounts: the counting itself, on episodes whose notes are given,
// so that it does not move when the extraction does.
func TestNotesReportCounts(t *testing.T) {
	shared := feeds.Link{Text: "Our site", URL: "https://show.example.org/"}
	ep := func(source string, chapters []feeds.Chapter, links ...feeds.Link) feeds.Episode {
		return feeds.Episode{NotesHTML: "<p>notes</p>", DurationSeconds: 600, Notes: feeds.Notes{TakeawaysSource: source, Chapters: chapters, Links: links}}
	}
	tests := []struct {
		name string
		feed feeds.Feed
		want notesReport
	}{
		{
			name: "empty feed",
			feed: feeds.Feed{Title: "Empty"},
			want: notesReport{Feed: "f", Title: "Empty", Chapters: chaptersReport{BySource: map[string]int{}}},
		},
		{
			name: "every kind of problem",
			feed: feeds.Feed{Title: "Show", Episodes: []feeds.Episode{
				ep(feeds.TakeawaysSection, []feeds.Chapter{{StartSeconds: 0, Title: "Intro"}, {StartSeconds: 700, Title: "After the end"}},
					shared,
					feeds.Link{Text: "Paper", URL: "https://example.org/paper?utm_source=x&id=3"},
					feeds.Link{Text: "Paper again", URL: "https://EXAMPLE.org/paper/?id=3#top"},
				),
				ep(feeds.TakeawaysList, []feeds.Chapter{{StartSeconds: 30, Title: " "}},
					shared,
					feeds.Link{Text: "https://example.org/raw", URL: "https://example.org/raw"},
					feeds.Link{Text: "", URL: "https://example.org/empty"},
				),
				ep(feeds.TakeawaysSummary, nil,
					shared,
					feeds.Link{Text: "one two three four five six seven eight nine ten eleven twelve thirteen", URL: "https://www.amazon.com/dp/1?tag=x-20"},
				),
				{Notes: feeds.Notes{}, ChaptersURL: "https://example.org/chapters.json"},
			}},
			want: notesReport{
				Feed: "f", Title: "Show", Episodes: 4, WithNotes: 3,
				Takeaways: takeawaysBySource{Section: 1, List: 1, Summary: 1, None: 1},
				Chapters:  chaptersReport{Episodes: 2, BySource: map[string]int{"notes": 2}, PodcastChapters: 1, BeyondEnd: 1, Untitled: 1},
				Links:     linksReport{Total: 8, Episodes: 3, Tracking: 2, Duplicate: 1, URLText: 1, NoText: 1, SentenceText: 1, FooterLike: 3},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, reportNotes("f", &tt.feed)); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

const plainFixture = "../../testdata/postmortem/feed-plain.xml"

func notesReportRun(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{"notes-report"}, args...), strings.NewReader(""), &out, &errOut, nil)
	return out.String(), errOut.String(), code
}

// TestNotesReportCLI: exit codes and messages as the other commands have them.
func TestNotesReportCLI(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		stdoutRe string
		stderrRe string
	}{
		{"no feed", nil, 2, `^$`, `^pmbot: notes-report needs feed files or URLs, like .notes-report feed.xml. \(see .pmbot help.\)\n$`},
		{"flag of another command", []string{"--limit", "3", fixture}, 2, `^$`, `^pmbot: notes-report does not take --limit`},
		{"missing file", []string{"no/such/feed.xml"}, 1, `^$`, `^pmbot: no/such/feed.xml: the feed file does not exist: check the path\n$`},
		{"not a feed", []string{"../../README.md"}, 1, `^$`, `^pmbot: \.\./\.\./README\.md: .*not a podcast feed`},
		{"one feed", []string{fixture}, 0, `(?s)^ *feed +episodes .*testdata/postmortem/feed\.xml +18 +8 .*footer-like: `, `^$`},
		{"two feeds", []string{fixture, plainFixture}, 0, `(?s)feed\.xml +18 .*feed-plain\.xml +18 `, `^$`},
		{"one feed missing", []string{fixture, "missing.xml"}, 1, `testdata/postmortem/feed\.xml +18 `, `^pmbot: missing.xml: the feed file does not exist`},
		{"file URL", []string{"file://" + absPath(t, fixture)}, 0, `feed\.xml +18 `, `^$`},
		{"json", []string{"--json", fixture}, 0, `^\[\n  \{\n    "feed": "\.\./\.\./testdata/postmortem/feed\.xml",`, `^$`},
		{"json with a missing feed", []string{"--json", "missing.xml"}, 1, `^\[\]\n$`, `^pmbot: missing.xml: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := notesReportRun(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !regexp.MustCompile(tt.stdoutRe).MatchString(stdout) {
				t.Errorf("stdout %q does not match %q", stdout, tt.stdoutRe)
			}
			if !regexp.MustCompile(tt.stderrRe).MatchString(stderr) {
				t.Errorf("stderr %q does not match %q", stderr, tt.stderrRe)
			}
		})
	}
}

func absPath(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.ToSlash(p)
}

// TestNotesReportTextAndJSONAgree: both forms give the same figures, the figures
// add up, and what the parser alone decides (episodes, podcast:chapters) is exact.
func TestNotesReportTextAndJSONAgree(t *testing.T) {
	tests := []struct {
		feed                          string
		episodes, withNotes, chapFile int
	}{
		{fixture, 18, 8, 0},
		{plainFixture, 18, 8, 0},
		{"../../testdata/feeds/mike-neumann-show.xml", 54, 54, 54},
		{"../../testdata/feeds/launched-fireside.xml", 36, 35, 0},
		{"../../testdata/feeds/heise-developer.atom", 15, 15, 0},
	}
	for _, tt := range tests {
		t.Run(tt.feed, func(t *testing.T) {
			js, stderr, code := notesReportRun("--json", tt.feed)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var reports []notesReport
			if err := json.Unmarshal([]byte(js), &reports); err != nil || len(reports) != 1 {
				t.Fatalf("%d reports (%v) in %s", len(reports), err, js)
			}
			r := reports[0]
			got := []int{r.Episodes, r.WithNotes, r.Chapters.PodcastChapters}
			if diff := cmp.Diff([]int{tt.episodes, tt.withNotes, tt.chapFile}, got); diff != "" {
				t.Errorf("episodes, with notes, podcast:chapters (-want +got):\n%s", diff)
			}
			if sum := r.Takeaways.Section + r.Takeaways.List + r.Takeaways.Summary + r.Takeaways.None; sum != r.Episodes {
				t.Errorf("takeaway sources add up to %d, not %d episodes", sum, r.Episodes)
			}
			bySource := 0
			for _, n := range r.Chapters.BySource {
				bySource += n
			}
			if bySource != r.Chapters.Episodes || r.Chapters.Episodes > r.Episodes || r.Links.Episodes > r.Episodes {
				t.Errorf("chapters %d by source %d, link episodes %d, of %d episodes", r.Chapters.Episodes, bySource, r.Links.Episodes, r.Episodes)
			}
			for name, n := range map[string]int{"tracking": r.Links.Tracking, "duplicate": r.Links.Duplicate, "url text": r.Links.URLText + r.Links.NoText + r.Links.SentenceText, "footer-like": r.Links.FooterLike} {
				if n > r.Links.Total {
					t.Errorf("%s %d > %d links", name, n, r.Links.Total)
				}
			}
			text, stderr, code := notesReportRun(tt.feed)
			if code != 0 {
				t.Fatalf("text: exit %d: %s", code, stderr)
			}
			var row []string
			for _, line := range strings.Split(text, "\n") {
				if f := strings.Fields(line); len(f) > 0 && f[0] == tt.feed {
					row = f[1:]
				}
			}
			want := strings.Fields(strings.Join([]string{
				strconv.Itoa(r.Episodes), strconv.Itoa(r.WithNotes), strconv.Itoa(r.Takeaways.Section), strconv.Itoa(r.Takeaways.List), strconv.Itoa(r.Takeaways.Summary), strconv.Itoa(r.Takeaways.None),
				chaptersCell(r.Chapters), strconv.Itoa(r.Chapters.PodcastChapters), strconv.Itoa(r.Chapters.BeyondEnd), strconv.Itoa(r.Chapters.Untitled),
				strconv.Itoa(r.Links.Total), strconv.Itoa(r.Links.Tracking), strconv.Itoa(r.Links.Duplicate), strconv.Itoa(r.Links.URLText), strconv.Itoa(r.Links.NoText), strconv.Itoa(r.Links.SentenceText), strconv.Itoa(r.Links.Footer), strconv.Itoa(r.Links.FooterLike),
			}, " "))
			if diff := cmp.Diff(want, row); diff != "" {
				t.Errorf("text row and JSON differ (-json +text):\n%s\n%s", diff, text)
			}
		})
	}
}
