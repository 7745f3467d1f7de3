package shownotes

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

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
	atom.Thead: true, atom.Dialog: true, atom.Tfoot: true, atom.Caption: true,
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

// write appends s with whitespace collapsed; in preformatted text (pre) line
// breaks are kept as line breaks.
func (t *textBuilder) write(s string, pre bool) {
	for _, r := range s {
		if pre && r == '\n' {
			t.newline()
			continue
		}
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

// writeMarkdown appends text whose Markdown links ([text](url)) become
// anchors, and returns them with their offsets in the block's text.
func (t *textBuilder) writeMarkdown(s string) []Anchor {
	// The tokenizer decoded the entities already; inlineMarkdown decodes them
	// again, so "&" is escaped for it.
	lt := inlineMarkdown(strings.ReplaceAll(s, "&", "&amp;"))
	var out []Anchor
	at := 0
	for _, a := range lt.links {
		if a.Start < at || a.End > len(lt.text) || a.Start > a.End {
			continue
		}
		t.write(lt.text[at:a.Start], false)
		start := t.start()
		t.write(lt.text[a.Start:a.End], false)
		out = append(out, Anchor{URL: a.URL, Start: min(start, t.len()), End: t.len(), Alt: a.Alt})
		at = a.End
	}
	t.write(lt.text[at:], false)
	return out
}

func (t *textBuilder) len() int { return t.b.Len() }

// start is the offset where the next visible text will begin.
func (t *textBuilder) start() int {
	if t.pending != 0 {
		return t.b.Len() + 1
	}
	return t.b.Len()
}

// maxBlocks bounds the blocks of one document.
const maxBlocks = 20000

// listFrame is an open <ul>/<ol>.
type listFrame struct {
	id      int
	ordered bool
}

// htmlBlocks tokenizes HTML notes into blocks. The tokenizer (not the tree
// parser) keeps this linear and free of recursion on deeply nested input; the
// nesting of lists is tracked with a stack.
func htmlBlocks(s string) []Block {
	z := html.NewTokenizer(strings.NewReader(s))
	var (
		blocks    []Block
		cur       textBuilder
		kind      = Paragraph
		level     int
		list      listFrame
		depth     int
		lists     []listFrame
		nextID    int
		bold      int
		hasBold   bool
		hasPlain  bool
		anchors   []Anchor
		openHref  string
		openAlt   string
		openStart = -1
		skip      int
		pre       int
		table     int // the id of the innermost open table, 0 outside tables
		tables    []int
		cells     []int // offsets in cur where the cells of the current row start
	)
	closeAnchor := func() {
		if openStart >= 0 {
			anchors = append(anchors, Anchor{URL: openHref, Start: openStart, End: cur.len(), Alt: openAlt})
			openStart = -1
		}
	}
	flush := func(next Kind) {
		closeAnchor()
		text := cur.b.String()
		if strings.TrimSpace(text) != "" || len(anchors) > 0 {
			b := Block{Kind: kind, Text: text, Links: anchors}
			switch kind {
			case Paragraph:
				if hasBold && !hasPlain && utf8.RuneCountInString(text) <= 150 && !strings.Contains(text, "\n") {
					b.Kind = Heading
				}
			case Heading:
				b.Level = level
				if utf8.RuneCountInString(text) > 200 {
					b.Kind, b.Level = Paragraph, 0
				}
			case Item:
				b.List, b.Depth, b.Ordered = list.id, depth, list.ordered
			case Row:
				b.Table = table
				b.Cells = splitCells(text, cells)
			}
			blocks = append(blocks, b)
		}
		cur = textBuilder{}
		anchors = nil
		cells = nil
		hasBold, hasPlain = false, false
		kind, level = next, 0
	}
	for len(blocks) < maxBlocks {
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
			if openStart < 0 && pre == 0 && strings.Contains(txt, "](") && len(anchors) < maxLinks {
				// Markdown links written as text in HTML notes: the same
				// anchors as in plain notes.
				anchors = append(anchors, cur.writeMarkdown(txt)...)
				continue
			}
			cur.write(txt, pre > 0)
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
					openHref, openAlt, openStart = href, "", cur.start()
				}
			case a == atom.Img:
				// An image separates words; inside a link, its alt text or title
				// names the link when the link has no text of its own.
				cur.space()
				if openStart >= 0 && openAlt == "" {
					alt, title := "", ""
					for hasAttr {
						var k, v []byte
						k, v, hasAttr = z.TagAttr()
						switch string(k) {
						case "alt":
							alt = string(v)
						case "title":
							title = string(v)
						}
					}
					if alt = CollapseSpaces(alt); alt == "" {
						alt = CollapseSpaces(title)
					}
					openAlt = truncateRunes(alt, maxLinkText)
				}
			case blockTags[a]:
				if kind == Row && !rowTags[a] {
					// Paragraphs and the like inside a cell are part of the cell.
					cur.space()
					continue
				}
				switch {
				case a == atom.Ul || a == atom.Ol:
					if end {
						if len(lists) > 0 {
							lists = lists[:len(lists)-1]
						}
					} else if !self {
						nextID++
						lists = append(lists, listFrame{id: nextID, ordered: a == atom.Ol})
					}
					flush(Paragraph)
				case a == atom.Pre:
					if end {
						if pre > 0 {
							pre--
						}
						flush(Paragraph)
					} else if !self {
						flush(Pre)
						pre++
					}
				case a == atom.Table:
					flush(Paragraph)
					if end {
						if len(tables) > 0 {
							tables = tables[:len(tables)-1]
						}
					} else if !self {
						nextID++
						tables = append(tables, nextID)
					}
					table = 0
					if len(tables) > 0 {
						table = tables[len(tables)-1]
					}
				case a == atom.Td || a == atom.Th:
					if end || self {
						cur.space()
						continue
					}
					if kind != Row {
						flush(Row)
					}
					// Cells of one row stay on one line.
					cur.space()
					if len(cells) < maxCells {
						cells = append(cells, cur.start())
					}
				case end || self:
					flush(Paragraph)
				case a == atom.Li:
					if len(lists) > 0 {
						list, depth = lists[len(lists)-1], len(lists)-1
					} else {
						nextID++
						list, depth = listFrame{id: nextID}, 0
					}
					flush(Item)
				case headingLevel(a) > 0:
					flush(Heading)
					level = headingLevel(a)
				case a == atom.Tr:
					flush(Row)
				default:
					flush(Paragraph)
				}
			default:
				// Other inline elements join words as they are; a line-break
				// opportunity separates them.
				if a == atom.Wbr {
					cur.space()
				}
			}
		}
	}
	flush(Paragraph)
	for i := range blocks {
		blocks[i].Text = trimLines(blocks[i].Text)
		// An anchor opened and left with pending whitespace may point one byte
		// past the text; clamp to be safe.
		n := len(blocks[i].Text)
		for j := range blocks[i].Links {
			an := &blocks[i].Links[j]
			an.Start = min(max(an.Start, 0), n)
			an.End = min(max(an.End, an.Start), n)
		}
	}
	return blocks
}

