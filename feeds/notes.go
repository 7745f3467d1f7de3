package feeds

import (
	"strings"
	"unicode/utf8"
)

// Limits that keep ExtractNotes and NotesText bounded on hostile or huge notes.
const (
	maxNotesBytes = 1 << 20 // input beyond 1 MiB is ignored
	maxTakeaways  = 50
	maxItemLen    = 1000 // runes per takeaway
	maxChapters   = 200
	maxLinks      = 200
	maxTitleLen   = 120 // runes per chapter title
	maxLinkText   = 300
	maxSummaryLen = 500
)

// ExtractNotes understands show notes given as HTML or plain text: the key
// takeaways (and where they came from), the chapters given as timestamps, the
// links with the section they appear in, and a short summary. It never panics and
// its work is bounded whatever the input.
func ExtractNotes(notes string) Notes {
	notes = capInput(notes)
	if strings.TrimSpace(notes) == "" {
		return Notes{}
	}
	var blocks []nblock
	isHTML := looksLikeHTML(notes)
	if isHTML {
		blocks = htmlBlocks(notes)
	} else {
		blocks = plainBlocks(notes)
	}
	blocks = splitRunIns(blocks, !isHTML)
	assignSections(blocks)
	markBoilerplate(blocks)

	var n Notes
	n.Summary = summaryOf(blocks)
	n.Takeaways, n.TakeawaysSource = takeawaysOf(blocks, !isHTML)
	if len(n.Takeaways) == 0 && n.Summary != "" {
		n.Takeaways = firstSentences(n.Summary, 3)
		if len(n.Takeaways) > 0 {
			n.TakeawaysSource = TakeawaysSummary
		}
	}
	n.Chapters = chaptersOf(blocks)
	n.Links = linksOf(blocks)
	return n
}

// NotesText turns HTML show notes into readable plain text: block elements become
// paragraph breaks, list items and <br> become line breaks, entities are decoded
// and whitespace is collapsed inside lines. Plain-text notes come back trimmed.
func NotesText(notes string) string {
	notes = capInput(notes)
	if !looksLikeHTML(notes) {
		return strings.TrimSpace(notes)
	}
	var b strings.Builder
	prevItem := false
	for i, bl := range htmlBlocks(notes) {
		if i > 0 {
			if bl.kind == blockItem && prevItem {
				b.WriteString("\n")
			} else {
				b.WriteString("\n\n")
			}
		}
		b.WriteString(bl.text)
		prevItem = bl.kind == blockItem
	}
	return strings.TrimSpace(b.String())
}

// capInput keeps at most maxNotesBytes, so that every later step is bounded.
func capInput(s string) string { return capInputAt(s, maxNotesBytes) }

// capInputAt keeps at most n bytes of s, cut on a rune boundary.
func capInputAt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.RuneStart(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	if len(s) > 0 {
		if r, size := utf8.DecodeLastRuneInString(s); r == utf8.RuneError && size <= 1 {
			s = s[:len(s)-1]
		}
	}
	return s
}

// htmlTagNames are the tags whose presence makes notes HTML. Plain text may well
// contain "<" ("a < b", "<3"), so a known tag name is required.
var htmlTagNames = []string{
	"p", "br", "li", "ul", "ol", "a", "div", "span", "b", "i", "em", "strong",
	"h1", "h2", "h3", "h4", "h5", "h6", "img", "hr", "blockquote", "table", "pre",
	"u", "small", "code", "section", "article", "font", "center", "iframe", "sup", "sub",
}

// looksLikeHTML reports whether notes contain at least one known HTML tag.
func looksLikeHTML(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		j := i + 1
		if j < len(s) && s[j] == '/' {
			j++
		}
		k := j
		for k < len(s) && k-j < 12 && isASCIIAlnum(s[k]) {
			k++
		}
		if k == j || k >= len(s) {
			continue
		}
		if c := s[k]; c != '>' && c != ' ' && c != '/' && c != '\t' && c != '\n' && c != '\r' {
			continue
		}
		name := strings.ToLower(s[j:k])
		for _, t := range htmlTagNames {
			if name == t {
				return true
			}
		}
	}
	return false
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
