package chattext

import (
	"fmt"
	"testing"

	"github.com/pmbot/pmbot/commands"
)

func TestSnippet(t *testing.T) {
	frag := func(text string, match bool) commands.Fragment { return commands.Fragment{Text: text, Match: match} }
	// The piece writer shows what Snippet handed it: a match in [], a glued
	// one in {}.
	piece := func(p Piece) (string, bool) {
		s, cut := Clip(p.Text, p.Room-2, func(s string) string { return s }, RuneWidth)
		switch {
		case s == "":
			return "", cut
		case p.Match && p.Glued:
			return "{" + s + "}", cut
		case p.Match:
			return "[" + s + "]", cut
		}
		return s, cut
	}
	tests := []struct {
		frags []commands.Fragment
		max   int
		want  string
	}{
		{nil, 100, ""},
		{[]commands.Fragment{frag("the ", false), frag("cat", true), frag(" sat", false)}, 100, "the [cat] sat"},
		{[]commands.Fragment{frag("a", false), frag("\n\n", false), frag("b", true)}, 100, "a [b]"},
		{[]commands.Fragment{frag("con", false), frag("cat", true), frag("enate", false)}, 100, "con{cat}enate"},
		{[]commands.Fragment{frag("cat", true), frag("s", false)}, 100, "{cat}s"},
		{[]commands.Fragment{frag("x\x1b ", false), frag("\u202ey", true)}, 100, "x [y]"},
		{[]commands.Fragment{frag("one two ", false), frag("three", true), frag(" four", false)}, 14, "one two [thr…]"},
		{[]commands.Fragment{frag("one two three", false), frag(" four", true)}, 9, "one tw…"},
	}
	for _, tt := range tests {
		if got := Snippet(tt.frags, tt.max, piece); got != tt.want {
			t.Errorf("Snippet(%s, %d) = %q, want %q", fmt.Sprint(tt.frags), tt.max, got, tt.want)
		}
		if got := Snippet(tt.frags, tt.max, piece); Width(got) > tt.max {
			t.Errorf("Snippet(%s, %d) = %q is too wide", fmt.Sprint(tt.frags), tt.max, got)
		}
	}
}

func TestSpaced(t *testing.T) {
	tests := []struct {
		s          string
		start, end bool
	}{
		{"", false, false},
		{"a", false, false},
		{" a", true, false},
		{"a\n", false, true},
		{"\u00a0a\u3000", true, true},
	}
	for _, tt := range tests {
		if got := StartsSpaced(tt.s); got != tt.start {
			t.Errorf("StartsSpaced(%q) = %v", tt.s, got)
		}
		if got := EndsSpaced(tt.s); got != tt.end {
			t.Errorf("EndsSpaced(%q) = %v", tt.s, got)
		}
	}
}
