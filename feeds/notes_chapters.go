package feeds

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Chapters from timestamps in the notes.
//
// Forms and the rule for each:
//   - minute marks: (02'00"), [1’ 50’’], [14’], [42’10’’], also with ′ ″ “ ”. In
//     brackets or parentheses they always count; bare, they need both minutes
//     and seconds marks (21'40"), since a lone "14’" is too ambiguous.
//   - colon forms: 12:34, 1:02:03, (12:34), [1:02:03]. A colon time counts when it
//     starts a line ("00:00 Intro", "- 12:34 Topic"); inside running text, the
//     notes' inline colon times count only together: at least two, strictly
//     increasing, and not all of them looking like times of day (hh:mm with the
//     minutes a multiple of 5, as in "(16:30)" and "(17:00)") unless the notes
//     name chapters or timestamps. A single inline "12:34" is never a chapter.
//
// Not chapters, whatever the form: times in a credits section, times whose
// sentence speaks of an excerpt, music or film ("L'extrait audio à 21'40" est
// issu du film"), colon times after a date ("10/08/2021 13:52:18") or after
// "à", "at", "from", "until"…, or followed by "am", "pm", "h", "UTC"….
//
// Titles: on a line that starts with a timestamp, each title is the text after
// its timestamp; elsewhere the clause just before it (back to the previous
// timestamp or the sentence start), without connecting words ("avant de
// revenir sur", "pour enfin", "et", "on").

var (
	primeBracketRe = regexp.MustCompile(`[\[(]\s?(\d{1,3})\s?['’′]\s?(?:(\d{1,2})\s?(?:"|''|’’|″|”|“|′′|'’|’')?\s?)?[\])]`)
	primeBareRe    = regexp.MustCompile(`(\d{1,3})\s?['’′]\s?(\d{2})\s?(?:"|''|’’|″|”|“|′′|'’|’')`)
	colonRe        = regexp.MustCompile(`(?:(\d{1,2}):)?(\d{1,2}):(\d{2})`)
	dateBeforeRe   = regexp.MustCompile(`(?:\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}T?)\s*(?:,|at|à|a|@|-)?\s*$`)
)

var clockWordsBefore = map[string]bool{
	"a": true, "at": true, "from": true, "until": true, "till": true, "to": true, "vers": true,
	"des": true, "um": true, "ab": true, "bis": true, "by": true, "around": true, "starting": true,
	"depuis": true, "jusqu'a": true, "since": true, "modified": true, "updated": true,
	"published": true, "posted": true, "heure": true,
}

var clockWordsAfter = map[string]bool{
	"am": true, "pm": true, "a.m": true, "p.m": true, "h": true, "hrs": true, "uhr": true,
	"utc": true, "gmt": true, "cet": true, "cest": true, "edt": true, "pst": true, "pdt": true,
	"bst": true, "heures": true, "o'clock": true, "est": false, "hours": true, "ist": true,
}

var creditContextWords = []string{
	"extrait", "extract", "excerpt", "musique", "music", "generique", "credit", "issu d",
	"issue d", "tire d", "taken from", "du film", "from the film", "jingle", "chanson", "song by",
	"sample",
}

type stamp struct {
	start, end int // in line
	secs       int
	colon      bool
	lineStart  bool
}

type chapterCand struct {
	block, line int
	stamp
	title string
}

