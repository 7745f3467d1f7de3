package slack_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/pmbot/pmbot/bot/slack"
)

// This file checks payloads as Slack would see them: the JSON, not our
// structs, with its own counting, so that a bug in the renderer's measures is
// not repeated here.

// slackLen counts as the strictest of Slack's SDKs do: UTF-16 units.
func slackLen(s string) int { return len(utf16.Encode([]rune(s))) }

// payloadChecker walks one payload's JSON and reports every broken rule.
type payloadChecker struct {
	errs      []string
	total     int
	actionIDs map[string]bool
	blockIDs  map[string]bool
}

func (c *payloadChecker) errorf(format string, args ...any) {
	if len(c.errs) < 20 {
		c.errs = append(c.errs, fmt.Sprintf(format, args...))
	}
}

// checkPayload fails t for every rule of Block Kit (contract A5–A7) and of
// ours that the payload breaks.
func checkPayload(t testing.TB, raw []byte) {
	t.Helper()
	for _, e := range payloadErrors(raw) {
		t.Error(e)
	}
}

func payloadErrors(raw []byte) []string {
	c := &payloadChecker{actionIDs: map[string]bool{}, blockIDs: map[string]bool{}}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		return []string{"payload is not JSON: " + err.Error()}
	}
	for k := range p {
		switch k {
		case "text", "blocks", "unfurl_links", "unfurl_media", "response_type", "replace_original":
		default:
			c.errorf("unexpected field %q", k)
		}
	}
	text, _ := p["text"].(string)
	if text == "" {
		c.errorf("text is empty: notifications would be blank")
	}
	if n := slackLen(text); n > slack.MaxFallback {
		c.errorf("text is %d long", n)
	}
	c.mrkdwn("text", text)
	if strings.Contains(text, "<") {
		c.errorf("text holds a link: %q", text)
	}
	if p["unfurl_links"] != false || p["unfurl_media"] != false {
		c.errorf("unfurl_links/unfurl_media not false: %v %v", p["unfurl_links"], p["unfurl_media"])
	}
	switch p["response_type"] {
	case nil:
		if _, ok := p["replace_original"]; ok {
			c.errorf("replace_original on a message that is no answer")
		}
	case "ephemeral", "in_channel":
		if _, ok := p["replace_original"].(bool); !ok {
			c.errorf("an answer without replace_original")
		}
	default:
		c.errorf("response_type %v", p["response_type"])
	}
	blocks, ok := p["blocks"].([]any)
	if !ok || len(blocks) == 0 {
		c.errorf("no blocks")
	}
	if len(blocks) > slack.BlockBudget || len(blocks) > slack.MaxBlocks {
		c.errorf("%d blocks", len(blocks))
	}
	for i, b := range blocks {
		blk, ok := b.(map[string]any)
		if !ok {
			c.errorf("block %d is not an object", i)
			continue
		}
		c.block(fmt.Sprintf("block %d", i), blk)
	}
	if c.total > slack.TextBudget {
		c.errorf("blocks hold %d characters, more than %d", c.total, slack.TextBudget)
	}
	return c.errs
}

func (c *payloadChecker) block(where string, blk map[string]any) {
	if id, ok := blk["block_id"].(string); ok {
		if id == "" || slackLen(id) > slack.MaxID || c.blockIDs[id] {
			c.errorf("%s: bad or repeated block_id %q", where, id)
		}
		c.blockIDs[id] = true
	}
	switch blk["type"] {
	case "header":
		c.textObject(where+" header", blk["text"], "plain_text", slack.MaxHeaderText)
	case "section":
		text, hasText := blk["text"]
		fields, hasFields := blk["fields"].([]any)
		if !hasText && !hasFields {
			c.errorf("%s: section with neither text nor fields", where)
		}
		if hasText {
			c.textObject(where+" section", text, "mrkdwn", slack.MaxSectionText)
		}
		if hasFields && (len(fields) == 0 || len(fields) > slack.MaxFields) {
			c.errorf("%s: %d fields", where, len(fields))
		}
		for i, f := range fields {
			c.textObject(fmt.Sprintf("%s field %d", where, i), f, "mrkdwn", slack.MaxFieldText)
		}
		if _, ok := blk["accessory"]; ok {
			c.errorf("%s: accessory (an image could fail to download and the post with it)", where)
		}
	case "context":
		elems, _ := blk["elements"].([]any)
		if len(elems) == 0 || len(elems) > slack.MaxContextItems {
			c.errorf("%s: %d context elements", where, len(elems))
		}
		for i, e := range elems {
			c.textObject(fmt.Sprintf("%s element %d", where, i), e, "mrkdwn", slack.MaxSectionText)
		}
	case "actions":
		elems, _ := blk["elements"].([]any)
		if len(elems) == 0 || len(elems) > slack.ButtonsPerAction || len(elems) > slack.MaxActionElements {
			c.errorf("%s: %d action elements", where, len(elems))
		}
		for i, e := range elems {
			c.button(fmt.Sprintf("%s button %d", where, i), e)
		}
	case "divider":
	default:
		c.errorf("%s: unexpected block type %v", where, blk["type"])
	}
}

