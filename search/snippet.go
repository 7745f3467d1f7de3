package search

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pmbot/pmbot/feeds"
)

// snippetLen is about how many characters of notes a snippet shows.
const snippetLen = 160

// marks are what a query matched, to find again in an episode's text: words as
// indexed, stems, and joins of two adjacent words.
type marks struct {
	words, stems, joins map[string]bool
	// heads are the stems' first bytes (up to stemHead): a token is stemmed
	// only when it begins with one.
	heads []string
}

// stemHead is how many first bytes of a stem a token must share to be
// stemmed in a snippet.
const stemHead = 3

// stemHeads returns the distinct heads of the stems.
func stemHeads(stems map[string]bool) []string {
	var out []string
	for st := range stems {
		h := st[:min(len(st), stemHead)]
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// stemmable says whether a token begins like a matched stem.
func (m *marks) stemmable(w []byte) bool {
	for _, h := range m.heads {
		if len(w) >= len(h) && string(w[:len(h)]) == h {
			return true
		}
	}
	return false
}

func newMarks() marks {
	return marks{words: map[string]bool{}, stems: map[string]bool{}, joins: map[string]bool{}}
}

// joined reports whether two adjacent words matched as one ("pub/sub" for "pubsub").
func (m *marks) joined(a, b []byte) bool {
	if len(a)+len(b) > 64 {
		return false
	}
	var buf [64]byte
	j := append(append(buf[:0], a...), b...)
	return m.joins[string(j)] || m.words[string(j)]
}

// span is a matched token of a text.
type span struct{ start, end int }

// find returns the matched tokens of text, up to a snippet's length past the first.
// A token matches by its word, by a join with its neighbour, or by a stem; stems are
// computed only for tokens that begin like a matched stem. Stopping after the first
// match and this pre-check keep snippets cheap on long notes.
func (m *marks) find(text string) []span {
	var out []span
	var tz tokenizer
	var prev []byte
	prevSpan := span{-1, -1}
	var buf []string
	var cache map[string]bool
	tz.each(text, func(t *token) bool {
		sp := span{t.start, t.end}
		hit := m.words[string(t.word)]
		if !hit && prevSpan.start >= 0 && m.joined(prev, t.word) {
			if len(out) == 0 || out[len(out)-1] != prevSpan {
				out = append(out, prevSpan)
			}
			hit = true
		}
		if !hit && m.stemmable(t.word) {
			w := string(t.word)
			if v, ok := cache[w]; ok {
				hit = v
			} else {
				lower := ""
				if t.lower != nil {
					lower = string(t.lower)
				}
				buf = stems(buf, w, lower)
				for _, x := range buf {
					hit = hit || m.stems[x]
				}
				if cache == nil {
					cache = make(map[string]bool)
				}
				cache[w] = hit
			}
		}
		if hit {
			out = append(out, sp)
		}
		prev = append(prev[:0], t.word...)
		prevSpan = sp
		return len(out) == 0 || t.start < out[0].start+snippetLen
	})
	return out
}

// snippet returns about snippetLen characters of the notes from a little before
// their first match (pos, from the postings, noPos if the notes do not match), or the
// title when only the title matched, with the matched words marked. Starting at pos
// spares scanning long notes for the match.
func snippet(ep *feeds.Episode, m *marks, pos uint32) []Fragment {
	notes := ep.NotesText
	if pos != noPos && int(pos) < len(notes) {
		start := contextStart(notes, int(pos))
		spans := m.find(notes[start:])
		for i := range spans {
			spans[i].start += start
			spans[i].end += start
		}
		if len(spans) > 0 {
			return window(notes, start, spans)
		}
	}
	if spans := m.find(ep.Title); len(spans) > 0 {
		return fragments(ep.Title, spans, 0, len(ep.Title), false, false)
	}
	if notes == "" {
		return []Fragment{{Text: ep.Title}}
	}
	return window(notes, 0, nil)
}

// contextStart returns where a snippet showing pos begins: a few words before it,
// at a word's start, and not before the line holding pos.
func contextStart(text string, pos int) int {
	start := max(0, pos-30)
	if start > 0 {
		for start < pos && !unicode.IsSpace(rune(text[start-1])) {
			start++
		}
	}
	if nl := strings.LastIndexByte(text[start:pos], '\n'); nl >= 0 {
		start += nl + 1
	}
	return start
}

// window cuts about snippetLen characters of text from start, at a word boundary.
func window(text string, start int, spans []span) []Fragment {
	end := min(len(text), start+snippetLen)
	if end < len(text) {
		for end > start && !utf8.RuneStart(text[end]) {
			end--
		}
		if sp := strings.LastIndexFunc(text[start:end], unicode.IsSpace); sp > 0 {
			end = start + sp
		}
	}
	return fragments(text, spans, start, end, start > 0, end < len(text))
}

// fragments cuts text[start:end] into plain and matched pieces.
func fragments(text string, spans []span, start, end int, cutStart, cutEnd bool) []Fragment {
	var out []Fragment
	add := func(s string, match bool) {
		if s == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Match == match {
			out[n-1].Text += s
			return
		}
		out = append(out, Fragment{Text: s, Match: match})
	}
	if cutStart {
		add("… ", false)
	}
	pos := start
	for _, sp := range spans {
		if sp.start < start || sp.end > end {
			continue
		}
		add(spaced(text[pos:sp.start]), false)
		add(text[sp.start:sp.end], true)
		pos = sp.end
	}
	add(spaced(text[pos:end]), false)
	if cutEnd {
		add(" …", false)
	}
	return out
}

// spaced collapses runs of spaces and line breaks but keeps one at each end, so that
// the pieces around a match still read as separate words.
func spaced(s string) string {
	if s == "" {
		return ""
	}
	inner := strings.Join(strings.Fields(s), " ")
	lead := unicode.IsSpace(rune(s[0]))
	r, _ := utf8.DecodeLastRuneInString(s)
	trail := unicode.IsSpace(r)
	if inner == "" {
		return " "
	}
	if lead {
		inner = " " + inner
	}
	if trail {
		inner += " "
	}
	return inner
}
