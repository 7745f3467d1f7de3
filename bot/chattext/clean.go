package chattext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ellipsis ends every cut text.
const Ellipsis = "…"

// maxInput is the most of one string the renderers read: far more than any
// message shows, so that a feed's megabyte of notes costs no more to render
// than a page of them.
const maxInput = 64 << 10

// Clean makes feed or user text fit to show: invalid UTF-8, control characters
// and invisible formatting characters are dropped, tabs become spaces, runs of
// blank lines collapse to one and the ends are trimmed. Bidirectional
// overrides and isolates go: they can reverse what follows them, our own words
// and links included ("\u202eexe.txt"). Right-to-left letters stay, and so do
// the joiners and marks that emoji sequences and right-to-left scripts need.
// Only the first 64 KiB of s are read; text cut there ends with Ellipsis.
func Clean(s string) string {
	s, more := bounded(s)
	var b strings.Builder
	newlines := 0
	for _, r := range s {
		switch {
		case r == '\n' || r == '\u2028' || r == '\u2029':
			newlines++
			continue
		case r == '\t':
			r = ' '
		case !showable(r):
			continue
		}
		if newlines > 0 && b.Len() > 0 {
			b.WriteString("\n\n"[:min(newlines, 2)])
		}
		newlines = 0
		b.WriteRune(r)
	}
	if more {
		return trimLines(b.String()) + Ellipsis
	}
	return trimLines(b.String())
}

// Line is clean text on one line: line breaks and runs of spaces become one
// space. Titles, labels and list items are lines.
func Line(s string) string {
	return strings.Join(strings.Fields(Clean(s)), " ")
}

// bounded returns s cut to maxInput bytes at a character boundary, and
// whether it was cut.
func bounded(s string) (string, bool) {
	if len(s) <= maxInput {
		return s, false
	}
	end := maxInput
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end], true
}

// showable reports whether r may be shown: not a control character, not the
// replacement character of invalid input, not an invisible format character
// other than those text needs.
func showable(r rune) bool {
	switch {
	case r == unicode.ReplacementChar || unicode.IsControl(r):
		return false
	case r == zwj, r == '\u200c', // joiners: emoji sequences, Persian
		r == '\u200e', r == '\u200f', r == '\u061c', // directional marks: they reorder nothing
		r >= 0xe0020 && r <= 0xe007f: // tags: subdivision flags
		return true
	}
	return !unicode.Is(unicode.Cf, r)
}

// trimLines trims s and the spaces that end its lines.
func trimLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Join(lines, "\n")
}
