package feeds

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// bareURLRe finds URLs written as text. Apostrophes are allowed inside because
// flattened notes glue the next word to the URL ("https://labs.ripe.net/L'accès");
// cutGluedURL takes such words off again.
var bareURLRe = regexp.MustCompile(`(?i)(?:https?://|mailto:)[^\s<>"«»]+`)

// linksOf collects the notes' links: <a href> anchors and bare URLs, with the
// text they carry (or the text before them when the anchor text is the URL) and
// the section they appear in, deduplicated by URL.
func linksOf(blocks []nblock) []Link {
	var out []Link
	index := map[string]int{}
	add := func(text, u, section string) {
		u, ok := cleanURL(u)
		if !ok {
			return
		}
		text = truncateRunes(oneLine(text), maxLinkText)
		if text == "" {
			text = strings.TrimPrefix(u, "mailto:")
		}
		if i, seen := index[u]; seen {
			if out[i].Text == u && text != u {
				out[i].Text = text
			}
			return
		}
		if len(out) >= maxLinks {
			return
		}
		index[u] = len(out)
		out = append(out, Link{Text: text, URL: u, Section: section})
	}
	label := "" // a short paragraph ending in ":" labels the URLs after it
	for _, b := range blocks {
		if b.boiler {
			continue
		}
		section := b.section
		if b.kind == blockHeading {
			label = ""
		}
		if isOnlyURLs(b.text) && len(b.anchors) == 0 && label != "" {
			for _, m := range bareURLRe.FindAllStringIndex(b.text, maxLinks) {
				add(label, trimURLPunct(b.text[m[0]:m[1]]), section)
			}
			continue
		}
		if t := strings.TrimSpace(b.text); b.kind == blockPara && strings.HasSuffix(t, ":") && utf8.RuneCountInString(t) <= 120 {
			label = strings.TrimSpace(strings.TrimSuffix(t, ":"))
		} else if b.kind != blockPara || !isOnlyURLs(b.text) {
			label = ""
		}
		prevEnd := 0
		var covered [][2]int
		for _, a := range b.anchors {
			if a.start > len(b.text) || a.end > len(b.text) || a.start > a.end {
				continue
			}
			covered = append(covered, [2]int{a.start, a.end})
			text := oneLine(b.text[a.start:a.end])
			if text == "" || looksLikeURLText(text, a.href) {
				if pre := precedingText(b.text, prevEnd, a.start); pre != "" {
					text = pre
				} else if text == "" {
					text = a.href
				}
			}
			add(text, a.href, section)
			prevEnd = a.end
		}
		// Bare URLs outside anchors.
		prevEnd = 0
		if low := asciiLower(b.text); !strings.Contains(low, "http") && !strings.Contains(low, "mailto:") {
			continue
		}
		for _, m := range bareURLRe.FindAllStringIndex(b.text, maxLinks) {
			if inside(covered, m[0]) {
				prevEnd = m[1]
				continue
			}
			u := cutGluedURL(b.text[m[0]:m[1]], b.text[m[1]:])
			add(precedingText(b.text, prevEnd, m[0]), u, section)
			prevEnd = m[0] + len(u)
		}
	}
	return out
}

func inside(spans [][2]int, i int) bool {
	for _, s := range spans {
		if i >= s[0] && i < s[1] {
			return true
		}
	}
	return false
}

// looksLikeURLText reports anchor text that merely repeats the URL.
func looksLikeURLText(text, href string) bool {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimSpace(s))
		for _, p := range []string{"https://", "http://", "mailto:", "www."} {
			s = strings.TrimPrefix(s, p)
		}
		return strings.TrimRight(s, "/")
	}
	t := norm(text)
	return t == norm(href) || strings.HasPrefix(strings.ToLower(text), "http://") || strings.HasPrefix(strings.ToLower(text), "https://")
}

// precedingText is the text of s between from and to on the same line, as a
// link label: separators trimmed, only the last sentence of a long run.
func precedingText(s string, from, to int) string {
	if from > to || to > len(s) {
		return ""
	}
	t := s[from:to]
	if k := strings.LastIndexByte(t, '\n'); k >= 0 {
		t = t[k+1:]
	}
	if st := sentenceStarts(t); len(st) > 0 {
		t = t[st[len(st)-1]:]
	}
	t = cutCamelGlue(t)
	t = strings.TrimRightFunc(t, func(r rune) bool { return isSpaceRune(r) || strings.ContainsRune("-–—:,;(|.", r) })
	t = strings.TrimLeftFunc(t, func(r rune) bool { return isSpaceRune(r) || strings.ContainsRune("-–—:,;)|.", r) })
	if !hasLetter(t) {
		return ""
	}
	return oneLine(t)
}

