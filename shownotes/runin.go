package shownotes

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Headings inside running text. Flattened plain notes lose their markup, so
// "… à l’horizon. Points clés ; Avoir une équipe …rapidement.Références Ouriel …"
// hides a takeaways heading and a references heading in one line. splitRunIns
// cuts paragraphs at such run-in headings.

// runIn is a heading found at s[start:end]; body starts at s[body:].
type runIn struct {
	start, end, body int
}

// splitRunIns replaces paragraph blocks by their pieces around run-in headings.
// In HTML only a takeaways phrase opening a paragraph and followed by ":" or ";"
// counts ("<p>Points clés : …</p>"); in plain text run-ins are found anywhere at
// a sentence boundary. Plain text also gets split after a lead-in colon.
func splitRunIns(blocks []Block, plain bool) []Block {
	out := make([]Block, 0, len(blocks))
	for _, b := range blocks {
		if b.Kind != Paragraph {
			out = append(out, b)
			continue
		}
		var found []runIn
		if plain {
			found = findRunIns(b.Text)
		} else if ri, ok := leadingTakeawaysRunIn(b.Text); ok {
			found = []runIn{ri}
		}
		if len(found) == 0 {
			out = append(out, splitLeadIn(b, plain)...)
			continue
		}
		prev := 0
		for _, ri := range found {
			if pre := b.Text[prev:ri.start]; strings.TrimSpace(pre) != "" {
				out = append(out, splitLeadIn(subBlock(b, prev, ri.start), plain)...)
			}
			h := Block{Kind: Heading, Text: strings.TrimSpace(b.Text[ri.start:ri.end]), RunIn: true}
			out = append(out, h)
			prev = ri.body
		}
		if rest := b.Text[prev:]; strings.TrimSpace(rest) != "" {
			out = append(out, splitLeadIn(subBlock(b, prev, len(b.Text)), plain)...)
		}
	}
	return out
}

// subBlock is the paragraph b.Text[from:to] with the anchors that fall in it.
func subBlock(b Block, from, to int) Block {
	nb := Block{Kind: Paragraph, Text: b.Text[from:to], AfterLeadIn: b.AfterLeadIn}
	for _, a := range b.Links {
		if a.Start >= from && a.End <= to {
			nb.Links = append(nb.Links, Anchor{URL: a.URL, Start: a.Start - from, End: a.End - from, Alt: a.Alt})
		}
	}
	// Keep offsets valid after trimming the left side.
	trimmed := strings.TrimLeftFunc(nb.Text, isSpaceRune)
	shift := len(nb.Text) - len(trimmed)
	nb.Text = strings.TrimRightFunc(trimmed, isSpaceRune)
	for i := range nb.Links {
		nb.Links[i].Start = min(max(nb.Links[i].Start-shift, 0), len(nb.Text))
		nb.Links[i].End = min(max(nb.Links[i].End-shift, nb.Links[i].Start), len(nb.Text))
	}
	return nb
}

// leadingTakeawaysRunIn finds "Points clés : …" at the start of a paragraph.
func leadingTakeawaysRunIn(s string) (runIn, bool) {
	n := matchPhraseAt(s, 0, takeawaysPhrases, takeawaysFirst)
	if n < 0 {
		return runIn{}, false
	}
	j := n
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j >= len(s) || (s[j] != ':' && s[j] != ';') {
		return runIn{}, false
	}
	body := j + 1
	return runIn{start: 0, end: body, body: body}, true
}

// matchPhraseAt matches one of phrases (folded, words separated by single
// spaces) against the words of s starting at byte i, and returns the end offset
// of the match in s, or -1. The match must end on a word boundary.
func matchPhraseAt(s string, i int, phrases []string, first map[string]bool) int {
	// Fold up to 6 words from i, remembering where each ends.
	type w struct {
		f   string
		end int
	}
	var words [6]w
	nw := 0
	j := i
	for nw < len(words) && j < len(s) {
		k := j
		for k < len(s) {
			r, size := utf8.DecodeRuneInString(s[k:])
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’') {
				break
			}
			k += size
		}
		if k == j {
			break
		}
		if nw == 0 && !first[lowerASCIIKey(s[j:k])] && isASCII(s[j:k]) {
			return -1 // most words start no phrase: stop before folding any
		}
		words[nw] = w{Fold(s[j:k]), k}
		nw++
		if nw == 1 && !first[words[0].f] {
			return -1
		}
		if k >= len(s) || s[k] != ' ' {
			break
		}
		j = k + 1
	}
	best := -1
	for _, p := range phrases {
		if nw == 0 || !strings.HasPrefix(p, words[0].f) {
			continue
		}
		pw := strings.Split(p, " ")
		if len(pw) > nw {
			continue
		}
		ok := true
		for x := range pw {
			if words[x].f != pw[x] {
				ok = false
				break
			}
		}
		if ok && words[len(pw)-1].end > best {
			best = words[len(pw)-1].end
		}
	}
	return best
}

