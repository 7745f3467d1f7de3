package slack

import (
	"strings"
	"testing"

	"github.com/pmbot/pmbot/bot/chattext"
)

func TestEscapeMrkdwn(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<!channel>", "&lt;!channel&gt;"},
		{"<!here> <!everyone> <@U123ABC> <#C123> <!subteam^S1>", "&lt;!here&gt; &lt;!everyone&gt; &lt;@U123ABC&gt; &lt;#C123&gt; &lt;!subteam^S1&gt;"},
		{"<https://evil.example|click>", "&lt;https://evil.example|click&gt;"},
		{"&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"},
		{"AT&T", "AT&amp;T"},
		// Only the three control characters: quotes and formatting stay.
		{`"quoted" 'it' *bold* _it_ ~strike~ ` + "`code`", `"quoted" 'it' *bold* _it_ ~strike~ ` + "`code`"},
	}
	for _, tt := range tests {
		if got := escapeMrkdwn(tt.in); got != tt.want {
			t.Errorf("escapeMrkdwn(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSafeURL(t *testing.T) {
	if got, _ := safeURL("https://fr.wikipedia.org/wiki/Tempête#l’é"); got != "https://fr.wikipedia.org/wiki/Temp%C3%AAte#l%E2%80%99%C3%A9" {
		t.Errorf("safeURL kept non-ASCII: %q", got)
	}
	if got, _ := safeURL("https://example.org/a?b=1&c=%20"); got != "https://example.org/a?b=1&c=%20" {
		t.Errorf("safeURL changed an ASCII URL: %q", got)
	}
	tests := []struct {
		in string
		ok bool
	}{
		{"https://example.org/a?b=1&c=2", true},
		{"http://traceroute.org/#Looking%20Glass", true},
		{"https://fr.wikipedia.org/wiki/Tempête_solaire_de_1859", true},
		{"  https://example.org/  ", true},
		{"HTTPS://EXAMPLE.ORG", true},
		{"javascript:alert(1)", false},
		{"data:text/html,<script>", false},
		{"ftp://example.org/", false},
		{"https://x|y", false},
		{"https://example.org/<!channel>", false},
		{"https://example.org/a b", false},
		{"https://example.org/\u202etxt.exe", false},
		{"https://trusted.example@evil.example/", false},
		{"https://exämple.org/", false},
		{"https:evil", false},
		{"//example.org", false},
		{"https://", false},
		{"https://example.org/" + strings.Repeat("p", MaxURL), false},
		{"", false},
	}
	for _, tt := range tests {
		if _, ok := safeURL(tt.in); ok != tt.ok {
			t.Errorf("safeURL(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
	}
}

func TestMrkdwnLink(t *testing.T) {
	tests := []struct {
		url, label string
		max        int
		want       string
	}{
		{"https://a.example", "Click", 100, "<https://a.example|Click>"},
		{"https://a.example", "a|b <!here> & co", 100, "<https://a.example|a b &lt;!here&gt; &amp; co>"},
		{"https://a.example", "", 100, "<https://a.example|https://a.example>"},
		{"https://a.example", "a long label", 25, "<https://a.example|a lo…>"},
		{"https://a.example", "label", 10, ""},
	}
	for _, tt := range tests {
		got := mrkdwnLink(tt.url, tt.label, tt.max)
		if got != tt.want {
			t.Errorf("mrkdwnLink(%q, %q, %d) = %q, want %q", tt.url, tt.label, tt.max, got, tt.want)
		}
		if chattext.Width(got) > tt.max {
			t.Errorf("mrkdwnLink(%q, %q, %d) is %d wide", tt.url, tt.label, tt.max, chattext.Width(got))
		}
	}
}

func TestActionOf(t *testing.T) {
	tests := map[string]string{
		"pmbot_command.3": ActionCommand,
		"pmbot_link.12":   ActionLink,
		"pmbot_share":     ActionShare,
		"pmbot_command":   "",
		"pmbot_share.2":   "",
		"pmbot_link.x":    "",
		"other.1":         "",
		"":                "",
	}
	for id, want := range tests {
		if got := ActionOf(id); got != want {
			t.Errorf("ActionOf(%q) = %q, want %q", id, got, want)
		}
	}
}
