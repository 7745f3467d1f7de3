package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Block Kit limits (contract A6).
const (
	maxBlocks          = 50
	maxBlockIDLen      = 255
	maxActionIDLen     = 255
	maxTextObjectLen   = 3000
	maxSectionText     = 3000
	maxSectionFields   = 10
	maxFieldText       = 2000
	maxHeaderText      = 150
	maxContextElements = 10
	maxActionsElements = 25
	maxButtonText      = 75
	maxButtonURL       = 3000
	maxButtonValue     = 2000
	maxAccessLabel     = 75
	maxImageURL        = 3000
	maxAltText         = 2000
	maxImageTitle      = 2000
	maxInputLabel      = 2000
	maxMarkdownBlock   = 12000
	maxVideoTitle      = 199
	maxVideoAuthor     = 49
	maxOptionText      = 75
	maxOptionValue     = 75
	maxOptions         = 100
	maxOverflowOptions = 5
	maxChoiceOptions   = 10
	maxConfirmTitle    = 100
	maxConfirmText     = 300
	maxConfirmButton   = 30
	maxPlaceholder     = 150
	maxTableRows       = 100
	maxTableCells      = 20
)

// Slack error codes for blocks.
const (
	codeInvalidBlocks       = "invalid_blocks"
	codeInvalidBlocksFormat = "invalid_blocks_format"
	codeBlocksTooLong       = "msg_blocks_too_long"
)

// BlockError is why a blocks array would be refused by Slack.
type BlockError struct {
	// Code is the Slack error: invalid_blocks_format, invalid_blocks or
	// msg_blocks_too_long.
	Code string
	// Problems are Slack-style details ("… [json-pointer:/blocks/0/text/text]").
	Problems []string
}

func (e *BlockError) Error() string {
	if len(e.Problems) == 0 {
		return e.Code
	}
	return e.Code + ": " + strings.Join(e.Problems, "; ")
}

// ValidateBlocks checks a message's blocks (a JSON array) against the Block Kit limits
// of contract A6 and the default msg_blocks_too_long threshold, as chat.postMessage
// does. It returns nil or a *BlockError. Use it in rendering tests that have no server.
func ValidateBlocks(raw []byte) error {
	_, err := checkBlocks(raw, DefaultMaxBlocksChars)
	if err != nil {
		return err
	}
	return nil
}

// blocksReport is what checking blocks learned besides their validity.
type blocksReport struct {
	count      int      // number of blocks
	broadcasts []string // mentions that notify a whole channel or group
}

// checkBlocks validates raw blocks; the result's error is nil or a *BlockError.
func checkBlocks(raw []byte, maxChars int) (blocksReport, *BlockError) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return blocksReport{}, &BlockError{Code: codeInvalidBlocksFormat, Problems: []string{"blocks are not valid JSON"}}
	}
	arr, ok := v.([]any)
	if !ok {
		return blocksReport{}, &BlockError{Code: codeInvalidBlocksFormat, Problems: []string{"blocks must be an array"}}
	}
	c := &blockChecker{blockIDs: map[string]bool{}}
	if len(arr) > maxBlocks {
		c.fail("/blocks", "no more than %d items allowed", maxBlocks)
	}
	for i, b := range arr {
		c.block(fmt.Sprintf("/blocks/%d", i), b)
	}
	rep := blocksReport{count: len(arr), broadcasts: c.broadcasts}
	if len(c.problems) > 0 {
		return rep, &BlockError{Code: codeInvalidBlocks, Problems: c.problems}
	}
	if c.chars > maxChars {
		return rep, &BlockError{Code: codeBlocksTooLong, Problems: []string{
			fmt.Sprintf("blocks hold %d characters of text, more than %d", c.chars, maxChars)}}
	}
	return rep, nil
}

type blockChecker struct {
	problems   []string
	chars      int
	blockIDs   map[string]bool
	broadcasts []string
}

func (c *blockChecker) fail(path, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...)+" [json-pointer:"+path+"]")
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// obj asserts v is an object.
func (c *blockChecker) obj(path string, v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "must be an object")
	}
	return m, ok
}

