package fakeslack

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestValidateBlocks(t *testing.T) {
	rep := strings.Repeat
	txt := func(typ, s string) string { return fmt.Sprintf(`{"type":%q,"text":%q}`, typ, s) }
	section := func(s string) string { return `{"type":"section","text":` + txt("mrkdwn", s) + `}` }
	button := func(fields string) string {
		return `{"type":"actions","elements":[{"type":"button","text":` + txt("plain_text", "Go") + fields + `}]}`
	}
	join := func(n int, b string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = b
		}
		return strings.Join(parts, ",")
	}
	for _, tc := range []struct {
		name   string
		blocks string
		code   string // "" for valid
		detail string // substring of a problem
	}{
		{"valid mix", `[` + `{"type":"header","text":` + txt("plain_text", "T") + `},` + section("hi") + `,{"type":"divider"},` +
			`{"type":"context","elements":[` + txt("mrkdwn", "ctx") + `,{"type":"image","image_url":"https://x/y.png","alt_text":"a"}]},` +
			button(`,"action_id":"a","value":"v","url":"https://x","style":"primary"`) + `,` +
			`{"type":"image","image_url":"https://x/y.png","alt_text":"a","title":` + txt("plain_text", "t") + `},` +
			`{"type":"rich_text","elements":[{"type":"rich_text_list","style":"bullet","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"x"},{"type":"link","url":"https://x"}]}]}]},` +
			`{"type":"markdown","text":"**md**"}]`, "", ""},
		{"not JSON", `[{"type":`, codeInvalidBlocksFormat, "not valid JSON"},
		{"not an array", `{"type":"divider"}`, codeInvalidBlocksFormat, "array"},
		{"50 blocks", `[` + join(50, `{"type":"divider"}`) + `]`, "", ""},
		{"51 blocks", `[` + join(51, `{"type":"divider"}`) + `]`, codeInvalidBlocks, "no more than 50"},
		{"unknown type", `[{"type":"carousel"}]`, codeInvalidBlocks, "unsupported block type"},
		{"missing type", `[{"text":"x"}]`, codeInvalidBlocks, "type"},
		{"header 150", `[{"type":"header","text":` + txt("plain_text", rep("h", 150)) + `}]`, "", ""},
		{"header 151", `[{"type":"header","text":` + txt("plain_text", rep("h", 151)) + `}]`, codeInvalidBlocks, "/blocks/0/text/text"},
		{"header mrkdwn", `[{"type":"header","text":` + txt("mrkdwn", "h") + `}]`, codeInvalidBlocks, "plain_text"},
		{"section empty text", `[` + section("") + `]`, codeInvalidBlocks, "at least 1"},
		{"section 3000", `[` + section(rep("é", 3000)) + `]`, "", ""},
		{"section 3001", `[` + section(rep("s", 3001)) + `]`, codeInvalidBlocks, "less than 3001"},
		{"section nothing", `[{"type":"section"}]`, codeInvalidBlocks, "text or fields"},
		{"text object type", `[{"type":"section","text":` + txt("markdown", "x") + `}]`, codeInvalidBlocks, "must be one of"},
		{"mrkdwn emoji", `[{"type":"section","text":{"type":"mrkdwn","text":"x","emoji":true}}]`, codeInvalidBlocks, "emoji"},
		{"11 fields", `[{"type":"section","fields":[` + join(11, txt("mrkdwn", "f")) + `]}]`, codeInvalidBlocks, "no more than 10"},
		{"field 2001", `[{"type":"section","fields":[` + txt("mrkdwn", rep("f", 2001)) + `]}]`, codeInvalidBlocks, "less than 2001"},
		{"11 context elements", `[{"type":"context","elements":[` + join(11, txt("plain_text", "c")) + `]}]`, codeInvalidBlocks, "no more than 10"},
		{"no context elements", `[{"type":"context","elements":[]}]`, codeInvalidBlocks, "at least 1"},
		{"26 actions", `[{"type":"actions","elements":[` + join(26, `{"type":"button","text":`+txt("plain_text", "b")+`}`) + `]}]`, codeInvalidBlocks, "no more than 25"},
		{"button text 76", `[{"type":"actions","elements":[{"type":"button","text":` + txt("plain_text", rep("b", 76)) + `}]}]`, codeInvalidBlocks, "less than 76"},
		{"button mrkdwn", `[{"type":"actions","elements":[{"type":"button","text":` + txt("mrkdwn", "b") + `}]}]`, codeInvalidBlocks, "plain_text"},
		{"button url 3001", `[` + button(`,"url":"`+rep("u", 3001)+`"`) + `]`, codeInvalidBlocks, "less than 3001"},
		{"button value 2001", `[` + button(`,"value":"`+rep("v", 2001)+`"`) + `]`, codeInvalidBlocks, "less than 2001"},
		{"action_id 256", `[` + button(`,"action_id":"`+rep("a", 256)+`"`) + `]`, codeInvalidBlocks, "action_id"},
		{"button style", `[` + button(`,"style":"blue"`) + `]`, codeInvalidBlocks, "primary or danger"},
		{"duplicate action_id", `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":` + txt("plain_text", "1") + `},{"type":"button","action_id":"a","text":` + txt("plain_text", "2") + `}]}]`, codeInvalidBlocks, "duplicate action_id"},
		{"block_id 256", `[{"type":"divider","block_id":"` + rep("b", 256) + `"}]`, codeInvalidBlocks, "block_id"},
		{"duplicate block_id", `[{"type":"divider","block_id":"x"},{"type":"divider","block_id":"x"}]`, codeInvalidBlocks, "duplicate block_id"},
		{"image without alt", `[{"type":"image","image_url":"https://x"}]`, codeInvalidBlocks, "alt_text"},
		{"rich text bad element", `[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"bogus"}]}]}]`, codeInvalidBlocks, "unsupported rich text"},
		{"too much text", `[` + section(rep("a", 3000)) + `,` + section(rep("a", 3000)) + `,` + section(rep("a", 3000)) + `,` + section(rep("a", 3000)) + `,` + section("a") + `]`, codeBlocksTooLong, "12001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateBlocks([]byte(tc.blocks))
			if tc.code == "" {
				if err != nil {
					t.Errorf("ValidateBlocks = %v; want nil", err)
				}
				return
			}
			var be *BlockError
			if !errors.As(err, &be) || be.Code != tc.code || !strings.Contains(be.Error(), tc.detail) {
				t.Errorf("ValidateBlocks = %v; want %s mentioning %q", err, tc.code, tc.detail)
			}
		})
	}
}

