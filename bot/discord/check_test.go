package discord_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/pmbot/pmbot/bot/discord"
)

// This file checks payloads as Discord would see them: the JSON body, not our
// structs, with its own counting, so that a bug in the renderer's measures is
// not repeated here. The limits are the contract's (B5), written out.

// dLen counts as the strictest count does: UTF-16 units.
func dLen(s string) int { return len(utf16.Encode([]rune(s))) }

type checker struct {
	errs []string
	ids  map[string]bool
}

func (c *checker) errorf(format string, args ...any) {
	if len(c.errs) < 20 {
		c.errs = append(c.errs, fmt.Sprintf(format, args...))
	}
}

// checkPayload fails t for every rule of Discord (contract B5) and of ours
// that the payload's JSON breaks.
func checkPayload(t testing.TB, raw []byte) {
	t.Helper()
	for _, e := range payloadErrors(raw) {
		t.Error(e)
	}
}

func payloadErrors(raw []byte) []string {
	c := &checker{ids: map[string]bool{}}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		return []string{"payload is not JSON: " + err.Error()}
	}
	for k := range p {
		switch k {
		case "content", "embeds", "tts", "components", "allowed_mentions", "sticker_ids", "flags":
		default:
			c.errorf("unexpected field %q", k)
		}
	}
	if p["tts"] != false {
		c.errorf("tts is %v", p["tts"])
	}
	c.allowedMentions(p["allowed_mentions"])
	switch f := p["flags"].(type) {
	case nil:
	case float64:
		if f != 64 {
			c.errorf("flags %v", f)
		}
	default:
		c.errorf("flags %v", f)
	}
	text, _ := p["content"].(string)
	if n := dLen(text); n > 2000 || n > discord.ContentBudget {
		c.errorf("content is %d long", n)
	}
	c.markdown("content", text)
	embeds, _ := p["embeds"].([]any)
	comps, _ := p["components"].([]any)
	if strings.TrimSpace(text) == "" && len(embeds) == 0 && len(comps) == 0 {
		c.errorf("nothing to show: no content, embeds or components")
	}
	if len(embeds) > 10 {
		c.errorf("%d embeds", len(embeds))
	}
	total := 0
	for i, e := range embeds {
		total += c.embed(fmt.Sprintf("embed %d", i), e)
	}
	if total > 6000 || total > discord.EmbedBudget {
		c.errorf("embeds hold %d characters", total)
	}
	if len(comps) > 5 {
		c.errorf("%d action rows", len(comps))
	}
	for i, row := range comps {
		c.row(fmt.Sprintf("row %d", i), row)
	}
	return c.errs
}

// allowedMentions must be present, with parse present and empty, and no ids.
func (c *checker) allowedMentions(v any) {
	am, ok := v.(map[string]any)
	if !ok {
		c.errorf("allowed_mentions missing: %v", v)
		return
	}
	parse, ok := am["parse"].([]any)
	if !ok || len(parse) != 0 {
		c.errorf("allowed_mentions.parse is not an empty list: %v", am["parse"])
	}
	for _, k := range []string{"users", "roles"} {
		if ids, ok := am[k].([]any); ok && len(ids) > 0 || am[k] != nil && !ok {
			c.errorf("allowed_mentions.%s: %v", k, am[k])
		}
	}
	if am["replied_user"] == true {
		c.errorf("allowed_mentions.replied_user is true")
	}
}

// embed checks one embed and returns what it counts toward the 6000.
func (c *checker) embed(where string, v any) int {
	e, ok := v.(map[string]any)
	if !ok {
		c.errorf("%s is not an object", where)
		return 0
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	count := func(s string) int { return dLen(strings.TrimSpace(s)) }
	title, desc := str(e, "title"), str(e, "description")
	if n := dLen(title); n > 256 {
		c.errorf("%s: title is %d long", where, n)
	}
	if n := dLen(desc); n > 4096 {
		c.errorf("%s: description is %d long", where, n)
	}
	c.markdown(where+" title", title)
	c.markdown(where+" description", desc)
	total := count(title) + count(desc)
	if u, ok := e["url"]; ok {
		c.url(where+" url", u, 2048)
	}
	if ts, ok := e["timestamp"].(string); ok {
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			c.errorf("%s: timestamp %q", where, ts)
		}
	}
	if f, ok := e["footer"].(map[string]any); ok {
		s := str(f, "text")
		if s == "" || dLen(s) > 2048 {
			c.errorf("%s: footer text is %d long", where, dLen(s))
		}
		c.plain(where+" footer", s)
		total += count(s)
	}
	if a, ok := e["author"].(map[string]any); ok {
		s := str(a, "name")
		if s == "" || dLen(s) > 256 {
			c.errorf("%s: author name is %d long", where, dLen(s))
		}
		c.plain(where+" author", s)
		total += count(s)
	}
	fields, _ := e["fields"].([]any)
	if len(fields) > 25 {
		c.errorf("%s: %d fields", where, len(fields))
	}
	for i, fv := range fields {
		f, _ := fv.(map[string]any)
		name, value := str(f, "name"), str(f, "value")
		fw := fmt.Sprintf("%s field %d", where, i)
		if strings.TrimSpace(name) == "" || dLen(name) > 256 {
			c.errorf("%s: name is %d long", fw, dLen(name))
		}
		if strings.TrimSpace(value) == "" || dLen(value) > 1024 {
			c.errorf("%s: value is %d long", fw, dLen(value))
		}
		c.markdown(fw+" name", name)
		c.markdown(fw+" value", value)
		total += count(name) + count(value)
	}
	if title == "" && desc == "" && len(fields) == 0 && e["footer"] == nil {
		c.errorf("%s is empty", where)
	}
	return total
}