// rowTags end a table row, or are handled inside one.
var rowTags = map[atom.Atom]bool{
	atom.Tr: true, atom.Td: true, atom.Th: true, atom.Table: true, atom.Tbody: true,
	atom.Thead: true, atom.Tfoot: true, atom.Ul: true, atom.Ol: true, atom.Li: true,
	atom.Pre: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.H5: true, atom.H6: true,
}

// maxCells bounds the cells of one table row.
const maxCells = 64

// headingLevel is 1 to 6 for <h1>…<h6>, else 0.
func headingLevel(a atom.Atom) int {
	switch a {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3:
		return 3
	case atom.H4:
		return 4
	case atom.H5:
		return 5
	case atom.H6:
		return 6
	}
	return 0
}

// splitCells cuts a row's text at the offsets where its cells start.
func splitCells(text string, starts []int) []string {
	var out []string
	for i, st := range starts {
		end := len(text)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		st, end = min(st, len(text)), min(end, len(text))
		if st > end {
			continue
		}
		out = append(out, CollapseSpaces(text[st:end]))
	}
	if len(out) == 0 && strings.TrimSpace(text) != "" {
		out = []string{CollapseSpaces(text)}
	}
	return out
}

// trimLines trims spaces at the end of the text without moving its start
// (anchor offsets depend on it).
func trimLines(s string) string {
	return strings.TrimRightFunc(s, isSpaceRune)
}