func (c *payloadChecker) textObject(where string, v any, kind string, max int) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.errorf("%s: not a text object", where)
		return
	}
	text, _ := obj["text"].(string)
	c.total += slackLen(text)
	if obj["type"] != kind {
		c.errorf("%s: type %v, want %s", where, obj["type"], kind)
	}
	if n := slackLen(text); n == 0 || n > max {
		c.errorf("%s: text is %d long (1 to %d)", where, n, max)
	}
	switch kind {
	case "mrkdwn":
		if obj["verbatim"] != true {
			c.errorf("%s: mrkdwn without verbatim: Slack would link names and mentions itself", where)
		}
		c.mrkdwn(where, text)
	case "plain_text":
		// plain_text is shown as written, never parsed: no escaping, but no
		// line breaks or control characters either.
		if strings.ContainsRune(text, '\n') {
			c.errorf("%s: line break in plain text", where)
		}
		// Nor anything that reads as mention syntax, should a client parse it.
		for _, m := range []string{"<!", "<@", "<#"} {
			if strings.Contains(text, m) {
				c.errorf("%s: %q in plain text", where, m)
			}
		}
		c.characters(where, text)
	}
}

func (c *payloadChecker) button(where string, v any) {
	btn, ok := v.(map[string]any)
	if !ok || btn["type"] != "button" {
		c.errorf("%s: not a button", where)
		return
	}
	c.textObject(where, btn["text"], "plain_text", slack.MaxButtonText)
	id, _ := btn["action_id"].(string)
	if id == "" || slackLen(id) > slack.MaxID || c.actionIDs[id] {
		c.errorf("%s: bad or repeated action_id %q", where, id)
	}
	c.actionIDs[id] = true
	u, hasURL := btn["url"].(string)
	value, hasValue := btn["value"].(string)
	c.total += slackLen(u) + slackLen(value)
	switch kind := slack.ActionOf(id); {
	case kind == slack.ActionLink && hasURL && !hasValue:
		if !safeLink(u) || slackLen(u) > slack.MaxURL {
			c.errorf("%s: unsafe url %q", where, u)
		}
	case (kind == slack.ActionCommand || kind == slack.ActionShare) && hasValue && !hasURL:
		if value == "" || slackLen(value) > slack.MaxButtonValue || strings.ContainsRune(value, '\n') {
			c.errorf("%s: bad value %q", where, value)
		}
		c.characters(where, value)
	default:
		c.errorf("%s: action_id %q with url %q and value %q", where, id, u, value)
	}
}

// ourLink is the only "<" mrkdwn may hold: a link we wrote, to an http(s) URL
// with no space or "<>|" in it, labelled with escaped text with no "|".
var ourLink = regexp.MustCompile(`^<(https?://[^\s<>|]+)\|([^<>|]+)>`)

// mrkdwn checks that text can mention no one and link nowhere but where we
// chose: every "<" starts one of our links, no ">" stands alone (it would
// quote), and every "&" outside a URL starts one of the three escapes.
func (c *payloadChecker) mrkdwn(where, text string) {
	c.characters(where, text)
	rest := text
	for rest != "" {
		i := strings.IndexAny(rest, "<>&")
		if i < 0 {
			return
		}
		switch rest[i] {
		case '<':
			m := ourLink.FindStringSubmatch(rest[i:])
			if m == nil {
				c.errorf("%s: a '<' that is not our link: %q", where, excerpt(rest[i:]))
				return
			}
			if !safeLink(m[1]) {
				c.errorf("%s: link to %q", where, m[1])
			}
			c.entities(where, m[2])
			rest = rest[i+len(m[0]):]
		case '>':
			c.errorf("%s: a raw '>': %q", where, excerpt(rest[i:]))
			return
		case '&':
			if !escapeAt(rest[i:]) {
				c.errorf("%s: a bare or cut '&': %q", where, excerpt(rest[i:]))
				return
			}
			rest = rest[i+1:]
		}
	}
}

