package search

import (
	"strings"

	"github.com/pmbot/pmbot/feeds"
)

// Matches reports whether an episode is about any of the topics, as a channel's
// topic filter ("subscribe security") needs: a topic matches when each of its words
// is in the title, the notes text or the takeaways, as written, by a French or
// English stem, or joined with its neighbour. URLs do not count: a word in a link's
// path is not what the episode is about. Typos are not forgiven, since topics are
// typed once and checked on every episode. No topics match everything.
func Matches(ep feeds.Episode, topics []string) bool {
	if len(topics) == 0 {
		return true
	}
	words, stemSet := map[string]bool{}, map[string]bool{}
	var tz tokenizer
	var buf []string
	var prev []byte
	seenLower := map[string]bool{}
	collect := func(text string) {
		prev = prev[:0]
		tz.each(text, func(t *token) bool {
			w := string(t.word)
			lower := ""
			if t.lower != nil {
				lower = string(t.lower)
			}
			if !words[w] || (lower != "" && !seenLower[lower]) {
				seenLower[lower] = true
				buf = stems(buf, w, lower)
				for _, s := range buf {
					stemSet[s] = true
				}
			}
			words[w] = true
			if len(prev) > 0 && joinable(prev, t.word, t.tight) {
				words[string(prev)+w] = true
			}
			prev = append(prev[:0], t.word...)
			return true
		})
	}
	collect(ep.Title)
	collect(ep.NotesText)
	for _, t := range ep.Notes.Takeaways {
		collect(t)
	}
	for _, topic := range topics {
		if strings.TrimSpace(topic) != "" && topicMatches(parseQuery(topic), words, stemSet, &buf) {
			return true
		}
	}
	return false
}

// topicMatches reports whether every content word of a topic is found.
func topicMatches(q query, words, stemSet map[string]bool, buf *[]string) bool {
	if len(q.words) == 0 {
		return false
	}
	allStop := true
	for _, w := range q.words {
		allStop = allStop && w.stop
	}
	for i := 0; i < len(q.words); i++ {
		w := q.words[i]
		if w.stop && !allStop {
			continue
		}
		if words[w.word] {
			continue
		}
		if i+1 < len(q.words) && words[w.word+q.words[i+1].word] {
			i++
			continue
		}
		found := false
		*buf = stems(*buf, w.word, w.lower)
		for _, s := range *buf {
			found = found || stemSet[s]
		}
		if !found {
			return false
		}
	}
	return true
}
