package shownotes

import (
	"strings"
	"unicode/utf8"
)

// Takeaways, best source first:
//
//  1. section: the items under a heading that announces key points, whatever
//     its form (an HTML heading, a bold line, a Markdown "##", a line or a short
//     paragraph naming them, a heading run into flattened text) and language
//     (the takeaways of lang.go). A nested list gives its top-level items.
//  2. list: a list the notes introduce with a lead-in ending in ":" ("In this
//     episode we cover:", "en particulier :"), or any list of statements after
//     a line ending in ":".
//  3. summary: real statements of the notes' prose, from the summary on: never
//     a question, a greeting, a label, a fragment, a run of names, promotional
//     text or the title again.

// takeawaysOf finds the takeaways and says where they came from.
func takeawaysOf(blocks []nblock, plain bool, prose string, summaryAt int, title *episodeTitle) ([]string, string) {
	for i, b := range blocks {
		if b.boiler || !namesTakeaways(b) {
			continue
		}
		if items := itemsUnder(blocks, i+1, b.Level); len(items) > 0 {
			return items, TakeawaysSection
		}
	}
	if items := introducedList(blocks, plain); len(items) > 0 {
		return items, TakeawaysList
	}
	if items := statements(blocks, prose, summaryAt, title, 3); len(items) > 0 {
		return items, TakeawaysSummary
	}
	return nil, ""
}

// namesTakeaways reports a heading that announces key points, or a short
// paragraph that does the same ("<p>Key takeaways:</p>").
func namesTakeaways(b nblock) bool {
	switch b.Kind {
	case Heading:
		return isTakeawaysHeading(b.Text)
	case Paragraph:
		t := strings.TrimSpace(b.Text)
		if strings.Contains(t, "\n") || utf8.RuneCountInString(t) > 80 {
			return false
		}
		label := headingLabel(t)
		n := phraseAtStart(Fold(label), takeawaysPhrases)
		// The phrase is the whole paragraph, or the paragraph ends with ":".
		return n >= 0 && (n == len(Fold(label)) || strings.HasSuffix(t, ":") || strings.HasSuffix(t, "："))
	}
	return false
}

// itemsUnder collects the takeaways after a heading of the given level, up to
// the next heading (a deeper heading inside the section is read through): the
// top-level list items when there are any, else the lines of the paragraphs,
// split where flattened text ran items together.
func itemsUnder(blocks []nblock, from, level int) []string {
	end := from
	depth := -1 // the shallowest depth of the section's items
	for end < len(blocks) {
		b := blocks[end]
		if b.Kind == Heading && (level == 0 || b.Level == 0 || b.Level <= level) {
			break
		}
		if b.Kind == Item && !b.boiler && (depth < 0 || b.Depth < depth) {
			depth = b.Depth
		}
		end++
	}
	var items []string
	for _, b := range blocks[from:end] {
		if b.boiler {
			continue
		}
		if depth >= 0 {
			if b.Kind == Item && b.Depth == depth {
				items = appendItem(items, b.Text)
			}
			continue
		}
		if b.Kind != Paragraph && b.Kind != Pre {
			continue
		}
		for _, line := range strings.Split(b.Text, "\n") {
			for _, p := range splitGlued(line) {
				p, _ = stripBullet(p)
				items = appendItem(items, p)
			}
		}
	}
	return items
}

// introducedList finds a list the notes introduce: a paragraph ending in ":"
// followed by a list (its top-level items), or in flattened text by what was a
// list. Without a known lead-in phrase, only a list of statements counts, not
// one of links or names ("Also featuring:").
func introducedList(blocks []nblock, plain bool) []string {
	for i, b := range blocks {
		if b.Kind != Paragraph || b.boiler || i+1 >= len(blocks) || isLinksSection(b.Section) {
			continue
		}
		lead := strings.TrimSpace(b.Text)
		if !strings.HasSuffix(lead, ":") {
			continue
		}
		last := lead
		if ss := sentences(lead); len(ss) > 0 {
			last = ss[len(ss)-1]
		}
		known := leadInSet.in(Fold(last))
		next := blocks[i+1]
		switch {
		case next.Kind == Item:
			var items []string
			links, total := 0, 0
			for _, it := range blocks[i+1:] {
				if it.Kind != Item || it.Depth < next.Depth || it.Depth == next.Depth && it.List != next.List {
					break
				}
				if it.Depth > next.Depth || it.boiler {
					continue // a nested item belongs to the one above it
				}
				if len(it.Links) > 0 || strings.Contains(it.Text, "://") {
					links++
				}
				total += utf8.RuneCountInString(it.Text)
				items = appendItem(items, it.Text)
			}
			if len(items) == 0 {
				continue
			}
			if known || (len(items) >= 2 && total/len(items) >= 30 && links*2 < len(items)) {
				return items
			}
		case next.Kind == Paragraph && next.AfterLeadIn && plain && known:
			var items []string
			for _, line := range strings.Split(next.Text, "\n") {
				for _, p := range splitGlued(line) {
					p, _ = stripBullet(p)
					items = appendItem(items, p)
				}
			}
			if len(items) >= 2 {
				return items
			}
		}
	}
	return nil
}

