package search

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldRune appends r lowercased and without accents to b. It is feeds' folding,
// per rune, so that the tokenizer can fold as it scans and keep byte offsets into the
// original text for snippets.
func foldRune(b []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(b, byte(r))
	}
	if r < latinEnd {
		return append(b, latinFolds[r-utf8.RuneSelf]...)
	}
	return foldOther(b, r)
}

// latinFolds (fold_table.go) are foldOther's answers for the Latin letters
// past ASCII, up to latinEnd, written out: decomposing each accented letter of
// French notes as it was read cost more than the rest of tokenizing them, and
// working them out at start cost every process a millisecond and more.
// TestLatinFolds checks them, and writes them again with -update.

// latinEnd is where Latin Extended-B ends.
const latinEnd = 0x250

// foldOther is foldRune past ASCII.
func foldOther(b []byte, r rune) []byte {
	r = unicode.ToLower(r)
	switch r {
	case 'œ':
		return append(b, 'o', 'e')
	case 'æ':
		return append(b, 'a', 'e')
	case 'ß':
		return append(b, 's', 's')
	}
	if unicode.Is(unicode.Mn, r) {
		// A combining accent of decomposed text: the base letter is already there.
		return b
	}
	if !decomposes(r) {
		return utf8.AppendRune(b, r)
	}
	for _, d := range norm.NFD.String(string(r)) {
		if !unicode.Is(unicode.Mn, d) {
			b = utf8.AppendRune(b, d)
		}
	}
	return b
}

// decomposes reports whether NFD splits r into a base and marks (é, ç, ü...).
func decomposes(r rune) bool {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	return !norm.NFD.IsNormal(buf[:n])
}

// fold returns s lowercased and without accents.
func fold(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = foldRune(b, r)
	}
	return string(b)
}
