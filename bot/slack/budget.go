package slack

import (
	"strings"

	"github.com/pmbot/pmbot/bot/chattext"
)

// This file is the one place where room is measured and text is cut:
// clipText, fitLines and budget, with chattext's Width and Clip. Everything else asks them; list.go
// packs lists into sections with them, and the builder (blocks.go) spends a
// message's budget block by block.

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
	return chattext.Clip(s, max, enc, func(r rune) int { return runeWidth(r, esc) })
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
	return chattext.RuneWidth(r)
}

// fitLines joins as many of lines as fit whole in max, one per line, and
// says how many.
func fitLines(lines []string, max int) (string, int) {
	used, n := 0, 0
	for _, l := range lines {
		w := chattext.Width(l)
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
