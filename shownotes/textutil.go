package shownotes

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text helpers shared by the show-notes extractors: folding for phrase matching,
// bullets, sentence and run-together splitting.

// asciiLower lowercases ASCII letters only, which keeps byte offsets unchanged,
// for searching ASCII markers in text.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// phraseAtStart reports the length in bytes of the folded text's leading phrase
// from phrases, matched on a word boundary, or -1.
func phraseAtStart(folded string, phrases []string) int {
	for _, p := range phrases {
		if strings.HasPrefix(folded, p) {
			rest := folded[len(p):]
			if rest == "" {
				return len(p)
			}
			r, _ := utf8.DecodeRuneInString(rest)
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' {
				return len(p)
			}
		}
	}
	return -1
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// isTakeawaysHeading reports whether a heading's text names key takeaways.
func isTakeawaysHeading(text string) bool {
	f := Fold(headingLabel(text))
	if utf8.RuneCountInString(f) > 80 {
		return false
	}
	return phraseAtStart(f, takeawaysPhrases) >= 0
}

// isLinksSection reports whether a section label is about links or credits.
func isLinksSection(label string) bool {
	if label == "" {
		return false
	}
	f := Fold(label) + " "
	return containsAny(f, linkSectionWords)
}

// isHeadingLine reports whether a plain-text line is a heading on its own: a
// known phrase, possibly with a short qualifier, and no sentence punctuation.
func isHeadingLine(line string) bool {
	r, _ := utf8.DecodeRuneInString(line)
	if !unicode.IsUpper(r) || utf8.RuneCountInString(line) > 80 {
		return false
	}
	label := headingLabel(line)
	if strings.ContainsAny(label, ".?!") || strings.Contains(label, "://") {
		return false
	}
	f := Fold(label)
	if f == "" {
		return false
	}
	for _, set := range [][]string{takeawaysPhrases, sectionPhrases} {
		if n := phraseAtStart(f, set); n >= 0 {
			if n == len(f) || strings.HasSuffix(strings.TrimSpace(line), ":") || utf8.RuneCountInString(f) <= 40 {
				return true
			}
		}
	}
	return false
}

// isEmojiish reports pictographs and their modifiers, which notes use as bullets
// and which end run-together list items ("incidents 🗝L'importance").
func isEmojiish(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, r >= 0x2600 && r <= 0x27BF, r >= 0x2B00 && r <= 0x2BFF,
		r >= 0x2190 && r <= 0x21FF, r >= 0x25A0 && r <= 0x25FF, r >= 0x2300 && r <= 0x23FF,
		r == 0xFE0F, r == 0x200D, r == 0x20E3:
		return true
	}
	return unicode.Is(unicode.So, r)
}

// bulletRunes start a list line.
const bulletRunes = "*•·◦▪▫►▸‣⁃–—→➤➜✓✔✅☑+>"

// stripBullet removes a leading bullet ("- ", "• ", "1. ", "2) ", "(3) ", an
// emoji and a space) and reports whether there was one.
func stripBullet(line string) (string, bool) {
	s := strings.TrimLeftFunc(line, isSpaceRune)
	if s == "" {
		return "", false
	}
	r, size := utf8.DecodeRuneInString(s)
	rest := s[size:]
	switch {
	case r == '-':
		if strings.HasPrefix(rest, " ") {
			return strings.TrimSpace(rest), true
		}
	case strings.ContainsRune(bulletRunes, r):
		if r == '+' || r == '>' || r == '*' {
			if !strings.HasPrefix(rest, " ") {
				return line, false
			}
		}
		return strings.TrimSpace(rest), true
	case r >= '0' && r <= '9':
		i := 0
		for i < len(s) && i < 3 && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i <= 2 && i+1 < len(s) && (s[i] == '.' || s[i] == ')') && s[i+1] == ' ' {
			return strings.TrimSpace(s[i+1:]), true
		}
	case r == '(':
		i := 1
		for i < len(s) && i < 4 && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i > 1 && i <= 3 && i+1 < len(s) && s[i] == ')' && s[i+1] == ' ' {
			return strings.TrimSpace(s[i+1:]), true
		}
	case isEmojiish(r) && r != 0xFE0F && r != 0x200D:
		j := size
		for j < len(s) {
			r2, sz := utf8.DecodeRuneInString(s[j:])
			if !isEmojiish(r2) {
				break
			}
			j += sz
		}
		if strings.HasPrefix(s[j:], " ") {
			return strings.TrimSpace(s[j:]), true
		}
	}
	return line, false
}

