package fakediscord

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Message flags (B5, B2).
const (
	FlagSuppressEmbeds        = 1 << 2
	FlagEphemeral             = 1 << 6
	FlagSuppressNotifications = 1 << 12
	FlagIsVoiceMessage        = 1 << 13
	FlagIsComponentsV2        = 1 << 15
)

// Message is a message as the fake recorded it: created with Create Message, or an
// interaction response or followup.
type Message struct {
	ID        string
	ChannelID string
	Content   string
	Embeds    []Embed
	// Components are the legacy action rows.
	Components      []Component
	Flags           int
	Nonce           string
	AllowedMentions *AllowedMentions
	// Kind is "message" (Create Message, or the first message of a forum post),
	// "response" (interaction callback type 4 or 7, or the edited deferred response) or
	// "followup".
	Kind string
	// InteractionID names the interaction of a response or followup.
	InteractionID string
	At            time.Time
	EditedAt      time.Time
}

// kindThreadStarter is the Kind of the THREAD_STARTER_MESSAGE (type 21) Discord puts
// first in a thread started from a message; it is served in history only.
const kindThreadStarter = "thread_starter"

// FlagHasThread is the HAS_THREAD message flag Discord sets on a message a thread was
// started from.
const FlagHasThread = 1 << 5

// Embed is a rich embed (the fields the fake checks and echoes).
type Embed struct {
	Title       string          `json:"title,omitempty"`
	Type        string          `json:"type,omitempty"`
	Description string          `json:"description,omitempty"`
	URL         string          `json:"url,omitempty"`
	Timestamp   string          `json:"timestamp,omitempty"`
	Color       int             `json:"color,omitempty"`
	Footer      *EmbedFooter    `json:"footer,omitempty"`
	Image       *EmbedMedia     `json:"image,omitempty"`
	Thumbnail   *EmbedMedia     `json:"thumbnail,omitempty"`
	Author      *EmbedAuthor    `json:"author,omitempty"`
	Fields      []EmbedField    `json:"fields,omitempty"`
	Provider    json.RawMessage `json:"provider,omitempty"`
}

// EmbedFooter is an embed's footer.
type EmbedFooter struct {
	Text    string `json:"text"`
	IconURL string `json:"icon_url,omitempty"`
}

// EmbedAuthor is an embed's author.
type EmbedAuthor struct {
	Name    string `json:"name"`
	URL     string `json:"url,omitempty"`
	IconURL string `json:"icon_url,omitempty"`
}

// EmbedMedia is an embed's image or thumbnail.
type EmbedMedia struct {
	URL string `json:"url"`
}

// EmbedField is a field of an embed.
type EmbedField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline,omitempty"`
}

// Component is a legacy message component: an action row (type 1) holding buttons
// (type 2) or one select menu (types 3, 5, 6, 7, 8).
type Component struct {
	Type        int            `json:"type"`
	Style       int            `json:"style,omitempty"`
	Label       string         `json:"label,omitempty"`
	CustomID    string         `json:"custom_id,omitempty"`
	URL         string         `json:"url,omitempty"`
	Disabled    bool           `json:"disabled,omitempty"`
	Emoji       map[string]any `json:"emoji,omitempty"`
	Placeholder string         `json:"placeholder,omitempty"`
	MinValues   *int           `json:"min_values,omitempty"`
	MaxValues   *int           `json:"max_values,omitempty"`
	Options     []SelectOption `json:"options,omitempty"`
	Components  []Component    `json:"components,omitempty"`
}

// SelectOption is an option of a string select.
type SelectOption struct {
	Label       string `json:"label"`
	Value       string `json:"value"`
	Description string `json:"description,omitempty"`
	Default     bool   `json:"default,omitempty"`
}

// AllowedMentions is a message's allowed_mentions.
type AllowedMentions struct {
	Parse       []string `json:"parse"`
	Users       []string `json:"users,omitempty"`
	Roles       []string `json:"roles,omitempty"`
	RepliedUser bool     `json:"replied_user,omitempty"`
}

// messageRequest is the JSON body of Create Message, interaction responses, followups
// and edits.
type messageRequest struct {
	Content         *string           `json:"content"`
	Embeds          []Embed           `json:"embeds"`
	Components      []Component       `json:"components"`
	AllowedMentions *AllowedMentions  `json:"allowed_mentions"`
	Nonce           json.RawMessage   `json:"nonce"`
	EnforceNonce    bool              `json:"enforce_nonce"`
	Flags           int               `json:"flags"`
	StickerIDs      []string          `json:"sticker_ids"`
	Poll            json.RawMessage   `json:"poll"`
	Attachments     []json.RawMessage `json:"attachments"`
}

// msgContext says where a message is sent, for the rules that differ.
type msgContext int

