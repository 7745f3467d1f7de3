package shownotes

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Chapters from timestamps in the notes (the feed's own chapters, Podlove or
// podcast:chapters, come from elsewhere and take precedence).
//
// Forms and the rule for each:
//   - minute marks: (02'00"), [1’ 50’’], [14’], [42’10’’], also with ′ ″ “ ”. In
//     brackets or parentheses they always count; bare, they need both minutes
//     and seconds marks (21'40"), since a lone "14’" is too ambiguous.
//   - colon forms: 12:34, 1:02:03, 01:02:03.500, (12:34), [1:02:03]; and, at the
//     start of a line, times with units: 1h02m03s, 12m30s, 1h05.
//   - a time that starts a line ("00:00 Intro", "- [12:34] Topic") or ends it
//     ("Intro (00:00)", "Topic - 12:34") counts with the other such times of
//     its list, table or block, when together they read like chapters: two at
//     least (one under a chapters label), increasing, making up their block
//     rather than one line of prose, starting within 15 minutes (unless written
//     with hours or announced), and not a schedule of times of day ("09:00
//     Doors open", "09:30 Keynote": all round hh:mm from 5:00 on).
//   - a table row with a cell that is a time is a chapter titled by another cell.
//   - inside running text, colon times count only together: at least two,
//     strictly increasing, and not all of them looking like times of day (hh:mm
//     with the minutes a multiple of 5, as in "(16:30)" and "(17:00)") unless the
//     notes name chapters or timestamps. A single inline "12:34" is never a
//     chapter.
//
// Not chapters, whatever the form: times in a credits section, times whose
// sentence speaks of an excerpt, music or film ("L'extrait audio à 21'40" est
// issu du film"), colon times after a date ("10/08/2021 13:52:18") or after
// "à", "at", "from", "until"…, or followed by "am", "pm", "h", "UTC"…, and times
// at or after the episode's end when its duration is known.
//
// Titles: on a line that starts with a timestamp, each title is the text after
// its timestamp; elsewhere the clause just before it (back to the previous
// timestamp or the sentence start), without connecting words ("avant de
// revenir sur", "pour enfin", "et", "on"). A time without a title is no chapter.

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
	// group names the list, table or block a stamp at the start (or the end) of
	// its line belongs to; "" for other stamps.
	group string
	// trailing is set on a stamp that ends its line ("Intro (00:00)").
	trailing bool
	// hms is set on a stamp written with hours ("00:12:30").
	hms bool
}