// str reads an optional string field; present reports whether it was there.
func (c *blockChecker) str(path string, m map[string]any, key string) (s string, present bool) {
	v, ok := m[key]
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		c.fail(path+"/"+key, "must be a string")
		return "", false
	}
	return s, true
}

// strLen checks an optional string field's length in [min, max].
func (c *blockChecker) strLen(path string, m map[string]any, key string, required bool, minLen, maxLen int) string {
	s, ok := c.str(path, m, key)
	if !ok {
		if _, there := m[key]; !there && required {
			c.fail(path, "missing required field: %s", key)
		}
		return ""
	}
	if n := runes(s); n < minLen {
		c.fail(path+"/"+key, "must be at least %d characters", minLen)
	} else if n > maxLen {
		c.fail(path+"/"+key, "must be less than %d characters", maxLen+1)
	}
	return s
}

// arr reads an optional array field.
func (c *blockChecker) arr(path string, m map[string]any, key string, required bool) ([]any, bool) {
	v, ok := m[key]
	if !ok {
		if required {
			c.fail(path, "missing required field: %s", key)
		}
		return nil, false
	}
	a, isArr := v.([]any)
	if !isArr {
		c.fail(path+"/"+key, "must be an array")
		return nil, false
	}
	return a, true
}

func (c *blockChecker) block(path string, v any) {
	m, ok := c.obj(path, v)
	if !ok {
		return
	}
	typ, ok := c.str(path, m, "type")
	if !ok {
		c.fail(path, "missing required field: type")
		return
	}
	if id, ok := c.str(path, m, "block_id"); ok {
		switch {
		case id == "":
			c.fail(path+"/block_id", "must be at least 1 character")
		case runes(id) > maxBlockIDLen:
			c.fail(path+"/block_id", "must be less than %d characters", maxBlockIDLen+1)
		case c.blockIDs[id]:
			c.fail(path+"/block_id", "duplicate block_id %q", id)
		}
		c.blockIDs[id] = true
	}
	switch typ {
	case "section":
		c.section(path, m)
	case "header":
		c.textObject(path+"/text", m["text"], true, 1, maxHeaderText, "plain_text")
	case "divider":
	case "context":
		els, _ := c.arr(path, m, "elements", true)
		if len(els) == 0 {
			c.fail(path+"/elements", "must have at least 1 item")
		}
		if len(els) > maxContextElements {
			c.fail(path+"/elements", "no more than %d items allowed", maxContextElements)
		}
		for i, e := range els {
			ep := fmt.Sprintf("%s/elements/%d", path, i)
			em, ok := c.obj(ep, e)
			if !ok {
				continue
			}
			if t, _ := em["type"].(string); t == "image" {
				c.imageElement(ep, em)
			} else {
				c.textObject(ep, e, true, 1, maxTextObjectLen, "plain_text", "mrkdwn")
			}
		}
	case "actions":
		els, _ := c.arr(path, m, "elements", true)
		if len(els) == 0 {
			c.fail(path+"/elements", "must have at least 1 item")
		}
		if len(els) > maxActionsElements {
			c.fail(path+"/elements", "no more than %d items allowed", maxActionsElements)
		}
		actionIDs := map[string]bool{}
		for i, e := range els {
			ep := fmt.Sprintf("%s/elements/%d", path, i)
			c.element(ep, e, false)
			if em, ok := e.(map[string]any); ok {
				if id, ok := em["action_id"].(string); ok {
					if actionIDs[id] {
						c.fail(ep+"/action_id", "duplicate action_id %q in block", id)
					}
					actionIDs[id] = true
				}
			}
		}
	case "image":
		c.imageElement(path, m)
		if _, ok := m["title"]; ok {
			c.textObject(path+"/title", m["title"], false, 1, maxImageTitle, "plain_text")
		}
	case "rich_text":
		els, _ := c.arr(path, m, "elements", true)
		for i, e := range els {
			c.richTextElement(fmt.Sprintf("%s/elements/%d", path, i), e)
		}
	case "markdown":
		s := c.strLen(path, m, "text", true, 1, maxMarkdownBlock)
		c.chars += runes(s)
		c.scanMentions(s)
	case "input":
		c.textObject(path+"/label", m["label"], true, 1, maxInputLabel, "plain_text")
		if _, ok := m["hint"]; ok {
			c.textObject(path+"/hint", m["hint"], false, 1, maxInputLabel, "plain_text")
		}
		if e, ok := m["element"]; ok {
			c.element(path+"/element", e, false)
		} else {
			c.fail(path, "missing required field: element")
		}
	case "video":
		c.strLen(path, m, "alt_text", true, 1, maxAltText)
		c.strLen(path, m, "video_url", true, 1, maxImageURL)
		c.strLen(path, m, "thumbnail_url", true, 1, maxImageURL)
		c.textObject(path+"/title", m["title"], true, 1, maxVideoTitle, "plain_text")
		if _, ok := m["author_name"]; ok {
			c.strLen(path, m, "author_name", false, 1, maxVideoAuthor)
		}
	case "file":
		c.strLen(path, m, "external_id", true, 1, 255)
		if src, _ := m["source"].(string); src != "remote" {
			c.fail(path+"/source", "must be \"remote\"")
		}
	case "table":
		rows, _ := c.arr(path, m, "rows", true)
		if len(rows) > maxTableRows {
			c.fail(path+"/rows", "no more than %d items allowed", maxTableRows)
		}
		for i, r := range rows {
			cells, ok := r.([]any)
			if !ok {
				c.fail(fmt.Sprintf("%s/rows/%d", path, i), "must be an array")
				continue
			}
			if len(cells) > maxTableCells {
				c.fail(fmt.Sprintf("%s/rows/%d", path, i), "no more than %d items allowed", maxTableCells)
			}
			for _, cell := range cells {
				c.countText(cell)
			}
		}
	default:
		c.fail(path+"/type", "unsupported block type %q", typ)
	}
}

