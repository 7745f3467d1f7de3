package feeds

import (
	"bytes"
	"strconv"
)

// dropIllegalXMLChars removes the control characters XML 1.0 forbids, raw or as
// character references (&#27;): the XML decoder rejects the whole document for one
// of them, and a stray escape code in one title must not make a feed unreadable. The
// document is copied only when it holds one.
func dropIllegalXMLChars(doc []byte) []byte {
	if !hasIllegalXMLChars(doc) {
		return doc
	}
	out := make([]byte, 0, len(doc))
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if illegalXMLByte(c) {
			continue
		}
		if c == '&' && i+2 < len(doc) && doc[i+1] == '#' {
			if n, ok := illegalCharRef(doc[i:]); ok {
				i += n - 1
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

func hasIllegalXMLChars(doc []byte) bool {
	for i, c := range doc {
		if illegalXMLByte(c) {
			return true
		}
		if c == '&' && i+2 < len(doc) && doc[i+1] == '#' {
			if _, ok := illegalCharRef(doc[i:]); ok {
				return true
			}
		}
	}
	return false
}

func illegalXMLByte(c byte) bool {
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r'
}

// illegalCharRef reports whether b starts with a character reference to a code
// point XML forbids, and its length.
func illegalCharRef(b []byte) (int, bool) {
	end := bytes.IndexByte(b[:min(len(b), 12)], ';')
	if end < 3 {
		return 0, false
	}
	num, base := b[2:end], 10
	if num[0] == 'x' || num[0] == 'X' {
		num, base = num[1:], 16
	}
	v, err := strconv.ParseUint(string(num), base, 32)
	if err != nil {
		return 0, false
	}
	legal := v == 0x9 || v == 0xA || v == 0xD || (v >= 0x20 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD) || (v >= 0x10000 && v <= 0x10FFFF)
	return end + 1, !legal
}
