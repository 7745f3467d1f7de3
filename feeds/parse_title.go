package feeds

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// titleNumberWords are the words that introduce an episode number at the start of
// a title, longest first so that "episode" is not read as "ep" + "isode".
var titleNumberWords = []string{"épisode", "episode", "ép.", "ep.", "ép", "ep"}

// splitTitleNumber finds a leading episode-number marker in a title and returns the
// number and the title without it: "#17 Incident BGP" -> 17, "Incident BGP".
//
// Only a leading marker counts, and a bare number only when a "." or ":" and a
// space follow it ("12. Title", "1393: Title"), so "Top 10 tips", "2021 review" and
// "18.03.2022 – News" have none. When the marker is the whole title, the title is
// kept as it is.
func splitTitleNumber(title string) (n int, rest string) {
	s := title
	bare := true
	switch {
	case strings.HasPrefix(s, "#"):
		s = s[1:]
		bare = false
	default:
		for _, w := range titleNumberWords {
			if len(s) > len(w) && strings.EqualFold(s[:len(w)], w) {
				s = strings.TrimLeft(s[len(w):], " ")
				s = strings.TrimPrefix(s, "#")
				bare = false
				break
			}
		}
	}

	digits := 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	// Six digits or more is a date or an id, not an episode number.
	if digits == 0 || digits > 5 {
		return 0, title
	}
	for _, c := range s[:digits] {
		n = n*10 + int(c-'0')
	}
	s = s[digits:]

	if bare {
		// "12. Title" or "1393: Title": the separator and a space are required.
		if len(s) < 2 || (s[0] != '.' && s[0] != ':') || s[1] != ' ' {
			return 0, title
		}
	} else if s != "" {
		// The number must end there: "#17abc" or "Ep 1.5" is not a marker.
		r, _ := utf8.DecodeRuneInString(s)
		if unicode.IsLetter(r) || unicode.IsDigit(r) || (r == '.' && len(s) > 1 && s[1] >= '0' && s[1] <= '9') {
			return 0, title
		}
	}
	if n == 0 {
		return 0, title
	}

	rest = strings.TrimLeftFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(":-–—|.·,", r)
	})
	if rest == "" {
		return n, title
	}
	return n, rest
}
