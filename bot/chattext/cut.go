package chattext

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Width is the length of s against a chat platform's limits, in UTF-16 code
// units.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += RuneWidth(r)
	}
	return n
}

// RuneWidth is the width of r in UTF-16 code units: two outside the Basic
// Multilingual Plane, else one (an invalid rune counts as the one-unit
// replacement character).
func RuneWidth(r rune) int { return max(utf16.RuneLen(r), 1) }

// Clip returns s cut to measure at most max, ending with Ellipsis when it was
// cut, and encoded with enc (a renderer's escaping, or none). Each rune of s
// measures width(r) once encoded, so the result is within max however enc
// writes it. Clip cuts the raw text before encoding, between whole characters
// (see Boundary), so neither a multi-byte character nor an escape sequence is
// ever split, and the space before the Ellipsis is trimmed. It returns "" when
// not even Ellipsis fits.
func Clip(s string, max int, enc func(string) string, width func(rune) int) (out string, cut bool) {
	room := max - Width(Ellipsis)
	end, used := 0, 0 // end: where the text is cut if it must be
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		used += width(r)
		if used > max {
			if room < 0 {
				return "", true
			}
			end = Boundary(s, end)
			return enc(strings.TrimRightFunc(s[:end], unicode.IsSpace)) + Ellipsis, true
		}
		if used <= room {
			end = i
		}
	}
	return enc(s), false
}

// Boundary moves a cut at byte end of s back so that it does not split what
// reads as one character: a ZWJ emoji sequence, a base and its combining marks
// or variation selector, a flag's two regional indicators. A text that is one
// endless cluster is cut where asked rather than emptied.
func Boundary(s string, end int) int {
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

// zwj is the zero-width joiner of emoji sequences.
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

// isRegional reports whether r is a regional indicator, half of a flag.
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