// TestValidateBlocksAcceptsSlackGo checks that what slack-go's block builders produce
// for ordinary messages is valid.
func TestValidateBlocksAcceptsSlackGo(t *testing.T) {
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Title", true, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*bold*", true, false),
			[]*slack.TextBlockObject{slack.NewTextBlockObject(slack.MarkdownType, "f1", false, false)},
			slack.NewAccessory(slack.NewButtonBlockElement("more", "17", slack.NewTextBlockObject(slack.PlainTextType, "More", false, false)))),
		slack.NewDividerBlock(),
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, "ctx", false, false),
			slack.NewImageBlockElement("https://example.com/a.png", "art")),
		slack.NewActionBlock("acts",
			slack.NewButtonBlockElement("share", "17", slack.NewTextBlockObject(slack.PlainTextType, "Share", false, false)).WithStyle(slack.StylePrimary),
			&slack.ButtonBlockElement{Type: slack.METButton, Text: slack.NewTextBlockObject(slack.PlainTextType, "Listen", false, false), URL: "https://example.com/ep/17"}),
		slack.NewImageBlock("https://example.com/a.png", "art", "", slack.NewTextBlockObject(slack.PlainTextType, "cover", false, false)),
	}
	raw, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateBlocks(raw); err != nil {
		t.Errorf("ValidateBlocks(slack-go blocks) = %v\n%s", err, raw)
	}
}

func TestBroadcastMentions(t *testing.T) {
	for _, tc := range []struct {
		text      string
		linkNames bool
		want      string
	}{
		{"<!channel> hi", false, "channel"},
		{"<!here|@here>", false, "here"},
		{"<!subteam^S123|@devs>", false, "subteam^S123"},
		{"&lt;!everyone&gt;", false, ""},
		{"<@U123> and <#C1>", false, ""},
		{"@channel", false, ""},
		{"ping @channel now", true, "channel"},
		{"mail me@here.com", true, ""},
	} {
		if got := strings.Join(broadcastMentions(tc.text, tc.linkNames), ","); got != tc.want {
			t.Errorf("broadcastMentions(%q, %v) = %q; want %q", tc.text, tc.linkNames, got, tc.want)
		}
	}
	_, err := checkBlocks([]byte(`[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"broadcast","range":"everyone"}]}]}]`), DefaultMaxBlocksChars)
	if err != nil {
		t.Fatal(err)
	}
	rep, _ := checkBlocks([]byte(`[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"broadcast","range":"everyone"}]}]}]`), DefaultMaxBlocksChars)
	if strings.Join(rep.broadcasts, ",") != "everyone" {
		t.Errorf("rich text broadcast found %v; want everyone", rep.broadcasts)
	}
}
