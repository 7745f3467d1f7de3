package shownotes

import (
	"html"
	"strings"
	"unicode/utf8"
)

// MaxInput is the most of the notes read, in bytes: input beyond 1 MiB is
// ignored, so that every step after it is bounded.
const MaxInput = 1 << 20

// Parse turns show notes (HTML, Markdown-ish text or flattened plain text) into
// a Document. Headings found inside flattened running text are cut out as
// headings of their own, and every block records the section it is in.
func Parse(notes string) Document {
	notes = capInput(notes)
	if strings.TrimSpace(notes) == "" {
		return Document{}
	}
	notes = unescapeHTML(notes)
	d := Document{HTML: looksLikeHTML(notes)}
	if d.HTML {
		d.Blocks = htmlBlocks(notes)
	} else {
		d.Blocks = plainBlocks(notes)
	}
	d.Blocks = splitRunIns(d.Blocks, !d.HTML)
	assignSections(d.Blocks)
	return d
}

// assignSections records on each block the text of the nearest heading before it.
func assignSections(blocks []Block) {
	section := ""
	for i := range blocks {
		if blocks[i].Kind == Heading {
			section = headingLabel(blocks[i].Text)
			blocks[i].Section = section
			continue
		}
		blocks[i].Section = section
	}
}

// headingLabel is a heading's text without its trailing ":" or ";".
func headingLabel(s string) string {
	s = oneLine(s)
	s = strings.TrimRightFunc(s, func(r rune) bool {
		return r == ':' || r == ';' || r == '：' || r == '-' || r == '–' || r == '—' || isSpaceRune(r)
	})
	return truncateRunes(s, 200)
}

// unescapeHTML decodes notes whose HTML was escaped twice ("&lt;p&gt;Hello"), as
// some hosts send them, so that they are read as the HTML they are.
func unescapeHTML(notes string) string {
	if !strings.Contains(notes, "&lt;") || looksLikeHTML(notes) {
		return notes
	}
	if u := html.UnescapeString(notes); looksLikeHTML(u) {
		return u
	}
	return notes
}

// capInput keeps at most MaxInput, so that every later step is bounded.
func capInput(s string) string { return capInputAt(s, MaxInput) }

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
