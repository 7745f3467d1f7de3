package shownotes

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

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

// summaryOf is the first paragraph of real prose: not a heading, not
// promotional, without its leading lines that are labels ("Show notes:"),
// warnings ("Content warning: …"), the episode's title repeated, timestamps or
// bare URLs; when it is longer than about 300 characters, its first two
// sentences; at most 500 characters. Without such a paragraph, the first list
// item of prose. It also returns the prose it was taken from and the index of
// the block that prose ends in (-1 without a summary), where statements are
// looked for.
func summaryOf(blocks []nblock, title *episodeTitle) (summary, prose string, at int) {
	pick, at := "", -1
	underLabel := false
	for i, b := range blocks {
		if b.Kind == Heading {
			underLabel = false
		}
		if b.Kind != Paragraph || b.boiler {
			continue
		}
		t := strings.TrimSpace(b.Text)
		if label := lastLine(t); isLabel(label) {
			// "Executive Producers:" and the names after it are no summary; a
			// sentence cut at its colon ("We discuss Bionic Commando:") goes on
			// in the next paragraph.
			underLabel = pureLabel(label)
			if !underLabel && !strings.Contains(t, "\n") && i+1 < len(blocks) && blocks[i+1].Kind == Paragraph && !blocks[i+1].boiler {
				if next := proseText(blocks[i+1].Text, title); next != "" && next == strings.TrimSpace(blocks[i+1].Text) {
					pick, at = t+" "+next, i+1
					break
				}
			}
			continue
		}
		if underLabel && !strings.Contains(t, "\n") && len(strings.Fields(t)) <= 15 && !(isProse(t) && endsSentence(t)) {
			continue // a name under "Executive Producers:"
		}
		underLabel = false
		if mostlyLinks(b.Block) || isLinkEntry(b.Block) || len(b.Links) > 0 && isLinksSection(b.Section) && len(strings.Fields(t)) <= 15 {
			continue // a line of links, an entry of a links section or of a list of links
		}
		if t := proseText(b.Text, title); t != "" {
			pick, at = t, i
			break
		}
	}
	if pick == "" {
		// Short notes ("Notes 4"): their first paragraph, when it is text at all.
		for i, b := range blocks {
			if b.Kind != Paragraph || b.boiler {
				continue
			}
			if t := plainLines(b.Text, title); t != "" && !mostlyLinks(b.Block) && !isLinkEntry(b.Block) {
				pick, at = t, i
			}
			break
		}
	}
	if pick == "" {
		for i, b := range blocks {
			if b.Kind != Item || b.boiler || isLinksSection(b.Section) {
				continue
			}
			if t := proseText(b.Text, title); t != "" {
				pick, at = t, i
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
	return truncateRunes(s, maxSummaryLen), pick, at
}

// pureLabel reports a label that names what follows rather than starting a
// sentence: it has no content word ("Executive Producers:", "Also featuring:")
// or is a known section heading ("Show notes:", "Key takeaways:").
func pureLabel(label string) bool {
	f := Fold(headingLabel(label))
	if phraseAtStart(f, sectionPhrases) >= 0 || phraseAtStart(f, takeawaysPhrases) >= 0 {
		return true
	}
	for _, w := range strings.Fields(label) {
		if isContentWord(w) {
			return false
		}
	}
	return true
}

// mostlyLinks reports a block whose text is mostly the text of its links: a
// line of the podcast's links ("RSS Podcast Feed", "No Agenda Lite in opus
// format"), not prose.
func mostlyLinks(b Block) bool {
	if len(b.Links) == 0 {
		return false
	}
	covered := 0
	for _, a := range b.Links {
		covered += letterCount(b.AnchorText(a))
	}
	return 5*covered >= 2*letterCount(b.Text)
}

// isLinkEntry reports a short line that ends with its link: "ShowNotes Archive
// of links and Assets 1379.noagendanotes.com", "Les articles de RIPE Labs
// https://labs.ripe.net/": an entry of a list of links.
func isLinkEntry(b Block) bool {
	t := strings.TrimRightFunc(b.Text, func(r rune) bool { return isSpaceRune(r) || strings.ContainsRune(".,;:!)", r) })
	if strings.Contains(t, "\n") || strings.Count(t, " ") > 20 {
		return false // more than a short line
	}
	words := len(strings.Fields(t))
	if words > 15 {
		return false
	}
	for _, a := range b.Links {
		if a.End > a.Start && (a.End >= len(t) || a.Start == 0 && words <= 10) {
			return true // "label link", or "link label" on a short line
		}
	}
	last := t[strings.LastIndexFunc(t, isSpaceRune)+1:]
	return strings.Contains(last, "://") || strings.HasPrefix(asciiLower(last), "www.")
}

// letterCount counts the letters and digits of s.
func letterCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// lastLine is the last line of s.
func lastLine(s string) string {
	return s[strings.LastIndexByte(s, '\n')+1:]
}

// proseText keeps the lines of a block that are prose, from the first one: the
// lines before it that are labels, warnings, the title, timestamps or URLs go.
// It returns "" when no line is prose.
func proseText(text string, title *episodeTitle) string {
	if !hasLetter(text) {
		return ""
	}
	lines := strings.Split(capInputAt(text, 16*maxSummaryLen), "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if isWarning(line) {
			// "CW: addiction. This week …": the warning's sentence goes.
			if st := sentenceStarts(line); len(st) > 0 {
				line = line[st[0]:]
				lines[i] = line
			} else {
				continue
			}
		}
		switch {
		case line == "", isOnlyURLs(line), isLabel(line), repeatsTitle(line, title), isStampLine(line), isSectionName(line):
			continue
		}
		if !isProse(line) && !endsSentence(line) {
			if len(strings.Fields(line)) < 3 {
				continue // a name or a title on a line of its own
			}
			return ""
		}
		return strings.Join(lines[i:], "\n")
	}
	return ""
}

// plainLines is text without its lines that are labels, warnings, the title,
// timestamps or URLs; "" when nothing with letters is left.
func plainLines(text string, title *episodeTitle) string {
	var keep []string
	for _, line := range strings.Split(capInputAt(text, 16*maxSummaryLen), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case !hasLetter(line), isOnlyURLs(line), isLabel(line), isWarning(line), repeatsTitle(line, title), isStampLine(line), isSectionName(line):
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// isSectionName reports a line that is only a section's name ("Show Notes",
// "Links"), a heading that lost its markup.
func isSectionName(line string) bool {
	if len(line) > 120 {
		return false // section names are short
	}
	f := Fold(headingLabel(line))
	for _, set := range [][]string{sectionPhrases, takeawaysPhrases} {
		if n := phraseAtStart(f, set); n >= 0 && n == len(f) {
			return true
		}
	}
	return false
}

// foldPrefix folds the first n bytes of s (cut on a rune boundary): enough to
// match a phrase at its start without folding a long text.
func foldPrefix(s string, n int) string {
	return Fold(capInputAt(s, n))
}

// endsSentence reports a line that ends like a sentence: "Intro.", "Hello
// there!", a short line of prose.
func endsSentence(line string) bool {
	t := strings.TrimRightFunc(line, func(r rune) bool { return isSpaceRune(r) || isEmojiish(r) || strings.ContainsRune(")]\"'»”’", r) })
	r, _ := utf8.DecodeLastRuneInString(t)
	return strings.ContainsRune(".!?…", r) && hasLetter(t)
}

// isLabel reports a short line ending with a colon: "Show notes:", "Executive
// Producers:", "In this episode we cover:". A longer line, or one with a comma,
// is a sentence that goes on after its colon.
func isLabel(line string) bool {
	t := strings.TrimRightFunc(line, isSpaceRune)
	return (strings.HasSuffix(t, ":") || strings.HasSuffix(t, "：")) && len(strings.Fields(t)) <= 6 && !strings.Contains(t, ",")
}

// isWarning reports a line that warns ("Content warning: …", "Attention : …",
// "⚠️ …") rather than tells what the episode is about.
func isWarning(line string) bool {
	return warningHead(line, foldPrefix(line, 48)) // warnings are short words at the start
}

// warningHead is isWarning given the line's folded start.
func warningHead(line, f string) bool {
	r, _ := utf8.DecodeRuneInString(line)
	if r == '⚠' {
		return true
	}
	n := phraseAtStart(f, warningWords)
	if n < 0 {
		return false
	}
	rest := strings.TrimLeft(f[n:], " ")
	return strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "!") || strings.HasPrefix(rest, "-") || strings.HasPrefix(rest, "–") || strings.HasPrefix(rest, "—")
}

// repeatsTitle reports a line that is the episode's title again, possibly with
// a few words around it ("Episode 12: Title", "\"Title\"").
func repeatsTitle(line string, title *episodeTitle) bool {
	if title == nil || len(title.words) == 0 || len(line) > 4*len(title.text)+64 {
		return false // no title, or far longer than the title with a few words
	}
	tw := title.words
	if n := strings.Count(line, " ") + 1; n+2 < len(tw) || n > 2*len(tw)+8 {
		return false // word counts too far apart to be the title again
	}
	lw := titleWords(line)
	if len(lw) < len(tw) || len(lw) > len(tw)+4 {
		return false
	}
	for i := 0; i+len(tw) <= len(lw); i++ {
		match := true
		for j := range tw {
			if lw[i+j] != tw[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// episodeTitle is the episode's title and its folded words, computed once.
type episodeTitle struct {
	text  string
	words []string
}

func newEpisodeTitle(s string) *episodeTitle {
	return &episodeTitle{text: s, words: titleWords(s)}
}

// titleWords are the folded words of a title, punctuation dropped.
func titleWords(s string) []string {
	return strings.FieldsFunc(Fold(s), func(r rune) bool { return !isWordRune(r) })
}

// isProse reports whether a line reads as prose: at least three words, one of
// them a content word in lower case (a verb, a noun: "We talk …", "High
// Strangeness is back!"), which a run of names and titles lacks ("Ghost Recon,
// Code Vein, Outer Wilds", "The Legacy of Steve Jobs and more!"). A line in
// capitals only is prose too ("CHINA DON'T CARE.").
func isProse(line string) bool {
	words, content := 0, false
	for rest := line; len(rest) > 0 && (words < 3 || !content); {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		k := strings.IndexFunc(rest, unicode.IsSpace)
		if k < 0 {
			k = len(rest)
		}
		w := rest[:k]
		rest = rest[k:]
		if strings.IndexFunc(w, isWordRune) < 0 {
			continue
		}
		words++
		if !content && isContentWord(w) {
			content = true
		}
	}
	return words >= 3 && (content || !hasLower(line))
}

// isContentWord reports a word in lower case of three letters or more that is
// not a function word ("the", "with", "pour", "und").
func isContentWord(w string) bool {
	w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
	r, _ := utf8.DecodeRuneInString(w)
	if !unicode.IsLower(r) {
		return false
	}
	letters := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 3 && !functionWords[Fold(w)]
}

// functionWords are frequent words that carry no content, in the languages of
// lang.go (folded).
var functionWords = wordSet([]string{
	"the", "and", "for", "but", "nor", "yet", "you", "our", "its", "his", "her", "who", "all", "any",
	"more", "with", "from", "that", "this", "than", "then", "them", "they", "your", "their",
	"into", "onto", "over", "upon", "also", "just", "some", "such", "very", "what", "when",
	"where", "which", "while", "about", "after", "before", "other", "only", "even", "each", "both",
	"most", "many", "much", "and more", "etc",
	"les", "des", "une", "par", "qui", "que", "aux", "sur", "pour", "avec", "dans", "sans", "plus",
	"sous", "vers", "chez", "leur", "leurs", "nous", "vous", "elle", "elles", "mais", "donc", "tout",
	"tous", "toute", "toutes", "comme", "cette", "entre", "avant", "apres",
	"del", "los", "las", "con", "por", "una", "para", "como", "pero", "este", "esta", "esto", "sobre",
	"desde", "hasta", "todo", "todos", "porque",
	"und", "der", "die", "das", "den", "dem", "mit", "von", "zum", "zur", "ein", "eine", "einer",
	"eines", "einem", "einen", "oder", "aber", "nicht", "mehr", "auch", "fur", "uber", "unter",
	"durch", "gegen", "ohne", "nach", "seit", "noch", "schon", "van", "vom", "dos",
	"per", "che", "gli", "dei", "nel", "come", "anche", "questo", "questa", "della", "delle", "degli", "nella",
	"com", "dos", "nas", "nos", "uma", "mais", "isso", "pelo", "pela",
})

// isStampLine reports a line that starts with a timestamp: a chapter line.
func isStampLine(line string) bool {
	t := strings.TrimLeft(line, " -–—•*·([#>|")
	if t == "" || t[0] < '0' || t[0] > '9' || !hasStampHint(line) {
		return false // a line that starts with a time starts with a digit
	}
	for _, st := range findStamps(line) {
		return st.lineStart
	}
	return false
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

// hasLower reports whether s holds a lower-case letter.
func hasLower(s string) bool {
	return strings.IndexFunc(s, unicode.IsLower) >= 0
}
