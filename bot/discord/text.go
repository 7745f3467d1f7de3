package discord

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Feed content is data (DESIGN.md, promise 3). Every string from a feed or a
// user goes through cleanText (or oneLine) and then escape before it reaches
// Discord markdown; the only markup in a payload is what this package writes:
// bold, bullets, line breaks, and masked links to URLs that safeURL accepted.

// zwsp is the zero-width space written after every "@" and "<" of escaped
// text: "@everyone", "<@123>", "<@&456>" and "<#789>" are then shown, not
// acted on, even where allowed_mentions would let them through. It is written
// after cleaning (which drops it from the input), so it is ours.
const zwsp = "\u200b"

// escape makes plain, clean text literal in Discord markdown: a backslash
// before every character markdown reads (emphasis, code, spoilers, masked
// links, escapes), before "#", "-" and ">" that start a line (headings,
// lists, quotes), and a zero-width space after "@" and "<" (mentions,
// channel links, timestamps). It is context-free apart from line starts, and
// the start of s counts as one, so pieces escaped apart stay literal when
// joined.
func escape(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	lineStart, number := true, false // number: digits that start a line
	for _, r := range s {
		switch r {
		case '\\', '*', '_', '~', '`', '|', '[', ']', '(', ')':
			b.WriteByte('\\')
		case '#', '-', '>', '+':
			if lineStart {
				b.WriteByte('\\')
			}
		case '.':
			if number {
				b.WriteByte('\\') // "1. item" is an ordered list
			}
		}
		b.WriteRune(r)
		switch r {
		case '@', '<':
			b.WriteString(zwsp)
		}
		number = (lineStart || number) && r >= '0' && r <= '9'
		switch {
		case r == '\n':
			lineStart = true
		case r != ' ':
			lineStart = false
		}
	}
	return b.String()
}

// escWidth is the most r can measure once escaped: its width, plus a
// backslash or a zero-width space.
func escWidth(r rune) int {
	switch r {
	case '\\', '*', '_', '~', '`', '|', '[', ']', '(', ')', '#', '-', '>', '+', '.', '@', '<':
		return 2
	}
	return runeWidth(r)
}

// textWidth is the length of s against Discord's limits, in UTF-16 code units:
// never fewer than the code points some count, the unit JavaScript counts.
func textWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int { return max(utf16.RuneLen(r), 1) }

// ellipsis ends every cut text.
const ellipsis = "…"

// clip returns clean text s escaped and cut to measure at most max, ending with
// "…" when it was cut. It cuts the raw text before escaping, between whole
// characters, so neither a multi-byte character nor an escape is ever split,
// and not inside an emoji sequence. It returns "" when not even "…" fits.
func clip(s string, max int) (out string, cut bool) {
	return clipWith(s, max, escape, escWidth)
}

// clipPlain is clip for text that is shown as written (a button's label): no
// escaping.
func clipPlain(s string, max int) (string, bool) {
	return clipWith(s, max, func(s string) string { return s }, runeWidth)
}

func clipWith(s string, max int, enc func(string) string, width func(rune) int) (string, bool) {
	room := max - textWidth(ellipsis)
	end, used := 0, 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		used += width(r)
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

// boundary moves a cut at byte end of s back so that it does not split what
// reads as one character: a ZWJ emoji sequence, a base and its combining marks
// or variation selector, a flag's two regional indicators.
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

func joinsPrevious(r rune) bool {
	switch {
	case r == zwj,
		r >= 0xfe00 && r <= 0xfe0f,
		r >= 0xe0100 && r <= 0xe01ef,
		r >= 0x1f3fb && r <= 0x1f3ff,
		r >= 0xe0020 && r <= 0xe007f:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

func isRegional(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

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

// maxInput is the most of one string the renderer reads.
const maxInput = 64 << 10

// cleanText makes feed or user text fit to show: invalid UTF-8, control
// characters and invisible formatting characters (bidi overrides and
// isolates, zero-width spaces) are dropped, tabs become spaces, runs of blank
// lines collapse to one and the ends are trimmed. Right-to-left letters stay,
// and so do the joiners and marks emoji sequences and scripts need.
func cleanText(s string) string {
	more := false
	if len(s) > maxInput {
		end := maxInput
		for end > 0 && !utf8.RuneStart(s[end]) {
			end--
		}
		s, more = s[:end], true
	}
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
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	out := strings.Join(lines, "\n")
	if more {
		out += ellipsis
	}
	return out
}

func showable(r rune) bool {
	switch {
	case r == unicode.ReplacementChar || unicode.IsControl(r):
		return false
	case r == zwj, r == '\u200c', r == '\u200e', r == '\u200f', r == '\u061c',
		r >= 0xe0020 && r <= 0xe007f:
		return true
	}
	return !unicode.Is(unicode.Cf, r)
}

// oneLine is clean text on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(cleanText(s)), " ") }

// safeURL returns u if it is a link we may write, at most limit long: http or
// https, with an ASCII host, no user name (https://trusted@evil reads as
// trusted), and no character that could end a masked link early or hide where
// it points (spaces, "<", ">", "|", control and formatting characters). It
// comes back in ASCII, with "(", ")", "[" and "]" percent-encoded so that it
// cannot close the masked link it is written in, and "@" so that it reads as
// no mention.
func safeURL(u string, limit int) (string, bool) {
	u = strings.TrimSpace(u)
	if u == "" || len(u) > 4*limit {
		return "", false
	}
	for _, r := range u {
		if r == '<' || r == '>' || r == '|' || r == '\\' || r == '`' || r == unicode.ReplacementChar ||
			unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", false
		}
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil || p.Opaque != "" || !ascii(p.Host) || strings.ContainsAny(p.Host, "[]") {
		return "", false
	}
	if s := strings.ToLower(p.Scheme); s != "http" && s != "https" {
		return "", false
	}
	u = percentEncode(u)
	if len(u) > limit {
		return "", false
	}
	return u, true
}

// percentEncode writes the bytes of u that are not ASCII, and "(", ")", "[",
// "]" and "@" (which can only follow the host: safeURL refused user names
// and IPv6 literals), as %XX.
func percentEncode(u string) string {
	if ascii(u) && !strings.ContainsAny(u, "()[]@") {
		return u
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		if c := u[i]; c < utf8.RuneSelf && !strings.ContainsRune("()[]@", rune(c)) {
			b.WriteByte(c)
		} else {
			b.Write([]byte{'%', hex[c>>4], hex[c&15]})
		}
	}
	return b.String()
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// maskedLink is a markdown link to u (which safeURL accepted) labelled with
// plain text label, the whole at most max wide; "" when even a short label does
// not fit.
func maskedLink(u, label string, max int) string {
	label = oneLine(label)
	if label == "" {
		label = u
	}
	lab, _ := clip(label, max-textWidth("[]()"+u))
	if lab == "" {
		return ""
	}
	return "[" + lab + "](" + u + ")"
}

// bold marks escaped text s as bold.
func bold(s string) string {
	if s == "" {
		return ""
	}
	return "**" + s + "**"
}
