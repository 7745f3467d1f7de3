package feeds

import (
	"strings"
	"unicode/utf8"
)

// boilerplateMarkers are (ASCII, lowercase) phrases of host boilerplate: the
// sentence holding one and everything after it in its paragraph is dropped, as
// hosts append these at the end.
var boilerplateMarkers = []string{
	"hosted on acast", "acast.com/privacy", "omnystudio.com/listener",
	"learn more about your ad choices", "megaphone.fm/adchoices", "podcastchoices.com/adchoices",
	"support this show", "support this podcast", "see privacy policy at", "california privacy notice",
	"art19.com/privacy", "become a supporter of this podcast", "for more information on how we use your data",
	"privacy & opt-out", "powered by ausha", "visit podcastics", "see anchor.fm/privacy",
	"this episode is brought to you by",
}

// markBoilerplate cuts host boilerplate out of paragraphs; a paragraph left
// empty is marked boiler and ignored by the extractors (its links too).
func markBoilerplate(blocks []nblock) {
	for i := range blocks {
		b := &blocks[i]
		if b.kind == blockHeading {
			continue
		}
		low := asciiLower(b.text)
		cut := -1
		for _, m := range boilerplateMarkers {
			if k := strings.Index(low, m); k >= 0 && (cut < 0 || k < cut) {
				cut = k
			}
		}
		if cut < 0 {
			continue
		}
		start := sentenceStartBefore(b.text, cut)
		b.text = strings.TrimRightFunc(b.text[:start], isSpaceRune)
		if !hasLetter(b.text) {
			b.text = ""
			b.boiler = true
		}
	}
}

// sentenceStartBefore returns the start of the sentence holding byte i.
func sentenceStartBefore(s string, i int) int {
	start := 0
	for _, st := range sentenceStarts(s[:i]) {
		if st <= i {
			start = st
		}
	}
	if k := strings.LastIndexByte(s[:i], '\n'); k+1 > start {
		start = k + 1
	}
	// A sentence start exactly at i is not seen by sentenceStarts(s[:i]).
	before := strings.TrimRightFunc(s[:i], isSpaceRune)
	if before == "" {
		return 0
	}
	if r, _ := utf8.DecodeLastRuneInString(before); strings.ContainsRune(".!?…", r) || isEmojiish(r) {
		return i
	}
	return start
}

// summaryOf is the first paragraph (not a heading, not boilerplate); when longer
// than about 300 characters, its first two sentences; at most 500 characters.
func summaryOf(blocks []nblock) string {
	pick := ""
	for _, b := range blocks {
		if b.kind == blockPara && !b.boiler && hasLetter(b.text) && !isOnlyURLs(b.text) {
			pick = b.text
			break
		}
	}
	if pick == "" {
		for _, b := range blocks {
			if b.kind == blockItem && hasLetter(b.text) {
				pick = b.text
				break
			}
		}
	}
	// Only the start can make the summary; don't split megabytes into sentences.
	s := oneLine(capInputAt(pick, 8*maxSummaryLen))
	if utf8.RuneCountInString(s) > 300 {
		if ss := firstSentences(s, 2); len(ss) > 0 {
			s = strings.Join(ss, " ")
		}
	}
	return truncateRunes(s, maxSummaryLen)
}

// isOnlyURLs reports whether a paragraph is nothing but URLs.
func isOnlyURLs(s string) bool {
	for s != "" {
		s = strings.TrimLeftFunc(s, isSpaceRune)
		if s == "" {
			break
		}
		l := asciiLower(s[:min(len(s), 8)])
		if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "www.") {
			return false
		}
		if k := strings.IndexFunc(s, isSpaceRune); k >= 0 {
			s = s[k:]
		} else {
			s = ""
		}
	}
	return true
}

// takeawaysOf finds the takeaways: the items under a takeaways heading, else a
// list the notes introduce with a lead-in ending in ":".
func takeawaysOf(blocks []nblock, plain bool) ([]string, string) {
	for i, b := range blocks {
		if b.kind == blockHeading && isTakeawaysHeading(b.text) {
			if items := itemsUnder(blocks, i+1); len(items) > 0 {
				return items, TakeawaysSection
			}
		}
	}
	for i, b := range blocks {
		if b.kind != blockPara || b.boiler || i+1 >= len(blocks) || isLinksSection(b.section) {
			continue
		}
		lead := strings.TrimSpace(b.text)
		if !strings.HasSuffix(lead, ":") {
			continue
		}
		last := lead
		if ss := sentences(lead); len(ss) > 0 {
			last = ss[len(ss)-1]
		}
		known := containsAny(fold(last), leadInPhrases)
		next := blocks[i+1]
		switch {
		case next.kind == blockItem:
			var items []string
			links := 0
			total := 0
			for _, it := range blocks[i+1:] {
				if it.kind != blockItem || it.list != next.list {
					break
				}
				if len(it.anchors) > 0 || strings.Contains(it.text, "://") {
					links++
				}
				total += utf8.RuneCountInString(it.text)
				items = appendItem(items, it.text)
			}
			if len(items) == 0 {
				continue
			}
			// Without a known lead-in, accept only a list of statements, not of
			// links or names ("Also featuring:").
			if known || (len(items) >= 2 && total/len(items) >= 30 && links*2 < len(items)) {
				return items, TakeawaysList
			}
		case next.kind == blockPara && next.afterLeadIn && plain && known:
			var items []string
			for _, line := range strings.Split(next.text, "\n") {
				for _, p := range splitGlued(line) {
					p, _ = stripBullet(p)
					items = appendItem(items, p)
				}
			}
			if len(items) >= 2 {
				return items, TakeawaysList
			}
		}
	}
	return nil, ""
}

// itemsUnder collects the takeaways after a heading, up to the next heading:
// the list items when there are any, else the lines of the paragraphs, split
// where flattened text ran items together.
func itemsUnder(blocks []nblock, from int) []string {
	end := from
	hasItems := false
	for end < len(blocks) && blocks[end].kind != blockHeading {
		if blocks[end].kind == blockItem {
			hasItems = true
		}
		end++
	}
	var items []string
	for _, b := range blocks[from:end] {
		if b.boiler {
			continue
		}
		if hasItems {
			if b.kind == blockItem {
				items = appendItem(items, b.text)
			}
			continue
		}
		for _, line := range strings.Split(b.text, "\n") {
			for _, p := range splitGlued(line) {
				p, _ = stripBullet(p)
				items = appendItem(items, p)
			}
		}
	}
	return items
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