func (c *checker) row(where string, v any) {
	row, _ := v.(map[string]any)
	if row["type"] != float64(1) {
		c.errorf("%s: type %v", where, row["type"])
	}
	btns, _ := row["components"].([]any)
	if len(btns) < 1 || len(btns) > 5 {
		c.errorf("%s: %d buttons", where, len(btns))
	}
	for i, bv := range btns {
		b, _ := bv.(map[string]any)
		bw := fmt.Sprintf("%s button %d", where, i)
		if b["type"] != float64(2) {
			c.errorf("%s: type %v", bw, b["type"])
		}
		label, _ := b["label"].(string)
		if label == "" || dLen(label) > 80 {
			c.errorf("%s: label is %d long", bw, dLen(label))
		}
		c.plain(bw+" label", label)
		id, hasID := b["custom_id"].(string)
		if b["style"] == float64(5) {
			if hasID {
				c.errorf("%s: link button with a custom_id", bw)
			}
			c.url(bw+" url", b["url"], 512)
			continue
		}
		if _, ok := b["url"]; ok {
			c.errorf("%s: a url on a button of style %v", bw, b["style"])
		}
		if !hasID || id == "" || dLen(id) > 100 || c.ids[id] {
			c.errorf("%s: bad or repeated custom_id %q", bw, id)
		}
		c.ids[id] = true
		if _, _, ok := discord.ParseCustomID(id); !ok {
			c.errorf("%s: custom_id %q is not ours", bw, id)
		}
	}
}

// url checks a URL we link: http(s), a host, no credentials, at most max.
func (c *checker) url(where string, v any, max int) {
	s, _ := v.(string)
	u, err := url.Parse(s)
	switch {
	case s == "" || dLen(s) > max:
		c.errorf("%s is %d long", where, dLen(s))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil:
		c.errorf("%s: unsafe %q", where, s)
	case strings.ContainsFunc(s, func(r rune) bool {
		return r > unicode.MaxASCII || unicode.IsSpace(r) || strings.ContainsRune("()[]@<>|\\", r)
	}):
		c.errorf("%s: unexpected character in %q", where, s)
	}
}

// plain checks text shown as written: no control or bidi formatting characters.
func (c *checker) plain(where, s string) {
	for _, r := range s {
		if r == '\n' {
			continue
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar || (unicode.Is(unicode.Cf, r) && !allowedCf(r)) {
			c.errorf("%s: character %U in %q", where, r, clipForError(s))
			return
		}
	}
}

func allowedCf(r rune) bool {
	return r == '\u200b' || r == '\u200d' || r == '\u200c' || r == '\u200e' || r == '\u200f' || r == '\u061c' || r >= 0xe0020 && r <= 0xe007f
}

func clipForError(s string) string {
	r := []rune(s)
	if len(r) > 120 {
		return string(r[:120]) + "…"
	}
	return s
}

// markdown checks text Discord reads as markdown: every "@" and "<" followed
// by a zero-width space (no mention, channel link, timestamp or slash command
// can form), no unescaped spoiler, code, underline, strike or emphasis
// marker other than our "**", no heading, quote or list marker starting a
// line, and "[" only as the start of a masked link of ours to a safe URL.
func (c *checker) markdown(where, s string) {
	c.plain(where, s)
	rs := []rune(s)
	lineStart, number := true, false
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch r {
		case '\\':
			if i+1 == len(rs) {
				c.errorf("%s: ends with a lone backslash", where)
				return
			}
			i++
			lineStart, number = false, false
			continue
		case '@', '<':
			if i+1 == len(rs) || rs[i+1] != '\u200b' {
				c.errorf("%s: %q not followed by a zero-width space at %d in %q", where, r, i, clipForError(string(rs[max(0, i-20):])))
				return
			}
		case '|', '~', '`', '_', ']', '(', ')':
			c.errorf("%s: unescaped %q at %d in %q", where, r, i, clipForError(string(rs[max(0, i-20):])))
			return
		case '*':
			if i+1 == len(rs) || rs[i+1] != '*' {
				c.errorf("%s: lone * at %d in %q", where, i, clipForError(string(rs[max(0, i-20):])))
				return
			}
			i++
		case '.':
			if number {
				c.errorf("%s: a numbered list starts a line in %q", where, clipForError(s))
				return
			}
		case '#', '>', '-', '+':
			if lineStart {
				c.errorf("%s: %q starts a line in %q", where, r, clipForError(string(rs[i:])))
				return
			}
		case '[':
			end, ok := c.maskedLink(where, rs, i)
			if !ok {
				return
			}
			i = end
		}
		number = (lineStart || number) && r >= '0' && r <= '9'
		switch {
		case r == '\n':
			lineStart = true
		case r != ' ':
			lineStart = false
		}
	}
}

// maskedLink checks the masked link starting at rs[i] ("[label](url)") and
// returns where it ends.
func (c *checker) maskedLink(where string, rs []rune, i int) (int, bool) {
	j := i + 1
	for ; j < len(rs); j++ {
		if rs[j] == '\\' {
			j++
			continue
		}
		if rs[j] == '[' || rs[j] == '(' || rs[j] == ')' || rs[j] == '\n' {
			break
		}
		if rs[j] == ']' {
			break
		}
	}
	if j+1 >= len(rs) || rs[j] != ']' || rs[j+1] != '(' {
		c.errorf("%s: unescaped [ that is no masked link: %q", where, clipForError(string(rs[i:])))
		return 0, false
	}
	label := string(rs[i+1 : j])
	c.markdown(where+" link label", label)
	k := j + 2
	for k < len(rs) && rs[k] != ')' {
		k++
	}
	if k == len(rs) {
		c.errorf("%s: unterminated masked link", where)
		return 0, false
	}
	c.url(where+" link", string(rs[j+2:k]), 2048)
	return k, true
}
