package shownotes

import (
	"html"
	"sort"
	"strings"
	"unicode/utf8"
)

// plainBlocks splits plain or Markdown-ish notes into blocks:
//   - blank lines separate paragraphs; the lines of a paragraph are kept;
//   - "# Title" … "###### Title" are headings with their level, and so is a line
//     underlined with "===" or "---"; a line that is only **bold** or __bold__
//     is a heading without a level, and so is a line that is only a known
//     section label ("Key takeaways:", "Liens");
//   - bulleted or numbered lines are list items; indenting a bullet nests it;
//     an indented line under an item continues it;
//   - "| a | b |" lines are the rows of a table ("|---|" rules are skipped);
//   - text between ``` fences is preformatted, its lines kept;
//   - [text](url) is a link with its text, [![alt](image)](url) a link named by
//     the image's alt text, and entities (&amp;) are decoded.
func plainBlocks(s string) []Block {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	var (
		blocks  []Block
		paraLn  []lineText
		lists   []listLevel // open lists, innermost last
		nextID  int
		table   int
		inFence bool
		fence   []string
	)
	flushPara := func() {
		if len(paraLn) > 0 {
			blocks = append(blocks, joinLines(Paragraph, paraLn))
			paraLn = nil
		}
	}
	endList := func() { lists = lists[:0] }
	lastHeading := false
	for _, raw := range strings.Split(s, "\n") {
		if len(blocks) > maxBlocks {
			break
		}
		wasHeading := lastHeading
		lastHeading = false
		trimmed := strings.TrimSpace(raw)
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			if inFence {
				if len(fence) > 0 {
					blocks = append(blocks, Block{Kind: Pre, Text: strings.Join(fence, "\n")})
				}
				inFence, fence = false, nil
			} else {
				flushPara()
				endList()
				table = 0
				inFence = true
			}
			continue
		}
		if inFence {
			if l := CollapseSpaces(raw); l != "" && len(fence) < maxBlocks {
				fence = append(fence, decodeEntities(l))
			}
			continue
		}
		line := CollapseSpaces(raw)
		if line == "" {
			flushPara()
			endList()
			table = 0
			continue
		}
		if isRuleLine(line) {
			// "===" or "---" under a one-line paragraph underlines a heading;
			// elsewhere it is a rule between blocks.
			if n := len(blocks); len(paraLn) == 0 && wasHeading && n > 0 && blocks[n-1].Level == 0 {
				// A label line underlined: the line was already read as a heading.
				blocks[n-1].Level = 2
				if line[0] == '=' {
					blocks[n-1].Level = 1
				}
			} else if len(paraLn) == 1 && !strings.Contains(paraLn[0].text, "\n") {
				h := joinLines(Heading, paraLn)
				h.Level = 2
				if line[0] == '=' {
					h.Level = 1
				}
				blocks = append(blocks, h)
				paraLn = nil
			} else {
				flushPara()
			}
			endList()
			table = 0
			continue
		}
		if cells, ok := tableCells(line); ok {
			flushPara()
			endList()
			if isTableRule(cells) {
				continue
			}
			if table == 0 {
				nextID++
				table = nextID
			}
			b := Block{Kind: Row, Table: table}
			for _, c := range cells {
				b.Cells = append(b.Cells, inlineMarkdown(c).text)
			}
			joined := joinLines(Row, []lineText{inlineMarkdown(strings.Join(cells, " "))})
			b.Text, b.Links = joined.Text, joined.Links
			blocks = append(blocks, b)
			continue
		}
		table = 0
		if level, text := atxHeading(line); level > 0 {
			flushPara()
			endList()
			h := joinLines(Heading, []lineText{inlineMarkdown(text)})
			h.Level = level
			blocks = append(blocks, h)
			continue
		}
		if text, ok := boldLine(line); ok {
			flushPara()
			endList()
			blocks = append(blocks, joinLines(Heading, []lineText{inlineMarkdown(text)}))
			continue
		}
		if isHeadingLine(decodeEntities(line)) {
			flushPara()
			endList()
			blocks = append(blocks, joinLines(Heading, []lineText{inlineMarkdown(line)}))
			lastHeading = true
			continue
		}
		indent := indentOf(raw)
		if rest, ok := stripBullet(line); ok && rest != "" {
			flushPara()
			// Find the list this item belongs to by its indentation.
			for len(lists) > 0 && indent < lists[len(lists)-1].indent {
				lists = lists[:len(lists)-1]
			}
			if len(lists) == 0 || indent > lists[len(lists)-1].indent {
				nextID++
				lists = append(lists, listLevel{indent: indent, id: nextID})
			}
			top := lists[len(lists)-1]
			b := joinLines(Item, []lineText{inlineMarkdown(rest)})
			b.List, b.Depth, b.Ordered = top.id, len(lists)-1, isOrderedBullet(line)
			blocks = append(blocks, b)
			continue
		}
		if len(lists) > 0 && indent >= 2 && len(blocks) > 0 && blocks[len(blocks)-1].Kind == Item {
			// An indented line under an item continues it.
			last := &blocks[len(blocks)-1]
			lt := inlineMarkdown(line)
			for _, a := range lt.links {
				a.Start += len(last.Text) + 1
				a.End += len(last.Text) + 1
				last.Links = append(last.Links, a)
			}
			last.Text += " " + lt.text
			continue
		}
		endList()
		paraLn = append(paraLn, inlineMarkdown(line))
	}
	if inFence && len(fence) > 0 {
		blocks = append(blocks, Block{Kind: Pre, Text: strings.Join(fence, "\n")})
	}
	flushPara()
	return blocks
}