// findRunIns finds the run-in headings of plain text, in order.
func findRunIns(s string) []runIn {
	var found []runIn
	prevLetter := false
	for i, r := range s {
		isWord := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’'
		start := isWord && !prevLetter
		prevLetter = isWord
		if !start || !unicode.IsUpper(r) {
			continue
		}
		if len(found) > 0 && i < found[len(found)-1].body {
			continue
		}
		if len(found) >= 100 {
			break
		}
		if ri, ok := runInAt(s, i); ok {
			found = append(found, ri)
		}
	}
	return found
}

// runInAt checks for a heading phrase starting at byte i of plain text s.
func runInAt(s string, i int) (runIn, bool) {
	end := matchPhraseAt(s, i, takeawaysPhrases, takeawaysFirst)
	takeaways := end >= 0
	if !takeaways {
		end = matchPhraseAt(s, i, sectionPhrases, sectionFirst)
		if end < 0 {
			return runIn{}, false
		}
	}
	// What comes before: the start of a line or text, a sentence end or an
	// emoji, glued or not. Section words may also follow a lowercase word
	// ("@bortzmeyer Bibliographie"), but not a capitalised one ("Open Sources").
	p := prevRune(s, i)
	switch {
	case p == -1 || p == '\n':
	case isSpaceRune(p):
		j := i
		for j > 0 {
			r, size := utf8.DecodeLastRuneInString(s[:j])
			if !isSpaceRune(r) {
				break
			}
			j -= size
		}
		q := prevRune(s, j)
		if q == -1 || q == '\n' || strings.ContainsRune(".!?…;:", q) || isEmojiish(q) {
			break
		}
		if takeaways {
			return runIn{}, false
		}
		k := j
		for k > 0 {
			r, size := utf8.DecodeLastRuneInString(s[:k])
			if isSpaceRune(r) {
				break
			}
			k -= size
		}
		first, _ := utf8.DecodeRuneInString(s[k:j])
		if unicode.IsUpper(first) {
			return runIn{}, false
		}
	case strings.ContainsRune(".!?…;:)]»”\"/", p) || isEmojiish(p):
	default:
		return runIn{}, false
	}
	// What comes after: the end, or a separator.
	body := end
	if end < len(s) {
		r, _ := utf8.DecodeRuneInString(s[end:])
		if !(isSpaceRune(r) || strings.ContainsRune(":;,–—-&", r)) {
			return runIn{}, false
		}
		j := end
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j < len(s) && (s[j] == ':' || s[j] == ';') {
			j++
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
		}
		body = j
		if takeaways && j < len(s) {
			// "Highlights include …" is prose, not a heading.
			n, _ := utf8.DecodeRuneInString(s[j:])
			if unicode.IsLower(n) {
				return runIn{}, false
			}
		}
		if r == '&' || r == '-' || r == '–' || r == '—' {
			// "Links & Show Notes", "Resources - …": keep the rest of the line as
			// part of the heading only when it is short; else the body starts here.
			body = end
		}
	}
	return runIn{start: i, end: end, body: body}, true
}

// splitLeadIn splits a plain-text paragraph after a lead-in colon ("…, en
// particulier : item.Item"), marking the rest as the list it introduces.
func splitLeadIn(b Block, plain bool) []Block {
	if !plain {
		return []Block{b}
	}
	s := b.Text
	for i := 0; i < len(s); i++ {
		if s[i] != ':' {
			continue
		}
		if i+1 >= len(s) || s[i+1] == '/' {
			continue // a URL scheme
		}
		from := max(0, i-80)
		for from < i && !utf8.RuneStart(s[from]) {
			from++
		}
		window := s[from:i]
		if k := strings.LastIndexAny(window, ".!?\n"); k >= 0 {
			window = window[k+1:]
		}
		// The lead-in ends the sentence ("…, en particulier :"); a phrase further
		// back ("we discuss superior BBS software, Sleepy Dawgz, Dust: An
		// Elysian Tail") is a title's colon.
		if w := strings.Fields(window); len(w) > 6 {
			window = strings.Join(w[len(w)-6:], " ")
		}
		if !leadInSet.in(Fold(window)) {
			continue
		}
		rest := strings.TrimSpace(s[i+1:])
		if rest == "" {
			break
		}
		pre := subBlock(b, 0, i+1)
		post := subBlock(b, i+1, len(s))
		post.AfterLeadIn = true
		return []Block{pre, post}
	}
	return []Block{b}
}

// lowerASCIIKey lowercases a short ASCII word for a map lookup; longer words
// come back as they are (no phrase starts with one).
func lowerASCIIKey(w string) string {
	var buf [24]byte
	if len(w) > len(buf) {
		return w
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return string(buf[:len(w)])
}

// firstWords are the first (space-separated) words of phrases: a word that
// starts none of them starts no match.
func firstWords(phrases []string) map[string]bool {
	m := make(map[string]bool, len(phrases))
	for _, p := range phrases {
		w, _, _ := strings.Cut(p, " ")
		m[w] = true
	}
	return m
}

var (
	takeawaysFirst  = firstWords(takeawaysPhrases)
	sectionFirst    = firstWords(sectionPhrases)
	connectorsFirst = firstWords(connectors)
)