// chaptersOf extracts chapters from the notes' timestamps, bounded by the
// episode's duration when it is known (durationSeconds > 0).
//
// A stamp at the start of a line ("00:00 Intro", "- [12:30] Topic") or ending it
// ("Intro (00:00)") counts with the other stamps of its list, table or block:
// together they must read like chapters (see chapterGroup). Stamps inside
// running text follow the rules at the top of this file. A table row whose cell
// is a time is a chapter titled by another cell.
func chaptersOf(blocks []nblock, durationSeconds int) ([]Chapter, string) {
	var accepted []chapterCand
	var inline []chapterCand
	groups := map[string][]chapterCand{}
	var order []string
	lines := map[int][]string{}
	addGroup := func(c chapterCand) {
		if _, ok := groups[c.group]; !ok {
			order = append(order, c.group)
		}
		groups[c.group] = append(groups[c.group], c)
	}
blocks:
	for bi, b := range blocks {
		if b.boiler || b.Kind == Heading {
			continue
		}
		if containsAny(Fold(b.Section), creditSectionWords) {
			continue
		}
		if b.Kind == Row {
			if c, ok := rowChapter(b.Block); ok {
				c.block, c.group = bi, fmt.Sprintf("t%d", b.Table)
				addGroup(c)
			}
			continue
		}
		lines[bi] = strings.Split(b.Text, "\n")
		group := fmt.Sprintf("b%d", bi)
		if b.Kind == Item {
			group = fmt.Sprintf("l%d", b.List)
		}
		for li, line := range lines[bi] {
			if !hasStampHint(line) {
				continue
			}
			sts := findStamps(line)
			for k, st := range sts {
				c := chapterCand{block: bi, line: li, stamp: st, hms: st.colon && st.end-st.start >= 7}
				switch {
				case st.colon && st.lineStart:
					c.group = group
					addGroup(c)
				case st.colon && len(sts) == 1 && k == 0 && endsLine(line, st.end):
					c.group, c.trailing = group, true
					addGroup(c)
				case st.colon:
					inline = append(inline, c)
				default:
					accepted = append(accepted, c)
				}
			}
			if len(accepted)+len(inline)+len(groups) > 4*maxChapters {
				break blocks
			}
		}
	}
	for _, g := range order {
		if cs := groups[g]; chapterGroup(blocks, lines, cs) {
			accepted = append(accepted, cs...)
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
	if durationSeconds > 0 {
		kept := accepted[:0]
		for _, c := range accepted {
			if c.secs < durationSeconds {
				kept = append(kept, c)
			}
		}
		accepted = kept
	}
	if len(accepted) == 0 {
		return nil, ""
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
		if blocks[accepted[i].block].Kind != Row {
			line := lines[accepted[i].block][accepted[i].line]
			titleStamps(line, accepted[i:j])
		}
		i = j
	}
	sort.SliceStable(accepted, func(i, j int) bool { return accepted[i].secs < accepted[j].secs })
	var out []Chapter
	votes := map[string]int{}
	for _, c := range accepted {
		if c.title == "" {
			continue // a time without a title is no chapter
		}
		if len(out) > 0 && out[len(out)-1].StartSeconds == c.secs {
			continue
		}
		out = append(out, Chapter{StartSeconds: c.secs, Title: c.title})
		votes[chapterRule(blocks[c.block].Kind, c)]++
		if len(out) >= maxChapters {
			break
		}
	}
	source := ""
	for _, rule := range []string{ChaptersTable, ChaptersPre, ChaptersLines, ChaptersProse} {
		if votes[rule] > votes[source] {
			source = rule
		}
	}
	return out, source
}

// chapterRule names the rule that read a chapter: the form its time took.
func chapterRule(k Kind, c chapterCand) string {
	switch {
	case k == Row:
		return ChaptersTable
	case k == Pre:
		return ChaptersPre
	case c.group != "":
		return ChaptersLines
	}
	return ChaptersProse
}

// chapterGroup reports whether the stamps that start (or end) the lines of one
// list, table or block read like chapters: two at least (one under a chapters
// label), in increasing order, making up the block rather than a line in
// prose, starting near the beginning (15 minutes) unless written with hours or
// announced, and not a schedule of times of day ("09:00 Doors open", "10:30
// Keynote": every time a round hh:mm, the first one past 5:00), unless
// announced.
func chapterGroup(blocks []nblock, lines map[int][]string, cs []chapterCand) bool {
	named := namesChapters(blocks, cs[0].block)
	if len(cs) < 2 && !named {
		return false
	}
	allClock, hms := true, false
	for i, c := range cs {
		if i > 0 && c.secs <= cs[i-1].secs {
			return false
		}
		if !looksLikeClock(c.secs, c.end-c.start) {
			allClock = false
		}
		hms = hms || c.hms
	}
	if named {
		return true
	}
	if allClock && cs[0].secs >= 5*60 {
		return false // a schedule
	}
	if cs[0].secs > 15*60 && !hms {
		return false
	}
	// In one paragraph, the stamped lines are the block, not a line of prose.
	b := blocks[cs[0].block]
	if b.Kind == Paragraph || b.Kind == Pre {
		stamped := map[int]bool{}
		for _, c := range cs {
			if c.block == cs[0].block {
				stamped[c.line] = true
			}
		}
		other := 0
		for li, l := range lines[cs[0].block] {
			if strings.TrimSpace(l) != "" && !stamped[li] {
				other++
			}
		}
		if other > len(stamped) {
			return false
		}
	}
	return true
}

// endsLine reports whether only separators follow byte i of line.
func endsLine(line string, i int) bool {
	return strings.TrimRight(line[i:], " )]-–—.;,") == ""
}

// rowChapter reads a table row whose cell is a time: the chapter, titled by
// the first other cell with letters.
func rowChapter(b Block) (chapterCand, bool) {
	at := -1
	var st stamp
	for i, cell := range b.Cells {
		c := strings.Trim(cell, " []()")
		if c == "" || !hasStampHint(c+" ") {
			continue
		}
		sts := findStamps(c)
		if len(sts) == 1 && sts[0].colon && sts[0].start == 0 && sts[0].end == len(c) {
			at, st = i, sts[0]
			break
		}
	}
	if at < 0 {
		return chapterCand{}, false
	}
	title := ""
	for i, cell := range b.Cells {
		if i != at && hasLetter(cell) {
			title = truncateRunes(cleanChapterTitle(cell, false), maxTitleLen)
			break
		}
	}
	st.lineStart = true
	return chapterCand{stamp: st, title: title, hms: st.end-st.start >= 7}, true
}

// namesChapters reports whether block i, or the one before it (a heading or a
// "Chapitres :" paragraph), announces a list of timestamps.
func namesChapters(blocks []nblock, i int) bool {
	for j := max(i-1, 0); j <= i && j < len(blocks); j++ {
		if containsAny(Fold(blocks[j].Text), chapterWords) {
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
		end := m[1]
		if n := fractionLen(line[end:]); n > 0 {
			end += n // "01:02:03.500": the fraction is dropped
		}
		if end < len(line) {
			if c := line[end]; c >= '0' && c <= '9' || c == ':' || c == '/' || (c == '.' && end+1 < len(line) && line[end+1] >= '0' && line[end+1] <= '9') {
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
		all = append(all, stamp{start: m[0], end: end, secs: h*3600 + mm*60 + ss, colon: true})
	}
	// "1h02m03s", "12m30s", "1h05" start a line only.
	if k := len(line) - len(strings.TrimLeft(line, " -–—•*·([#>|")); k <= 6 {
		if secs, n, ok := parseHMS(line[k:]); ok {
			all = append(all, stamp{start: k, end: k + n, secs: secs, colon: true})
		}
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

// fractionLen is the length of a fraction of a second at the start of s
// (".5", ".500"), or 0.
func fractionLen(s string) int {
	if len(s) < 2 || s[0] != '.' {
		return 0
	}
	n := 1
	for n < len(s) && n <= 3 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n == 1 || n < len(s) && s[n] >= '0' && s[n] <= '9' {
		return 0
	}
	return n
}

// parseHMS reads a time written with units at the start of s: "1h02m03s",
// "1h 2m 3s", "1h05", "12m30s", "12min30s". It needs hours, or minutes with
// seconds: "5m" alone is a length, not a time. n is the length read.
func parseHMS(s string) (secs, n int, ok bool) {
	num := func(i int) (int, int) {
		j := i
		for j < len(s) && j-i < 3 && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			return -1, i
		}
		v, _ := strconv.Atoi(s[i:j])
		return v, j
	}
	skip := func(i int) int {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		return i
	}
	unit := func(i int, us ...string) (int, bool) {
		for _, u := range us {
			if strings.HasPrefix(s[i:], u) {
				return i + len(u), true
			}
		}
		return i, false
	}
	h, m, sec := 0, -1, -1
	v, i := num(0)
	if v < 0 {
		return 0, 0, false
	}
	hasH := false
	if j, ok := unit(skip(i), "h"); ok {
		h, hasH, i = v, true, j
		if v2, j2 := num(skip(i)); v2 >= 0 {
			m, i = v2, j2
			if j3, ok := unit(skip(i), "min", "m"); ok {
				i = j3
			}
		}
	} else if j, ok := unit(skip(i), "min", "m"); ok {
		m, i = v, j
	} else {
		return 0, 0, false
	}
	if v3, j := num(skip(i)); v3 >= 0 && m >= 0 {
		if j2, ok := unit(skip(j), "s", "sec"); ok {
			sec, i = v3, j2
		}
	}
	if !hasH && sec < 0 || m >= 60 && hasH || sec >= 60 || h > 99 {
		return 0, 0, false
	}
	if i < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[i:]); unicode.IsLetter(r) || unicode.IsDigit(r) {
			return 0, 0, false
		}
	}
	return h*3600 + max(m, 0)*60 + max(sec, 0), i, true
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
	if w := lastWord(before); w != "" && clockWordsBefore[Fold(w)] {
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
	return containsAny(Fold(before), creditContextWords) || containsAny(Fold(after), creditContextWords)
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
		end := matchPhraseAt(s, 0, connectors, connectorsFirst)
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
	if t := strings.TrimLeft(line, " -–—•*·([#>|"); t != "" && t[0] >= '0' && t[0] <= '9' {
		if _, _, ok := parseHMS(t); ok {
			return true // "12m30s Topic"
		}
	}
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