// appendItem cleans an item and appends it, within the limits.
func appendItem(items []string, s string) []string {
	if len(items) >= maxTakeaways {
		return items
	}
	s = oneLine(s)
	if rest, ok := stripBullet(s); ok {
		s = rest
	}
	if !hasLetter(s) {
		return items
	}
	return append(items, truncateRunes(s, maxItemLen))
}

// statements returns at most n real statements of the notes' prose: those of
// the summary's prose, else those of the paragraphs after it in its section.
func statements(blocks []nblock, prose string, from int, title *episodeTitle, n int) []string {
	if from < 0 {
		return nil
	}
	out := statementsOf(prose, title, n)
	for i := from + 1; i < len(blocks) && len(out) == 0; i++ {
		b := blocks[i]
		if b.Kind != Paragraph {
			break
		}
		if b.boiler || isLinksSection(b.Section) || isLinkEntry(b.Block) || mostlyLinks(b.Block) {
			continue
		}
		out = statementsOf(proseText(b.Text, title), title, n)
	}
	return out
}

// statementsOf returns at most n statements of one block's prose.
func statementsOf(text string, title *episodeTitle, n int) []string {
	if text == "" {
		return nil
	}
	// Only the start can give statements; don't split megabytes.
	ss := sentences(oneLine(capInputAt(text, 4*maxItemLen)))
	short := make([]bool, len(ss))
	for k, s := range ss {
		short[k] = shortExclamation(s)
	}
	var out []string
	for k, s := range ss {
		if len(out) == n {
			break
		}
		// "Just Cause 4! Red Dead Online! The Epic store!" is a list of names.
		if short[k] && (k > 0 && short[k-1] || k+1 < len(ss) && short[k+1]) {
			continue
		}
		cut := k == len(ss)-1 && utf8.RuneCountInString(text) >= 240
		if isStatement(s, title, cut) {
			out = append(out, truncateRunes(s, maxItemLen))
		}
	}
	return out
}

// shortExclamation reports an exclamation of four words or fewer.
func shortExclamation(s string) bool {
	t := strings.TrimRightFunc(strings.TrimSpace(s), func(r rune) bool { return isEmojiish(r) || isSpaceRune(r) })
	return strings.HasSuffix(t, "!") && len(strings.Fields(t)) <= 4
}

// isStatement reports whether a sentence states something: prose (isProse),
// not a question, a greeting, a label or a sentence led by one ("Plus: …",
// "Special Guest: …"), a warning, promotional text, the title again. last says
// the sentence ends a long blurb, which publishers cut at a length: without its
// final punctuation it is cut, not a statement.
func isStatement(s string, title *episodeTitle, last bool) bool {
	t := strings.TrimSpace(s)
	end := strings.TrimRightFunc(t, func(r rune) bool {
		return isSpaceRune(r) || isEmojiish(r) || strings.ContainsRune(")]\"'»”’", r)
	})
	switch {
	case strings.HasSuffix(end, "?"), strings.HasPrefix(t, "¿"):
		return false
	case isLabel(t), !isProse(t), labelLed(t), repeatsTitle(t, title):
		return false
	}
	if last {
		r, _ := utf8.DecodeLastRuneInString(end)
		if !strings.ContainsRune(".!?…", r) {
			return false
		}
	}
	// Promotional sentences were taken out of the blocks already (markPromo).
	head := foldPrefix(t, 48)
	return phraseAtStart(head, greetingWords) < 0 && !warningHead(t, head)
}

// labelLed reports a sentence that starts with a label: a colon within its first
// four words, with no content word before it ("Plus: …", "Special Guest: …";
// not "The critics agree: …").
func labelLed(s string) bool {
	k := strings.IndexAny(s, ":：")
	if k < 0 || k+1 < len(s) && s[k] == ':' && s[k+1] != ' ' {
		return false // no colon, or one inside a time ("16:30") or an address
	}
	head := strings.Fields(s[:k])
	if len(head) == 0 || len(head) > 4 {
		return false
	}
	for _, w := range head {
		if isContentWord(w) {
			return false
		}
	}
	return true
}
