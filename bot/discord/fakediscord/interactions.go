package fakediscord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Interaction types (B2).
const (
	InteractionPing         = 1
	InteractionCommand      = 2
	InteractionComponent    = 3
	InteractionAutocomplete = 4
	InteractionModalSubmit  = 5
)

// Interaction callback types (B2).
const (
	CallbackPong               = 1
	CallbackMessage            = 4
	CallbackDeferredMessage    = 5
	CallbackDeferredUpdate     = 6
	CallbackUpdateMessage      = 7
	CallbackAutocompleteResult = 8
	CallbackModal              = 9
)

// Interaction is what a user does that the fake delivers to the bot: a slash command
// (type 2, Name and Options), a component click (type 3, CustomID), an autocomplete
// request (type 4, Name and Options with one Focused) or a PING (type 1, HTTP only).
// Empty fields get defaults: a fresh ID and Token, the first channel, Options.UserID.
type Interaction struct {
	Type      int
	ID        string
	Token     string
	ChannelID string
	GuildID   string // default: the channel's guild; "" with DM true
	DM        bool   // a DM: "user" instead of "member"
	UserID    string
	UserName  string
	Locale    string // default "en-US"
	// Permissions are the member's permissions in the channel, as Discord's
	// decimal string (default "2048", Send Messages: a plain member).
	Permissions string

	// Application command and autocomplete.
	CommandID string
	Name      string
	Options   []CommandOption

	// Component click.
	CustomID      string
	ComponentType int      // default 2 (button)
	Values        []string // select values
	// MessageID is the message holding the component; when it is a recorded message of
	// the channel, the payload carries it and UPDATE_MESSAGE (7) edits it.
	MessageID string
}

// CommandOption is an option of an application command invocation. Type is Discord's
// option type (3 string, 4 integer, 5 boolean, 10 number, 1 subcommand with Options).
type CommandOption struct {
	Name    string
	Type    int
	Value   any
	Focused bool
	Options []CommandOption
}

func (o CommandOption) json() map[string]any {
	out := map[string]any{"name": o.Name, "type": o.Type}
	if o.Value != nil {
		out["value"] = o.Value
	}
	if o.Focused {
		out["focused"] = true
	}
	if len(o.Options) > 0 {
		var sub []any
		for _, so := range o.Options {
			sub = append(sub, so.json())
		}
		out["options"] = sub
	}
	return out
}

// Response is the bot's answer to an interaction, as the fake recorded it.
type Response struct {
	InteractionID string
	// Type is the callback type (4, 5, 6, 7, 8, 9 or 1).
	Type int
	// Data is the callback's data object as sent.
	Data json.RawMessage
	// Message is the response message of types 4 and 7 (nil otherwise; for type 5 see
	// Edits/Original).
	Message *Message
	// Choices are the autocomplete choices of type 8.
	Choices []Choice
	// Latency is the time from sending the interaction to the callback, on Clock.
	Latency time.Duration
	// Late is true when the callback came after the deadline (it was answered 10062).
	Late bool
	// HTTP is true when it came as the body of the HTTP interaction's answer.
	HTTP bool
}

// Choice is an autocomplete choice.
type Choice struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// interactionState tracks one interaction. Fields are guarded by s.mu.
type interactionState struct {
	in        Interaction
	sentAt    time.Time
	payload   []byte
	response  *Response // first valid callback
	original  *Message  // the response message (type 4/7) or the edited deferred one
	followups []*Message
	answered  chan struct{} // closed on the first callback (valid or late)
	closedAns bool
}

