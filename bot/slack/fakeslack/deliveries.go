package fakeslack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SlashCommand is a slash command typed by a user. Only Command is required.
type SlashCommand struct {
	// Command is the command, with its slash: "/postmortem" (contract A3: 2–32
	// characters, starting with "/").
	Command string
	Text    string
	// ChannelID defaults to the first channel of the workspace. A channel that is not
	// in the workspace (a DM "D…", say) is allowed.
	ChannelID string
	// UserID and UserName default to Options.UserID and Options.UserName.
	UserID   string
	UserName string
}

// ButtonClick is a click on a button of a message the bot posted.
type ButtonClick struct {
	// ChannelID and MessageTS name the message: a channel message, or an ephemeral
	// message shown in that channel.
	ChannelID string
	MessageTS string
	// ActionID names the button; Value, when set, picks among buttons with the same
	// action_id.
	ActionID string
	Value    string
	// UserID and UserName default to Options.UserID and Options.UserName.
	UserID   string
	UserName string
}

// ErrNoSuchButton is returned when a click names a message or a button that does not
// exist.
var ErrNoSuchButton = errors.New("fakeslack: no such button")

// invocation is a slash command or a click, with its response_url.
type invocation struct {
	id          string
	kind        string // "commands" or "actions"
	secret      string
	responseURL string
	triggerID   string
	channel     string
	user        string
	created     time.Time
	uses        int
	responses   []Response
	// For clicks: the message holding the button.
	containerTS        string
	containerEphemeral bool
}

// newInvocation creates an invocation and its response_url. s.mu must be held.
func (s *Server) newInvocation(kind, channel, user string) *invocation {
	n := s.nextID()
	id := strconv.FormatInt(397700000000+n, 10)
	inv := &invocation{
		id:        id,
		kind:      kind,
		secret:    hashHex(24, "response_url", id),
		triggerID: fmt.Sprintf("%d.%d.%s", 398738000000+n, 47445629121, hashHex(32, "trigger", id)),
		channel:   channel,
		user:      user,
		created:   s.now(),
	}
	inv.responseURL = s.http.URL + "/" + kind + "/" + s.opts.TeamID + "/" + id + "/" + inv.secret
	s.invocations[id] = inv
	return inv
}

// field is one form field, in Slack's order.
type field struct{ key, value string }