// chaptersOf extracts chapters from the notes' timestamps.
func chaptersOf(blocks []nblock) []Chapter {
	var accepted []chapterCand
	var inline []chapterCand
	lines := map[int][]string{}
blocks:
	for bi, b := range blocks {
		if b.boiler || b.kind == blockHeading {
			continue
		}
		if containsAny(fold(b.section), creditSectionWords) {
			continue
		}
		lines[bi] = strings.Split(b.text, "\n")
		for li, line := range lines[bi] {
			if !hasStampHint(line) {
				continue
			}
			for _, st := range findStamps(line) {
				c := chapterCand{block: bi, line: li, stamp: st}
				if st.colon && !st.lineStart {
					inline = append(inline, c)
				} else {
					accepted = append(accepted, c)
				}
			}
			if len(accepted)+len(inline) > 4*maxChapters {
				break blocks
			}
		}
	}
	if len(inline) >= 2 {
		increasing, allClock := true, true
		for i, c := range inline {
			if i > 0 && c.secs <= inline[i-1].secs {
				increasing = false
			}
			if !looksLikeClock(c.secs, c.end-c.start) {
				allClock = false
			}
		}
		if increasing && (!allClock || namesChapters(blocks, inline[0].block)) {
			accepted = append(accepted, inline...)
		}
	}
	if len(accepted) == 0 {
		return nil
	}
	// Titles need all accepted stamps of a line, in order.
	sort.SliceStable(accepted, func(i, j int) bool {
		a, b := accepted[i], accepted[j]
		if a.block != b.block {
			return a.block < b.block
		}
		if a.line != b.line {
			return a.line < b.line
		}
		return a.start < b.start
	})
	for i := 0; i < len(accepted); {
		j := i
		for j < len(accepted) && accepted[j].block == accepted[i].block && accepted[j].line == accepted[i].line {
			j++
		}
		line := lines[accepted[i].block][accepted[i].line]
		titleStamps(line, accepted[i:j])
		i = j
	}
	sort.SliceStable(accepted, func(i, j int) bool { return accepted[i].secs < accepted[j].secs })
	var out []Chapter
	for _, c := range accepted {
		if len(out) > 0 && out[len(out)-1].StartSeconds == c.secs {
			continue
		}
		out = append(out, Chapter{StartSeconds: c.secs, Title: c.title})
		if len(out) >= maxChapters {
			break
		}
	}
	return out
}

// chapterWords announce a list of timestamps: with them, "00:00 Intro 03:15 Context
// 10:00 Outro" is read as chapters even though each time could be a time of day.
var chapterWords = []string{"chapitre", "chapter", "timestamp", "timecode", "minutage", "sommaire"}

// namesChapters reports whether block i, or the one before it (a heading or a
// "Chapitres :" paragraph), announces a list of timestamps.
func namesChapters(blocks []nblock, i int) bool {
	for j := max(i-1, 0); j <= i && j < len(blocks); j++ {
		if containsAny(fold(blocks[j].text), chapterWords) {
			return true
		}
	}
	return false
}

// looksLikeClock reports whether a colon time reads as a time of day: hh:mm
// with hh at most 23 and mm a multiple of 5.
func looksLikeClock(secs, width int) bool {
	if width > 7 { // h:mm:ss
		return false
	}
	h, m := secs/60, secs%60
	return h <= 23 && m%5 == 0
}

// findStamps returns the timestamps of one line that are not excluded by their
// context, in order.
func findStamps(line string) []stamp {
	var all []stamp
	for _, m := range primeBracketRe.FindAllStringSubmatchIndex(line, 4*maxChapters) {
		if s, ok := primeSecs(line, m); ok {
			all = append(all, stamp{start: m[0], end: m[1], secs: s})
		}
	}
	for _, m := range primeBareRe.FindAllStringSubmatchIndex(line, 4*maxChapters) {
		if m[0] > 0 {
			if r := prevRune(line, m[0]); unicode.IsLetter(r) || unicode.IsDigit(r) {
				continue
			}
		}
		if s, ok := primeSecs(line, m); ok {
			all = append(all, stamp{start: m[0], end: m[1], secs: s})
		}
	}
	for _, m := range colonRe.FindAllStringSubmatchIndex(line, 4*maxChapters) {
		if m[0] > 0 {
			if c := line[m[0]-1]; c >= '0' && c <= '9' || c == ':' || c == '.' || c == '/' || c == ',' {
				continue
			}
		}
		if m[1] < len(line) {
			if c := line[m[1]]; c >= '0' && c <= '9' || c == ':' || c == '/' || (c == '.' && m[1]+1 < len(line) && line[m[1]+1] >= '0' && line[m[1]+1] <= '9') {
				continue
			}
		}
		h, mm, ss := 0, atoiSafe(line[m[4]:m[5]]), atoiSafe(line[m[6]:m[7]])
		if m[2] >= 0 {
			h = atoiSafe(line[m[2]:m[3]])
			if mm >= 60 {
				continue
			}
		}
		if ss >= 60 {
			continue
		}
		if clockContext(line, m[0], m[1]) {
			continue
		}
		all = append(all, stamp{start: m[0], end: m[1], secs: h*3600 + mm*60 + ss, colon: true})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].start < all[j].start })
	var out []stamp
	for _, st := range all {
		if len(out) > 0 && st.start < out[len(out)-1].end {
			continue // the bare form inside a bracketed one, or a colon inside another match
		}
		if !st.colon && creditContext(line, st.start, st.end) {
			continue
		}
		prefix := line[:st.start]
		st.lineStart = len(prefix) <= 24 && strings.TrimLeft(prefix, " -–—•*·([#>|") == "" && utf8.RuneCountInString(prefix) <= 6
		out = append(out, st)
	}
	return out
}

