package fakeslack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Ways a message reached a channel (Message.Via).
const (
	ViaPostMessage   = "chat.postMessage"
	ViaPostEphemeral = "chat.postEphemeral"
	ViaResponseURL   = "response_url"
	ViaAck           = "ack"           // the payload of a Socket Mode acknowledgement
	ViaHTTPResponse  = "http_response" // the body of the answer to an HTTP delivery
)

// Message is a message as the fake recorded it.
type Message struct {
	Channel  string
	TS       string // "<seconds>.<6 digits>"; for ephemerals, the message_ts answered
	ThreadTS string
	// Via says how the message was posted (ViaPostMessage, ViaResponseURL, …).
	Via string
	// User is the author (the bot user); Recipient the only user who sees an ephemeral.
	User      string
	Recipient string
	// Text is the text as stored, truncated to 40 000 characters (Truncated is then
	// set).
	Text      string
	Truncated bool
	// Blocks and Attachments are the JSON arrays exactly as received (nil if absent).
	Blocks      json.RawMessage
	Attachments json.RawMessage
	Metadata    *Metadata
	// UnfurlLinks, UnfurlMedia, Mrkdwn and LinkNames are nil when not sent.
	UnfurlLinks, UnfurlMedia, Mrkdwn, LinkNames *bool
	ReplyBroadcast                              bool
	// Broadcasts lists mentions that notify a whole channel or a user group ("here",
	// "channel", "everyone", "subteam^S…").
	Broadcasts []string
	// Params are the Web API arguments as received, token removed (nil for messages
	// that did not come through the Web API).
	Params url.Values
	// InvocationID links a response to the slash command or click it answers.
	InvocationID string
	Edited       bool
}

// Metadata is message metadata (contract A8).
type Metadata struct {
	EventType    string
	EventPayload json.RawMessage
}

func (m *Message) clone() Message {
	out := *m
	out.Blocks = slices.Clone(m.Blocks)
	out.Attachments = slices.Clone(m.Attachments)
	if m.Metadata != nil {
		md := *m.Metadata
		md.EventPayload = slices.Clone(md.EventPayload)
		out.Metadata = &md
	}
	out.Broadcasts = slices.Clone(m.Broadcasts)
	out.Params = cloneValues(m.Params)
	return out
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func cloneAll(ms []*Message) []Message {
	out := make([]Message, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.clone())
	}
	return out
}

// Messages returns the messages of a channel, oldest first: posts, and responses that
// were made visible to the channel (in_channel). Thread replies are included.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.messages[channel])
}

// AllMessages returns every channel message, in the order they were posted.
func (s *Server) AllMessages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*Message
	for _, ms := range s.messages {
		all = append(all, ms...)
	}
	slices.SortFunc(all, func(a, b *Message) int { return compareTS(a.TS, b.TS) })
	return cloneAll(all)
}

// Ephemerals returns the ephemeral messages shown in a channel, oldest first: from
// chat.postEphemeral, and ephemeral responses to commands and clicks.
func (s *Server) Ephemerals(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneAll(s.ephemerals[channel])
}

// WaitMessages waits until a channel has at least n messages and returns them all.
func (s *Server) WaitMessages(ctx context.Context, channel string, n int) ([]Message, error) {
	var out []Message
	err := s.Wait(ctx, func() bool {
		out = s.Messages(channel)
		return len(out) >= n
	})
	return out, err
}

// WaitEphemerals waits until a channel has at least n ephemeral messages and returns
// them all.
func (s *Server) WaitEphemerals(ctx context.Context, channel string, n int) ([]Message, error) {
	var out []Message
	err := s.Wait(ctx, func() bool {
		out = s.Ephemerals(channel)
		return len(out) >= n
	})
	return out, err
}

// nextTS returns a new message timestamp, "<seconds>.<6 digits>", strictly greater than
// every earlier one. s.mu must be held.
func (s *Server) nextTS() string {
	us := s.now().UnixMicro()
	if us <= s.lastTS {
		us = s.lastTS + 1
	}
	s.lastTS = us
	return formatTS(us)
}