const (
	ctxCreate   msgContext = iota // Create Message
	ctxResponse                   // interaction callback data (types 4, 7)
	ctxFollowup                   // followup (webhook)
	ctxEdit                       // edit of a response or followup
)

// formErrors collects Invalid Form Body errors by dotted path.
type formErrors map[string][]map[string]string

func (f formErrors) add(path, code, format string, args ...any) {
	f[path] = append(f[path], map[string]string{"code": code, "message": fmt.Sprintf(format, args...)})
}

func (f formErrors) maxLen(path, v string, n int) {
	if l := utf8.RuneCountInString(v); l > n {
		f.add(path, "BASE_TYPE_MAX_LENGTH", "Must be %d or fewer in length.", n)
	}
}

// nested turns dotted paths into Discord's nested {"a": {"0": {"_errors": [...]}}}.
func (f formErrors) nested() map[string]any {
	root := map[string]any{}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		node := root
		for _, p := range strings.Split(k, ".") {
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
		node["_errors"] = f[k]
	}
	return root
}

func (f formErrors) String() string {
	keys := make([]string, 0, len(f))
	for k, errs := range f {
		for _, e := range errs {
			keys = append(keys, k+": "+e["message"])
		}
	}
	slices.Sort(keys)
	return strings.Join(keys, "; ")
}

// nonceString returns a nonce (JSON string or integer) as text.
func nonceString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if _, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return string(n), true
		}
	}
	return "", false
}

