package slack

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the one place where room is measured and text is cut:
// textWidth, clipText, fitLines and budget. Everything else asks them; list.go
// packs lists into sections with them, and the builder (blocks.go) spends a
// message's budget block by block.

// textWidth is the length of s against Slack's limits, in UTF-16 code units. Slack
// states its limits in "characters" and its SDKs count them in different units
// (code points in Python, UTF-16 units in JavaScript); UTF-16 units are never
// fewer than code points, so a text within width is within either count.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r, false)
	}
	return n
}

// ellipsis ends every cut text.
const ellipsis = "…"

// clipText returns s cut to measure at most max, ending with "…" when it was cut,
// and escaped for mrkdwn when esc is set (width is then measured after
// escaping). It cuts the raw text before escaping, between whole characters, so
// neither a multi-byte character nor an escape sequence (&amp;) is ever split,
// and not inside an emoji sequence (ZWJ, skin tone, flag) or before a combining
// mark. It returns "" when not even "…" fits.
func clipText(s string, max int, esc bool) (out string, cut bool) {
	enc := func(s string) string {
		if esc {
			return escapeMrkdwn(s)
		}
		return s
	}
	room := max - textWidth(ellipsis)
	end, used := 0, 0 // end: where the text is cut if it must be
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		used += runeWidth(r, esc)
		if used > max {
			if room < 0 {
				return "", true
			}
			end = boundary(s, end)
			return enc(strings.TrimRightFunc(s[:end], unicode.IsSpace)) + ellipsis, true
		}
		if used <= room {
			end = i
		}
	}
	return enc(s), false
}

// runeWidth is the width of r, escaped for mrkdwn when esc is set.
func runeWidth(r rune, esc bool) int {
	if esc {
		switch r {
		case '&':
			return len("&amp;")
		case '<', '>':
			return len("&lt;")
		}
	}
	return max(utf16.RuneLen(r), 1)
}

// boundary moves a cut at byte end of s back so that it does not split what
// reads as one character: a ZWJ emoji sequence, a base and its combining marks
// or variation selector, a flag's two regional indicators. A text that is one
// endless cluster is cut where asked rather than emptied.
func boundary(s string, end int) int {
	for e := end; e > 0; {
		next, _ := utf8.DecodeRuneInString(s[e:])
		last, size := utf8.DecodeLastRuneInString(s[:e])
		switch {
		case e < len(s) && joinsPrevious(next), last == zwj:
			e -= size
		case isRegional(last) && isRegional(next) && oddRegionalRun(s[:e]):
			e -= size
		default:
			return e
		}
	}
	return end
}

const zwj = '\u200d'

// joinsPrevious reports whether r belongs to the character before it.
func joinsPrevious(r rune) bool {
	switch {
	case r == zwj,
		r >= 0xfe00 && r <= 0xfe0f, // variation selectors
		r >= 0xe0100 && r <= 0xe01ef,
		r >= 0x1f3fb && r <= 0x1f3ff, // skin tones
		r >= 0xe0020 && r <= 0xe007f: // tag sequences (subdivision flags)
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

func isRegional(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

// oddRegionalRun reports whether s ends with an odd run of regional
// indicators: the last one is the first half of a flag.
func oddRegionalRun(s string) bool {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if !isRegional(r) {
			break
		}
		n++
		s = s[:len(s)-size]
	}
	return n%2 == 1
}

// fitLines joins as many of lines as fit whole in max, one per line, and
// says how many.
func fitLines(lines []string, max int) (string, int) {
	used, n := 0, 0
	for _, l := range lines {
		w := textWidth(l)
		if n > 0 {
			w++ // the line break
		}
		if used+w > max {
			break
		}
		used += w
		n++
	}
	return strings.Join(lines[:n], "\n"), n
}

// budget is room in a message, or in one part of it: blocks, and characters
// (width) of text, URLs and button values. Parts are given shares of the
// message's budget and spend within them.
type budget struct {
	blocks int
	chars  int
}

// fits reports whether n blocks measuring w fit.
func (b budget) fits(n, w int) bool { return n <= b.blocks && w <= b.chars }

// spend takes n blocks measuring w.
func (b *budget) spend(n, w int) {
	b.blocks -= n
	b.chars -= w
}

// share is the part of b one of k parts gets. The parts are served in order,
// each from what the earlier ones left, so room a part does not use goes to
// the next. It rounds up, so that three blocks shared by five parts go to the
// first three rather than to none.
func (b budget) share(k int) budget {
	if k <= 1 {
		return b
	}
	return budget{blocks: ceilDiv(b.blocks, k), chars: ceilDiv(b.chars, k)}
}

func ceilDiv(n, k int) int {
	if n <= 0 {
		return 0
	}
	return (n + k - 1) / k
}