func (c *blockChecker) section(path string, m map[string]any) {
	_, hasText := m["text"]
	fields, hasFields := c.arr(path, m, "fields", false)
	if !hasText && !hasFields {
		c.fail(path, "must provide either text or fields")
	}
	if hasText {
		c.textObject(path+"/text", m["text"], true, 1, maxSectionText, "plain_text", "mrkdwn")
	}
	if hasFields {
		if len(fields) == 0 {
			c.fail(path+"/fields", "must have at least 1 item")
		}
		if len(fields) > maxSectionFields {
			c.fail(path+"/fields", "no more than %d items allowed", maxSectionFields)
		}
		for i, f := range fields {
			c.textObject(fmt.Sprintf("%s/fields/%d", path, i), f, true, 1, maxFieldText, "plain_text", "mrkdwn")
		}
	}
	if acc, ok := m["accessory"]; ok {
		c.element(path+"/accessory", acc, true)
	}
}

// textObject checks a composition text object of one of the allowed types.
func (c *blockChecker) textObject(path string, v any, required bool, minLen, maxLen int, types ...string) {
	if v == nil {
		if required {
			c.fail(path, "missing required text object")
		}
		return
	}
	m, ok := c.obj(path, v)
	if !ok {
		return
	}
	typ, _ := m["type"].(string)
	okType := false
	for _, t := range types {
		okType = okType || typ == t
	}
	if !okType {
		c.fail(path+"/type", "must be one of %s, not %q", strings.Join(types, ", "), typ)
	}
	s := c.strLen(path, m, "text", true, minLen, maxLen)
	c.chars += runes(s)
	if typ == "mrkdwn" {
		if _, ok := m["emoji"]; ok {
			c.fail(path+"/emoji", "emoji is not allowed in mrkdwn text objects")
		}
		c.scanMentions(s)
	}
}