// entities checks that every "&" of s starts &amp;, &lt; or &gt;, so that no
// escape was cut in two.
func (c *payloadChecker) entities(where, s string) {
	for i := strings.IndexByte(s, '&'); i >= 0; i = strings.IndexByte(s, '&') {
		s = s[i:]
		if !escapeAt(s) {
			c.errorf("%s: a bare or cut '&': %q", where, excerpt(s))
			return
		}
		s = s[1:]
	}
}

func escapeAt(s string) bool {
	return strings.HasPrefix(s, "&amp;") || strings.HasPrefix(s, "&lt;") || strings.HasPrefix(s, "&gt;")
}

// characters checks that s holds nothing invisible that could hide or
// reorder text: control characters (but line breaks), bidirectional
// overrides and isolates, invalid UTF-8.
func (c *payloadChecker) characters(where, s string) {
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		c.errorf("%s: invalid UTF-8 or a replacement character", where)
	}
	for _, r := range s {
		if (unicode.IsControl(r) && r != '\n') || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			c.errorf("%s: character %U", where, r)
			return
		}
	}
}

// safeLink reports whether u is a URL we may link: http(s), with a host, no
// user name, in ASCII, with nothing that could end a mrkdwn link.
func safeLink(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.User != nil || strings.ContainsAny(u, "<>| \n") {
		return false
	}
	for i := 0; i < len(u); i++ {
		if u[i] >= utf8.RuneSelf || u[i] < ' ' {
			return false
		}
	}
	return strings.EqualFold(p.Scheme, "https") || strings.EqualFold(p.Scheme, "http")
}

func excerpt(s string) string {
	r := []rune(s)
	return string(r[:min(len(r), 60)])
}

// TestCheckerCatches makes sure the checker fails what it must: a checker
// that passes everything would pass the renderer too.
func TestCheckerCatches(t *testing.T) {
	ok := `{"text":"x","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"%s","verbatim":true}}],"unfurl_links":false,"unfurl_media":false}`
	good := []string{
		"plain",
		"a &amp; b &lt;!channel&gt;",
		"see <https://example.org/a?b=1&c=2|the page &amp; more>",
	}
	for _, s := range good {
		if errs := payloadErrors(fmt.Appendf(nil, ok, s)); len(errs) > 0 {
			t.Errorf("checker refuses %q: %v", s, errs)
		}
	}
	bad := []string{
		"<!channel>",
		"<@U123ABC>",
		"<#C123>",
		"<!subteam^S1>",
		"<https://evil.example>",
		"<javascript:alert(1)|x>",
		"<https://a|b|c>",
		"a & b",
		"cut &am",
		"> quote",
		"\u202eevil",
		"bell\u0007",
	}
	for _, s := range bad {
		js, _ := json.Marshal(s)
		raw := fmt.Appendf(nil, ok, strings.Trim(string(js), `"`))
		if errs := payloadErrors(raw); len(errs) == 0 {
			t.Errorf("checker lets %q through", s)
		}
	}
	structural := map[string]string{
		"no text":        `{"text":"","blocks":[{"type":"divider"}],"unfurl_links":false,"unfurl_media":false}`,
		"no blocks":      `{"text":"x","blocks":[],"unfurl_links":false,"unfurl_media":false}`,
		"unfurl":         `{"text":"x","blocks":[{"type":"divider"}]}`,
		"long header":    `{"text":"x","blocks":[{"type":"header","text":{"type":"plain_text","text":"` + strings.Repeat("h", 151) + `"}}],"unfurl_links":false,"unfurl_media":false}`,
		"same action_id": `{"text":"x","blocks":[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"a"},"action_id":"pmbot_command.1","value":"/x"},{"type":"button","text":{"type":"plain_text","text":"b"},"action_id":"pmbot_command.1","value":"/y"}]}],"unfurl_links":false,"unfurl_media":false}`,
		"bad button url": `{"text":"x","blocks":[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"a"},"action_id":"pmbot_link.1","url":"javascript:x"}]}],"unfurl_links":false,"unfurl_media":false}`,
		"no verbatim":    `{"text":"x","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"a"}}],"unfurl_links":false,"unfurl_media":false}`,
	}
	for name, raw := range structural {
		if errs := payloadErrors([]byte(raw)); len(errs) == 0 {
			t.Errorf("checker lets %s through", name)
		}
	}
}
