package discord

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pmbot/pmbot/bot/chattext"
)

func TestEscape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain words", "plain words"},
		{"@everyone", "@" + zwsp + "everyone"},
		{"hi @here", "hi @" + zwsp + "here"},
		{"<@123> <@&456> <#789>", "<" + zwsp + "@" + zwsp + "123> <" + zwsp + "@" + zwsp + "&456> <" + zwsp + "#789>"},
		{"[x](https://evil)", `\[x\]\(https://evil\)`},
		{"||spoiler||", `\|\|spoiler\|\|`},
		{"**b** _i_ ~~s~~ `c`", `\*\*b\*\* \_i\_ \~\~s\~\~ \` + "`c\\`"},
		{`back\slash`, `back\\slash`},
		{"> quote\n# title\n- item\n+ item\n1. one\nnot > # - 1.", "\\> quote\n\\# title\n\\- item\n\\+ item\n1\\. one\nnot > # - 1."},
		{"-# small", `\-# small`},
		{"مرحبا 👩‍👩‍👧", "مرحبا 👩‍👩‍👧"},
	}
	for _, c := range cases {
		if got := escape(c.in); got != c.want {
			t.Errorf("escape(%q) = %q, want %q", c.in, got, c.want)
		}
		if w := chattext.Width(escape(c.in)); w > widthBound(c.in) {
			t.Errorf("escape(%q) is %d wide, more than its bound %d", c.in, w, widthBound(c.in))
		}
	}
}

func widthBound(s string) int {
	n := 0
	for _, r := range s {
		n += escWidth(r)
	}
	return n
}

func TestClip(t *testing.T) {
	s := strings.Repeat("é*👩‍👩‍👧‍👦🇫🇷@", 50)
	for max := -1; max < 200; max++ {
		got, cut := clip(s, max)
		if !utf8.ValidString(got) {
			t.Fatalf("clip(_, %d) is not valid UTF-8", max)
		}
		if chattext.Width(got) > max && got != "" {
			t.Fatalf("clip(_, %d) = %q is %d wide", max, got, chattext.Width(got))
		}
		if !cut {
			t.Fatalf("clip(_, %d) not cut", max)
		}
		if got != "" && !strings.HasSuffix(got, chattext.Ellipsis) {
			t.Fatalf("clip(_, %d) = %q has no ellipsis", max, got)
		}
		if strings.HasSuffix(strings.TrimSuffix(got, chattext.Ellipsis), "\\") && !strings.HasSuffix(strings.TrimSuffix(got, chattext.Ellipsis), "\\\\") {
			t.Fatalf("clip(_, %d) = %q splits an escape", max, got)
		}
	}
	if got, cut := clip("short", 10); got != "short" || cut {
		t.Errorf("clip(short) = %q, %v", got, cut)
	}
}

func TestSafeURL(t *testing.T) {
	ok := map[string]string{
		"https://example.org/a":               "https://example.org/a",
		"http://example.org/wiki/Tempête_(x)": "http://example.org/wiki/Temp%C3%AAte_%28x%29",
		"https://example.org/?c=@everyone":    "https://example.org/?c=%40everyone",
	}
	for in, want := range ok {
		if got, good := safeURL(in, MaxEmbedURL); !good || got != want {
			t.Errorf("safeURL(%q) = %q, %v; want %q", in, got, good, want)
		}
	}
	for _, in := range []string{
		"javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "https://user:pw@evil.example/",
		"https://trusted.example@evil.example/", "https://x|y", "https://ex ample.org", "https://example.org/\u202etxt",
		"//example.org", "ftp://example.org", "https://exämple.org/", "https://example.org/" + strings.Repeat("p", MaxButtonURL),
	} {
		if got, good := safeURL(in, MaxButtonURL); good {
			t.Errorf("safeURL(%q) = %q, accepted", in, got)
		}
	}
}

func TestCustomID(t *testing.T) {
	id, ok := CommandCustomID("/postmortem takeaways 17")
	if !ok || id != "pmbot:cmd:/postmortem takeaways 17" {
		t.Fatalf("CommandCustomID = %q, %v", id, ok)
	}
	if kind, line, ok := ParseCustomID(id); !ok || kind != ActionCommand || line != "/postmortem takeaways 17" {
		t.Errorf("ParseCustomID(%q) = %q, %q, %v", id, kind, line, ok)
	}
	id, ok = ShareCustomID("/postmortem episode 3: a:b")
	if kind, line, ok2 := ParseCustomID(id); !ok || !ok2 || kind != ActionShare || line != "/postmortem episode 3: a:b" {
		t.Errorf("share id %q: %q, %q, %v", id, kind, line, ok2)
	}
	if _, ok := CommandCustomID("/postmortem search " + strings.Repeat("x", 100)); ok {
		t.Error("a command line too long for a custom_id was accepted")
	}
	if _, ok := CommandCustomID(" \n "); ok {
		t.Error("an empty command line was accepted")
	}
	for _, bad := range []string{"", "pmbot:", "pmbot:cmd:", "pmbot:cmd:  ", "pmbot:other:x", "other:cmd:x", "pmbot_command.3"} {
		if kind, line, ok := ParseCustomID(bad); ok {
			t.Errorf("ParseCustomID(%q) = %q, %q, true", bad, kind, line)
		}
	}
}