// prevRune returns the rune before byte offset i of s.
func prevRune(s string, i int) rune {
	if i <= 0 {
		return -1
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

// isAbbrevBefore reports whether the "." at s[i] ends an abbreviation ("e.g.",
// "U.S.", "M.", "Dr.") rather than a sentence.
func isAbbrevBefore(s string, i int) bool {
	j := i
	for j > 0 && i-j < 32 { // abbreviations are short; bounding keeps this linear
		r, size := utf8.DecodeLastRuneInString(s[:j])
		if isSpaceRune(r) || r == '(' || r == '"' || r == '\'' {
			break
		}
		j -= size
	}
	tok := s[j:i]
	if strings.HasSuffix(tok, ".") {
		return false // an ellipsis ends a sentence
	}
	if strings.Contains(tok, ".") {
		// "e.g", "U.S", but not URLs or file names, which rarely precede a new sentence.
		return !strings.Contains(tok, "/") && utf8.RuneCountInString(tok) <= 6
	}
	letters := 0
	for _, r := range tok {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters == 1 && utf8.RuneCountInString(tok) == 1 {
		return true
	}
	return abbreviations[Fold(tok)]
}

// isOrdinalBefore reports whether the "." at s[i] follows a day or an ordinal
// number rather than ending a sentence: "am 3. Oktober", "le 22. novembre",
// "der 2. Weltkrieg". The number has one or two digits and a month follows, or
// a word that announces an ordinal ("am", "im", "der") comes before.
func isOrdinalBefore(s string, i, next int) bool {
	j := i
	for j > 0 && i-j < 3 && s[j-1] >= '0' && s[j-1] <= '9' {
		j--
	}
	if j == i || i-j > 2 || (j > 0 && !isSpaceRune(prevRune(s, j)) && prevRune(s, j) != '(') {
		return false
	}
	if monthWords[Fold(firstWordAt(s, next))] {
		return true
	}
	return ordinalWords[Fold(lastWord(s[max(0, j-24):j]))]
}

// firstWordAt returns the word (letters) starting at byte i of s.
func firstWordAt(s string, i int) string {
	k := i
	for k < len(s) && k-i < 32 {
		r, size := utf8.DecodeRuneInString(s[k:])
		if !unicode.IsLetter(r) {
			break
		}
		k += size
	}
	return s[i:k]
}

// inURLToken reports whether byte offset i of s lies in a URL-like token.
func inURLToken(s string, i int) bool {
	j := i
	for j > 0 && j > i-256 { // bounded: a scheme further back is not looked for
		r, size := utf8.DecodeLastRuneInString(s[:j])
		if isSpaceRune(r) {
			break
		}
		j -= size
	}
	tok := s[j:i]
	return strings.Contains(tok, "://") || strings.HasPrefix(strings.ToLower(tok), "www.")
}

// gluedBoundary reports whether a new sentence or list item starts at byte i of
// s with nothing in between: "constant.Si", "Flow.Au-delà", "incidents 🗝L'importance".
// Flattened notes join list items this way. Abbreviations, URLs and acronyms
// ("ASP.NET") are not boundaries.
func gluedBoundary(s string, i int) bool {
	r, size := utf8.DecodeRuneInString(s[i:])
	if !unicode.IsUpper(r) {
		return false
	}
	next, _ := utf8.DecodeRuneInString(s[i+size:])
	if !(unicode.IsLower(next) || next == '\'' || next == '’' || (next == ' ' && (r == 'A' || r == 'À' || r == 'Y' || r == 'I' || r == 'O'))) {
		return false
	}
	p := prevRune(s, i)
	switch {
	case p == '.' || p == '!' || p == '?' || p == '…':
		if p == '.' && isAbbrevBefore(s, i-1) {
			return false
		}
		return !inURLToken(s, i)
	case p == ')' || p == '"' || p == '»' || p == '”':
		pp := prevRune(s, i-utf8.RuneLen(p))
		return pp == '.' || pp == '!' || pp == '?' || pp == '…' || p == ')' && !inURLToken(s, i)
	case p > 0 && isEmojiish(p):
		return true
	}
	return false
}

// splitGlued splits flattened text where items were run together: at inline
// bullets ("✅ a. ✅ b."), then where a sentence end is glued to the next item.
func splitGlued(s string) []string {
	if parts := splitInlineBullets(s); len(parts) > 1 {
		var out []string
		for _, p := range parts {
			out = append(out, splitGlued(p)...)
		}
		return out
	}
	var out []string
	start := 0
	for i := range s {
		if i > start && gluedBoundary(s, i) {
			if piece := strings.TrimSpace(s[start:i]); piece != "" {
				out = append(out, piece)
			}
			start = i
		}
	}
	if piece := strings.TrimSpace(s[start:]); piece != "" {
		out = append(out, piece)
	}
	return out
}

// sentenceStarts returns the byte offsets where sentences of s start (after the
// first): after ".", "!", "?" or "…" and spaces before a capital, digit or
// quote, or at a glued boundary.
func sentenceStarts(s string) []int {
	var starts []int
	for i, r := range s {
		if r != '.' && r != '!' && r != '?' && r != '…' {
			if i > 0 && gluedBoundary(s, i) {
				starts = append(starts, i)
			} else if i > 1 && s[i-1] == ' ' && unicode.IsUpper(r) && isEmojiish(prevRune(s, i-1)) && prevRune(s, i-1) != 0x200D {
				// Flattened paragraphs: "… d'expérimentations 🧑🔬 Pour collecter …".
				if n, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):]); unicode.IsLower(n) {
					starts = append(starts, i)
				}
			}
			continue
		}
		j := i + utf8.RuneLen(r)
		// Closing quotes and brackets belong to the sentence.
		for j < len(s) && strings.ContainsRune(")\"»”'’", rune(s[j])) {
			j++
		}
		k := j
		for k < len(s) && (s[k] == ' ' || s[k] == '\n' || s[k] == '\t') {
			k++
		}
		if k == j || k >= len(s) {
			continue
		}
		if r == '.' && (isAbbrevBefore(s, i) || isOrdinalBefore(s, i, k)) {
			continue
		}
		n, _ := utf8.DecodeRuneInString(s[k:])
		if unicode.IsUpper(n) || unicode.IsDigit(n) || strings.ContainsRune("\"«“'(¿¡*", n) || isEmojiish(n) {
			starts = append(starts, k)
		}
	}
	return starts
}

