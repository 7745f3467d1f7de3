// Package shownotes understands podcast show notes, in any language they are
// commonly written in and in any of the forms feeds carry them: HTML, Markdown-ish
// text, or HTML flattened to plain text by a host.
//
// One pass, Parse, turns the notes into a small document model: a sequence of
// blocks (headings with their level, paragraphs, list items with their nesting,
// table rows with their cells, preformatted blocks), each with its plain text and
// the links it holds. Rules then read the model, not the markup: the key
// takeaways, the chapters, the links and a summary (Extract). The rules know
// structure and a small per-language table of words (lang.go), never one
// podcast's phrases.
//
// Every function here is bounded on hostile input (size, counts, lengths) and
// never panics. The package imports nothing of this module.
package shownotes

// Kind is the kind of a block.
type Kind uint8

// Block kinds.
const (
	// Paragraph is running text; lines are separated by "\n".
	Paragraph Kind = iota
	// Heading is a heading: an HTML <h1>…<h6>, a Markdown "#" line, a bold line
	// standing alone, a known section label on a line of its own, or a heading
	// found inside flattened running text (RunIn).
	Heading
	// Item is a list item (<li>, "- ", "1. ", "• ").
	Item
	// Pre is preformatted text (<pre>, a Markdown code fence): its lines are kept.
	Pre
	// Row is a table row (<tr>, a Markdown "| a | b |" line); Cells holds its cells.
	Row
)

// String names the kind, for tests and reports.
func (k Kind) String() string {
	switch k {
	case Paragraph:
		return "paragraph"
	case Heading:
		return "heading"
	case Item:
		return "item"
	case Pre:
		return "pre"
	case Row:
		return "row"
	}
	return "unknown"
}

// Document is show notes parsed into blocks, in reading order.
type Document struct {
	Blocks []Block
	// HTML is set when the notes were HTML; else they were plain or Markdown-ish
	// text, possibly flattened HTML.
	HTML bool
}

// Block is one block of the notes.
type Block struct {
	Kind Kind
	// Text is plain text with entities decoded and whitespace collapsed inside
	// lines; "\n" separates lines (<br>, line breaks of plain text, rows of a
	// <pre>). For a Row it is the cells joined by spaces.
	Text string
	// Level is a heading's level: 1 to 6 for <h1>…<h6> and Markdown "#"…"######",
	// 0 for a heading without a level (a bold line, a label line, a run-in).
	Level int
	// List identifies the list an Item belongs to: the items of one list share it,
	// a nested list has its own. Table does the same for the rows of one table.
	List, Table int
	// Depth is an Item's nesting: 0 for the items of a top-level list, 1 for the
	// items of a list inside one of them, and so on.
	Depth int
	// Ordered is set on the items of a numbered list.
	Ordered bool
	// Cells are a Row's cells, as plain text.
	Cells []string
	// Links are the block's links with their place in Text.
	Links []Anchor
	// Section is the label of the nearest heading before the block (for a
	// heading, its own label).
	Section string
	// RunIn is set on a heading found inside running text ("… à l’horizon.
	// Points clés ; Avoir …"), as flattened notes have them.
	RunIn bool
	// AfterLeadIn is set on flattened text that follows a lead-in colon ("en
	// particulier : …"): the list it introduces lost its markup.
	AfterLeadIn bool
}

// Anchor is a link inside a block: Text[Start:End] is its text. Alt is the
// alternative text or title of an image the link wraps, for links whose text is
// an image.
type Anchor struct {
	URL        string
	Start, End int
	Alt        string
}

// AnchorText is the text of a, as written in b.
func (b Block) AnchorText(a Anchor) string {
	if a.Start < 0 || a.End > len(b.Text) || a.Start > a.End {
		return ""
	}
	return b.Text[a.Start:a.End]
}
