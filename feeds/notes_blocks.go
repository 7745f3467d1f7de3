package feeds

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Notes are first turned into a flat sequence of blocks (paragraphs, headings,
// list items), from HTML or from plain text; every extractor then works on blocks,
// so HTML and plain notes follow the same rules.

type blockKind int

const (
	blockPara blockKind = iota
	blockHeading
	blockItem
)

// nblock is one block of the notes.
type nblock struct {
	kind blockKind
	// text is plain text with whitespace collapsed; "\n" separates lines (<br>
	// or plain-text line breaks).
	text string
	// list identifies the list an item belongs to (items of one <ul> share it).
	list int
	// anchors are the <a href> of the block, with byte offsets into text.
	anchors []anchor
	// section is the text of the nearest heading before the block.
	section string
	// runIn is set on headings found inside running text (plain notes).
	runIn bool
	// afterLeadIn is set on plain text that follows a lead-in colon ("en particulier :").
	afterLeadIn bool
	// boiler marks host boilerplate (privacy lines, ad choices).
	boiler bool
}

type anchor struct {
	href       string
	start, end int
}

// blockTags start and end a block in HTML.
var blockTags = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Li: true, atom.Ul: true,
	atom.Ol: true, atom.Blockquote: true, atom.Pre: true, atom.Section: true,
	atom.Article: true, atom.Header: true, atom.Footer: true, atom.Table: true,
	atom.Tr: true, atom.Td: true, atom.Th: true, atom.Dl: true, atom.Dt: true,
	atom.Dd: true, atom.Hr: true, atom.Figure: true, atom.Figcaption: true,
	atom.Main: true, atom.Aside: true, atom.Nav: true, atom.Address: true,
	atom.Center: true, atom.Details: true, atom.Summary: true, atom.Tbody: true,
	atom.Thead: true, atom.Dialog: true,
}

// skipTags have content that is not text of the notes.
var skipTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Head: true, atom.Title: true, atom.Iframe: true, atom.Object: true, atom.Svg: true,
}

// textBuilder accumulates block text with whitespace collapsed as it goes, so
// that byte offsets recorded for anchors stay valid in the final text.
type textBuilder struct {
	b       strings.Builder
	pending byte // ' ' or '\n' to write before the next visible text
}

func (t *textBuilder) space() {
	if t.b.Len() > 0 && t.pending == 0 {
		t.pending = ' '
	}
}

func (t *textBuilder) newline() {
	if t.b.Len() > 0 {
		t.pending = '\n'
	}
}

func (t *textBuilder) write(s string) {
	for _, r := range s {
		if isSpaceRune(r) {
			t.space()
			continue
		}
		if t.pending != 0 {
			t.b.WriteByte(t.pending)
			t.pending = 0
		}
		if r == utf8.RuneError || r == 0 {
			r = '\uFFFD'
		}
		t.b.WriteRune(r)
	}
}

func (t *textBuilder) len() int { return t.b.Len() }

func isSpaceRune(r rune) bool {
	return unicode.IsSpace(r) || r == '\u00a0' || r == '\u200b' || r == '\ufeff'
}

