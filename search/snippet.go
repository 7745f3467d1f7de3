package search

import (
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
}

func newMarks() marks {
	return marks{words: map[string]bool{}, stems: map[string]bool{}, joins: map[string]bool{}}
}

// span is a matched token of a text.
type span struct{ start, end int }

// find returns the matched tokens of text. A token matches by its word, by a join
// with its neighbour, or by a stem; stems are computed only for tokens that begin like
// a matched stem, which keeps snippets cheap on long notes.
func (m *marks) find(text string) []span {
	var out []span
	var tz tokenizer
	var prev []byte
	prevSpan := span{-1, -1}
	var buf []string
	cache := map[string]bool{}
	tz.each(text, func(t *token) {
		sp := span{t.start, t.end}
		hit := m.words[string(t.word)]
		if !hit && len(m.joins) > 0 && prevSpan.start >= 0 && m.joins[string(prev)+string(t.word)] {
			if len(out) == 0 || out[len(out)-1] != prevSpan {
				out = append(out, prevSpan)
			}
			hit = true
		}
		if !hit && len(m.stems) > 0 {
			w := string(t.word)
			if v, ok := cache[w]; ok {
				hit = v
			} else {
				for st := range m.stems {
					if strings.HasPrefix(w, st[:min(len(st), 3)]) {
						lower := ""
						if t.lower != nil {
							lower = string(t.lower)
						}
						buf = stems(buf, w, lower)
						for _, x := range buf {
							hit = hit || m.stems[x]
						}
						break
					}
				}
				cache[w] = hit
			}
		}
		if hit {
			out = append(out, sp)
		}
		prev = append(prev[:0], t.word...)
		prevSpan = sp
	})
	return out
}

// snippet returns about snippetLen characters of the notes around their best match,
// or the title when only the title matched, with the matched words marked.
func snippet(ep *feeds.Episode, m *marks) []Fragment {
	notes := ep.NotesText
	if spans := m.find(notes); len(spans) > 0 {
		return window(notes, spans)
	}
	if spans := m.find(ep.Title); len(spans) > 0 {
		return fragments(ep.Title, spans, 0, len(ep.Title), false, false)
	}
	if notes == "" {
		return []Fragment{{Text: ep.Title}}
	}
	return window(notes, nil)
}

// window picks the stretch of text holding the most distinct matches, starting a
// little before the first of them, and cuts it at word boundaries.
func window(text string, spans []span) []Fragment {
	bestStart, bestCount := 0, -1
	for i, sp := range spans {
		seen := map[string]bool{}
		for _, other := range spans[i:] {
			if other.end-sp.start > snippetLen-20 {
				break
			}
			seen[strings.ToLower(text[other.start:other.end])] = true
		}
		if len(seen) > bestCount {
			bestStart, bestCount = sp.start, len(seen)
		}
	}
	start := 0
	if bestCount > 0 {
		// Some context before the first match, from a word's start.
		start = max(0, bestStart-30)
		if start > 0 {
			for start < bestStart && !unicode.IsSpace(rune(text[start-1])) {
				start++
			}
		}
		if nl := strings.LastIndexByte(text[start:bestStart], '\n'); nl >= 0 {
			start += nl + 1
		}
	}
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