func formatTS(us int64) string {
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// parseTS reads "1234", "1234.5" or "1234.000567" as microseconds.
func parseTS(s string) (int64, bool) {
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if len(frac) > 6 {
		frac = frac[:6]
	}
	frac += strings.Repeat("0", 6-len(frac))
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, false
	}
	return n*1e6 + f, true
}

func compareTS(a, b string) int {
	x, _ := parseTS(a)
	y, _ := parseTS(b)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// apiError is a Slack error answer.
type apiError struct {
	code    string
	details []string
	// bug marks errors that only a malformed request causes: they are violations.
	bug bool
}

func (e *apiError) Error() string { return e.code }

// content is the message part of a request: text, blocks, attachments, metadata.
type content struct {
	text        string
	truncated   bool
	blocks      json.RawMessage
	attachments json.RawMessage
	metadata    *Metadata
	broadcasts  []string
}

// contentInput is the raw message fields of a request.
type contentInput struct {
	text, blocks, attachments, metadata, markdownText string
	hasBlocks, hasAttachments, hasMetadata            bool
	linkNames                                         bool
	// allowEmpty accepts a message without text, blocks or attachments.
	allowEmpty bool
}

// parseContent validates message fields as chat.postMessage does (contract A5, A6, A8).
// s.mu must be held (for options only).
func (s *Server) parseContent(in contentInput) (content, *apiError) {
	var c content
	if in.markdownText != "" {
		if in.text != "" || in.hasBlocks {
			return c, &apiError{code: "markdown_text_conflict", bug: true}
		}
		if runes(in.markdownText) > 12000 {
			return c, &apiError{code: "invalid_arguments", details: []string{"markdown_text must be at most 12000 characters"}, bug: true}
		}
		in.text = in.markdownText
	}
	nBlocks := 0
	if in.hasBlocks {
		raw := bytes.TrimSpace([]byte(in.blocks))
		rep, berr := checkBlocks(raw, s.opts.MaxBlocksChars)
		if berr != nil {
			return c, &apiError{code: berr.Code, details: berr.Problems, bug: true}
		}
		nBlocks = rep.count
		if nBlocks > 0 {
			c.blocks = json.RawMessage(raw)
		}
		c.broadcasts = append(c.broadcasts, rep.broadcasts...)
	}
	nAttachments := 0
	if in.hasAttachments && strings.TrimSpace(in.attachments) != "" {
		var atts []json.RawMessage
		if err := json.Unmarshal([]byte(in.attachments), &atts); err != nil {
			return c, &apiError{code: "invalid_attachments", details: []string{"attachments must be a JSON array"}, bug: true}
		}
		if len(atts) > 100 {
			return c, &apiError{code: "too_many_attachments", bug: true}
		}
		nAttachments = len(atts)
		if nAttachments > 0 {
			c.attachments = json.RawMessage(bytes.TrimSpace([]byte(in.attachments)))
		}
		for _, a := range atts {
			var att struct {
				Text     string `json:"text"`
				Pretext  string `json:"pretext"`
				Fallback string `json:"fallback"`
			}
			if json.Unmarshal(a, &att) == nil {
				for _, t := range []string{att.Text, att.Pretext, att.Fallback} {
					c.broadcasts = append(c.broadcasts, broadcastMentions(t, in.linkNames)...)
				}
			}
		}
	}
	if in.hasMetadata && strings.TrimSpace(in.metadata) != "" {
		md, err := parseMetadata(in.metadata)
		if err != nil {
			return c, err
		}
		c.metadata = md
	}
	if in.text == "" && nBlocks == 0 && nAttachments == 0 && !in.allowEmpty {
		return c, &apiError{code: "no_text", bug: true}
	}
	c.text = in.text
	if runes(c.text) > MaxTextChars {
		c.text = string([]rune(c.text)[:MaxTextChars])
		c.truncated = true
	}
	c.broadcasts = append(c.broadcasts, broadcastMentions(c.text, in.linkNames)...)
	return c, nil
}

// parseMetadata checks {"event_type": string, "event_payload": object} (contract A8).
func parseMetadata(raw string) (*Metadata, *apiError) {
	bad := func(why string) *apiError {
		return &apiError{code: "invalid_metadata_format", details: []string{why}, bug: true}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m == nil {
		return nil, bad("metadata must be a JSON object")
	}
	var md Metadata
	if err := json.Unmarshal(m["event_type"], &md.EventType); err != nil || md.EventType == "" {
		return nil, bad("metadata.event_type must be a non-empty string")
	}
	var payload map[string]json.RawMessage
	if err := json.Unmarshal(m["event_payload"], &payload); err != nil || payload == nil {
		return nil, bad("metadata.event_payload must be an object")
	}
	md.EventPayload = json.RawMessage(bytes.TrimSpace(m["event_payload"]))
	return &md, nil
}

// record stores a message in its channel's history or ephemeral list, checking for
// broadcasts. s.mu must be held.
func (s *Server) record(m *Message, ephemeral bool) {
	if len(m.Broadcasts) > 0 && !s.opts.AllowBroadcasts {
		s.violate("A7 mentions (DESIGN promise 3)", "%s message %s in %s would notify %s",
			m.Via, m.TS, m.Channel, strings.Join(m.Broadcasts, ", "))
	}
	if ephemeral {
		s.ephemerals[m.Channel] = append(s.ephemerals[m.Channel], m)
	} else {
		s.messages[m.Channel] = append(s.messages[m.Channel], m)
	}
	s.notify()
}

// findMessage finds a channel message by ts. s.mu must be held.
func (s *Server) findMessage(channel, ts string) (*Message, int) {
	for i, m := range s.messages[channel] {
		if m.TS == ts {
			return m, i
		}
	}
	return nil, -1
}

// findEphemeral finds an ephemeral message by ts. s.mu must be held.
func (s *Server) findEphemeral(channel, ts string) (*Message, int) {
	for i, m := range s.ephemerals[channel] {
		if m.TS == ts {
			return m, i
		}
	}
	return nil, -1
}

// wireMessage is a message as the Web API shows it. Blocks get a block_id where they
// had none, as Slack assigns one. Metadata is shown only if withMetadata.
func (s *Server) wireMessage(m *Message, withMetadata bool) map[string]any {
	w := map[string]any{
		"type":   "message",
		"text":   m.Text,
		"user":   m.User,
		"bot_id": s.opts.BotID,
		"app_id": s.opts.AppID,
		"team":   s.opts.TeamID,
		"ts":     m.TS,
		"bot_profile": map[string]any{
			"id": s.opts.BotID, "app_id": s.opts.AppID, "name": s.opts.BotName,
			"team_id": s.opts.TeamID, "deleted": false, "updated": 1500000000,
		},
	}
	if m.ThreadTS != "" {
		w["thread_ts"] = m.ThreadTS
	}
	if blocks := normalizedBlocks(m); blocks != nil {
		w["blocks"] = blocks
	}
	if m.Attachments != nil {
		w["attachments"] = m.Attachments
	}
	if withMetadata && m.Metadata != nil {
		w["metadata"] = map[string]any{"event_type": m.Metadata.EventType, "event_payload": m.Metadata.EventPayload}
	}
	if m.Edited {
		w["edited"] = map[string]any{"user": m.User, "ts": m.TS}
	}
	return w
}

// normalizedBlocks returns the message's blocks with a deterministic block_id added to
// the blocks that had none.
func normalizedBlocks(m *Message) []map[string]any {
	if m.Blocks == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(m.Blocks))
	dec.UseNumber()
	var blocks []map[string]any
	if err := dec.Decode(&blocks); err != nil {
		return nil
	}
	for i, b := range blocks {
		if _, ok := b["block_id"]; !ok {
			b["block_id"] = hashHex(5, m.TS, i)
		}
	}
	return blocks
}