// validateMessage checks the B5 limits; it returns nil when the message is valid.
func validateMessage(m *messageRequest, where msgContext) formErrors {
	f := formErrors{}
	content := ""
	if m.Content != nil {
		content = *m.Content
	}
	f.maxLen("content", content, 2000)
	if len(m.Embeds) > 10 {
		f.add("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
	}
	total := 0
	trimmed := func(s string) int { return utf8.RuneCountInString(strings.TrimSpace(s)) }
	for i, e := range m.Embeds {
		p := "embeds." + strconv.Itoa(i) + "."
		f.maxLen(p+"title", e.Title, 256)
		f.maxLen(p+"description", e.Description, 4096)
		f.maxLen(p+"url", e.URL, 2048)
		total += trimmed(e.Title) + trimmed(e.Description)
		if len(e.Fields) > 25 {
			f.add(p+"fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		}
		for j, fl := range e.Fields {
			fp := p + "fields." + strconv.Itoa(j) + "."
			if strings.TrimSpace(fl.Name) == "" {
				f.add(fp+"name", "BASE_TYPE_REQUIRED", "This field is required")
			}
			if strings.TrimSpace(fl.Value) == "" {
				f.add(fp+"value", "BASE_TYPE_REQUIRED", "This field is required")
			}
			f.maxLen(fp+"name", fl.Name, 256)
			f.maxLen(fp+"value", fl.Value, 1024)
			total += trimmed(fl.Name) + trimmed(fl.Value)
		}
		if e.Footer != nil {
			f.maxLen(p+"footer.text", e.Footer.Text, 2048)
			total += trimmed(e.Footer.Text)
		}
		if e.Author != nil {
			f.maxLen(p+"author.name", e.Author.Name, 256)
			f.maxLen(p+"author.url", e.Author.URL, 2048)
			f.maxLen(p+"author.icon_url", e.Author.IconURL, 2048)
			total += trimmed(e.Author.Name)
		}
	}
	if total > 6000 {
		f.add("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
	}
	validateComponents(f, m.Components)
	if am := m.AllowedMentions; am != nil {
		for i, p := range am.Parse {
			if p != "users" && p != "roles" && p != "everyone" {
				f.add("allowed_mentions.parse."+strconv.Itoa(i), "BASE_TYPE_CHOICES", "Value must be one of {'users', 'roles', 'everyone'}.")
			}
		}
		if len(am.Users) > 100 {
			f.add("allowed_mentions.users", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
		}
		if len(am.Roles) > 100 {
			f.add("allowed_mentions.roles", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
		}
		if slices.Contains(am.Parse, "users") && len(am.Users) > 0 {
			f.add("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "parse:[\"users\"] and users: [ids...] are mutually exclusive.")
		}
		if slices.Contains(am.Parse, "roles") && len(am.Roles) > 0 {
			f.add("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "parse:[\"roles\"] and roles: [ids...] are mutually exclusive.")
		}
	}
	if n, ok := nonceString(m.Nonce); !ok {
		f.add("nonce", "BASE_TYPE_BAD_TYPE", "Must be a string or an integer.")
	} else if utf8.RuneCountInString(n) > 25 {
		f.add("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	if len(m.StickerIDs) > 3 {
		f.add("sticker_ids", "BASE_TYPE_MAX_LENGTH", "Must be 3 or fewer in length.")
	}
	allowed := FlagSuppressEmbeds | FlagSuppressNotifications | FlagIsVoiceMessage | FlagIsComponentsV2
	if where != ctxCreate {
		allowed |= FlagEphemeral
	}
	if m.Flags&^allowed != 0 {
		f.add("flags", "MESSAGE_FLAGS_INVALID", "Invalid flags %d for this message.", m.Flags)
	}
	if m.Flags&FlagIsComponentsV2 != 0 && (content != "" || len(m.Embeds) > 0 || len(m.StickerIDs) > 0 || len(m.Poll) > 0) {
		f.add("flags", "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2", "The 'content', 'embeds', 'sticker_ids' and 'poll' fields cannot be used with IS_COMPONENTS_V2.")
	}
	if len(f) == 0 {
		return nil
	}
	return f
}

func isSelect(t int) bool { return t == 3 || (t >= 5 && t <= 8) }

func validateComponents(f formErrors, rows []Component) {
	if len(rows) > 5 {
		f.add("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
	}
	ids := map[string]bool{}
	checkID := func(p, id string) {
		if l := utf8.RuneCountInString(id); l < 1 || l > 100 {
			f.add(p+"custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		}
		if ids[id] {
			f.add(p+"custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
		}
		ids[id] = true
	}
	for i, row := range rows {
		rp := "components." + strconv.Itoa(i) + "."
		if row.Type != 1 {
			f.add(rp+"type", "BASE_TYPE_CHOICES", "Top-level components must be action rows (type 1) without IS_COMPONENTS_V2.")
			continue
		}
		if len(row.Components) < 1 || len(row.Components) > 5 {
			f.add(rp+"components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
		}
		selects := 0
		for j, c := range row.Components {
			p := rp + "components." + strconv.Itoa(j) + "."
			switch {
			case c.Type == 2:
				f.maxLen(p+"label", c.Label, 80)
				if c.Style == 5 {
					if c.URL == "" {
						f.add(p+"url", "BASE_TYPE_REQUIRED", "Link buttons need a url.")
					}
					f.maxLen(p+"url", c.URL, 512)
					if c.CustomID != "" {
						f.add(p+"custom_id", "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED", "A link button cannot have a custom_id.")
					}
				} else if c.Style >= 1 && c.Style <= 4 {
					if c.URL != "" {
						f.add(p+"url", "BUTTON_COMPONENT_URL_NOT_ALLOWED", "Only link buttons may have a url.")
					}
					checkID(p, c.CustomID)
				} else if c.Style != 6 {
					f.add(p+"style", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}.")
				}
			case isSelect(c.Type):
				selects++
				checkID(p, c.CustomID)
				f.maxLen(p+"placeholder", c.Placeholder, 150)
				if c.Type == 3 && (len(c.Options) < 1 || len(c.Options) > 25) {
					f.add(p+"options", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
				}
				for k, o := range c.Options {
					op := p + "options." + strconv.Itoa(k) + "."
					f.maxLen(op+"label", o.Label, 100)
					f.maxLen(op+"value", o.Value, 100)
					f.maxLen(op+"description", o.Description, 100)
				}
				if c.MinValues != nil && (*c.MinValues < 0 || *c.MinValues > 25) {
					f.add(p+"min_values", "NUMBER_TYPE_MAX", "Must be between 0 and 25.")
				}
				if c.MaxValues != nil && (*c.MaxValues < 1 || *c.MaxValues > 25) {
					f.add(p+"max_values", "NUMBER_TYPE_MAX", "Must be between 1 and 25.")
				}
			default:
				f.add(p+"type", "BASE_TYPE_CHOICES", "Component type %d is not allowed in an action row.", c.Type)
			}
		}
		if selects > 0 && len(row.Components) > 1 {
			f.add(rp+"components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "An action row with a select menu cannot hold anything else.")
		}
	}
}

var (
	reUserMention = regexp.MustCompile(`<@!?(\d+)>`)
	reRoleMention = regexp.MustCompile(`<@&(\d+)>`)
)

// pings lists what content would ping under allowed_mentions am (nil: the defaults of
// B5: everything for Create Message, users only for interactions and webhooks).
func pings(content string, am *AllowedMentions, where msgContext) []string {
	var parse []string
	var users, roles []string
	if am == nil {
		parse = []string{"users"}
		if where == ctxCreate {
			parse = []string{"users", "roles", "everyone"}
		}
	} else {
		parse, users, roles = am.Parse, am.Users, am.Roles
	}
	var out []string
	if slices.Contains(parse, "everyone") {
		for _, w := range []string{"@everyone", "@here"} {
			if strings.Contains(content, w) {
				out = append(out, w)
			}
		}
	}
	for _, m := range reUserMention.FindAllStringSubmatch(content, -1) {
		if slices.Contains(parse, "users") || slices.Contains(users, m[1]) {
			out = append(out, m[0])
		}
	}
	for _, m := range reRoleMention.FindAllStringSubmatch(content, -1) {
		if slices.Contains(parse, "roles") || slices.Contains(roles, m[1]) {
			out = append(out, m[0])
		}
	}
	return out
}

// newMessage builds a recorded message from a valid request. s.mu must be held.
func (s *Server) newMessage(channelID string, m *messageRequest, kind, interactionID string) *Message {
	msg := &Message{
		ID:              s.nextID(),
		ChannelID:       channelID,
		Embeds:          slices.Clone(m.Embeds),
		Components:      slices.Clone(m.Components),
		Flags:           m.Flags,
		AllowedMentions: m.AllowedMentions,
		Kind:            kind,
		InteractionID:   interactionID,
		At:              s.now(),
	}
	if m.Content != nil {
		msg.Content = *m.Content
	}
	msg.Nonce, _ = nonceString(m.Nonce)
	return msg
}

// checkPings records a violation when a message could ping. s.mu must be held.
func (s *Server) checkPings(content string, am *AllowedMentions, where msgContext, what string) {
	if s.opts.AllowMentions {
		return
	}
	if p := pings(content, am, where); len(p) > 0 {
		s.violate("B5 allowed_mentions", "%s could ping %s (set allowed_mentions {\"parse\": []})", what, strings.Join(p, ", "))
	}
}

// applyEdit applies a PATCH body (or an UPDATE_MESSAGE's data) to a message. Fields
// absent from the body stay; present ones, null included, replace (null clears).
func applyEdit(msg *Message, m *messageRequest, raw map[string]json.RawMessage, now time.Time) {
	if m.Content != nil {
		msg.Content = *m.Content
	}
	if _, ok := raw["embeds"]; ok {
		msg.Embeds = slices.Clone(m.Embeds)
	}
	if _, ok := raw["components"]; ok {
		msg.Components = slices.Clone(m.Components)
	}
	if m.AllowedMentions != nil {
		msg.AllowedMentions = m.AllowedMentions
	}
	msg.EditedAt = now
}

// json renders a message as Discord's message object; history omits the nonce.
func (s *Server) messageJSON(m *Message, withNonce bool) map[string]any {
	out := map[string]any{
		"id":               m.ID,
		"type":             0,
		"channel_id":       m.ChannelID,
		"content":          m.Content,
		"embeds":           nonNil(m.Embeds),
		"components":       nonNil(m.Components),
		"flags":            m.Flags,
		"author":           map[string]any{"id": s.opts.AppID, "username": s.opts.BotName, "discriminator": "0000", "bot": true},
		"timestamp":        m.At.UTC().Format(time.RFC3339Nano),
		"edited_timestamp": nil,
		"tts":              false,
		"mention_everyone": false,
		"mentions":         []any{},
		"mention_roles":    []any{},
		"attachments":      []any{},
		"pinned":           false,
	}
	if !m.EditedAt.IsZero() {
		out["edited_timestamp"] = m.EditedAt.UTC().Format(time.RFC3339Nano)
	}
	c := s.channels[m.ChannelID]
	if c != nil && c.GuildID != "" {
		out["guild_id"] = c.GuildID
	}
	if m.Kind == "response" || m.Kind == "followup" {
		out["webhook_id"] = s.opts.AppID
		out["application_id"] = s.opts.AppID
	}
	// A thread started from this message shares its id: Discord marks the message
	// HAS_THREAD and embeds the thread.
	if t := s.threads[m.ID]; t != nil && t.parentID == m.ChannelID {
		if tc := s.channels[t.id]; tc != nil {
			out["flags"] = m.Flags | FlagHasThread
			out["thread"] = s.channelJSON(tc)
		}
	}
	if m.Kind == kindThreadStarter {
		// THREAD_STARTER_MESSAGE: no content, only a reference to the message the
		// thread was started from (which has the thread's id).
		out["type"] = 21
		if t := s.threads[m.ChannelID]; t != nil {
			ref := map[string]any{"message_id": t.id, "channel_id": t.parentID}
			if c != nil && c.GuildID != "" {
				ref["guild_id"] = c.GuildID
			}
			out["message_reference"] = ref
		}
	}
	if withNonce && m.Nonce != "" {
		out["nonce"] = m.Nonce
	}
	return out
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// cloneMessage deep-copies a message for a caller.
func cloneMessage(m *Message) Message {
	out := *m
	out.Embeds = slices.Clone(m.Embeds)
	out.Components = slices.Clone(m.Components)
	return out
}