// slashCommandFields builds the fields Slack sends for a slash command (A3), and the
// invocation behind its response_url.
func (s *Server) slashCommandFields(cmd SlashCommand) ([]field, *invocation, error) {
	if !strings.HasPrefix(cmd.Command, "/") || len(cmd.Command) < 2 || len(cmd.Command) > 32 {
		return nil, nil, fmt.Errorf("fakeslack: slash command %q must start with / and have 2 to 32 characters", cmd.Command)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if cmd.ChannelID == "" && len(s.chanOrder) > 0 {
		cmd.ChannelID = s.chanOrder[0]
	}
	if cmd.UserID == "" {
		cmd.UserID = s.opts.UserID
	}
	if cmd.UserName == "" {
		cmd.UserName = s.opts.UserName
	}
	inv := s.newInvocation("commands", cmd.ChannelID, cmd.UserID)
	return []field{
		{"token", s.opts.VerificationToken},
		{"team_id", s.opts.TeamID},
		{"team_domain", s.opts.TeamDomain},
		{"channel_id", cmd.ChannelID},
		{"channel_name", s.channelName(cmd.ChannelID)},
		{"user_id", cmd.UserID},
		{"user_name", cmd.UserName},
		{"command", cmd.Command},
		{"text", cmd.Text},
		{"api_app_id", s.opts.AppID},
		{"is_enterprise_install", "false"},
		{"response_url", inv.responseURL},
		{"trigger_id", inv.triggerID},
	}, inv, nil
}

// channelName is the channel_name Slack sends. s.mu must be held.
func (s *Server) channelName(id string) string {
	if c, ok := s.channels[id]; ok {
		return c.Name
	}
	if strings.HasPrefix(id, "D") {
		return "directmessage"
	}
	return "privategroup"
}

// SendSlashCommand delivers a slash command over Socket Mode, as Slack does (A4: a
// slash_commands envelope whose payload is the form fields of A3 as a JSON object,
// all values strings, accepts_response_payload true), and waits for the
// acknowledgement. It waits for a connection first if there is none. The
// acknowledgement's payload, if valid, is shown as the command's reply (ephemeral
// unless response_type is in_channel).
func (s *Server) SendSlashCommand(ctx context.Context, cmd SlashCommand) (Ack, error) {
	fields, inv, err := s.slashCommandFields(cmd)
	if err != nil {
		return Ack{}, err
	}
	payload := map[string]string{}
	for _, f := range fields {
		payload[f.key] = f.value
	}
	ack, err := s.deliver(ctx, EnvelopeSlashCommands, payload, true, inv)
	ack.InvocationID, ack.ResponseURL, ack.TriggerID = inv.id, inv.responseURL, inv.triggerID
	return ack, err
}

// blockActionsPayload builds the block_actions payload of a click on a button (A4
// interactive), and the invocation behind its response_url.
func (s *Server) blockActionsPayload(click ButtonClick) (map[string]any, *invocation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if click.UserID == "" {
		click.UserID = s.opts.UserID
	}
	if click.UserName == "" {
		click.UserName = s.opts.UserName
	}
	m, _ := s.findMessage(click.ChannelID, click.MessageTS)
	ephemeral := false
	if m == nil {
		m, _ = s.findEphemeral(click.ChannelID, click.MessageTS)
		ephemeral = true
	}
	if m == nil {
		return nil, nil, fmt.Errorf("%w: no message %s in %s", ErrNoSuchButton, click.MessageTS, click.ChannelID)
	}
	if ephemeral && m.Recipient != "" && m.Recipient != click.UserID {
		return nil, nil, fmt.Errorf("%w: ephemeral message %s is only shown to %s", ErrNoSuchButton, click.MessageTS, m.Recipient)
	}
	blockID, button := findButton(m, click.ActionID, click.Value)
	if button == nil {
		return nil, nil, fmt.Errorf("%w: no button with action_id %q (value %q) in message %s", ErrNoSuchButton, click.ActionID, click.Value, click.MessageTS)
	}
	inv := s.newInvocation("actions", click.ChannelID, click.UserID)
	inv.containerTS, inv.containerEphemeral = m.TS, ephemeral

	action := map[string]any{
		"type":      "button",
		"block_id":  blockID,
		"action_id": button["action_id"],
		"text":      button["text"],
		"action_ts": formatTS(s.now().UnixMicro()),
	}
	for _, k := range []string{"value", "style", "url"} {
		if v, ok := button[k]; ok {
			action[k] = v
		}
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": click.UserID, "username": click.UserName, "name": click.UserName, "team_id": s.opts.TeamID},
		"api_app_id":            s.opts.AppID,
		"token":                 s.opts.VerificationToken,
		"container":             map[string]any{"type": "message", "message_ts": m.TS, "channel_id": click.ChannelID, "is_ephemeral": ephemeral},
		"trigger_id":            inv.triggerID,
		"team":                  map[string]any{"id": s.opts.TeamID, "domain": s.opts.TeamDomain},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": click.ChannelID, "name": s.channelName(click.ChannelID)},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          inv.responseURL,
		"actions":               []any{action},
	}
	if !ephemeral {
		payload["message"] = s.wireMessage(m, false)
	}
	return payload, inv, nil
}

// findButton finds a button by action_id (and value, if set) in a message's blocks:
// actions elements and section accessories. It returns the block_id (assigned by the
// fake where the bot gave none) and the button.
func findButton(m *Message, actionID, value string) (string, map[string]any) {
	match := func(e any) map[string]any {
		el, ok := e.(map[string]any)
		if !ok || el["type"] != "button" || el["action_id"] != actionID {
			return nil
		}
		if value != "" && el["value"] != value {
			return nil
		}
		return el
	}
	for _, b := range normalizedBlocks(m) {
		id, _ := b["block_id"].(string)
		switch b["type"] {
		case "actions":
			els, _ := b["elements"].([]any)
			for _, e := range els {
				if el := match(e); el != nil {
					return id, el
				}
			}
		case "section":
			if el := match(b["accessory"]); el != nil {
				return id, el
			}
		}
	}
	return "", nil
}

// ClickButton delivers a click on a button over Socket Mode (an interactive envelope
// with a block_actions payload, accepts_response_payload false) and waits for the
// acknowledgement. The button must exist in the message (ErrNoSuchButton otherwise).
// The bot answers through the response_url (Ack.ResponseURL), which can replace or
// delete the message.
func (s *Server) ClickButton(ctx context.Context, click ButtonClick) (Ack, error) {
	payload, inv, err := s.blockActionsPayload(click)
	if err != nil {
		return Ack{}, err
	}
	ack, err := s.deliver(ctx, EnvelopeInteractive, payload, false, inv)
	ack.InvocationID, ack.ResponseURL, ack.TriggerID = inv.id, inv.responseURL, inv.triggerID
	return ack, err
}

// eventCallback wraps an Events API event in its event_callback.
func (s *Server) eventCallback(event any) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nextID()
	return map[string]any{
		"token":      s.opts.VerificationToken,
		"team_id":    s.opts.TeamID,
		"api_app_id": s.opts.AppID,
		"event":      event,
		"type":       "event_callback",
		"event_id":   "Ev" + strings.ToUpper(hashHex(9, "event", n)),
		"event_time": s.now().Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": s.opts.TeamID, "user_id": s.opts.BotUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
	}
}

// SendEvent delivers an Events API event (the inner event object, e.g. an app_mention)
// over Socket Mode, wrapped in an event_callback and an events_api envelope
// (retry_attempt 0), and waits for the acknowledgement. The fake does not redeliver.
func (s *Server) SendEvent(ctx context.Context, event any) (Ack, error) {
	return s.deliver(ctx, EnvelopeEventsAPI, s.eventCallback(event), false, nil)
}

// encodeFields encodes form fields in the given order, as Slack does (url.Values would
// sort them).
func encodeFields(fields []field) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f.key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.value))
	}
	return b.String()
}

func marshalPayload(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("fakeslack: encode payload: %v", err))
	}
	return string(b)
}
