package feeds

import (
	"strings"
	"unicode"

	"github.com/pmbot/pmbot/shownotes"
)

// fold is shownotes.Fold: one way of comparing typed text across the module.
func fold(s string) string { return shownotes.Fold(s) }

// FoldTitle folds case, accents, punctuation and runs of spaces, keeping only words,
// so that cosmetic edits of a title (an emoji, a typographic apostrophe) keep its
// identity, and an author is found among several names.
func FoldTitle(s string) string {
	return strings.Join(strings.FieldsFunc(fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}
