package discord

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pmbot/pmbot/bot/chattext"
)

// Feed content is data (DESIGN.md, promise 3). Every string from a feed or a
// user goes through chattext.Clean (or chattext.Line) and then escape before
// it reaches Discord markdown; the only markup in a payload is what this
// package writes: bold, bullets, line breaks, and masked links to URLs that
// safeURL accepted.

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
	return chattext.RuneWidth(r)
}

// clip returns clean text s escaped and cut to measure at most max, ending with
// "…" when it was cut. It cuts the raw text before escaping, between whole
// characters, so neither a multi-byte character nor an escape is ever split,
// and not inside an emoji sequence. It returns "" when not even "…" fits.
func clip(s string, max int) (out string, cut bool) {
	return chattext.Clip(s, max, escape, escWidth)
}

// clipPlain is clip for text that is shown as written (a button's label): no
// escaping.
func clipPlain(s string, max int) (string, bool) {
	return chattext.Clip(s, max, func(s string) string { return s }, chattext.RuneWidth)
}

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
	label = chattext.Line(label)
	if label == "" {
		label = u
	}
	lab, _ := clip(label, max-chattext.Width("[]()"+u))
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