// listLevel is an open list of plain text: its items' indentation and id.
type listLevel struct {
	indent, id int
}

// indentOf is the width of the leading white space of a raw line (a tab counts 4).
func indentOf(raw string) int {
	n := 0
	for _, r := range raw {
		switch {
		case r == '\t':
			n += 4
		case isSpaceRune(r):
			n++
		default:
			return n
		}
		if n > 64 {
			return n
		}
	}
	return n
}

// isOrderedBullet reports a numbered list line ("1. ", "2) ", "(3) ").
func isOrderedBullet(line string) bool {
	r, _ := utf8.DecodeRuneInString(line)
	return r >= '0' && r <= '9' || r == '('
}

// isRuleLine reports a line of only "=", or of only "-", at least three.
func isRuleLine(line string) bool {
	if len(line) < 3 || (line[0] != '=' && line[0] != '-') {
		return false
	}
	return strings.Trim(line, line[:1]) == ""
}

// atxHeading reads a Markdown "## Title" line.
func atxHeading(line string) (int, string) {
	n := 0
	for n < len(line) && line[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || n >= len(line) || line[n] != ' ' {
		return 0, ""
	}
	text := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line[n:]), "#"))
	if text == "" || !hasLetter(text) {
		return 0, ""
	}
	return n, text
}

// boldLine reads a line that is only **bold** or __bold__ text.
func boldLine(line string) (string, bool) {
	for _, m := range []string{"**", "__"} {
		if len(line) > 2*len(m) && strings.HasPrefix(line, m) {
			inner, ok := strings.CutSuffix(line[len(m):], m)
			if !ok {
				// "**Key takeaways:**" and "**Key takeaways**:" both label.
				inner, ok = strings.CutSuffix(line[len(m):], m+":")
				inner += ":"
			}
			if ok && !strings.Contains(inner, m) && hasLetter(inner) && utf8.RuneCountInString(inner) <= 150 {
				return strings.TrimSpace(inner), true
			}
		}
	}
	return "", false
}

// tableCells reads a "| a | b |" line into its cells.
func tableCells(line string) ([]string, bool) {
	if !strings.HasPrefix(line, "|") || strings.Count(line, "|") < 3 {
		return nil, false
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	parts := strings.Split(inner, "|")
	if len(parts) > maxCells {
		parts = parts[:maxCells]
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts, true
}

// isTableRule reports the "|---|:---:|" line under a Markdown table's header.
func isTableRule(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, "-: ") != "" {
			return false
		}
	}
	return true
}

// lineText is one line of plain text with its Markdown links resolved.
type lineText struct {
	text  string
	links []Anchor
}

