package shownotes

import (
	"strings"
	"unicode/utf8"
)

// Sections, as the rules read them, come from real headings only: an HTML or
// Markdown heading, a heading run into flattened text, a known section label,
// or a short bold line that labels what follows. A bold line that repeats the
// episode's title ("Podcasting 2.0 for October 8th 2021 Episode 57: Rebel
// Rubes"), a bold link ("Full Summaries in PDF") or a bold sentence is no
// section: the blocks after it stay in the section before.

// assignRealSections sets every block's Section to the label of the nearest
// real section heading before it.
func assignRealSections(blocks []nblock, title *episodeTitle) {
	section := ""
	for i := range blocks {
		b := &blocks[i]
		if b.Kind == Heading && isSectionHeading(b.Block, title) {
			section = headingLabel(b.Text)
		}
		b.Section = section
	}
}

// isSectionHeading reports whether a heading starts a section.
func isSectionHeading(b Block, title *episodeTitle) bool {
	if b.RunIn {
		return true
	}
	label := headingLabel(b.Text)
	if label == "" || containsTitle(label, title) || mostlyLinks(b) {
		return false
	}
	if b.Level > 0 {
		return true
	}
	f := Fold(label)
	if phraseAtStart(f, sectionPhrases) >= 0 || phraseAtStart(f, takeawaysPhrases) >= 0 || containsAny(f+" ", linkSectionWords) {
		return true
	}
	// A bold line labels what follows; a bold sentence does not.
	r, _ := utf8.DecodeLastRuneInString(strings.TrimSpace(b.Text))
	return utf8.RuneCountInString(label) <= 80 && !strings.ContainsRune(".!?", r)
}

// containsTitle reports whether a line holds the episode's title (its words, in
// order): "No Agenda Episode 1393 - \"Space Wake\"" holds "1393: \"Space Wake\"".
// A title of one short word is too common to tell.
func containsTitle(line string, title *episodeTitle) bool {
	if title == nil {
		return false
	}
	tw := title.words
	if len(tw) == 0 || len(tw) == 1 && utf8.RuneCountInString(tw[0]) < 5 {
		return false
	}
	lw := titleWords(line)
	for i := 0; i+len(tw) <= len(lw); i++ {
		match := true
		for j := range tw {
			if lw[i+j] != tw[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}