// cutGluedURL trims a bare URL: trailing punctuation, and a capitalised word that
// flattening glued to its end ("…/ui2013/L'accès", "…-dorangeLes"). The word is
// cut when the text after the URL goes on in lowercase ("Les rayonnements"), or
// when it follows a lowercase path segment ("glossaire.htmlOutage").
func cutGluedURL(u, after string) string {
	u = trimURLPunct(u)
	schemeEnd := strings.Index(u, "://")
	if schemeEnd < 0 {
		return u
	}
	// Find the last capital that starts a lowercase word reaching the end.
	cut := -1
	for i, r := range u {
		if i <= schemeEnd+3 || !unicode.IsUpper(r) {
			continue
		}
		tail := u[i+utf8.RuneLen(r):]
		if tail == "" || !allWordLower(tail) {
			continue
		}
		cut = i
	}
	if cut < 0 {
		return u
	}
	nextLower := false
	if after != "" && (after[0] == ' ' || after[0] == '\t') {
		r, _ := utf8.DecodeRuneInString(strings.TrimLeft(after, " \t"))
		nextLower = unicode.IsLower(r)
	}
	seg := u[strings.LastIndexAny(u[:cut], "/#?=&.")+1 : cut]
	p := prevRune(u, cut)
	if p == '.' {
		return u // "…/A.Bcd", "example.Com": a name, not a glued word
	}
	segLower := seg != "" && (unicode.IsLower(p) || unicode.IsDigit(p)) && strings.ToLower(seg) == seg
	if nextLower || segLower {
		return trimURLPunct(u[:cut])
	}
	return u
}

// allWordLower reports whether s is the rest of a word: lowercase letters,
// apostrophes and inner hyphens.
func allWordLower(s string) bool {
	for i, r := range s {
		switch {
		case unicode.IsLower(r), r == '\'', r == '’':
		case r == '-' && i > 0 && i < len(s)-1:
		default:
			return false
		}
	}
	return true
}

// trimURLPunct removes sentence punctuation after a URL, keeping balanced
// closing parentheses (Wikipedia URLs).
func trimURLPunct(u string) string {
	for u != "" {
		r, size := utf8.DecodeLastRuneInString(u)
		switch {
		case r == ')':
			if strings.Count(u, "(") >= strings.Count(u, ")") {
				return u
			}
		case r == ']':
			if strings.Count(u, "[") >= strings.Count(u, "]") {
				return u
			}
		case strings.ContainsRune(".,;:!?'\"’”»}>", r):
		default:
			return u
		}
		u = u[:len(u)-size]
	}
	return u
}

// cleanURL accepts http(s) and mailto URLs only, without spaces or control
// characters, with a host for http(s).
func cleanURL(u string) (string, bool) {
	u = strings.TrimSpace(u)
	if u == "" || len(u) > 2048 || !utf8.ValidString(u) {
		return "", false
	}
	for _, r := range u {
		if r < 0x20 || r == 0x7f || isSpaceRune(r) {
			return "", false
		}
	}
	low := strings.ToLower(u)
	switch {
	case strings.HasPrefix(low, "http://"), strings.HasPrefix(low, "https://"):
		p, err := url.Parse(u)
		if err != nil || p.Host == "" {
			return "", false
		}
	case strings.HasPrefix(low, "mailto:"):
		if len(u) <= len("mailto:") {
			return "", false
		}
	default:
		return "", false
	}
	return u, true
}

// cutCamelGlue drops what comes before the last "wordWord" glue of a long label
// from flattened notes ("…1997. WikipediaLe blog de Damien …" keeps "Le blog de
// Damien …"), when enough words remain.
func cutCamelGlue(t string) string {
	if utf8.RuneCountInString(t) <= 60 {
		return t
	}
	cut := -1
	prev, prev2 := rune(-1), rune(-1)
	for i, r := range t {
		if unicode.IsLower(prev2) && unicode.IsUpper(prev) && unicode.IsLower(r) {
			cut = i - utf8.RuneLen(prev)
		}
		prev2, prev = prev, r
	}
	if cut > 0 && len(strings.Fields(t[cut:])) >= 3 {
		return t[cut:]
	}
	return t
}
