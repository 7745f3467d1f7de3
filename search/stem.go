package search

import (
	snowball "github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/french"
)

// minStemLen is the shortest word worth stemming: shorter ones are acronyms and
// small words ("ml", "bgp", "ovh") that stemmers would only damage.
const minStemLen = 4

// stems returns the stems of a word, folded and without duplicates, given its folded
// form and, when it had accents, its lowercase form. Both languages are stemmed
// because a French episode is searched in English ("security" ~ "sécurité") and the
// shows mix both. The French stemmer reads accents, so a word is stemmed with its
// accents and without them: "sécurité" (as written) and "securite" (as typed) then
// share a stem.
func stems(dst []string, folded, lower string) []string {
	dst = dst[:0]
	if len(folded) < minStemLen || !stemmable(folded) {
		return dst
	}
	add := func(s string) {
		if s == "" {
			return
		}
		for _, d := range dst {
			if d == s {
				return
			}
		}
		dst = append(dst, s)
	}
	env := snowball.NewEnv(folded)
	french.Stem(env)
	add(env.Current())
	env.SetCurrent(folded)
	english.Stem(env)
	add(env.Current())
	if lower != "" && lower != folded {
		env.SetCurrent(lower)
		french.Stem(env)
		add(fold(env.Current()))
	}
	return dst
}

// stemmable reports whether a word is made of Latin letters: the stemmers know
// nothing of digits ("2021") or other scripts.
func stemmable(w string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 0x80 || c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