func primeSecs(line string, m []int) (int, bool) {
	mins := atoiSafe(line[m[2]:m[3]])
	secs := 0
	if m[4] >= 0 {
		secs = atoiSafe(line[m[4]:m[5]])
	}
	if secs >= 60 || mins > 999 {
		return 0, false
	}
	return mins*60 + secs, true
}

func atoiSafe(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// clockContext reports a colon time that is a time of day or part of a date-time.
func clockContext(line string, start, end int) bool {
	// Only the end of the line before the time matters; bounding it keeps
	// lines with many times linear.
	from := max(0, start-40)
	for from < start && !utf8.RuneStart(line[from]) {
		from++
	}
	before := line[from:start]
	if dateBeforeRe.MatchString(before) {
		return true
	}
	if w := lastWord(before); w != "" && clockWordsBefore[fold(w)] {
		// "(16:30)" after "à" is a time of day; but "[…] et 12:34 …" only when
		// the previous word is directly before the time.
		return strings.HasSuffix(strings.TrimRight(before, " "), w) && !strings.HasSuffix(before, "(") && !strings.HasSuffix(before, "[")
	}
	after := strings.TrimLeft(line[end:], " ")
	w := strings.ToLower(firstWord(after))
	return clockWordsAfter[w] || strings.HasPrefix(after, "h ") || after == "h"
}

// creditContext reports a time mentioned by a credit: its sentence speaks of an
// excerpt, music or a film.
func creditContext(line string, start, end int) bool {
	from := max(0, start-100)
	for from < start && !utf8.RuneStart(line[from]) {
		from++
	}
	before := line[from:start]
	if k := strings.LastIndexAny(before, ".!?"); k >= 0 && k+1 < len(before) && before[k+1] == ' ' {
		before = before[k+1:]
	}
	to := min(len(line), end+60)
	for to < len(line) && !utf8.RuneStart(line[to]) {
		to++
	}
	after := line[end:to]
	if k := strings.IndexAny(after, ".!?"); k >= 0 {
		after = after[:k]
	}
	return containsAny(fold(before), creditContextWords) || containsAny(fold(after), creditContextWords)
}

// lastWord returns the last word of s (letters and apostrophes).
func lastWord(s string) string {
	s = strings.TrimRightFunc(s, func(r rune) bool { return isSpaceRune(r) || r == '(' || r == '[' })
	i := len(s)
	for i > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if !(unicode.IsLetter(r) || r == '\'' || r == '’') {
			break
		}
		i -= size
	}
	return s[i:]
}

// firstWord returns the first word of s (letters, dots and apostrophes).
func firstWord(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !(unicode.IsLetter(r) || r == '.' || r == '\'') {
			break
		}
		i += size
	}
	return strings.TrimRight(s[:i], ".")
}