// prepare fills defaults and registers an interaction. s.mu must be held.
func (s *Server) prepareInteraction(in Interaction) (*interactionState, error) {
	if in.Type == 0 {
		return nil, fmt.Errorf("fakediscord: interaction needs a Type")
	}
	if in.ID == "" {
		in.ID = s.nextID()
	}
	if in.Token == "" {
		in.Token = "itoken-" + hashHex(32, "token", in.ID, s.seq)
	}
	if _, dup := s.interactions[in.ID]; dup {
		return nil, fmt.Errorf("fakediscord: interaction %s already sent", in.ID)
	}
	if in.ChannelID == "" && len(s.opts.Channels) > 0 {
		in.ChannelID = s.opts.Channels[0].ID
	}
	if in.GuildID == "" && !in.DM {
		if c := s.channels[in.ChannelID]; c != nil {
			in.GuildID = c.GuildID
		}
	}
	if in.UserID == "" {
		in.UserID = s.opts.UserID
	}
	if in.UserName == "" {
		in.UserName = s.opts.UserName
	}
	if in.Locale == "" {
		in.Locale = "en-US"
	}
	if in.Type == InteractionComponent && in.ComponentType == 0 {
		in.ComponentType = 2
	}
	if in.CommandID == "" {
		in.CommandID = hashHex(18, "command", in.Name)
	}
	st := &interactionState{in: in, answered: make(chan struct{})}
	payload := s.interactionPayload(in)
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	st.payload = b
	s.interactions[in.ID] = st
	s.byToken[in.Token] = st
	return st, nil
}

func (s *Server) interactionPayload(in Interaction) map[string]any {
	user := map[string]any{"id": in.UserID, "username": in.UserName, "discriminator": "0", "global_name": in.UserName}
	p := map[string]any{
		"id":              in.ID,
		"application_id":  s.opts.AppID,
		"type":            in.Type,
		"token":           in.Token,
		"version":         1,
		"locale":          in.Locale,
		"app_permissions": "2048",
	}
	if in.ChannelID != "" {
		p["channel_id"] = in.ChannelID
		ch := map[string]any{"id": in.ChannelID, "type": ChannelTypeText}
		if c := s.channels[in.ChannelID]; c != nil {
			ch["type"] = c.Type
			ch["name"] = c.Name
			if t := s.threads[c.ID]; t != nil {
				ch["parent_id"] = t.parentID
			}
		}
		p["channel"] = ch
	}
	if in.GuildID != "" && !in.DM {
		p["guild_id"] = in.GuildID
		p["guild_locale"] = "en-US"
		perms := in.Permissions
		if perms == "" {
			perms = "2048" // Send Messages: a plain member
		}
		p["member"] = map[string]any{"user": user, "roles": []any{}, "permissions": perms, "joined_at": "2020-01-01T00:00:00Z"}
	} else {
		p["user"] = user
	}
	switch in.Type {
	case InteractionCommand, InteractionAutocomplete:
		var opts []any
		for _, o := range in.Options {
			opts = append(opts, o.json())
		}
		data := map[string]any{"id": in.CommandID, "name": in.Name, "type": 1}
		if len(opts) > 0 {
			data["options"] = opts
		}
		p["data"] = data
	case InteractionComponent:
		data := map[string]any{"custom_id": in.CustomID, "component_type": in.ComponentType}
		if in.Values != nil {
			data["values"] = in.Values
		}
		p["data"] = data
		if in.MessageID != "" {
			if m := s.findMessage(in.ChannelID, in.MessageID); m != nil {
				p["message"] = s.messageJSON(m, false)
			} else {
				p["message"] = map[string]any{"id": in.MessageID, "channel_id": in.ChannelID, "content": "", "author": map[string]any{"id": s.opts.AppID, "username": s.opts.BotName, "bot": true}}
			}
		}
	}
	return p
}

type callbackRequest struct {
	Type int             `json:"type"`
	Data json.RawMessage `json:"data"`
}

