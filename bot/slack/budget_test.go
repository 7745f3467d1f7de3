package slack

import (
	"strings"
	"testing"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/pmbot/pmbot/bot/chattext"
)

func TestClipText(t *testing.T) {
	tests := []struct {
		name    string
		s       string
		max     int
		esc     bool
		want    string
		wantCut bool
	}{
		{"fits", "hello", 5, false, "hello", false},
		{"fits escaped", "a&b", 7, true, "a&amp;b", false},
		{"cut plain", "hello world", 8, false, "hello w…", true},
		{"cut trims the space before the ellipsis", "hello world", 7, false, "hello…", true},
		// "a&b" escaped is 7 wide: with max 6 only "a" and "…" fit, never "a&am…".
		{"never inside an escape", "a&b", 6, true, "a…", true},
		{"escape kept whole when it fits", "a&bcd", 8, true, "a&amp;b…", true},
		{"mention escaped", "<!channel>", 100, true, "&lt;!channel&gt;", false},
		{"mention cut before escaping", "<!channel> now", 9, true, "&lt;!cha…", true},
		{"never half an escape of >", "ab>", 5, true, "ab…", true},
		{"multi-byte", "ééééé", 3, false, "éé…", true},
		{"emoji is two wide", "😀😀😀", 5, false, "😀😀…", true},
		{"not inside a ZWJ sequence", "ab👩\u200d💻", 6, false, "ab…", true},
		{"not before a skin tone", "ab👍🏽cd", 5, false, "ab…", true},
		{"not between a flag's halves", "ab🇫🇷", 5, false, "ab…", true},
		{"not before a combining mark", "abe\u0301cd", 4, false, "ab…", true},
		{"nothing fits", "hello", 0, false, "", true},
		{"only the ellipsis fits", "hello", 1, false, "…", true},
		{"empty", "", 0, true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut := clipText(tt.s, tt.max, tt.esc)
			if got != tt.want || cut != tt.wantCut {
				t.Errorf("clipText(%q, %d, %v) = %q, %v, want %q, %v", tt.s, tt.max, tt.esc, got, cut, tt.want, tt.wantCut)
			}
			if chattext.Width(got) > max(tt.max, 0) {
				t.Errorf("clipText(%q, %d) is %d wide", tt.s, tt.max, chattext.Width(got))
			}
			if !utf8.ValidString(got) {
				t.Errorf("clipText(%q, %d) = %q is not valid UTF-8", tt.s, tt.max, got)
			}
		})
	}
}

// TestClipTextEveryLength cuts hostile text at every width and checks that the
// result fits, is valid UTF-8 and never ends inside an escape sequence.
func TestClipTextEveryLength(t *testing.T) {
	s := "a&<b>é😀👩\u200d💻🇫🇷 &amp; <@U1> \u0645\u0631\u062d\u0628\u0627 z"
	full := chattext.Width(escapeMrkdwn(s))
	for n := 0; n <= full+1; n++ {
		got, cut := clipText(s, n, true)
		if chattext.Width(got) > n || !utf8.ValidString(got) {
			t.Fatalf("clipText(s, %d) = %q (%d wide)", n, got, chattext.Width(got))
		}
		if cut != (n < full) {
			t.Errorf("clipText(s, %d) cut = %v", n, cut)
		}
		body := strings.TrimSuffix(got, chattext.Ellipsis)
		if i := strings.LastIndex(body, "&"); i >= 0 {
			rest := body[i:]
			if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
				t.Errorf("clipText(s, %d) = %q ends inside an escape", n, got)
			}
		}
		if strings.ContainsAny(body, "<>") {
			t.Errorf("clipText(s, %d) = %q has a raw < or >", n, got)
		}
	}
}