// titleStamps sets the titles of the accepted stamps of one line (in order).
func titleStamps(line string, cs []chapterCand) {
	// Titles follow their times on a line that starts with one, or whose times come
	// after a label ("Chapters: 00:00 Intro 03:15 Context").
	after := cs[0].lineStart || strings.HasSuffix(strings.TrimSpace(line[:cs[0].start]), ":")
	for i := range cs {
		c := &cs[i]
		next := len(line)
		if i+1 < len(cs) {
			next = cs[i+1].start
		}
		prevEnd := 0
		if i > 0 {
			prevEnd = cs[i-1].end
		}
		var t string
		if after {
			t = cleanChapterTitle(firstClause(line[c.end:next]), false)
		} else {
			t = cleanChapterTitle(clauseBefore(line[prevEnd:c.start]), true)
			if t == "" {
				t = cleanChapterTitle(firstClause(line[c.end:next]), false)
			}
		}
		c.title = truncateRunes(t, maxTitleLen)
	}
}

// clauseBefore keeps the end of s from its last sentence start; a long clause is
// cut after its last comma outside parentheses.
func clauseBefore(s string) string {
	if st := sentenceStarts(s); len(st) > 0 {
		s = s[st[len(st)-1]:]
	}
	if k := strings.LastIndexAny(s, ";\n"); k >= 0 {
		s = s[k+1:]
	}
	if utf8.RuneCountInString(s) > 100 {
		depth := 0
		cut := -1
		for i, r := range s {
			switch r {
			case '(', '[':
				depth++
			case ')', ']':
				depth--
			case ',':
				if depth <= 0 {
					cut = i
				}
			}
		}
		if cut >= 0 && len(strings.Fields(s[cut+1:])) >= 2 {
			s = s[cut+1:]
		}
	}
	return s
}

// firstClause keeps s up to its first sentence end.
func firstClause(s string) string {
	s = strings.TrimLeft(s, " -–—:|.)]")
	if st := sentenceStarts(s); len(st) > 0 {
		s = s[:st[0]]
	}
	return s
}

// connectors are words joining an inline timestamp's clause to the previous one
// (folded), removed from the start of titles; longest first.
var connectors = []string{
	"avant de revenir sur", "avant de revenir a", "avant de parler de", "avant de", "pour enfin",
	"pour finir", "et enfin", "et puis", "and then", "and finally", "apres avoir", "then we",
	"puis", "ensuite", "enfin", "apres", "et", "on", "nous", "then", "finally", "before",
	"after", "and", "ou", "or", "mais", "but", "also", "aussi",
}

// cleanTitle trims separators and, for clauses before a timestamp, leading
// connecting words; the result starts with a capital.
func cleanChapterTitle(s string, stripConnectors bool) string {
	trim := func(s string) string {
		s = strings.TrimLeftFunc(s, func(r rune) bool { return isSpaceRune(r) || strings.ContainsRune("-–—:|,;.)]>", r) })
		return strings.TrimRightFunc(s, func(r rune) bool { return isSpaceRune(r) || strings.ContainsRune("-–—:|,;([<", r) })
	}
	s = trim(oneLine(s))
	for n := 0; stripConnectors && n < 5; n++ {
		end := matchPhraseAt(s, 0, connectors)
		if end < 0 || end >= len(s) || s[end] != ' ' {
			break
		}
		s = trim(s[end:])
	}
	if !hasLetter(s) {
		return ""
	}
	return capitalize(s)
}

// hasStampHint is a quick filter: a digit followed by ":" or a minute mark,
// without which a line holds no timestamp (and the regexps need not run).
func hasStampHint(line string) bool {
	for i := 0; i+1 < len(line); i++ {
		if line[i] < '0' || line[i] > '9' {
			continue
		}
		j := i + 1
		if line[j] == ' ' && j+1 < len(line) {
			j++
		}
		switch {
		case line[j] == ':' || line[j] == '\'':
			return true
		case strings.HasPrefix(line[j:], "’") || strings.HasPrefix(line[j:], "′"):
			return true
		}
	}
	return false
}
