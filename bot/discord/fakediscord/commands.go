package fakediscord

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Application command limits (B4).
const (
	MaxChatInputCommands  = 100
	MaxUserCommands       = 15
	MaxMessageCommands    = 15
	DailyCommandCreates   = 200
	maxCommandChars       = 8000
	commandCreatesWindow  = 24 * time.Hour
	commandTypeChatInput  = 1
	commandTypeUser       = 2
	commandTypeMessage    = 3
	optionTypeSubcommand  = 1
	optionTypeSubcmdGroup = 2
	optionTypeString      = 3
)

var reCommandName = regexp.MustCompile(`^[-_'\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

// Command is a registered application command.
type Command struct {
	ID          string          `json:"id"`
	GuildID     string          `json:"guild_id,omitempty"`
	Type        int             `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Options     []CommandSchema `json:"options,omitempty"`
	// Raw is the JSON the bot sent for it.
	Raw json.RawMessage `json:"-"`
}

// CommandSchema is an option of a registered command.
type CommandSchema struct {
	Type         int             `json:"type"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Required     bool            `json:"required,omitempty"`
	Autocomplete bool            `json:"autocomplete,omitempty"`
	Choices      []Choice        `json:"choices,omitempty"`
	Options      []CommandSchema `json:"options,omitempty"`
	MinLength    *int            `json:"min_length,omitempty"`
	MaxLength    *int            `json:"max_length,omitempty"`
}

// Commands returns the commands registered globally (guildID "") or in a guild.
func (s *Server) Commands(guildID string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands[guildID])
}

func validateCommand(f formErrors, p string, c *Command) int {
	if c.Type == 0 {
		c.Type = commandTypeChatInput
	}
	chars := 0
	switch c.Type {
	case commandTypeChatInput:
		if !reCommandName.MatchString(c.Name) || strings.ToLower(c.Name) != c.Name {
			f.add(p+"name", "APPLICATION_COMMAND_INVALID_NAME", "Command name %q is invalid: 1-32 lowercase letters, digits, - _ '.", c.Name)
		}
		if l := utf8.RuneCountInString(c.Description); l < 1 || l > 100 {
			f.add(p+"description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		}
		chars += validateOptions(f, p+"options", c.Options, 0)
	case commandTypeUser, commandTypeMessage:
		if l := utf8.RuneCountInString(c.Name); l < 1 || l > 32 {
			f.add(p+"name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
		}
		if c.Description != "" {
			f.add(p+"description", "APPLICATION_COMMAND_DESCRIPTION_NOT_ALLOWED", "USER and MESSAGE commands have an empty description.")
		}
		if len(c.Options) > 0 {
			f.add(p+"options", "APPLICATION_COMMAND_OPTIONS_NOT_ALLOWED", "USER and MESSAGE commands have no options.")
		}
	default:
		f.add(p+"type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
	}
	chars += utf8.RuneCountInString(c.Name) + utf8.RuneCountInString(c.Description)
	if chars > maxCommandChars {
		f.add(p, "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (8000)")
	}
	return chars
}

func validateOptions(f formErrors, p string, opts []CommandSchema, depth int) int {
	if len(opts) > 25 {
		f.add(p, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	chars := 0
	names := map[string]bool{}
	for i, o := range opts {
		op := p + "." + strconv.Itoa(i) + "."
		if !reCommandName.MatchString(o.Name) || strings.ToLower(o.Name) != o.Name {
			f.add(op+"name", "APPLICATION_COMMAND_INVALID_NAME", "Option name %q is invalid.", o.Name)
		}
		if names[o.Name] {
			f.add(op+"name", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option name %q is already used.", o.Name)
		}
		names[o.Name] = true
		if l := utf8.RuneCountInString(o.Description); l < 1 || l > 100 {
			f.add(op+"description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		}
		chars += utf8.RuneCountInString(o.Name) + utf8.RuneCountInString(o.Description)
		if len(o.Choices) > 25 {
			f.add(op+"choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		}
		if o.Autocomplete && len(o.Choices) > 0 {
			f.add(op+"autocomplete", "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID", "Autocomplete cannot be set with choices.")
		}
		for j, c := range o.Choices {
			cp := op + "choices." + strconv.Itoa(j) + "."
			if l := utf8.RuneCountInString(c.Name); l < 1 || l > 100 {
				f.add(cp+"name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
			}
			chars += utf8.RuneCountInString(c.Name)
			if v, ok := c.Value.(string); ok {
				f.maxLen(cp+"value", v, 100)
				chars += utf8.RuneCountInString(v)
			}
		}
		if o.MinLength != nil && (*o.MinLength < 0 || *o.MinLength > 6000) {
			f.add(op+"min_length", "NUMBER_TYPE_MAX", "Must be between 0 and 6000.")
		}
		if o.MaxLength != nil && (*o.MaxLength < 1 || *o.MaxLength > 6000) {
			f.add(op+"max_length", "NUMBER_TYPE_MAX", "Must be between 1 and 6000.")
		}
		if o.Type == optionTypeSubcommand || o.Type == optionTypeSubcmdGroup {
			if depth >= 2 || (o.Type == optionTypeSubcmdGroup && depth >= 1) {
				f.add(op+"type", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Subcommands nest at most group > subcommand.")
			}
			chars += validateOptions(f, op+"options", o.Options, depth+1)
		} else if len(o.Options) > 0 {
			f.add(op+"options", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Only subcommands and groups have options.")
		}
	}
	return chars
}

// commandCreates counts a new command toward the 200 a day of a scope; false when the
// limit is reached. s.mu must be held.
func (s *Server) countCreate(scope string) bool {
	now := s.now()
	ts := slices.DeleteFunc(s.creates[scope], func(t time.Time) bool { return now.Sub(t) >= commandCreatesWindow })
	if len(ts) >= DailyCommandCreates {
		s.creates[scope] = ts
		return false
	}
	s.creates[scope] = append(ts, now)
	return true
}

func (s *Server) commandJSON(c Command) map[string]any {
	// Discord returns every field it stored, localizations, permissions and
	// min/max included: a bot compares them to skip a registration.
	var out map[string]any
	if c.Raw != nil {
		_ = json.Unmarshal(c.Raw, &out)
	}
	if out == nil {
		out = map[string]any{}
	}
	b, _ := json.Marshal(c)
	var known map[string]any
	_ = json.Unmarshal(b, &known)
	for k, v := range known {
		if _, sent := out[k]; !sent || k == "id" || k == "type" {
			out[k] = v
		}
	}
	out["application_id"] = s.opts.AppID
	out["version"] = c.ID
	if c.GuildID != "" {
		out["guild_id"] = c.GuildID
	}
	return out
}

// commandsRoute serves GET/PUT/POST /applications/{app}/commands and
// /applications/{app}/guilds/{guild}/commands.
func (s *Server) commandsRoute(method, appID, guildID string, body []byte) apiResp {
	if appID != s.opts.AppID {
		s.violate("B4 commands", "commands of unknown application %s", appID)
		return errResp(http.StatusForbidden, 50001, "Missing Access")
	}
	existing := s.commands[guildID]
	switch method {
	case http.MethodGet:
		out := []any{}
		for _, c := range existing {
			out = append(out, s.commandJSON(c))
		}
		return apiResp{status: 200, body: out}
	case http.MethodPut, http.MethodPost:
	default:
		s.violate("B1 unknown route", "%s on commands", method)
		return errResp(http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
	}
	var raws []json.RawMessage
	if method == http.MethodPut {
		if err := json.Unmarshal(body, &raws); err != nil {
			s.violate("B4 commands", "bulk overwrite body is not an array: %v", err)
			return errResp(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		}
	} else {
		raws = []json.RawMessage{body}
	}
	f := formErrors{}
	var cmds []Command
	for i, raw := range raws {
		var c Command
		if err := json.Unmarshal(raw, &c); err != nil {
			f.add(strconv.Itoa(i), "BASE_TYPE_BAD_TYPE", "not a command: %v", err)
			continue
		}
		c.Raw = slices.Clone(raw)
		c.GuildID = guildID
		p := strconv.Itoa(i) + "."
		if method == http.MethodPost {
			p = ""
		}
		validateCommand(f, p, &c)
		cmds = append(cmds, c)
	}
	// The resulting set: the new list (PUT) or the old one with this command (POST).
	result := cmds
	if method == http.MethodPost && len(cmds) == 1 {
		result = slices.Clone(existing)
		i := slices.IndexFunc(result, func(o Command) bool { return o.Name == cmds[0].Name && o.Type == cmds[0].Type })
		if i >= 0 {
			cmds[0].ID = result[i].ID
			result[i] = cmds[0]
		} else {
			result = append(result, cmds[0])
		}
	}
	count := map[int]int{}
	seen := map[string]bool{}
	for i, c := range result {
		count[c.Type]++
		key := strconv.Itoa(c.Type) + "/" + c.Name
		if seen[key] {
			f.add(strconv.Itoa(i)+".name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique")
		}
		seen[key] = true
	}
	if count[commandTypeChatInput] > MaxChatInputCommands || count[commandTypeUser] > MaxUserCommands || count[commandTypeMessage] > MaxMessageCommands {
		f.add("_", "APPLICATION_COMMANDS_TOO_MANY", "Too many application commands (100 CHAT_INPUT, 15 USER, 15 MESSAGE).")
	}
	if len(f) > 0 {
		s.violate("B4 commands", "%s", f)
		return formResp(f)
	}
	created := 0
	for i := range result {
		c := &result[i]
		if c.ID == "" {
			if prev := slices.IndexFunc(existing, func(o Command) bool { return o.Name == c.Name && o.Type == c.Type }); prev >= 0 {
				c.ID = existing[prev].ID
				continue
			}
			if !s.countCreate(guildID) {
				s.violate("B4 daily creates", "more than %d command creates in a day in scope %q", DailyCommandCreates, guildID)
				retry := commandCreatesWindow - s.now().Sub(s.creates[guildID][0])
				return apiResp{status: http.StatusTooManyRequests, code: 30034, body: map[string]any{
					"message": "Max number of daily application command creates has been reached (200)", "code": 30034,
					"retry_after": retry.Seconds(), "global": false,
				}}
			}
			c.ID = s.nextID()
			created++
		}
	}
	s.commands[guildID] = result
	if method == http.MethodPost {
		status := 200
		if created > 0 {
			status = 201
		}
		i := slices.IndexFunc(result, func(o Command) bool { return o.Name == cmds[0].Name && o.Type == cmds[0].Type })
		return apiResp{status: status, body: s.commandJSON(result[i])}
	}
	out := []any{}
	for _, c := range result {
		out = append(out, s.commandJSON(c))
	}
	return apiResp{status: 200, body: out}
}