// htmlBlocks tokenizes HTML notes into blocks. The tokenizer (not the tree
// parser) keeps this linear and free of recursion on deeply nested input.
func htmlBlocks(s string) []nblock {
	z := html.NewTokenizer(strings.NewReader(s))
	var (
		blocks    []nblock
		cur       textBuilder
		kind      = blockPara
		list      int
		lists     []int
		nextList  int
		bold      int
		hasBold   bool
		hasPlain  bool
		anchors   []anchor
		openHref  string
		openStart = -1
		skip      int
	)
	closeAnchor := func() {
		if openStart >= 0 {
			anchors = append(anchors, anchor{href: openHref, start: openStart, end: cur.len()})
			openStart = -1
		}
	}
	flush := func(next blockKind, nextList int) {
		closeAnchor()
		text := cur.b.String()
		if strings.TrimSpace(text) != "" || len(anchors) > 0 {
			k := kind
			if k == blockPara && hasBold && !hasPlain && utf8.RuneCountInString(text) <= 150 && !strings.Contains(text, "\n") {
				k = blockHeading
			}
			if k == blockHeading && utf8.RuneCountInString(text) > 200 {
				k = blockPara
			}
			blocks = append(blocks, nblock{kind: k, text: text, list: list, anchors: anchors})
		}
		cur = textBuilder{}
		anchors = nil
		hasBold, hasPlain = false, false
		kind, list = next, nextList
	}
	for len(blocks) < 20000 {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		switch tt {
		case html.TextToken:
			if skip > 0 {
				continue
			}
			txt := string(z.Text())
			if strings.TrimSpace(txt) != "" {
				if bold > 0 {
					hasBold = true
				} else {
					hasPlain = true
				}
			}
			cur.write(txt)
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			end := tt == html.EndTagToken
			self := tt == html.SelfClosingTagToken
			if skipTags[a] {
				if end {
					if skip > 0 {
						skip--
					}
				} else if !self {
					skip++
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch {
			case a == atom.Br:
				cur.newline()
			case a == atom.B || a == atom.Strong:
				if end {
					if bold > 0 {
						bold--
					}
				} else if !self {
					bold++
				}
			case a == atom.A:
				if end {
					closeAnchor()
					continue
				}
				closeAnchor()
				href := ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						href = strings.TrimSpace(string(v))
					}
				}
				if href != "" && !self {
					openHref, openStart = href, cur.len()
					if cur.pending != 0 {
						openStart++ // the pending separator is written before the anchor text
					}
				}
			case blockTags[a]:
				if (a == atom.Ul || a == atom.Ol) && !end {
					nextList++
					lists = append(lists, nextList)
					flush(blockPara, 0)
					continue
				}
				if (a == atom.Ul || a == atom.Ol) && end {
					if len(lists) > 0 {
						lists = lists[:len(lists)-1]
					}
					flush(blockPara, 0)
					continue
				}
				if end || self {
					flush(blockPara, 0)
					continue
				}
				switch a {
				case atom.Li:
					l := 0
					if len(lists) > 0 {
						l = lists[len(lists)-1]
					} else {
						nextList++
						l = nextList
					}
					flush(blockItem, l)
				case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
					flush(blockHeading, 0)
				case atom.Td, atom.Th:
					// Cells of one row stay on one line.
					cur.space()
				default:
					flush(blockPara, 0)
				}
			default:
				// Other inline elements join words as they are; an image separates them.
				if a == atom.Img || a == atom.Wbr {
					cur.space()
				}
			}
		}
	}
	flush(blockPara, 0)
	// An anchor opened and left with pending whitespace may point one byte past
	// the text; clamp to be safe.
	for i := range blocks {
		n := len(blocks[i].text)
		for j := range blocks[i].anchors {
			an := &blocks[i].anchors[j]
			an.start = min(max(an.start, 0), n)
			an.end = min(max(an.end, an.start), n)
		}
		blocks[i].text = trimLines(blocks[i].text)
	}
	return blocks
}

// trimLines trims spaces at the end of the text and around line breaks without
// moving the start of the text (anchor offsets depend on it).
func trimLines(s string) string {
	return strings.TrimRightFunc(s, isSpaceRune)
}

// plainBlocks splits plain-text notes into blocks: blank lines separate
// paragraphs, bulleted or numbered lines are list items, and a line that is only
// a known heading is a heading.
func plainBlocks(s string) []nblock {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var (
		blocks []nblock
		para   []string
		list   int
		inList bool
	)
	flushPara := func() {
		if len(para) > 0 {
			blocks = append(blocks, nblock{kind: blockPara, text: strings.Join(para, "\n")})
			para = nil
		}
	}
	for _, line := range strings.Split(s, "\n") {
		line = collapseSpaces(line)
		if line == "" {
			flushPara()
			inList = false
			continue
		}
		if isHeadingLine(line) {
			flushPara()
			inList = false
			blocks = append(blocks, nblock{kind: blockHeading, text: line})
			continue
		}
		if rest, ok := stripBullet(line); ok && rest != "" {
			flushPara()
			if !inList {
				list++
				inList = true
			}
			blocks = append(blocks, nblock{kind: blockItem, text: rest, list: list})
			continue
		}
		inList = false
		para = append(para, line)
		if len(blocks) > 20000 {
			break
		}
	}
	flushPara()
	return blocks
}

// collapseSpaces collapses runs of whitespace into one space and trims.
func collapseSpaces(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if isSpaceRune(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if r == utf8.RuneError || r == 0 {
			r = '\uFFFD'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// oneLine turns block text into a single line.
func oneLine(s string) string {
	return collapseSpaces(strings.ReplaceAll(s, "\n", " "))
}

// assignSections records on each block the text of the nearest heading before it.
func assignSections(blocks []nblock) {
	section := ""
	for i := range blocks {
		if blocks[i].kind == blockHeading {
			section = headingLabel(blocks[i].text)
			blocks[i].section = section
			continue
		}
		blocks[i].section = section
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

// truncateRunes cuts s to at most n runes on a word boundary, adding "…".
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	count := 0
	for i := range s {
		if count == n {
			cut = i
			break
		}
		count++
	}
	t := s[:cut]
	if sp := strings.LastIndexAny(t, " \n"); sp > len(t)/2 {
		t = t[:sp]
	}
	t = strings.TrimRightFunc(t, func(r rune) bool {
		return isSpaceRune(r) || r == ',' || r == ';' || r == ':' || r == '-'
	})
	return t + "…"
}
