package slack

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pmbot/pmbot/bot/chattext"
)

// Feed content is data (DESIGN.md, promise 3). Every string from a feed or a
// user goes through chattext.Clean (or chattext.Line) and then escape before
// it reaches mrkdwn; the only markup in a payload is what this package
// writes: bold, line breaks, bullets, and links to URLs that safeURL accepted.

// mrkdwnEscaper replaces Slack's three control characters, and only them
// (contract A7): escaped, "<!channel>" or "<@U123>" are shown, not acted on.
var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapeMrkdwn makes plain text literal in mrkdwn.
func escapeMrkdwn(s string) string { return mrkdwnEscaper.Replace(s) }

// safeURL returns u if it is a link we may write: http or https, with a host,
// no user name (https://trusted.example@evil.example reads as trusted), and no
// character that could end our <url|label> early or hide what it points to
// (spaces, "<", ">", "|", control and formatting characters), at most MaxURL
// long. Anything else is shown as text, never linked. The URL comes back in
// ASCII: letters such as "é" in its path are percent-encoded, as a browser
// would send them, so no validator can find it malformed; a host that is not
// ASCII is refused rather than guessed at.
func safeURL(u string) (string, bool) {
	u = strings.TrimSpace(u)
	if u == "" || len(u) > 4*MaxURL {
		return "", false
	}
	for _, r := range u {
		if r == '<' || r == '>' || r == '|' || r == unicode.ReplacementChar ||
			unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", false
		}
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil || p.Opaque != "" || !ascii(p.Host) {
		return "", false
	}
	if s := strings.ToLower(p.Scheme); s != "http" && s != "https" {
		return "", false
	}
	u = percentEncode(u)
	if chattext.Width(u) > MaxURL {
		return "", false
	}
	return u, true
}

// percentEncode writes the bytes of u that are not ASCII as %XX.
func percentEncode(u string) string {
	if ascii(u) {
		return u
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		if c := u[i]; c < utf8.RuneSelf {
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

// linkURL is u when it is safe and short enough to link or put on a button.
func linkURL(u string) (string, bool) {
	u, ok := safeURL(u)
	if !ok || chattext.Width(u) > maxLinkURL {
		return "", false
	}
	return u, true
}

// mrkdwnLink is a mrkdwn link to u (which safeURL accepted) labelled with the plain
// text label, cut to make the whole link measure at most max; "" when even a
// short label does not fit. The label loses its "|", which Slack would read as
// the end of the URL.
func mrkdwnLink(u, label string, max int) string {
	over := chattext.Width("<" + u + "|>")
	label = chattext.Line(strings.ReplaceAll(label, "|", " "))
	if label == "" {
		label = u
	}
	lab, _ := clipText(label, max-over, true)
	if lab == "" {
		return ""
	}
	return "<" + u + "|" + lab + ">"
}

// boldText marks mrkdwn s as bold. Slack only reads "*" as bold next to a space or
// an end, which line's trimming guarantees for what we bold.
func boldText(s string) string {
	if s == "" {
		return ""
	}
	return "*" + s + "*"
}

// defuse puts a zero-width space after every "<" of plain text. Slack shows
// plain_text as written, so "<!channel>" in a header pings no one; but should a
// client ever read mention syntax there, this keeps feed text from becoming one,
// as the Discord renderer does. It is invisible, and counted in every limit.
func defuse(s string) string {
	return strings.ReplaceAll(s, "<", "<\u200b")
}
