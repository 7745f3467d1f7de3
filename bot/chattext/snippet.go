package chattext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pmbot/pmbot/commands"
)

// A Piece is one fragment of a search snippet, as Snippet hands it to a
// renderer to write.
type Piece struct {
	Text  string // the fragment cleaned onto one line (see Line); never ""
	Match bool   // the fragment is what the search matched
	// Glued is set when the fragment touches a word with no space between:
	// the text before it, or the fragment after it.
	Glued bool
	Room  int // the width the written piece may take
}

// Snippet assembles a search snippet from its fragments within max. Each
// fragment is cleaned on its own and written by piece (escaped, in bold when
// it matched), which returns "" when nothing fits and reports whether it cut
// the text; an escape sequence split across two fragments thus cannot come
// back together around the renderer's marks. Fragments are joined with one
// space where the text had one. Snippet stops at the first piece that is
// empty or cut.
func Snippet(frags []commands.Fragment, max int, piece func(Piece) (string, bool)) string {
	var b strings.Builder
	used, spaced := 0, false
	for i, f := range frags {
		text := Line(f.Text)
		if text == "" {
			spaced = spaced || f.Text != ""
			continue
		}
		sep := ""
		if used > 0 && (spaced || StartsSpaced(f.Text)) {
			sep = " "
		}
		p, cut := piece(Piece{
			Text:  text,
			Match: f.Match,
			Glued: (used > 0 && sep == "") || gluedToNext(frags[i+1:], f.Text),
			Room:  max - used - len(sep),
		})
		if p == "" {
			break
		}
		b.WriteString(sep + p)
		used += len(sep) + Width(p)
		if cut {
			break
		}
		spaced = EndsSpaced(f.Text)
	}
	return b.String()
}

// gluedToNext reports whether the fragment after one ending like text starts
// right against it, with no space between.
func gluedToNext(rest []commands.Fragment, text string) bool {
	if EndsSpaced(text) {
		return false
	}
	for _, f := range rest {
		if f.Text == "" {
			continue
		}
		return !StartsSpaced(f.Text)
	}
	return false
}

// StartsSpaced reports whether s starts with a space (of any kind).
func StartsSpaced(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// EndsSpaced reports whether s ends with a space (of any kind).
func EndsSpaced(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(r)
}