// sentences splits s into sentences.
func sentences(s string) []string {
	var out []string
	prev := 0
	for _, st := range sentenceStarts(s) {
		if st <= prev {
			continue
		}
		if p := strings.TrimSpace(s[prev:st]); p != "" {
			out = append(out, p)
		}
		prev = st
	}
	if p := strings.TrimSpace(s[prev:]); p != "" {
		out = append(out, p)
	}
	return out
}

// firstSentences returns at most n sentences of s.
func firstSentences(s string, n int) []string {
	ss := sentences(s)
	if len(ss) > n {
		ss = ss[:n]
	}
	return ss
}

// hasLetter reports whether s contains a letter or digit.
func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// capitalize upper-cases the first rune of s.
func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// inlineBulletRunes mark items written on one line; hyphens and dashes are left
// out: inside a sentence they are punctuation, not bullets.
const inlineBulletRunes = "•▪◦►▸➤➜→✓✔✅☑"

// splitInlineBullets splits s at a bullet marker that stands alone between spaces
// and recurs: one repeated marker is a list ("✅ a ✅ b"), one emoji is decoration.
func splitInlineBullets(s string) []string {
	counts := map[rune]int{}
	var marker rune
	for i, r := range s {
		if !isInlineBullet(s, i, r) {
			continue
		}
		counts[r]++
		if counts[r] == 2 && marker == 0 {
			marker = r
		}
	}
	if marker == 0 {
		return nil
	}
	var out []string
	start := 0
	for i, r := range s {
		if r != marker || !isInlineBullet(s, i, r) {
			continue
		}
		if piece := strings.TrimSpace(s[start:i]); piece != "" {
			out = append(out, piece)
		}
		start = i + utf8.RuneLen(r)
	}
	if piece := strings.TrimSpace(s[start:]); piece != "" {
		out = append(out, piece)
	}
	return out
}

func isInlineBullet(s string, i int, r rune) bool {
	if !strings.ContainsRune(inlineBulletRunes, r) && !isEmojiish(r) {
		return false
	}
	before := i == 0 || unicode.IsSpace(prevRune(s, i))
	next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
	return before && (unicode.IsSpace(next) || next == utf8.RuneError)
}

// CollapseSpaces collapses runs of white space (no-break and zero-width spaces
// included) into one space and trims.
func CollapseSpaces(s string) string {
	if isCollapsed(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if isSpaceRune(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if r == utf8.RuneError || r == 0 {
			r = '\uFFFD'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isCollapsed reports ASCII text that collapseSpaces would leave as it is: no
// control character, no space at either end, no two spaces in a row.
func isCollapsed(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c < ' ' || c == 0x7f {
			return false
		}
		if c == ' ' {
			if prevSpace {
				return false
			}
			prevSpace = true
		} else {
			prevSpace = false
		}
	}
	return true
}

// oneLine turns block text into a single line.
func oneLine(s string) string {
	if strings.IndexByte(s, '\n') >= 0 {
		s = strings.ReplaceAll(s, "\n", " ")
	}
	return CollapseSpaces(s)
}

// truncateRunes cuts s to at most n runes on a word boundary, adding "…".
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	count := 0
	for i := range s {
		if count == n {
			cut = i
			break
		}
		count++
	}
	t := s[:cut]
	if sp := strings.LastIndexAny(t, " \n"); sp > len(t)/2 {
		t = t[:sp]
	}
	t = strings.TrimRightFunc(t, func(r rune) bool {
		return isSpaceRune(r) || r == ',' || r == ';' || r == ':' || r == '-'
	})
	return t + "…"
}

func isSpaceRune(r rune) bool {
	return unicode.IsSpace(r) || r == '\u00a0' || r == '\u200b' || r == '\ufeff'
}
