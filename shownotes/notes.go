package shownotes

import (
	"html"
	"sort"
	"strings"
)

// Limits that keep Extract and Text bounded on hostile or huge notes (with
// MaxInput).
const (
	MaxTakeaways    = 50
	MaxItemRunes    = 1000 // runes per takeaway
	MaxChapters     = 200
	MaxLinks        = 200
	MaxTitleRunes   = 120 // runes per chapter title
	MaxLinkText     = 300 // runes per link text
	MaxSummaryRunes = 500 // runes of the summary
)

// Short internal names for the limits.
const (
	maxTakeaways  = MaxTakeaways
	maxItemLen    = MaxItemRunes
	maxChapters   = MaxChapters
	maxLinks      = MaxLinks
	maxTitleLen   = MaxTitleRunes
	maxLinkText   = MaxLinkText
	maxSummaryLen = MaxSummaryRunes
)

// Notes is what the show notes say beyond their text: the key takeaways, the
// chapters, the links and a short summary.
type Notes struct {
	Takeaways []string
	// TakeawaysSource says where the takeaways came from: TakeawaysSection,
	// TakeawaysList, TakeawaysSummary, or "" when there are none.
	TakeawaysSource string
	Chapters        []Chapter
	// ChaptersSource says which rule found the chapters: ChaptersFeed,
	// ChaptersTable, ChaptersPre, ChaptersLines, ChaptersProse, or "" when
	// there are none.
	ChaptersSource string `json:",omitempty"`
	Links          []Link
	Summary        string
}

// Where chapters come from.
const (
	ChaptersFeed  = "feed"  // declared by the feed (Podlove Simple Chapters)
	ChaptersTable = "table" // a table of times and titles
	ChaptersPre   = "pre"   // a preformatted block of timestamp lines
	ChaptersLines = "lines" // timestamp lines (or list items) read as a group
	ChaptersProse = "prose" // times written in running text ("[12']", "at 12:30")
)

// References are the episode's own links: those not marked Footer, in order.
func (n Notes) References() []Link {
	var out []Link
	for _, l := range n.Links {
		if !l.Footer {
			out = append(out, l)
		}
	}
	return out
}

// Where takeaways come from, best source first.
const (
	TakeawaysSection = "section" // items under a "Points clés"/"Key takeaways" heading
	TakeawaysList    = "list"    // a list the notes introduce ("en particulier :")
	TakeawaysSummary = "summary" // statements of the notes' prose, when nothing better exists
)

// Chapter is a point in the episode with its title.
type Chapter struct {
	StartSeconds int    `json:"start_seconds"`
	Title        string `json:"title"`
}

// Link is a link from the show notes with the section it appears in.
type Link struct {
	Text    string `json:"text"`
	URL     string `json:"url"`
	Section string `json:"section"`
	// Footer marks the podcast's own links (subscribe, follow, support, its
	// site, feed and apps), as opposed to the episode's references.
	Footer bool `json:"footer,omitempty"`
}

// Options give Extract what the feed says of the episode beside its notes.
type Options struct {
	// Title is the episode's title: a summary that only repeats it is no summary.
	Title string
	// DurationSeconds is the episode's length, 0 when unknown: no chapter starts
	// at or after it.
	DurationSeconds int
	// Link is the episode's web page: links to its site are the podcast's own.
	Link string
	// Chapters are chapters the feed declares for the episode (Podlove Simple
	// Chapters); when there are any they are the chapters, in place of those
	// read from the notes.
	Chapters []Chapter
}

// nblock is a block as the rules read it.
type nblock struct {
	Block
	// boiler marks promotional or host boilerplate text, ignored by the rules.
	boiler bool
}

// Extract understands show notes given as HTML, Markdown-ish or plain text: the
// key takeaways (and where they came from), the chapters, the links with the
// section they appear in, and a short summary. It never panics and its work is
// bounded whatever the input.
//
// It parses the notes once (Parse), takes the sections from real headings
// (sections.go), cuts promotional text out (promo.go), then reads the summary
// (summary.go), the takeaways (takeaways.go), the chapters (chapters.go, or
// opt.Chapters when the feed declares them) and the links (links.go).
func Extract(notes string, opt Options) Notes {
	d := Parse(notes)
	if len(d.Blocks) == 0 {
		n := Notes{Chapters: declaredChapters(opt.Chapters, opt.DurationSeconds)}
		if len(n.Chapters) > 0 {
			n.ChaptersSource = ChaptersFeed
		}
		return n
	}
	blocks := make([]nblock, len(d.Blocks))
	for i, b := range d.Blocks {
		blocks[i] = nblock{Block: b}
	}
	title := newEpisodeTitle(opt.Title)
	assignRealSections(blocks, title)
	markPromo(blocks)

	var n Notes
	summary, prose, at := summaryOf(blocks, title)
	n.Summary = summary
	n.Takeaways, n.TakeawaysSource = takeawaysOf(blocks, !d.HTML, prose, at, title)
	if len(opt.Chapters) > 0 {
		n.Chapters = declaredChapters(opt.Chapters, opt.DurationSeconds)
		if len(n.Chapters) > 0 {
			n.ChaptersSource = ChaptersFeed
		}
	} else {
		n.Chapters, n.ChaptersSource = chaptersOf(blocks, opt.DurationSeconds)
	}
	n.Links = linksOf(blocks, opt.Link)
	return n
}

// declaredChapters are the chapters the feed declares, as the notes' chapters
// would be: sorted, one per time, titled, within the episode, within the limits.
func declaredChapters(cs []Chapter, durationSeconds int) []Chapter {
	if len(cs) == 0 {
		return nil
	}
	sorted := append([]Chapter(nil), cs[:min(len(cs), 10*maxChapters)]...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].StartSeconds < sorted[j].StartSeconds })
	var out []Chapter
	for _, c := range sorted {
		title := truncateRunes(CollapseSpaces(capInputAt(c.Title, 8*maxTitleLen)), maxTitleLen)
		switch {
		case title == "", c.StartSeconds < 0, durationSeconds > 0 && c.StartSeconds >= durationSeconds:
			continue
		case len(out) > 0 && out[len(out)-1].StartSeconds == c.StartSeconds:
			continue
		}
		out = append(out, Chapter{StartSeconds: c.StartSeconds, Title: title})
		if len(out) == maxChapters {
			break
		}
	}
	return out
}

// Text turns HTML show notes into readable plain text: block elements become
// paragraph breaks, list items, table rows and <br> become line breaks, entities
// are decoded and whitespace is collapsed inside lines. Plain-text notes come
// back trimmed, with entities left in them decoded.
func Text(notes string) string {
	notes = unescapeHTML(capInput(notes))
	if !looksLikeHTML(notes) {
		if strings.Contains(notes, "&") && strings.Contains(notes, ";") {
			notes = html.UnescapeString(notes)
		}
		return strings.TrimSpace(notes)
	}
	var b strings.Builder
	var prev Kind
	for i, bl := range htmlBlocks(notes) {
		if i > 0 {
			// The items of a list and the rows of a table go on consecutive lines.
			if bl.Kind == prev && (bl.Kind == Item || bl.Kind == Row) {
				b.WriteString("\n")
			} else {
				b.WriteString("\n\n")
			}
		}
		b.WriteString(bl.Text)
		prev = bl.Kind
	}
	return strings.TrimSpace(b.String())
}