// acceptCallback validates and records a callback. s.mu must be held. fromHTTP marks
// an answer given in the body of the HTTP interaction request.
func (s *Server) acceptCallback(st *interactionState, body []byte, fromHTTP bool) apiResp {
	now := s.now()
	id := st.in.ID
	late := now.Sub(st.sentAt) > s.opts.InteractionDeadline
	if !st.closedAns {
		st.closedAns = true
		close(st.answered)
	}
	if st.response != nil && st.response.Late {
		s.violate("B2 interaction deadline", "interaction %s answered again after its token was invalidated", id)
		return errResp(http.StatusNotFound, 10062, "Unknown interaction")
	}
	if st.response != nil {
		s.violate("B2 second callback", "interaction %s answered twice", id)
		return errResp(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
	}
	if late {
		s.violate("B2 interaction deadline", "interaction %s answered after %s (deadline %s)", id, now.Sub(st.sentAt), s.opts.InteractionDeadline)
		st.response = &Response{InteractionID: id, Late: true, Latency: now.Sub(st.sentAt), HTTP: fromHTTP}
		return errResp(http.StatusNotFound, 10062, "Unknown interaction")
	}
	var cb callbackRequest
	if err := json.Unmarshal(body, &cb); err != nil {
		s.violate("B2 callback", "interaction %s: callback is not JSON: %v", id, err)
		return errResp(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
	}
	f := formErrors{}
	it := st.in.Type
	allowed := map[int][]int{
		InteractionPing:         {CallbackPong},
		InteractionCommand:      {CallbackMessage, CallbackDeferredMessage, CallbackModal},
		InteractionComponent:    {CallbackMessage, CallbackDeferredMessage, CallbackDeferredUpdate, CallbackUpdateMessage, CallbackModal},
		InteractionAutocomplete: {CallbackAutocompleteResult},
		InteractionModalSubmit:  {CallbackMessage, CallbackDeferredMessage, CallbackDeferredUpdate, CallbackUpdateMessage},
	}[it]
	if !slices.Contains(allowed, cb.Type) {
		f.add("type", "INTERACTION_RESPONSE_TYPE_INVALID", "Callback type %d is not valid for interaction type %d.", cb.Type, it)
	}
	resp := &Response{InteractionID: id, Type: cb.Type, Data: cb.Data, Latency: now.Sub(st.sentAt), HTTP: fromHTTP}
	var msgReq messageRequest
	switch cb.Type {
	case CallbackMessage, CallbackUpdateMessage:
		if len(cb.Data) > 0 {
			if err := json.Unmarshal(cb.Data, &msgReq); err != nil {
				f.add("data", "BASE_TYPE_BAD_TYPE", "data is not a message: %v", err)
			}
		}
		if len(f) == 0 {
			if mf := validateMessage(&msgReq, ctxResponse); mf != nil {
				for k, v := range mf {
					f["data."+k] = v
				}
			}
		}
		if cb.Type == CallbackMessage && len(f) == 0 && (msgReq.Content == nil || *msgReq.Content == "") && len(msgReq.Embeds) == 0 && len(msgReq.Components) == 0 {
			f.add("data", "INTERACTION_RESPONSE_EMPTY", "Cannot send an empty message")
		}
	case CallbackDeferredMessage:
		var d struct {
			Flags int `json:"flags"`
		}
		if len(cb.Data) > 0 {
			_ = json.Unmarshal(cb.Data, &d)
		}
		if d.Flags&^FlagEphemeral != 0 {
			f.add("data.flags", "MESSAGE_FLAGS_INVALID", "Only the EPHEMERAL flag may be set on a deferred response.")
		}
		msgReq.Flags = d.Flags
	case CallbackAutocompleteResult:
		var d struct {
			Choices []Choice `json:"choices"`
		}
		if err := json.Unmarshal(cb.Data, &d); err != nil {
			f.add("data", "BASE_TYPE_BAD_TYPE", "data needs choices")
		}
		if len(d.Choices) > 25 {
			f.add("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		}
		for i, c := range d.Choices {
			f.maxLen(fmt.Sprintf("data.choices.%d.name", i), c.Name, 100)
			if v, ok := c.Value.(string); ok {
				f.maxLen(fmt.Sprintf("data.choices.%d.value", i), v, 100)
			}
		}
		resp.Choices = d.Choices
	case CallbackModal:
		var d struct {
			CustomID   string `json:"custom_id"`
			Title      string `json:"title"`
			Components []any  `json:"components"`
		}
		_ = json.Unmarshal(cb.Data, &d)
		if n := len([]rune(d.CustomID)); n < 1 || n > 100 {
			f.add("data.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		}
		f.maxLen("data.title", d.Title, 45)
		if len(d.Components) < 1 || len(d.Components) > 5 {
			f.add("data.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
		}
	}
	if len(f) > 0 {
		s.violate("B2 callback", "interaction %s: %s", id, f)
		return formResp(f)
	}
	st.response = resp
	switch cb.Type {
	case CallbackMessage:
		msg := s.newMessage(st.in.ChannelID, &msgReq, "response", id)
		s.checkPings(msg.Content, msgReq.AllowedMentions, ctxResponse, "response to "+id)
		st.original, resp.Message = msg, msg
		if msg.Flags&FlagEphemeral == 0 {
			s.appendMessage(msg)
		}
	case CallbackDeferredMessage:
		msg := s.newMessage(st.in.ChannelID, &msgReq, "response", id)
		st.original = msg // the loading message, filled in by PATCH @original
	case CallbackUpdateMessage:
		s.checkPings(derefString(msgReq.Content), msgReq.AllowedMentions, ctxResponse, "update for "+id)
		if m := s.findMessage(st.in.ChannelID, st.in.MessageID); m != nil {
			var raw map[string]json.RawMessage
			_ = json.Unmarshal(cb.Data, &raw)
			applyEdit(m, &msgReq, raw, now)
			resp.Message = m
		} else {
			msg := s.newMessage(st.in.ChannelID, &msgReq, "response", id)
			msg.ID = st.in.MessageID
			resp.Message = msg
		}
	}
	return apiResp{status: http.StatusNoContent}
}

func (s *Server) interactionCallback(id, token string, body []byte) apiResp {
	st := s.interactions[id]
	if st == nil || st.in.Token != token {
		s.violate("B2 callback", "callback for unknown interaction %s", id)
		return errResp(http.StatusNotFound, 10062, "Unknown interaction")
	}
	return s.acceptCallback(st, body, false)
}

// tokenState finds a live interaction token for followups and edits. s.mu held.
func (s *Server) tokenState(appID, token, what string) (*interactionState, *apiResp) {
	st := s.byToken[token]
	if appID != s.opts.AppID || st == nil {
		s.violate("B2 followup", "%s with an unknown application or token", what)
		r := errResp(http.StatusNotFound, 10015, "Unknown Webhook")
		return nil, &r
	}
	if s.now().Sub(st.sentAt) > TokenLifetime {
		s.violate("B2 token lifetime", "%s for interaction %s more than %s after it was sent", what, st.in.ID, TokenLifetime)
		r := errResp(http.StatusUnauthorized, 50027, "Invalid Webhook Token")
		return nil, &r
	}
	if st.response == nil || st.response.Late {
		s.violate("B2 followup", "%s for interaction %s that was never acknowledged in time", what, st.in.ID)
		r := errResp(http.StatusNotFound, 10015, "Unknown Webhook")
		return nil, &r
	}
	return st, nil
}

// followup serves POST /webhooks/{app}/{token}.
func (s *Server) followup(appID, token string, body []byte) apiResp {
	st, bad := s.tokenState(appID, token, "followup")
	if bad != nil {
		return *bad
	}
	var m messageRequest
	if err := json.Unmarshal(body, &m); err != nil {
		s.violate("B5 message", "followup body is not a message: %v", err)
		return errResp(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
	}
	if f := validateMessage(&m, ctxFollowup); f != nil {
		s.violate("B5 message limits", "followup for %s: %s", st.in.ID, f)
		return formResp(f)
	}
	if (m.Content == nil || *m.Content == "") && len(m.Embeds) == 0 && len(m.Components) == 0 && len(m.Attachments) == 0 && len(m.Poll) == 0 {
		s.violate("B5 message", "empty followup for %s", st.in.ID)
		return errResp(http.StatusBadRequest, 50006, "Cannot send an empty message")
	}
	msg := s.newMessage(st.in.ChannelID, &m, "followup", st.in.ID)
	s.checkPings(msg.Content, m.AllowedMentions, ctxFollowup, "followup for "+st.in.ID)
	st.followups = append(st.followups, msg)
	if msg.Flags&FlagEphemeral == 0 {
		s.appendMessage(msg)
	}
	return apiResp{status: 200, body: s.messageJSON(msg, false)}
}

// webhookMessage serves GET/PATCH /webhooks/{app}/{token}/messages/{@original|id}.
func (s *Server) webhookMessage(method, appID, token, msgID string, body []byte) apiResp {
	st, bad := s.tokenState(appID, token, method+" message "+msgID)
	if bad != nil {
		return *bad
	}
	var target *Message
	if msgID == "@original" {
		target = st.original
	} else {
		for _, m := range st.followups {
			if m.ID == msgID {
				target = m
			}
		}
	}
	if target == nil {
		s.violate("B2 followup", "%s of unknown message %s of interaction %s", method, msgID, st.in.ID)
		return errResp(http.StatusNotFound, 10008, "Unknown Message")
	}
	switch method {
	case http.MethodGet:
		return apiResp{status: 200, body: s.messageJSON(target, false)}
	case http.MethodPatch:
		var m messageRequest
		var raw map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil || json.Unmarshal(body, &raw) != nil {
			s.violate("B5 message", "edit body is not a message")
			return errResp(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		}
		if f := validateMessage(&m, ctxEdit); f != nil {
			s.violate("B5 message limits", "edit of %s for %s: %s", msgID, st.in.ID, f)
			return formResp(f)
		}
		if m.Content != nil {
			s.checkPings(*m.Content, m.AllowedMentions, ctxEdit, "edit for "+st.in.ID)
		}
		wasLoading := target.EditedAt.IsZero() && st.response.Type == CallbackDeferredMessage && msgID == "@original"
		applyEdit(target, &m, raw, s.now())
		if wasLoading && target.Flags&FlagEphemeral == 0 && !slices.Contains(s.messages[target.ChannelID], target) {
			s.appendMessage(target)
		}
		return apiResp{status: 200, body: s.messageJSON(target, false)}
	case http.MethodDelete:
		return apiResp{status: http.StatusNoContent}
	}
	s.violate("B1 unknown route", "%s on a webhook message", method)
	return errResp(http.StatusMethodNotAllowed, 0, "405: Method Not Allowed")
}

// InteractionRecord is what happened to an interaction.
type InteractionRecord struct {
	Interaction Interaction
	SentAt      time.Time
	Response    *Response
	// Original is the response message (type 4, or the deferred one once edited).
	Original  *Message
	Followups []Message
}

// Interaction returns the record of an interaction by id.
func (s *Server) Interaction(id string) (InteractionRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[id]
	if st == nil {
		return InteractionRecord{}, false
	}
	return st.record(), true
}

func (st *interactionState) record() InteractionRecord {
	r := InteractionRecord{Interaction: st.in, SentAt: st.sentAt}
	if st.response != nil {
		resp := *st.response
		if resp.Message != nil {
			m := cloneMessage(resp.Message)
			resp.Message = &m
		}
		r.Response = &resp
	}
	if st.original != nil {
		m := cloneMessage(st.original)
		r.Original = &m
	}
	for _, f := range st.followups {
		r.Followups = append(r.Followups, cloneMessage(f))
	}
	return r
}

// waitAnswered blocks until the bot's first callback for st, then returns its record.
func (s *Server) waitAnswered(ctx context.Context, st *interactionState) (InteractionRecord, error) {
	select {
	case <-st.answered:
	case <-ctx.Done():
		return InteractionRecord{}, fmt.Errorf("fakediscord: interaction %s not answered: %w", st.in.ID, ctx.Err())
	case <-s.done:
		return InteractionRecord{}, ErrClosed
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return st.record(), nil
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// findMessage finds a recorded message of a channel. s.mu must be held.
func (s *Server) findMessage(channelID, id string) *Message {
	if id == "" {
		return nil
	}
	for _, m := range s.messages[channelID] {
		if m.ID == id {
			return m
		}
	}
	return nil
}