// element checks an interactive element (or an image, where accessory is true).
func (c *blockChecker) element(path string, v any, accessory bool) {
	m, ok := c.obj(path, v)
	if !ok {
		return
	}
	typ, _ := m["type"].(string)
	if id, ok := c.str(path, m, "action_id"); ok {
		if id == "" || runes(id) > maxActionIDLen {
			c.fail(path+"/action_id", "must be 1 to %d characters", maxActionIDLen)
		}
	}
	if _, ok := m["confirm"]; ok {
		c.confirm(path+"/confirm", m["confirm"])
	}
	if _, ok := m["placeholder"]; ok {
		c.textObject(path+"/placeholder", m["placeholder"], false, 1, maxPlaceholder, "plain_text")
	}
	switch typ {
	case "button":
		c.textObject(path+"/text", m["text"], true, 1, maxButtonText, "plain_text")
		c.strLen(path, m, "url", false, 1, maxButtonURL)
		c.strLen(path, m, "value", false, 1, maxButtonValue)
		c.strLen(path, m, "accessibility_label", false, 1, maxAccessLabel)
		if st, ok := c.str(path, m, "style"); ok && st != "primary" && st != "danger" {
			c.fail(path+"/style", "must be primary or danger, not %q", st)
		}
	case "workflow_button":
		c.textObject(path+"/text", m["text"], true, 1, maxButtonText, "plain_text")
	case "static_select", "multi_static_select":
		opts, hasOpts := c.arr(path, m, "options", false)
		groups, hasGroups := c.arr(path, m, "option_groups", false)
		if hasOpts == hasGroups {
			c.fail(path, "must provide exactly one of options or option_groups")
		}
		c.options(path+"/options", opts, maxOptions, "plain_text")
		if len(groups) > maxOptions {
			c.fail(path+"/option_groups", "no more than %d items allowed", maxOptions)
		}
		for i, g := range groups {
			gp := fmt.Sprintf("%s/option_groups/%d", path, i)
			if gm, ok := c.obj(gp, g); ok {
				c.textObject(gp+"/label", gm["label"], true, 1, maxOptionText, "plain_text")
				o, _ := c.arr(gp, gm, "options", true)
				c.options(gp+"/options", o, maxOptions, "plain_text")
			}
		}
	case "overflow":
		opts, _ := c.arr(path, m, "options", true)
		if len(opts) < 1 {
			c.fail(path+"/options", "must have at least 1 item")
		}
		c.options(path+"/options", opts, maxOverflowOptions, "plain_text")
	case "checkboxes", "radio_buttons":
		opts, _ := c.arr(path, m, "options", true)
		c.options(path+"/options", opts, maxChoiceOptions, "plain_text", "mrkdwn")
	case "external_select", "multi_external_select", "users_select", "multi_users_select",
		"conversations_select", "multi_conversations_select", "channels_select",
		"multi_channels_select", "datepicker", "timepicker", "datetimepicker",
		"plain_text_input", "email_text_input", "url_text_input", "number_input",
		"rich_text_input", "file_input":
	case "image":
		if !accessory {
			c.fail(path+"/type", "image elements are not interactive")
			return
		}
		c.imageElement(path, m)
	default:
		c.fail(path+"/type", "unsupported element type %q", typ)
	}
}

func (c *blockChecker) options(path string, opts []any, maxN int, textTypes ...string) {
	if len(opts) > maxN {
		c.fail(path, "no more than %d items allowed", maxN)
	}
	for i, o := range opts {
		op := fmt.Sprintf("%s/%d", path, i)
		om, ok := c.obj(op, o)
		if !ok {
			continue
		}
		c.textObject(op+"/text", om["text"], true, 1, maxOptionText, textTypes...)
		c.strLen(op, om, "value", true, 1, maxOptionValue)
		if _, ok := om["description"]; ok {
			c.textObject(op+"/description", om["description"], false, 1, maxOptionText, "plain_text", "mrkdwn")
		}
		c.strLen(op, om, "url", false, 1, maxButtonURL)
	}
}

func (c *blockChecker) confirm(path string, v any) {
	m, ok := c.obj(path, v)
	if !ok {
		return
	}
	c.textObject(path+"/title", m["title"], true, 1, maxConfirmTitle, "plain_text")
	c.textObject(path+"/text", m["text"], true, 1, maxConfirmText, "plain_text", "mrkdwn")
	c.textObject(path+"/confirm", m["confirm"], true, 1, maxConfirmButton, "plain_text")
	c.textObject(path+"/deny", m["deny"], true, 1, maxConfirmButton, "plain_text")
}

