package chattext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWidth(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"é", 1},
		{"&amp;", 5},
		{"😀", 2},                          // outside the BMP: two UTF-16 units
		{"👩\u200d💻", 5},                   // woman, ZWJ, laptop
		{"🇫🇷", 4},                         // two regional indicators
		{"\xff", 1},                       // invalid UTF-8 counts as one replacement character
		{"مرحبا", 5},                      // Arabic
		{strings.Repeat("x", 3000), 3000}, // a full section
	}
	for _, tt := range tests {
		if got := Width(tt.s); got != tt.want {
			t.Errorf("Width(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestBoundary(t *testing.T) {
	tests := []struct {
		name string
		s    string
		end  int
		want int
	}{
		{"between letters", "abcd", 2, 2},
		{"at the start", "abcd", 0, 0},
		{"at the end", "abcd", 4, 4},
		{"inside a ZWJ sequence", "ab👩\u200d💻", len("ab👩"), 2},
		{"after a ZWJ", "ab👩\u200d💻", len("ab👩\u200d"), 2},
		{"before a skin tone", "ab👍🏽cd", len("ab👍"), 2},
		{"after a skin tone", "ab👍🏽cd", len("ab👍🏽"), len("ab👍🏽")},
		{"between a flag's halves", "ab🇫🇷", len("ab🇫"), 2},
		{"between two flags", "ab🇫🇷🇩🇪", len("ab🇫🇷"), len("ab🇫🇷")},
		{"before a combining mark", "abe\u0301cd", 3, 2},
		{"before a variation selector", "a\u2764\ufe0f", len("a\u2764"), 1},
		{"one endless cluster", "\u0301\u0301\u0301", 2, 2},
	}
	for _, tt := range tests {
		if got := Boundary(tt.s, tt.end); got != tt.want {
			t.Errorf("%s: Boundary(%q, %d) = %d, want %d", tt.name, tt.s, tt.end, got, tt.want)
		}
	}
}

func TestClip(t *testing.T) {
	plain := func(s string) string { return s }
	tests := []struct {
		name    string
		s       string
		max     int
		want    string
		wantCut bool
	}{
		{"fits", "hello", 5, "hello", false},
		{"cut", "hello world", 8, "hello w…", true},
		{"cut trims the space before the ellipsis", "hello world", 7, "hello…", true},
		{"multi-byte", "ééééé", 3, "éé…", true},
		{"emoji is two wide", "😀😀😀", 5, "😀😀…", true},
		{"not inside a ZWJ sequence", "ab👩\u200d💻", 6, "ab…", true},
		{"not between a flag's halves", "ab🇫🇷", 5, "ab…", true},
		{"nothing fits", "hello", 0, "", true},
		{"only the ellipsis fits", "hello", 1, "…", true},
		{"empty", "", 0, "", false},
	}
	for _, tt := range tests {
		got, cut := Clip(tt.s, tt.max, plain, RuneWidth)
		if got != tt.want || cut != tt.wantCut {
			t.Errorf("%s: Clip(%q, %d) = %q, %v, want %q, %v", tt.name, tt.s, tt.max, got, cut, tt.want, tt.wantCut)
		}
	}
	// Encoding: the width is that of the encoded text, and the cut is made
	// before encoding, so an escape is never split.
	esc := func(s string) string { return strings.ReplaceAll(s, "&", "&amp;") }
	width := func(r rune) int {
		if r == '&' {
			return len("&amp;")
		}
		return RuneWidth(r)
	}
	s := "a&b&c😀🇫🇷&"
	for n := 0; n < 30; n++ {
		got, _ := Clip(s, n, esc, width)
		if Width(got) > n || !utf8.ValidString(got) {
			t.Fatalf("Clip(%q, %d) = %q (%d wide)", s, n, got, Width(got))
		}
		body := strings.TrimSuffix(got, Ellipsis)
		if i := strings.LastIndex(body, "&"); i >= 0 && !strings.HasPrefix(body[i:], "&amp;") {
			t.Errorf("Clip(%q, %d) = %q ends inside an escape", s, n, got)
		}
	}
}
