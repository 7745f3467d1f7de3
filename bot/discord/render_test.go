package discord_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pmbot/pmbot/bot/discord"
	"github.com/pmbot/pmbot/bot/rendertest"
	"github.com/pmbot/pmbot/feeds/feedstest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const prefix = rendertest.Prefix

// The fixtures and cases the Slack and Discord renderers share.
type (
	fixtureCatalog = rendertest.Catalog
	fixtureSearch  = rendertest.Search
	renderCase     = rendertest.Case[discord.Payload]
)

var (
	postMortem    = feedstest.PostMortem
	episodeNumber = rendertest.EpisodeNumber
	oldestFirst   = rendertest.OldestFirst
)

// hostileBits are the pieces of hostile text: mentions, masked links, spoilers and the
// markdown Discord would act on, Slack's too, right-to-left text and
// overrides, emoji sequences, control characters and broken UTF-8.
var hostileBits = []string{
	"@everyone", "@here", "<@123>", "<@!123>", "<@&456>", "<#789>", "</help:1>", "<t:0:R>",
	"[x](https://evil.example)", "[x](<https://evil.example>)", "||spoiler||",
	"**bold** *it* _it_ __u__ ~~strike~~ `code`", "```block```", "> quote", ">>> all",
	"# heading", "## h2", "-# small", "- item", "1. item", "\\escaped\\", "\\*not\\*",
	"<!channel>", "<https://evil.example|click>", "&amp;", "@\u200beveryone",
	"مرحبا بالعالم", "שלום עולם", "\u202eevil\u202c", "\u2067isolate",
	"👩\u200d👩\u200d👧\u200d👦", "👍🏽", "🇫🇷", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F",
	"\x1b[31mred\x1b[0m", "nul\x00", "\xff\xfe", "line\nbreak", "e\u0301", "|pipe|",
}

// hostileURLs are links a feed may hold: some safe, most not.
var hostileURLs = []string{
	"https://example.org/a?b=1&c=@everyone",
	"javascript:alert(1)",
	"JavaScript:alert(1)",
	"https://example.org/ok?a=1&b=2",
	"https://trusted.example@evil.example/",
	"https://example.org/\u202etxt.exe",
	"https://example.org/" + strings.Repeat("p", 2000),
	"data:text/html,<script>alert(1)</script>",
	"https://example.org/<@123>",
	"https://fr.wikipedia.org/wiki/Tempête_(météo)",
	"https://evil.example/x)[y](https://evil2.example",
	"https://x|y",
}

// platform renders the shared cases as Discord payloads.
var platform = rendertest.Platform[discord.Payload]{
	Name: "discord", ChannelID: "789", UserID: "123",
	Message: discord.RenderMessage, Reply: discord.RenderReply, Hostile: hostile,
}

// hostile is what an attacker writes here.
var hostile = rendertest.Hostile{Bits: hostileBits, URLs: hostileURLs}

func hostileString(n int) string { return hostile.String(n) }

func allCases(t testing.TB) []renderCase { return platform.Cases(t) }

// TestGolden compares every payload with testdata/golden/<name>.json; run
// `go test ./bot/discord -run TestGolden -update` to rewrite them after a change,
// and read the diff.
func TestGolden(t *testing.T) {
	for _, c := range allCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			got, err := c.Payload.Preview()
			if err != nil {
				t.Fatal(err)
			}
			checkPayload(t, got)
			path := filepath.Join("testdata", "golden", c.Name+".json")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./bot/discord -run TestGolden -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-want +got):\n%s", path, diff)
			}
		})
	}
}