// imageElement checks an image block or element: a URL or a slack_file, and alt text.
func (c *blockChecker) imageElement(path string, m map[string]any) {
	_, hasURL := m["image_url"]
	_, hasFile := m["slack_file"]
	if hasURL == hasFile {
		c.fail(path, "must provide exactly one of image_url or slack_file")
	}
	c.strLen(path, m, "image_url", false, 1, maxImageURL)
	c.strLen(path, m, "alt_text", true, 1, maxAltText)
}

func (c *blockChecker) richTextElement(path string, v any) {
	m, ok := c.obj(path, v)
	if !ok {
		return
	}
	typ, _ := m["type"].(string)
	switch typ {
	case "rich_text_section", "rich_text_preformatted", "rich_text_quote":
		els, _ := c.arr(path, m, "elements", true)
		for i, e := range els {
			c.richTextInline(fmt.Sprintf("%s/elements/%d", path, i), e)
		}
	case "rich_text_list":
		if st, _ := m["style"].(string); st != "bullet" && st != "ordered" {
			c.fail(path+"/style", "must be bullet or ordered")
		}
		els, _ := c.arr(path, m, "elements", true)
		for i, e := range els {
			ep := fmt.Sprintf("%s/elements/%d", path, i)
			if em, ok := c.obj(ep, e); ok {
				if t, _ := em["type"].(string); t != "rich_text_section" {
					c.fail(ep+"/type", "list items must be rich_text_section")
					continue
				}
				c.richTextElement(ep, em)
			}
		}
	default:
		c.fail(path+"/type", "unsupported rich text element %q", typ)
	}
}

func (c *blockChecker) richTextInline(path string, v any) {
	m, ok := c.obj(path, v)
	if !ok {
		return
	}
	typ, _ := m["type"].(string)
	switch typ {
	case "text":
		s := c.strLen(path, m, "text", true, 1, 1<<20)
		c.chars += runes(s)
	case "link":
		c.strLen(path, m, "url", true, 1, maxButtonURL)
		if s, ok := c.str(path, m, "text"); ok {
			c.chars += runes(s)
		}
	case "emoji":
		c.strLen(path, m, "name", true, 1, 100)
	case "user":
		c.strLen(path, m, "user_id", true, 1, 255)
	case "channel":
		c.strLen(path, m, "channel_id", true, 1, 255)
	case "team":
		c.strLen(path, m, "team_id", true, 1, 255)
	case "usergroup":
		id := c.strLen(path, m, "usergroup_id", true, 1, 255)
		c.broadcasts = append(c.broadcasts, "subteam^"+id)
	case "broadcast":
		r := c.strLen(path, m, "range", true, 1, 20)
		if r != "here" && r != "channel" && r != "everyone" {
			c.fail(path+"/range", "must be here, channel or everyone")
		}
		c.broadcasts = append(c.broadcasts, r)
	case "date":
		c.strLen(path, m, "format", true, 1, 1000)
	case "color":
		c.strLen(path, m, "value", true, 1, 100)
	default:
		c.fail(path+"/type", "unsupported rich text element %q", typ)
	}
}

// countText adds the characters of every "text" string under v.
func (c *blockChecker) countText(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "text" {
				c.chars += runes(s)
			} else {
				c.countText(e)
			}
		}
	case []any:
		for _, e := range x {
			c.countText(e)
		}
	}
}

func (c *blockChecker) scanMentions(s string) {
	c.broadcasts = append(c.broadcasts, broadcastMentions(s, false)...)
}

var (
	// specialMention matches <!here>, <!channel>, <!everyone>, <!group> and
	// <!subteam^ID>, with an optional |label (contract A7).
	specialMention = regexp.MustCompile(`<!(here|channel|everyone|group|subteam\^[A-Za-z0-9]+)(?:\|[^>]*)?>`)
	// linkedName matches @here, @channel and @everyone, which link_names turns into
	// notifications.
	linkedName = regexp.MustCompile(`(?:^|[^\w@])@(here|channel|everyone)\b`)
)

// broadcastMentions lists the mentions in mrkdwn text that notify a whole channel or a
// user group.
func broadcastMentions(s string, linkNames bool) []string {
	var out []string
	for _, m := range specialMention.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	if linkNames {
		for _, m := range linkedName.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
	}
	return out
}