// joinLines makes a block of lines joined by "\n", with anchor offsets moved.
func joinLines(kind Kind, lines []lineText) Block {
	b := Block{Kind: kind}
	var sb strings.Builder
	for i, l := range lines {
		if i > 0 {
			sb.WriteByte('\n')
		}
		off := sb.Len()
		for _, a := range l.links {
			a.Start += off
			a.End += off
			b.Links = append(b.Links, a)
		}
		sb.WriteString(l.text)
	}
	b.Text = sb.String()
	return b
}

// inlineMarkdown resolves one line's Markdown links ([text](url), and an image
// inside one) into anchors, drops emphasis markers (**) and decodes entities.
func inlineMarkdown(line string) lineText {
	line = decodeEntities(line)
	if strings.Count(line, "**") >= 2 {
		line = dropEmphasis(line)
	}
	if !strings.Contains(line, "](") {
		return lineText{text: line}
	}
	var (
		out   strings.Builder
		links []Anchor
		i     int
	)
	for _, c := range mdLinks(line) {
		if c.open < i || len(links) >= maxLinks {
			continue // inside a link already written
		}
		img := c.open > 0 && line[c.open-1] == '!'
		if img && c.open-1 < i {
			continue
		}
		inner := line[c.open+1 : c.close]
		target := strings.TrimSpace(line[c.close+2 : c.end])
		// A title may follow the URL: [a](https://x "Title").
		if sp := strings.IndexAny(target, " \t"); sp >= 0 {
			target = target[:sp]
		}
		target = strings.Trim(target, "<>")
		if img {
			// An image alone is not a link of the notes; its alt text stays.
			out.WriteString(line[i : c.open-1])
			out.WriteString(inner)
			i = c.end + 1
			continue
		}
		out.WriteString(line[i:c.open])
		alt := ""
		if strings.HasPrefix(inner, "![") && strings.HasSuffix(inner, ")") {
			// [![alt](image)](url): the image names the link.
			if k := strings.Index(inner, "]("); k > 0 {
				alt, inner = CollapseSpaces(inner[2:k]), ""
			}
		}
		start := out.Len()
		inner = CollapseSpaces(inner)
		out.WriteString(inner)
		if target != "" {
			links = append(links, Anchor{URL: target, Start: start, End: out.Len(), Alt: alt})
		}
		i = c.end + 1
		if inner == "" && c.open > 0 && line[c.open-1] == ' ' && i < len(line) && line[i] == ' ' {
			i++ // a link without text between two spaces: keep one space
		}
	}
	out.WriteString(line[i:])
	return lineText{text: out.String(), links: links}
}

// mdCand is a possible Markdown link: "[" at open, "](" at close, ")" at end.
type mdCand struct{ open, close, end int }

// mdLinks finds the line's "[…](…)" spans in one pass, ordered by their "[":
// brackets are matched with a bounded stack and each target ends at the first
// ")" after it, found by a pointer that only moves forward.
func mdLinks(line string) []mdCand {
	var (
		stack []int
		cands []mdCand
		paren = -1 // the last ")" found
	)
	for j := 0; j < len(line); j++ {
		switch line[j] {
		case '[':
			if len(stack) == 64 {
				stack = stack[:0]
			}
			stack = append(stack, j)
		case ']':
			if len(stack) == 0 {
				continue
			}
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if j+1 >= len(line) || line[j+1] != '(' {
				continue
			}
			if paren < j+2 {
				k := strings.IndexByte(line[j+2:], ')')
				if k < 0 {
					paren = len(line)
				} else {
					paren = j + 2 + k
				}
			}
			if paren < len(line) && paren-j <= 2048 {
				cands = append(cands, mdCand{open: open, close: j, end: paren})
			}
		}
	}
	sort.Slice(cands, func(a, b int) bool { return cands[a].open < cands[b].open })
	return cands
}

// dropEmphasis removes paired ** markers.
func dropEmphasis(s string) string {
	if strings.Count(s, "**")%2 == 0 {
		s = strings.ReplaceAll(s, "**", "")
	}
	return s
}

// decodeEntities decodes HTML entities left in plain text ("&amp;", "&#039;").
func decodeEntities(s string) string {
	if !strings.Contains(s, "&") || !strings.Contains(s, ";") {
		return s
	}
	return CollapseSpaces(html.UnescapeString(s))
}
