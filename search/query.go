package search

import (
	"strconv"
	"strings"
)

// qword is one word of a query.
type qword struct {
	word  string // folded
	lower string // lowercase with accents, when it had some
	stop  bool
	// tight is true when the word was written joined to the previous one ("A/B").
	tight bool
}

// query is a parsed query.
type query struct {
	words []qword
	// number is the episode number asked for when the whole query is one ("17",
	// "#17", "episode 17", "ep 17", "ep17", "n°17"), else 0.
	number int
}

// numberWords introduce an episode number.
var numberWords = map[string]bool{"episode": true, "ep": true, "epi": true, "n": true, "no": true, "numero": true, "num": true}

func parseQuery(s string) query {
	var q query
	var tz tokenizer
	tz.each(s, func(t *token) bool {
		w := qword{word: string(t.word), tight: t.tight}
		if t.lower != nil {
			w.lower = string(t.lower)
		}
		w.stop = stopwords[w.word]
		q.words = append(q.words, w)
		return true
	})
	q.number = numberQuery(q.words)
	return q
}

func numberQuery(words []qword) int {
	switch {
	case len(words) == 1:
		w := words[0].word
		for p := range numberWords {
			if rest, ok := strings.CutPrefix(w, p); ok && p != "n" && isDigits(rest) {
				return atoi(rest)
			}
		}
		if isDigits(w) {
			return atoi(w)
		}
	case len(words) == 2 && numberWords[words[0].word] && isDigits(words[1].word):
		return atoi(words[1].word)
	}
	return 0
}

func isDigits(s string) bool {
	if s == "" || len(s) > 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