func TestFitLines(t *testing.T) {
	lines := []string{"aaa", "bb", "cccc"}
	tests := []struct {
		max   int
		want  string
		wantN int
	}{
		{0, "", 0},
		{3, "aaa", 1},
		{5, "aaa", 1},
		{6, "aaa\nbb", 2},
		{11, "aaa\nbb\ncccc", 3},
		{100, "aaa\nbb\ncccc", 3},
	}
	for _, tt := range tests {
		got, n := fitLines(lines, tt.max)
		if got != tt.want || n != tt.wantN {
			t.Errorf("fitLines(%q, %d) = %q, %d, want %q, %d", lines, tt.max, got, n, tt.want, tt.wantN)
		}
	}
}

func TestBudgetShare(t *testing.T) {
	b := budget{blocks: 3, chars: 10}
	if got := b.share(1); got != b {
		t.Errorf("share(1) = %v, want %v", got, b)
	}
	// Three blocks among five parts: the first parts get one each, none gets 0.
	if got := b.share(5); got != (budget{blocks: 1, chars: 2}) {
		t.Errorf("share(5) = %v", got)
	}
	if got := (budget{}).share(4); got != (budget{}) {
		t.Errorf("empty share(4) = %v", got)
	}
	if !b.fits(3, 10) || b.fits(4, 1) || b.fits(1, 11) {
		t.Error("fits is wrong")
	}
	b.spend(1, 4)
	if b != (budget{blocks: 2, chars: 6}) {
		t.Errorf("after spend: %v", b)
	}
}

// TestList checks the one function that packs lists: sections within their
// limits, in order, ending with "… and N more" only when something is left out.
func TestList(t *testing.T) {
	b := newBuilder("en")
	many := make([]string, 300)
	for i := range many {
		many[i] = "• " + strings.Repeat("x", 100)
	}
	tests := []struct {
		name      string
		groups    []listGroup
		total     int
		allow     budget
		wantShown int
		wantMore  string
		blocks    int
	}{
		{"all fit", []listGroup{{title: "*T*", lines: []string{"• a", "• b"}}}, 2, budget{5, 1000}, 2, "", 1},
		{"one section per group", []listGroup{{title: "*A*", lines: []string{"• a"}}, {title: "*B*", lines: []string{"• b"}}}, 2, budget{5, 1000}, 2, "", 2},
		{"capped before the list", []listGroup{{lines: []string{"• a", "• b"}}}, 10, budget{5, 1000}, 2, "… and 8 more", 1},
		{"cut by chars", []listGroup{{lines: many[:50]}}, 50, budget{1, 1000}, 9, "… and 41 more", 1},
		{"spills into sections", []listGroup{{lines: many[:50]}}, 50, budget{3, 100000}, 50, "", 2},
		{"cut by blocks", []listGroup{{lines: many}}, 300, budget{2, 100000}, 56, "… and 244 more", 2},
		{"nothing fits but the count", []listGroup{{lines: many[:1]}}, 1, budget{1, 50}, 0, "… and 1 more", 1},
		{"no room at all", []listGroup{{lines: many[:1]}}, 1, budget{0, 50}, 0, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blks, shown := b.list(tt.groups, tt.total, tt.allow)
			if shown != tt.wantShown || len(blks) != tt.blocks {
				t.Fatalf("list: %d shown in %d blocks, want %d in %d", shown, len(blks), tt.wantShown, tt.blocks)
			}
			if widthOf(blks) > tt.allow.chars || len(blks) > tt.allow.blocks {
				t.Errorf("list spent %d chars in %d blocks, allowed %v", widthOf(blks), len(blks), tt.allow)
			}
			var last string
			for _, blk := range blks {
				s := blk.(*slackapi.SectionBlock)
				if n := chattext.Width(s.Text.Text); n > MaxSectionText || n == 0 {
					t.Errorf("section is %d wide", n)
				}
				last = s.Text.Text
			}
			if tt.wantMore != "" && !strings.HasSuffix(last, tt.wantMore) {
				t.Errorf("last section ends %q, want %q", last[max(0, len(last)-30):], tt.wantMore)
			}
			if tt.wantMore == "" && strings.Contains(last, "more") {
				t.Errorf("last section says more: %q", last)
			}
		})
	}
}
