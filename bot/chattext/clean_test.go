package chattext

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  a\tb  ", "a b"},
		{"a\n\n\n\n\nb", "a\n\nb"},
		{"a  \nb", "a\nb"},
		{"\u202eevil\u202c txt", "evil txt"},
		{"\u2066iso\u2069", "iso"},
		{"x\x00y\x07z\x1b[31m", "xyz[31m"},
		{"bad \xff utf8", "bad  utf8"},
		{"zero\u200bwidth", "zerowidth"},
		{"👩\u200d💻 keeps its joiner", "👩\u200d💻 keeps its joiner"},
		{"עברית \u200fمرحبا", "עברית \u200fمرحبا"},
		{"a\u202eb\u2067c\u200bd\x00e\x1b\xff f\tg\n\n\n\nh 👍🏽 שלום", "abcde f g\n\nh 👍🏽 שלום"},
	}
	for _, tt := range tests {
		if got := Clean(tt.in); got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLine(t *testing.T) {
	if got := Line("a\n\nb   c\r\n"); got != "a b c" {
		t.Errorf("Line = %q", got)
	}
}

func TestCleanBounded(t *testing.T) {
	huge := strings.Repeat("é", maxInput) // twice maxInput in bytes
	got := Clean(huge)
	if !strings.HasSuffix(got, Ellipsis) || len(got) > maxInput+len(Ellipsis) {
		t.Errorf("Clean of %d bytes gave %d bytes ending %q", len(huge), len(got), got[len(got)-6:])
	}
	if s, cut := bounded("short"); s != "short" || cut {
		t.Errorf("bounded(short) = %q, %v", s, cut)
	}
}
