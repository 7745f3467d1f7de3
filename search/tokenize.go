package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one word of a text: its folded form and where it sits in the original.
type token struct {
	start, end int // byte offsets in the original text
	// word is the folded word (lowercase, no accents). It is only valid during the
	// callback: the tokenizer reuses its buffer.
	word []byte
	// lower is the word lowercased with its accents, when it differs from word: the
	// French stemmer reads accents ("sécurité" and "securite" stem differently).
	lower []byte
	// tight is true when only one joining character ("/", "-", "&", "+", ".", "_")
	// separates this token from the previous one: "pub/sub", "wi-fi", "A/B".
	tight bool
}

// elisions are the French words that lose their vowel before an apostrophe:
// "l'anonymisation" is about "anonymisation".
var elisions = map[string]bool{
	"l": true, "d": true, "j": true, "m": true, "n": true, "s": true, "t": true, "c": true,
	"qu": true, "jusqu": true, "lorsqu": true, "puisqu": true, "quoiqu": true,
}

// clitics are the English endings after an apostrophe ("WPA3's", "don't"), which
// carry nothing to search for.
var clitics = map[string]bool{"s": true, "t": true, "re": true, "ve": true, "ll": true, "d": true, "m": true}

func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == 'ʼ' || r == '‘' || r == '`' || r == '´'
}

// asciiWord marks the ASCII bytes that are part of words.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return t
}()

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isJoiner(r rune) bool {
	return r == '/' || r == '-' || r == '&' || r == '+' || r == '.' || r == '_' || r == '‐' || r == '–'
}

// urlLen returns the length of the URL starting s, or 0: URLs are not searched (a
// word in a link's path is not what the episode is about).
func urlLen(s string) int {
	if !(hasPrefixFold(s, "http://") || hasPrefixFold(s, "https://") || hasPrefixFold(s, "www.")) {
		return 0
	}
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return i
	}
	return len(s)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// tokenizer splits texts into tokens; it keeps its buffers between texts.
type tokenizer struct {
	word, lower []byte
}

// each calls fn for every token of s, in order, until fn returns false.
func (tz *tokenizer) each(s string, fn func(t *token) bool) {
	var t token
	start := -1
	ascii := true
	afterApos := false
	// sep tracks what lies between the previous token and the next one.
	sepJoiners, sepOther := 0, 0
	havePrev := false

	stopped := false
	emit := func(end int, beforeApos bool) {
		w := tz.word
		if beforeApos && elisions[string(w)] {
			return
		}
		if afterApos && clitics[string(w)] {
			return
		}
		t.start, t.end = start, end
		t.word = w
		t.lower = nil
		if !ascii {
			t.lower = tz.lower
		}
		t.tight = havePrev && sepJoiners == 1 && sepOther == 0
		havePrev = true
		sepJoiners, sepOther = 0, 0
		stopped = !fn(&t)
	}

	for i := 0; i < len(s) && !stopped; {
		c := s[i]
		if c < utf8.RuneSelf {
			// ASCII, most of the text: no decoding, no Unicode tables.
			if asciiWord[c] {
				if start < 0 {
					if (c == 'h' || c == 'H' || c == 'w' || c == 'W') && urlLen(s[i:]) > 0 {
						i += urlLen(s[i:])
						havePrev = false
						continue
					}
					start, ascii = i, true
					tz.word = tz.word[:0]
				}
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				tz.word = append(tz.word, c)
				if !ascii {
					tz.lower = append(tz.lower, c)
				}
				i++
				continue
			}
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if r >= utf8.RuneSelf && isWordRune(r) {
			if start < 0 {
				start, ascii = i, true
				tz.word = tz.word[:0]
			}
			if ascii {
				// The first accented letter: from here on, keep the word with its
				// accents too, for the French stemmer.
				ascii = false
				tz.lower = append(tz.lower[:0], tz.word...)
			}
			tz.word = foldRune(tz.word, r)
			tz.lower = utf8.AppendRune(tz.lower, unicode.ToLower(r))
			i += size
			continue
		}
		if start >= 0 {
			apos := isApostrophe(r) && i+size < len(s)
			if apos {
				next, _ := utf8.DecodeRuneInString(s[i+size:])
				apos = unicode.IsLetter(next)
			}
			if len(tz.word) > 0 {
				emit(i, apos)
			}
			start = -1
			afterApos = apos
			if apos {
				i += size
				continue
			}
		} else {
			afterApos = false
		}
		if isJoiner(r) {
			sepJoiners++
		} else {
			sepOther++
		}
		i += size
	}
	if !stopped && start >= 0 && len(tz.word) > 0 {
		emit(len(s), false)
	}
}
